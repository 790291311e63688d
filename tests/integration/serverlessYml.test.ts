/**
 * serverless.yml as the framework validates it (osls, with `configValidationMode:
 * error`): every key and the nodejs22.x runtime are known, so no schema patch is needed
 * and nothing warns "Invalid configuration".
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../infra/toolbox/localDefaults.js';
import { SERVERLESS_BIN, slsEnv } from '../../infra/toolbox/sls.js';

describe('serverless.yml under the installed framework', () => {
  it('passes `sls print` without an "Invalid configuration" warning, on the nodejs22.x runtime', () => {
    const printed = spawnSync(process.execPath, [SERVERLESS_BIN, 'print', '--format', 'json'], {
      cwd: PROJECT_DIR,
      env: slsEnv(),
      encoding: 'utf8',
    });

    expect(printed.status, printed.stderr).toBe(0);
    expect(JSON.parse(printed.stdout).provider.runtime).toBe('nodejs22.x');
    expect(printed.stderr).not.toContain('Invalid configuration');
  }, 60_000);
});
