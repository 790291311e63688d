/**
 * The ingestion API against the whole stack: a real HTTP client posts truths and
 * predictions to serverless-offline's HTTP port, and every id ends as exactly one row
 * of metric_log.csv; every kind of bad request gets its status and reason and queues
 * nothing; `npm run ingest` sends two CSV files through the API, features and all; the README's curl
 * posts, run as it spells them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertModelReference } from '../../functions/commons/drift/modelReference.js';
import { type MetricRow, parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../functions/commons/storage/s3Objects.js';
import type { localS3 } from '../../infra/local/cloud/localClients.js';
import { BUCKET, PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';
import { queueCounts, queueUrl } from '../helpers/localCloud.js';
import { bucketLogText } from '../helpers/logs.js';
import { referenceItems } from '../helpers/referenceRows.js';
import { apiStackForFile, eventually, settled, type TestStack, waitForRows } from '../helpers/stack.js';

const theStack = apiStackForFile();
let stack: TestStack;
let sqs: SQSClient;
let s3: ReturnType<typeof localS3>;

beforeAll(() => {
  ({ stack, sqs, s3 } = theStack());
});

const FORMULA_REASON = 'id: id may not start with + - = or @ unless it is a plain number: a spreadsheet would run it as a formula';

/** `contentType` null: the request has none. */
async function post(
  route: string,
  body: string,
  method = 'POST',
  contentType: string | null = 'application/json',
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${stack.httpEndpoint}${route}`, {
    method,
    headers: contentType === null ? {} : { 'content-type': contentType },
    // (fetch types a string body text/plain; bytes go untyped.)
    ...(method === 'GET' ? {} : { body: contentType === null ? Buffer.from(body) : body }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** The `curl … localhost:3000/…` commands of a doc's sh blocks, continuation lines joined. */
function readmeCurls(doc: string): string[] {
  const blocks = [...readFileSync(join(PROJECT_DIR, doc), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] as string);
  return blocks
    .flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'))
    .filter((line) => line.startsWith('curl ') && line.includes('localhost:3000/'));
}

/** Items as JSON text: an id that is a number is written as a JSON number, digits as given. */
function items(rows: readonly { id: string; numeric?: boolean; body: number; model?: string }[]): string {
  const item = (row: (typeof rows)[number]) =>
    `{"id": ${row.numeric ? row.id : JSON.stringify(row.id)}, "body": ${row.body}${row.model === undefined ? '' : `, "model": ${JSON.stringify(row.model)}`}}`;
  return `[${rows.map(item).join(', ')}]`;
}

async function logRows(): Promise<MetricRow[]> {
  return parseMetricLog(await bucketLogText(s3, BUCKET));
}

/** Messages in y_true and y_pred, visible, in flight or delayed. */
async function queued(): Promise<number> {
  const counts = await Promise.all(['y_true', 'y_pred'].map(async (name) => queueCounts(sqs, await queueUrl(sqs, name))));
  return counts.flat().reduce((sum, count) => sum + count, 0);
}

describe('the ingestion API', () => {
  it('makes exactly one row of each id posted, in either order, duplicated, with numeric and string ids and two model versions', async () => {
    // Prepare: numeric ids whose text a number would lose ("20261127.50"), and string ids.
    const ids = [
      ...Array.from({ length: 12 }, (_, i) => ({ id: `api-${i}`, numeric: false })),
      ...Array.from({ length: 12 }, (_, i) => ({ id: `${20261127 + i}.50`, numeric: true })),
    ];
    const truths = ids.map((row, i) => ({ ...row, body: 100 + i }));
    const predictions = ids.map((row, i) => ({ ...row, body: 100 + i + 0.25 * (i % 4), model: i % 2 === 0 ? 'ols-v1' : 'ols-v2' }));
    const truthFirst = (i: number) => i % 2 === 0;

    // Act: half the ids truth first, half prediction first; the first batch of each sent twice.
    const answers = [
      await post('/truths', items(truths.filter((_, i) => truthFirst(i)))),
      await post('/truths', items(truths.filter((_, i) => truthFirst(i)))),
      await post('/predictions', items(predictions.filter((_, i) => !truthFirst(i)))),
      await post('/predictions', items(predictions.filter((_, i) => !truthFirst(i)))),
    ];
    // The first halves handled (joined into the table) before their partners are sent.
    await eventually('the first halves handled', async () => (await queued()) === 0 || undefined);
    answers.push(
      await post('/predictions', items(predictions.filter((_, i) => truthFirst(i)))),
      await post('/truths', items(truths.filter((_, i) => !truthFirst(i)))),
      // One more copy of a single object of each kind.
      await post('/truths', items(truths.slice(0, 1)).slice(1, -1)),
      await post('/predictions', items(predictions.slice(-1)).slice(1, -1)),
    );
    const rows = await waitForRows(
      stack,
      ids.map((row) => row.id),
    );
    // Every copy delivered and a compaction after the last: a second row of an id would be in the log now.
    await settled(stack);

    // Assess
    expect(answers.map((answer) => [answer.status, answer.body.accepted])).toEqual([
      [202, 12],
      [202, 12],
      [202, 12],
      [202, 12],
      [202, 12],
      [202, 12],
      [202, 1],
      [202, 1],
    ]);
    expect(rows.length).toBe(ids.length);
    const all = (await logRows()).filter((row) => ids.some((posted) => posted.id === row.id));
    expect(all.map((row) => row.id).sort()).toEqual(ids.map((row) => row.id).sort());
    for (const [i, row] of ids.entries()) {
      expect(all.find((logged) => logged.id === row.id)).toEqual({
        id: row.id,
        yTrue: 100 + i,
        yPred: 100 + i + 0.25 * (i % 4),
        absoluteError: 0.25 * (i % 4),
      });
    }
    // The versions the predictions named reach metrics.json (metric_log.csv keeps the seed's columns).
    const metrics = JSON.parse((await getText(s3, BUCKET, BUCKET_KEYS.metrics))?.text ?? '{}');
    expect(metrics.models).toMatchObject({
      'ols-v1': { n: 12, mae: expect.closeTo(0.25, 9) },
      'ols-v2': { n: 12, mae: expect.closeTo(0.5, 9) },
    });
  }, 180_000);

  it('refuses every kind of bad request with its status and reason, and queues nothing', async () => {
    await eventually('y_true and y_pred to drain', async () => (await queued()) === 0 || undefined);
    const good = (id: string) => `{"id": "${id}", "body": 1}`;
    const cases: {
      what: string;
      route: string;
      body: string;
      method?: string;
      contentType?: string | null;
      status: number;
      errors?: unknown;
    }[] = [
      {
        what: 'not JSON',
        route: '/truths',
        body: `[${good('bad-0')},`,
        status: 400,
        errors: [{ reason: expect.stringMatching(/^the body is not JSON \(/) }],
      },
      { what: 'an empty body', route: '/truths', body: '', status: 400, errors: [{ reason: expect.stringMatching(/^the body is empty/) }] },
      {
        what: 'an empty array',
        route: '/predictions',
        body: '[]',
        status: 400,
        errors: [{ reason: 'the array is empty: send 1 to 500 items' }],
      },
      // (Not a JSON string: serverless-offline hands the function a JSON string body already parsed.)
      {
        what: 'a JSON number',
        route: '/truths',
        body: '17',
        status: 400,
        errors: [{ reason: 'the body must be a JSON object {"id", "body"} or an array of them, not a number' }],
      },
      {
        what: 'a truth with a model version',
        route: '/truths',
        body: `[${good('bad-2')}, {"id": "bad-3", "body": 1, "model": "v1"}]`,
        status: 400,
        errors: [{ index: 1, reason: 'model: a truth carries no model version (only predictions do)' }],
      },
      {
        what: 'bad items among good ones',
        route: '/predictions',
        body: `[${good('bad-4')}, {"id": "bad 5", "body": 1}, {"id": "bad-6", "body": "1"}, {"body": 1}, {"id": "bad-7", "body": 1, "value": 2}, {"id": "bad-8", "body": 1e999}, {"id": "+1+1", "body": 1}, {"id": "-2+3", "body": 1}]`,
        status: 400,
        errors: [
          { index: 1, reason: 'id: id may hold only letters, digits and . _ : + -' },
          { index: 2, reason: 'body must be a JSON number, not a string' },
          { index: 3, reason: 'id is missing' },
          { index: 4, reason: 'unknown field "value" (a prediction has id, body, model, features and timestamp)' },
          { index: 5, reason: 'body must be a finite number' },
          { index: 6, reason: FORMULA_REASON },
          { index: 7, reason: FORMULA_REASON },
        ],
      },
      {
        what: 'an id a spreadsheet would run, alone',
        route: '/truths',
        body: '{"id": "+cmd:calc", "body": 1}',
        status: 400,
        errors: [{ index: 0, reason: FORMULA_REASON }],
      },
      {
        what: 'a text/plain body',
        route: '/truths',
        body: `[${good('bad-10')}]`,
        contentType: 'text/plain;charset=UTF-8',
        status: 415,
        errors: [{ reason: 'the content-type must be application/json (optionally with ; charset=utf-8), not "text/plain;charset=UTF-8"' }],
      },
      {
        what: 'a body without a content type',
        route: '/predictions',
        body: `[${good('bad-11')}]`,
        contentType: null,
        status: 415,
        errors: [{ reason: 'the content-type must be application/json (optionally with ; charset=utf-8), and the request has none' }],
      },
      {
        what: '501 items',
        route: '/truths',
        body: `[${Array.from({ length: 501 }, (_, i) => good(`bad-many-${i}`)).join(',')}]`,
        status: 413,
        errors: [{ reason: '501 items, over the limit of 500 per request: split them' }],
      },
      {
        what: 'a body over 256 KiB',
        route: '/predictions',
        body: `[${Array.from({ length: 10 }, (_, i) => good(`bad-big-${i}`)).join(`,${' '.repeat(30_000)}`)}]`,
        status: 413,
        errors: [{ reason: expect.stringMatching(/^the body is \d+ bytes, over the 262144-byte \(256 KiB\) limit/) }],
      },
      { what: 'a GET', route: '/truths', body: '', method: 'GET', status: 404 },
      { what: 'an unknown route', route: '/labels', body: `[${good('bad-9')}]`, status: 404 },
    ];

    for (const bad of cases) {
      // Act
      const answer = await post(bad.route, bad.body, bad.method, bad.contentType);

      // Assess
      expect({ what: bad.what, status: answer.status }).toEqual({ what: bad.what, status: bad.status });
      if (bad.errors !== undefined) expect(answer.body).toEqual({ errors: bad.errors });
      expect({ what: bad.what, queued: await queued() }).toEqual({ what: bad.what, queued: 0 });
    }
    // Had a good item of a refused request been queued, its partner, sent now, would make it a row.
    await post('/predictions', items(['bad-0', 'bad-2', 'bad-many-0', 'bad-10'].map((id) => ({ id, body: 2 }))));
    await post('/truths', items(['bad-4', 'bad-big-0', 'bad-11', 'control'].map((id) => ({ id, body: 1 }))));
    await post('/predictions', items([{ id: 'control', body: 2 }]));
    await waitForRows(stack, ['control']);
    // Every partner delivered and a compaction after the last: a row of a refused item would be in the log now.
    await settled(stack);
    expect((await logRows()).filter((row) => row.id.startsWith('bad')).map((row) => row.id)).toEqual([]);
  }, 180_000);

  it('stores a reference PUT to /references/{model} at references/<model>.json and answers 201; refuses a bad one and stores nothing', async () => {
    // Act
    const stored = await post('/references/ref-e2e', JSON.stringify({ rows: referenceItems(60, true) }), 'PUT');
    const few = await post('/references/ref-e2e-few', JSON.stringify({ rows: referenceItems(10) }), 'PUT');
    const badName = await post('/references/v%201', JSON.stringify({ rows: referenceItems(60) }), 'PUT');

    // Assess
    expect(stored).toMatchObject({
      status: 201,
      body: { model: 'ref-e2e', key: 'references/ref-e2e.json', rows: 60, categories: ['region'], skipped: [] },
    });
    const reference = assertModelReference(JSON.parse((await getText(s3, BUCKET, 'references/ref-e2e.json'))?.text ?? 'null'));
    expect(reference).toMatchObject({ model: 'ref-e2e', rows: 60, categories: { region: expect.any(Object) } });
    expect(few).toEqual({ status: 400, body: { errors: [{ reason: '10 rows: a reference needs at least 50' }] } });
    expect(badName.status).toBe(400);
    expect(await getText(s3, BUCKET, 'references/ref-e2e-few.json')).toBeUndefined();
  }, 180_000);

  it("takes the README's curl posts: 202 each, and the id they both name is one row", async () => {
    // Prepare: the README's commands, with the stack's HTTP port for the default one.
    const port = new URL(stack.httpEndpoint).port;
    const curls = readmeCurls('README.md').map((command) => command.replace('localhost:3000/', `localhost:${port}/`));
    expect(curls.map((command) => /localhost:\d+\/(\w+)/.exec(command)?.[1])).toEqual(['predictions', 'truths']);

    // Act
    const answers = [];
    for (const command of curls) answers.push((await promisify(execFile)('bash', ['-c', command], { timeout: 30_000 })).stdout);
    const rows = await waitForRows(stack, ['order-1']);

    // Assess
    expect(answers.map((answer) => /^HTTP\/[\d.]+ (\d+)/.exec(answer)?.[1])).toEqual(['202', '202']);
    expect(answers.map((answer) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)))).toEqual([{ accepted: 2 }, { accepted: 1 }]);
    expect(rows).toMatchObject([{ id: 'order-1', yTrue: 40, yPred: 41.5, absoluteError: 1.5 }]);
  }, 180_000);

  it('`npm run ingest` sends two CSV files through the API, and their rows appear, with the features of the predictions', async () => {
    // Prepare: half the predictions of a version with a reference, their features in feature.<name> columns (one cell empty),
    // made a few minutes ago, so that drift.json's window holds them.
    const dir = mkdtempSync(join(tmpdir(), 'ml-monitor-ingest-'));
    const ids = Array.from({ length: 30 }, (_, i) => `csv-${i}`);
    const inputs = referenceItems(ids.length, true).map((item) => item.features);
    const names = Object.keys(inputs[0] ?? {});
    const madeAt = new Date(Date.now() - 4 * 60_000).toISOString();
    const featureCells = (i: number) => names.map((name) => (i === 0 && name === 'bmi' ? '' : inputs[i]?.[name])).join(',');
    expect((await post('/references/csv-ref', JSON.stringify({ rows: referenceItems(60) }), 'PUT')).status).toBe(201);
    writeFileSync(join(dir, 'truths.csv'), `id,value\n${ids.map((id, i) => `${id},${i}`).join('\n')}\nbad id,1\n-2+3,1\n`);
    writeFileSync(
      join(dir, 'predictions.csv'),
      `id,value,model,timestamp,${names.map((name) => `feature.${name}`).join(',')}\n` +
        `${ids.map((id, i) => `${id},${i + 0.5},${i % 2 ? 'v1' : 'csv-ref'},${madeAt},${featureCells(i)}`).join('\n')}\n` +
        `csv-bad,1,v1,,${names.map((name) => (name === 'age' ? '1e999' : '1')).join(',')}\n`,
    );

    // Act
    const run = await promisify(execFile)(
      'npm',
      [
        'run',
        '-s',
        'ingest',
        '--',
        '--truths',
        join(dir, 'truths.csv'),
        '--predictions',
        join(dir, 'predictions.csv'),
        '--url',
        stack.httpEndpoint,
        '--batch',
        '7',
      ],
      { cwd: PROJECT_DIR },
    ).then(
      (out) => ({ code: 0, ...out }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    await waitForRows(stack, ids);
    // Every copy delivered and a compaction after the last: a second row of an id would be in the log now.
    await settled(stack);
    const rows = (await logRows()).filter((row) => ids.includes(row.id));

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`truths.csv → ${stack.httpEndpoint}/truths: 32 rows, 30 sent, 2 refused, 0 not sent`);
    expect(run.stdout).toContain('refused line 32 (id bad id): id: id may hold only letters, digits and . _ : + -');
    expect(run.stdout).toContain(`refused line 33 (id -2+3): ${FORMULA_REASON}`);
    expect(run.stdout).toContain(`predictions.csv → ${stack.httpEndpoint}/predictions: 31 rows, 30 sent, 1 refused, 0 not sent`);
    expect(run.stdout).toContain('refused line 32 (id csv-bad): feature.age "1e999" is not a finite number');
    expect(run.stderr).toMatch(/truths\.csv: done in/);
    expect(rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(rows.every((row) => row.absoluteError === 0.5)).toBe(true);
    // The features arrived: drift.json reads the 15 predictions of csv-ref against its reference, every numeric
    // feature's values spread over its deciles (bmi's one empty cell left out of its 14); region, a category, is not drifted on.
    const drift = JSON.parse((await getText(s3, BUCKET, BUCKET_KEYS.drift))?.text ?? '{}');
    const seen = drift.models?.['csv-ref'];
    expect(seen?.rows).toBe(15);
    expect(Object.keys(seen?.features ?? {}).sort()).toEqual(names.filter((name) => name !== 'region').sort());
    for (const feature of Object.values<{ current_shares: number[] }>(seen.features)) {
      expect(feature.current_shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 9);
    }
  }, 180_000);
});
