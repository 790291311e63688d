/**
 * The service configuration as Serverless resolves it (`sls print`), so tests
 * check and create exactly what serverless.yml declares; and build folders of a
 * test's own, so tests that bundle do not share one.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnResources } from '../../infra/local/cloud/bootstrap.js';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';
import { printService, slsEnv } from '../../infra/local/toolbox/sls.js';

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

export function printServiceConfig(env: Record<string, string> = {}): ResolvedService {
  return printService<ResolvedService>(slsEnv(env));
}
