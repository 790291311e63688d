/**
 * The service configuration as Serverless resolves it (`sls print`), so tests
 * check and create exactly what serverless.yml declares.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnResources } from '../../infra/cloud/bootstrap.js';

export const PROJECT_DIR = join(__dirname, '..', '..');
const SERVERLESS = join(PROJECT_DIR, 'node_modules/serverless/bin/serverless.js');

export interface ResolvedService {
  service: string;
  provider: { environment: Record<string, string>; timeout: number; runtime: string };
  functions: Record<string, { events?: Record<string, unknown>[]; timeout?: number }>;
  resources: { Resources: CfnResources };
}

/** A build folder of this test process's own (see custom.esbuild.outputWorkFolder). */
export function privateBuildFolder(): string {
  return `.esbuild-test-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function removeBuildFolder(folder: string): void {
  rmSync(join(PROJECT_DIR, folder), { recursive: true, force: true });
}

export function serverlessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', ...extra };
}

export function printServiceConfig(env: Record<string, string> = {}): ResolvedService {
  const out = execFileSync(process.execPath, [SERVERLESS, 'print', '--format', 'json'], {
    cwd: PROJECT_DIR,
    env: serverlessEnv(env),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as ResolvedService;
}
