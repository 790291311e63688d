/**
 * Serverless plugin: fixes in serverless-offline 13, applied before it serves anything:
 * instances whose invocation timed out are retired, so the pipeline keeps running
 * through a storm (see timedOutInstances.ts), its HTTP server answers browsers as API
 * Gateway does, CORS and content type (see apiGateway.ts), and its Lambda endpoint
 * takes no request from a web page (see lambdaEndpoint.ts). And one in serverless
 * v3 itself, for every command: its schema accepts our runtime (see acceptRuntimes).
 */
import { answerAsApiGateway } from './apiGateway.js';
import { closeLambdaEndpointToWebPages } from './lambdaEndpoint.js';
import { retireTimedOutInstances } from './timedOutInstances.js';

interface PluginUtils {
  log: { warning(msg: string): void };
}

/** The parts of serverless v3 this plugin touches: its configuration schema, and the service's HTTP API CORS. */
interface WithConfigSchema {
  configSchemaHandler?: { schema?: { definitions?: { awsLambdaRuntime?: { enum?: string[] } } } };
  service?: { provider?: { httpApi?: { cors?: unknown } } };
}

/**
 * Runtimes Lambda offers that serverless v3's schema does not list: its last release
 * (3.40) stops at nodejs20.x, whose Node line reached its end of life in April 2026,
 * and warns "Invalid configuration" at every command for the nodejs22.x we deploy.
 */
export const RUNTIMES_NEWER_THAN_SERVERLESS_V3 = ['nodejs22.x'] as const;

/** Adds the runtimes to the schema's list, before serverless validates serverless.yml against it. */
export function acceptRuntimes(serverless: WithConfigSchema, runtimes: readonly string[] = RUNTIMES_NEWER_THAN_SERVERLESS_V3): void {
  const known = serverless.configSchemaHandler?.schema?.definitions?.awsLambdaRuntime?.enum;
  if (known === undefined) return;
  for (const runtime of runtimes) if (!known.includes(runtime)) known.push(runtime);
}

export class OfflineFixesPlugin {
  readonly hooks: Record<string, () => Promise<void>>;

  constructor(serverless: WithConfigSchema, _options: unknown, utils: PluginUtils) {
    acceptRuntimes(serverless);
    const apply = async () => {
      const problem = await retireTimedOutInstances();
      if (problem !== undefined) {
        utils.log.warning(
          `serverless-offline changed (${problem}): a function instance whose invocation timed out may keep timing out; restart \`npm start\` if it does`,
        );
      }
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
