/**
 * No Docker engine runs here, so docker-compose.yml is checked the way the engine
 * would first read it: `docker-compose config` validates and normalises it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';

const composeAvailable = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
if (!composeAvailable) {
  console.warn('docker-compose is not installed: skipping the docker-compose.yml validation (apt-get install docker-compose)');
}

describe.skipIf(!composeAvailable)('docker-compose.yml', () => {
  const normalised = composeAvailable
    ? execFileSync('docker-compose', ['config'], { cwd: PROJECT_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    : '';

  it('is valid and has the localstack, quickchart and app services', () => {
    const services = execFileSync('docker-compose', ['config', '--services'], { cwd: PROJECT_DIR, encoding: 'utf8' });

    expect(services.trim().split('\n').sort()).toEqual(['app', 'localstack', 'quickchart']);
  });

  it('publishes every port on 127.0.0.1 only', () => {
    const published = [...normalised.matchAll(/^\s+- (\S+:\d+:\d+\/tcp)$/gm)].map((m) => m[1]);

    expect(published.sort()).toEqual([
      '127.0.0.1:3000:3000/tcp',
      '127.0.0.1:3002:3002/tcp',
      '127.0.0.1:3400:3400/tcp',
      '127.0.0.1:4566:4566/tcp',
    ]);
  });

  it('runs the bootstrap as a LocalStack ready hook, keeps QuickChart telemetry off, and mounts logs/', () => {
    expect(normalised).toContain('/infra/local/localstack/ready.d:/etc/localstack/init/ready.d:ro');
    expect(normalised).toMatch(/DISABLE_TELEMETRY: '1'/);
    expect(normalised).toMatch(/\/logs:\/app\/logs:rw/);
    expect(normalised).toMatch(/condition: service_healthy/);
  });
});

describe('the app image', () => {
  it('installs from the lockfile and starts the pipeline', () => {
    const dockerfile = readFileSync(join(PROJECT_DIR, 'Dockerfile'), 'utf8');

    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toMatch(/CMD \["npm", "start"\]/);
  });
});
