/** serverless.yml's runtime passes serverless v3's validation with the plugin loaded: no "Invalid configuration" warning. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../../../../infra/local/toolbox/localDefaults.js';
import { SERVERLESS_BIN, slsEnv } from '../../../../../infra/local/toolbox/sls.js';

describe('the offline fixes plugin in serverless.yml', () => {
  it('keeps `sls print` free of the "Invalid configuration" warning for serverless.yml', () => {
    const printed = spawnSync(process.execPath, [SERVERLESS_BIN, 'print', '--format', 'json'], {
      cwd: PROJECT_DIR,
      env: slsEnv(),
      encoding: 'utf8',
    });

    expect(printed.status).toBe(0);
    expect(JSON.parse(printed.stdout).provider.runtime).toBe('nodejs22.x');
    expect(printed.stderr).not.toContain('Invalid configuration');
  }, 60_000);
});
