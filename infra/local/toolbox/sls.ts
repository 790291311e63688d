/**
 * The one way the tools and tests run the Serverless CLI: the project's own
 * node_modules/serverless (osls), with telemetry and notifications off. `runSls` waits
 * for it and returns its stdout; `spawnSls` starts it in a process group of its own
 * (`sls offline start`); `printService` is `sls print` parsed.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_DIR } from './localDefaults.js';
import { type Spawned, type SpawnOptions, spawnProcess } from './processes.js';

/**
 * osls's `serverless` command: package.json installs osls (the maintained continuation
 * of Serverless Framework v3) under the name `serverless`, `npm:osls@…`, so the plugins'
 * peer dependency on `serverless` finds it and no second framework is installed.
 */
export const SERVERLESS_BIN = join(PROJECT_DIR, 'node_modules/serverless/bin/serverless.js');

/**
 * `base` (this process's environment) with `extra` on top, Serverless's own chatter
 * off, and the AWS SDK's notice about Node 20's end of support (once per worker, it
 * drowns the logs) too.
 */
export function slsEnv(extra: Readonly<Record<string, string | undefined>> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const quiet = { SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  return { ...base, ...quiet, ...extra };
}

export interface SlsRunOptions {
  readonly cwd?: string;
  /** The whole environment (see slsEnv); default slsEnv(). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `sls <args>` to its end and returns its stdout; throws (with its stderr) when it fails. */
export function runSls(args: readonly string[], options: SlsRunOptions = {}): string {
  return execFileSync(process.execPath, [SERVERLESS_BIN, ...args], {
    cwd: options.cwd ?? PROJECT_DIR,
    env: options.env ?? slsEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Starts `sls <args>` in a process group of its own (see processes.ts). */
export function spawnSls(args: readonly string[], options: Omit<SpawnOptions, 'cwd' | 'env'> & SlsRunOptions = {}): Spawned {
  return spawnProcess(process.execPath, [SERVERLESS_BIN, ...args], {
    ...options,
    cwd: options.cwd ?? PROJECT_DIR,
    env: options.env ?? slsEnv(),
  });
}

/** The service as Serverless resolves it (`sls print --format json`), variables resolved. */
export function printService<T>(env: NodeJS.ProcessEnv = slsEnv()): T {
  return JSON.parse(runSls(['print', '--format', 'json'], { env })) as T;
}
