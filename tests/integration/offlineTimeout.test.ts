/**
 * serverless-offline 13 wedged a function instance after one timeout (upstream issue
 * #1896): every later invocation went to its terminated worker and timed out too, and
 * infra/local/offline retired such instances. serverless-offline 14 drops the dead worker
 * itself (HandlerRunner.cleanup), so that patch is gone; a tiny service of its own, with
 * the installed serverless-offline and no plugin of ours, keeps that true.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFreePort, waitForHttp } from '../../infra/local/cloud/net.js';
import { invoke } from '../../infra/local/toolbox/invoke.js';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';
import { spawnSls } from '../../infra/local/toolbox/sls.js';
import { startedForTests } from '../helpers/factories.js';

function serviceYaml(lambdaPort: number, httpPort: number): string {
  return [
    'service: timeout-probe',
    "frameworkVersion: '4'",
    'configValidationMode: off',
    'provider: { name: aws, runtime: nodejs22.x, timeout: 3 }',
    'plugins:',
    '  - serverless-offline',
    'custom:',
    '  serverless-offline:',
    '    host: 127.0.0.1',
    `    lambdaPort: ${lambdaPort}`,
    `    httpPort: ${httpPort}`,
    '    noSponsor: true',
    'functions:',
    '  probe: { handler: handler.run }',
    '',
  ].join('\n');
}

// Kept: a function that sleeps as long as it is asked to is the subject (it must outlast its time-out).
const HANDLER = 'exports.run = async (event) => { await new Promise((r) => setTimeout(r, event.sleepMs || 0)); return { ok: true }; };\n';

async function startService(): Promise<{ invoke: (payload: object) => Promise<string>; stop: () => Promise<void> }> {
  // Inside the project, so `serverless-offline` resolves from its node_modules.
  const dir = mkdtempSync(join(PROJECT_DIR, '.test-offline-'));
  const [lambdaPort, httpPort] = [await findFreePort(), await findFreePort()];
  writeFileSync(join(dir, 'serverless.yml'), serviceYaml(lambdaPort, httpPort));
  writeFileSync(join(dir, 'handler.js'), HANDLER);
  const sls = spawnSls(['offline', 'start'], { cwd: dir, quiet: true });
  const endpoint = `http://127.0.0.1:${lambdaPort}`;
  await waitForHttp(endpoint, 'sls offline start', 60_000);
  return {
    async invoke(payload) {
      const outcome = await invoke(endpoint, 'timeout-probe-dev-probe', payload);
      return outcome.ok ? 'ok' : outcome.error;
    },
    async stop() {
      await sls.stop(5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('a function instance whose invocation timed out, on the installed serverless-offline', () => {
  const theService = startedForTests(startService, 90_000, 30_000);

  it('is replaced: the next invocation runs', async () => {
    const service = theService();
    expect(await service.invoke({})).toBe('ok');
    expect(await service.invoke({ sleepMs: 6_000 })).toMatch(/Lambda timeout/);

    expect(await service.invoke({})).toBe('ok');
  }, 30_000);
});
