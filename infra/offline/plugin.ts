/**
 * Serverless plugin: fixes in serverless-offline 13 that the pipeline needs to keep
 * running through a storm, applied before it serves anything: instances whose
 * invocation timed out are retired (see timedOutInstances.ts). And one in serverless
 * v3 itself, for every command: its schema accepts our runtime (see acceptRuntimes).
 */
import { retireTimedOutInstances } from './timedOutInstances.js';

interface PluginUtils {
  log: { warning(msg: string): void };
}

/** The part of serverless v3's configuration schema handler this plugin touches. */
interface WithConfigSchema {
  configSchemaHandler?: { schema?: { definitions?: { awsLambdaRuntime?: { enum?: string[] } } } };
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
    };
    // `offline start` runs init as its own lifecycle event; plain `offline` runs it inside `offline:start`.
    this.hooks = { 'before:offline:start:init': apply, 'before:offline:start': apply };
  }
}
