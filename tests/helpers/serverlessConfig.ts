/**
 * The service configuration as Serverless resolves it (`sls print`), so tests
 * check and create exactly what serverless.yml declares.
 */
import { execFileSync } from 'node:child_process';
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
