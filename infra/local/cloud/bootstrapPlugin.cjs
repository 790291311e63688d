// The framework (osls) loads plugins with require(); this loads the TypeScript plugin through tsx.
const tsx = require('tsx/cjs/api');
module.exports = tsx.require('./bootstrapPlugin.ts', __filename).BootstrapPlugin;
