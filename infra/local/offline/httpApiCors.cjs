// serverless.yml's provider.httpApi.cors: `${file(./infra/local/offline/httpApiCors.cjs):cors}`, false
// unless API_ALLOWED_ORIGINS names origins (httpApiCors.ts). The framework loads this with
// require() and calls the function; this loads the TypeScript through tsx.
const tsx = require('tsx/cjs/api');

module.exports.cors = () => {
  try {
    return tsx.require('./httpApiCors.ts', __filename).httpApiCorsFromEnv();
  } catch (error) {
    // Serverless prints a failed variable's stack: the settings' own lines say it all.
    error.stack = error.message;
    throw error;
  }
};
