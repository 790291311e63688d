/**
 * `npm run reference` as a user runs it, in its own process: into a real moto_server's
 * bucket, into a file with --out, and refusing what makes no reference (exit status 2).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { assertModelReference } from '../../../../../functions/commons/drift/modelReference.js';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import { PROJECT_DIR } from '../../../../../infra/local/toolbox/localDefaults.js';
import { type LocalCloud, startLocalCloud } from '../../../../helpers/localCloud.js';
import { referenceCsv, referenceItems } from '../../../../helpers/referenceRows.js';

const cloud: LocalCloud = await startLocalCloud();
afterAll(async () => {
  await cloud.stop();
  rmSync(dir, { recursive: true, force: true });
});

const dir = mkdtempSync(join(tmpdir(), 'reference-cli-'));
/** A CSV file of `text` in the test's folder; its path. */
function csvFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const refCsv = csvFile('ref.csv', referenceCsv(referenceItems(120, true)));

/** `npm run -s reference -- <args>` against the test's emulator. */
function runCli(args: readonly string[], endpoint = cloud.moto.url): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, AWS_ENDPOINT_URL: endpoint, BUCKET_NAME: cloud.bucket };
  const run = spawnSync('npm', ['run', '-s', 'reference', '--', ...args], { cwd: PROJECT_DIR, env, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run reference', () => {
  it('puts the reference at references/<model>.json in the bucket and says what it holds in one line', async () => {
    const run = runCli(['--model', 'v1', '--csv', refCsv]);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(
      new RegExp(
        `^reference of v1 \\(references/v1\\.json\\): 120 rows, 10 features \\(age, .*\\), 1 categories \\(region\\), 0 skipped as missing somewhere, MAE [\\d.]+, stored in bucket ${cloud.bucket} at ${cloud.moto.url}\\n$`,
      ),
    );
    const object = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.bucket, Key: 'references/v1.json' }));
    const reference = assertModelReference(JSON.parse(await (object.Body?.transformToString() ?? Promise.resolve(''))));
    expect(reference).toMatchObject({ model: 'v1', rows: 120 });
    expect(reference.feature_names).not.toContain('region');
  });

  it('writes the reference to a file with --out instead of the bucket', () => {
    const out = join(dir, 'ref.json');

    const run = runCli(['--model', 'v1', '--csv', refCsv, '--out', out]);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/, written to .*ref\.json\n$/);
    expect(assertModelReference(JSON.parse(readFileSync(out, 'utf8')))).toMatchObject({
      model: 'v1',
      rows: 120,
      feature_names: expect.any(Array),
    });
  });

  it('answers --help with its usage and exit status 0', () => {
    const run = runCli(['--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run reference -- --model <version> --csv <file.csv> \[--out <file.json>\]/);
  });

  it('refuses, with exit status 2 and one line, a bad model name, a missing column, a bad y_true, too few rows', () => {
    const noTruth = csvFile('no-truth.csv', 'id,bmi,y_pred\na,1,2\n');
    const badTruth = csvFile('bad-truth.csv', referenceCsv(referenceItems(60)).replace(/,151\n/, ',n/a\n'));
    const few = csvFile('few.csv', referenceCsv(referenceItems(20)));

    const runs = [
      runCli(['--model', 'v/1', '--csv', refCsv]),
      runCli(['--model', 'v1', '--csv', noTruth]),
      runCli(['--model', 'v1', '--csv', badTruth]),
      runCli(['--model', 'v1', '--csv', few]),
      runCli(['--model', 'v1', '--csv', join(dir, 'absent.csv')]),
    ];

    expect(runs.map((run) => run.code)).toEqual([2, 2, 2, 2, 2]);
    expect(runs.map((run) => run.stderr.trim())).toEqual([
      'reference: --model "v/1": model may hold only letters, digits and . _ : + -',
      `reference: ${noTruth}: line 1: the header has no y_true column (it needs id, y_pred, y_true and the features), got "id,bmi,y_pred"`,
      `reference: ${badTruth}: line 2: y_true "n/a" is not a number`,
      `reference: ${few}: 20 rows, a reference needs at least 50`,
      `reference: ${join(dir, 'absent.csv')}: no such file`,
    ]);
  });

  it('says, with exit status 1, when nothing answers at the endpoint', async () => {
    const run = runCli(['--model', 'v1', '--csv', refCsv], `http://127.0.0.1:${await findFreePort()}`);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^reference: could not store references\/v1\.json: nothing answers at http:\/\/127\.0\.0\.1:\d+: is `npm start` running\?/,
    );
  });
});
