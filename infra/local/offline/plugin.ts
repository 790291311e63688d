/**
 * Serverless plugin: fixes in serverless-offline 14, applied before it serves anything:
 * its HTTP server answers browsers as API Gateway does, CORS and content type (see
 * apiGateway.ts), and its Lambda endpoint takes no request from a web page (see
 * lambdaEndpoint.ts). (serverless-offline 13 also needed its instances whose invocation
 * timed out retired, upstream #1896; 14 starts a fresh worker after a timeout itself,
 * which tests/integration/offlineTimeout.test.ts keeps true.)
 */
import { answerAsApiGateway } from './apiGateway.js';
import { closeLambdaEndpointToWebPages } from './lambdaEndpoint.js';

interface PluginUtils {
  log: { warning(msg: string): void };
}

/** The part of the Serverless framework this plugin reads: the service's HTTP API CORS. */
interface WithHttpApiCors {
  service?: { provider?: { httpApi?: { cors?: unknown } } };
}

export class OfflineFixesPlugin {
  readonly hooks: Record<string, () => Promise<void>>;

  constructor(serverless: WithHttpApiCors, _options: unknown, utils: PluginUtils) {
    const apply = async () => {
      const gatewayProblem = await answerAsApiGateway(() => serverless.service?.provider?.httpApi?.cors);
      if (gatewayProblem !== undefined) {
        utils.log.warning(
          `serverless-offline changed (${gatewayProblem}): its HTTP API may answer other origins' pages (CORS) and take a POST without a content type as JSON`,
        );
      }
      const lambdaWarning = (problem: string) =>
        `serverless-offline changed (${problem}): its Lambda endpoint may run functions for any web page open in your browser`;
      const lambdaProblem = await closeLambdaEndpointToWebPages((problem) => utils.log.warning(lambdaWarning(problem)));
      if (lambdaProblem !== undefined) utils.log.warning(lambdaWarning(lambdaProblem));
    };
    // `offline start` runs init as its own lifecycle event; plain `offline` runs it inside `offline:start`.
    this.hooks = { 'before:offline:start:init': apply, 'before:offline:start': apply };
  }
}
