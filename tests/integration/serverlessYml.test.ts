/**
 * serverless.yml as the framework validates it (osls 4, with `configValidationMode:
 * error`): every key and the nodejs22.x runtime are known, so no schema patch is needed
 * and nothing warns "Invalid configuration". The Dockerfile and README name the same
 * Node line as the runtime.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';
import { SERVERLESS_BIN, slsEnv } from '../../infra/local/toolbox/sls.js';

const read = (file: string) => readFileSync(join(PROJECT_DIR, file), 'utf8');

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

  it('is validated in error mode, by osls', () => {
    const framework = JSON.parse(read('node_modules/serverless/package.json')) as { name: string };

    expect(framework.name).toBe('osls');
    expect(read('serverless.yml')).toMatch(/^configValidationMode: error$/m);
  });

  it('names the Node line the Dockerfile runs and the README asks for', () => {
    const runtime = /^ {2}runtime: nodejs(\d+)\.x$/m.exec(read('serverless.yml'))?.[1];

    expect(runtime).toBe('22');
    expect(read('Dockerfile')).toMatch(new RegExp(`^FROM node:${runtime}-`, 'm'));
    expect(read('README.md')).toContain(`nodejs${runtime}.x`);
  });
});
