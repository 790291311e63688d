'use strict';
/**
 * CommonJS entry Serverless can `require` as a local plugin
 * (`plugins: ['serverless-offline', './infra/local/event-source/index.cjs']`).
 * tsx's scoped require compiles plugin.ts and what it imports on the fly, without
 * registering a TypeScript loader for the rest of the Serverless process.
 */
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = tsxRequire('./plugin.ts', __filename).default;
