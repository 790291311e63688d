/**
 * serverless-offline 13 wedges a function instance after one timeout (upstream issue
 * #1896): every later invocation goes to its terminated worker and times out too.
 * infra/local/offline retires such instances. A tiny service of its own, with the real
 * serverless-offline and our plugin, shows both the fix and that the internals it
 * relies on are still there.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFreePort, waitForHttp } from '../../../../../infra/local/cloud/net.js';
import { FIXED_FOR_VERSION, offlineSourceDir, whyNotApplicable } from '../../../../../infra/local/offline/timedOutInstances.js';
import { invoke } from '../../../../../infra/local/toolbox/invoke.js';
import { PROJECT_DIR } from '../../../../../infra/local/toolbox/localDefaults.js';
import { spawnSls } from '../../../../../infra/local/toolbox/sls.js';
import { startedForTests } from '../../../../helpers/factories.js';

function serviceYaml(withFix: boolean, lambdaPort: number, httpPort: number): string {
  return [
    'service: timeout-probe',
    "frameworkVersion: '3'",
    'configValidationMode: off',
    'provider: { name: aws, runtime: nodejs20.x, timeout: 1 }',
    'plugins:',
    ...(withFix ? [`  - ${join(PROJECT_DIR, 'infra/local/offline/plugin.cjs')}`] : []),
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

async function startService(withFix: boolean): Promise<{ invoke: (payload: object) => Promise<string>; stop: () => Promise<void> }> {
  // Inside the project, so `serverless-offline` resolves from its node_modules.
  const dir = mkdtempSync(join(PROJECT_DIR, '.test-offline-'));
  const [lambdaPort, httpPort] = [await findFreePort(), await findFreePort()];
  writeFileSync(join(dir, 'serverless.yml'), serviceYaml(withFix, lambdaPort, httpPort));
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

describe('a function instance whose invocation timed out', () => {
  it('runs on an installed serverless-offline whose internals the fix relies on', async () => {
    const installed = JSON.parse(readFileSync(join(offlineSourceDir(), '..', 'package.json'), 'utf8')) as { version: string };

    expect(installed.version).toMatch(FIXED_FOR_VERSION);
    expect(await whyNotApplicable()).toBeUndefined();
  });

  describe.each([
    { withFix: true, afterTimeout: /^ok$/ },
    // Without the fix: the bug this works around, still there (when it is fixed upstream, drop the fix).
    { withFix: false, afterTimeout: /Lambda timeout/ },
  ])('with the fix: $withFix', ({ withFix, afterTimeout }) => {
    const theService = startedForTests(() => startService(withFix), 90_000, 30_000);

    it(`answers the next invocation with ${afterTimeout.source}`, async () => {
      const service = theService();
      expect(await service.invoke({})).toBe('ok');
      expect(await service.invoke({ sleepMs: 3_000 })).toMatch(/Lambda timeout/);

      expect(await service.invoke({})).toMatch(afterTimeout);
    }, 30_000);
  });
});
