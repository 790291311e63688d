/**
 * Serverless plugin: fixes in serverless-offline 13 that the pipeline needs to keep
 * running through a storm, applied before it serves anything. Today one:
 * instances whose invocation timed out are retired (see timedOutInstances.ts).
 */
import { retireTimedOutInstances } from './timedOutInstances.js';

interface PluginUtils {
  log: { warning(msg: string): void };
}

export class OfflineFixesPlugin {
  readonly hooks: Record<string, () => Promise<void>>;

  constructor(_serverless: unknown, _options: unknown, utils: PluginUtils) {
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
