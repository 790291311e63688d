/**
 * `npm run scenario` as a user runs it, in its own process, against a stand-in API: its
 * lines, the rows it sends, its exit status. (Short runs: 3 s of predictions, labels 1.2 s later.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../../../functions/commons/model/dataset.js';
import { assertModel, modelVersion } from '../../../../../functions/commons/model/linearModel.js';
import modelArtefact from '../../../../../functions/commons/model/model.json';
import { PROJECT_DIR } from '../../../../../infra/local/toolbox/localDefaults.js';
import { parseScenarioArguments } from '../../../../../infra/tools/scenario/cli.js';
import { type FakeApi, startFakeApi } from '../../../../helpers/fakeApi.js';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());

/** `npm run -s scenario -- <args>`; its exit status and output. */
async function runCli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npm', ['run', '-s', 'scenario', '--', ...args], { cwd: PROJECT_DIR });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const SHORT = ['--minutes', '0.05', '--label-delay', '0.02', '--rate', '5'];

describe('npm run scenario', () => {
  it.each(['drift', 'degrade'] as const)(
    "%s: sends the built-in model's predictions with their features, labels them later, and says what to look at",
    async (scenario) => {
      const before = api.requests.length;

      const run = await runCli([scenario, ...SHORT, '--url', api.url]);

      expect(run).toMatchObject({ code: 0, stderr: '' });
      const version = modelVersion(assertModel(modelArtefact));
      expect(run.stdout).toContain(
        `scenario ${scenario}: 5 predictions/s of ${version} for 0.05 min to ${api.url}, each labelled 0.02 min later\n`,
      );
      expect(run.stdout).toContain(`scenario ${scenario}: done: 15 predictions sent, 15 labelled\n`);
      expect(run.stdout).toMatch(
        /look at \(in logs\/, and in the bucket\):\n[\s\S]*metrics\.json[\s\S]*the dashboard +http:\/\/127\.0\.0\.1:\d+\/\n$/,
      );
      const requests = api.requests.slice(before);
      const predictions = requests.filter((r) => r.path === '/predictions').flatMap((r) => r.body as { model: string; features: object }[]);
      expect(predictions).toHaveLength(15);
      expect(predictions.every((p) => p.model === version && Object.keys(p.features).join() === FEATURE_NAMES.join())).toBe(true);
      expect(requests.filter((r) => r.path === '/truths').flatMap((r) => r.body as unknown[])).toHaveLength(15);
    },
  );

  it('answers --help with its usage', async () => {
    const run = await runCli(['--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run scenario -- <drift\|degrade>/);
  });

  it('refuses a bad command line with exit status 2 and the reason', async () => {
    const run = await runCli(['drift', '--rate', '0']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^scenario: --rate needs a whole number from 1 to 500, not "0"\n/);
  });
});

describe('parseScenarioArguments', () => {
  it('takes 20 rows a second for 10 minutes, labelled 3 minutes later, by default', () => {
    expect(parseScenarioArguments(['degrade'])).toMatchObject({
      scenario: 'degrade',
      rate: 20,
      minutes: 10,
      labelDelayMinutes: 3,
      seed: 1,
    });
  });

  it('names what is wrong', () => {
    expect(() => parseScenarioArguments([])).toThrow('a scenario is needed: drift or degrade');
    expect(() => parseScenarioArguments(['shift'])).toThrow('a scenario is needed: drift or degrade');
    expect(() => parseScenarioArguments(['drift', '--minutes', '0'])).toThrow('--minutes needs a number of minutes above 0, not "0"');
    expect(() => parseScenarioArguments(['drift', '--label-delay=-1'])).toThrow(
      '--label-delay needs a number of minutes, 0 or more, not "-1"',
    );
    expect(() => parseScenarioArguments(['drift', '--url', 'localhost:3000'])).toThrow(/--url needs an http/);
  });
});
