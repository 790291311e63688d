/** .ci/run, the CI entry point: it stops at once, saying what to install (moto pinned), when moto_server is missing. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MOTO_VERSION } from '../../infra/local/cloud/moto.js';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';

describe('.ci/run', () => {
  it('stops at once with a clear message when moto_server is missing', () => {
    const run = spawnSync('bash', [join(PROJECT_DIR, '.ci/run')], {
      cwd: PROJECT_DIR,
      env: { PATH: '/usr/bin:/bin', CI: 'true', HOME: process.env.HOME ?? '/tmp' },
      encoding: 'utf8',
    });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('moto_server is not on PATH');
    expect(run.stderr).toContain(`pip install 'moto[server]==${MOTO_VERSION}'`);
  });
});
