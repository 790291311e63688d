/**
 * The log queried where it lies, as docs/operations.md (The log's pieces, Query the log)
 * tells users to: the one AWS CLI command that fetches every piece, and DuckDB's SQL over
 * the pieces in LOGS_DIR and over the fetched ones, run as the doc spells them. The
 * pieces are the product's own: the metric and maintain handlers (or a compactor on a
 * clock of the test's) against a real moto_server. The answers are the pipeline's own
 * figures: metrics.json, and logs/metric_log.csv byte for byte.
 *
 * Not here: DuckDB over the bucket (its httpfs extension is a download, and these tests
 * run offline) and Athena (AWS only); tests/integration/cloudformation.test.ts checks the
 * Glue tables against the pieces' keys.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinTableStore } from '../../functions/commons/join/joinTableStore.js';
import { LogCompactor } from '../../functions/commons/logs/compaction.js';
import { IdIndex } from '../../functions/commons/logs/idIndex.js';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { hourPartition } from '../../functions/commons/logs/pieces.js';
import { parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../functions/commons/storage/s3Objects.js';
import type { MaintainResult } from '../../functions/maintain.js';
import { BUCKET, LOCAL_ENDPOINT, PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';
import { runAws } from '../helpers/awsCli.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../helpers/factories.js';
import { handlerEnv, type LocalCloud, startLocalCloud } from '../helpers/localCloud.js';

const DOC = readFileSync(join(PROJECT_DIR, 'docs/operations.md'), 'utf8');
const PIECES = LOGS.metric_log.piecePrefix;
/** Where the doc's fetch puts the pieces, relative to where it is run. */
const FETCHED = 'logs-from-s3';

/** The doc's ```sql block that reads the pieces under `folder`, statement by statement. */
function docSql(folder: string): string[] {
  const blocks = [...DOC.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) => match[1] as string);
  const block = blocks.find((text) => text.includes(`read_csv('${folder}/${PIECES}`));
  if (block === undefined) throw new Error(`docs/operations.md shows no DuckDB query over ${folder}/${PIECES}`);
  return block
    .split(/;\s*\n/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
}

/** The doc's relative paths (`logs/…`, `logs-from-s3/…`, `metric_log.csv`) under `root`: DuckDB as if run there. */
const rootedAt = (root: string, sql: string) =>
  sql.replace(/'((?:logs|logs-from-s3)\/[^']*|[\w.-]+\.csv)'/g, (_, path: string) => `'${join(root, path)}'`);

/** `aws s3 cp --recursive`, the doc's command that fetches the whole log, from `bucket` at `endpoint`. */
const fetchArgs = (endpoint: string, bucket: string) => [
  '--endpoint-url',
  endpoint,
  's3',
  'cp',
  '--recursive',
  `s3://${bucket}/${PIECES}`,
  `${FETCHED}/${PIECES}`,
];

/** Runs the doc's fetch in `root` (the CLI on PATH, with the emulator's dummy keys); returns what it printed. */
async function fetchPieces(cloud: LocalCloud, root: string): Promise<string> {
  return runAws(fetchArgs(cloud.moto.url, cloud.bucket), { cwd: root });
}

/** The .csv files under `dir`, as paths relative to it, sorted. */
async function csvFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((entry) => entry.endsWith('.csv')).sort();
}

/** Each statement's rows, DuckDB's BIGINTs (counts) as numbers and its timestamps as ISO text. */
async function query(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader
    .getRowObjectsJS()
    .map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([column, value]) => [
          column,
          typeof value === 'bigint' ? Number(value) : value instanceof Date ? value.toISOString() : value,
        ]),
      ),
    );
}

/** Equal to 1e-9 relative: the same sums, added in another order. */
const expectSameFigure = (actual: unknown, expected: number) => expect(Math.abs((actual as number) / expected - 1)).toBeLessThan(1e-9);

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud();
});

afterAll(async () => {
  await cloud?.stop();
});

/** An in-memory DuckDB of its own for the tests of a describe block (each creates the doc's view). */
function duckForTests(): () => DuckDBConnection {
  let duck: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  beforeAll(async () => {
    duck = await DuckDBInstance.create(':memory:');
    connection = await duck.connect();
  });
  afterAll(() => {
    connection?.closeSync();
    duck?.closeSync();
  });
  return () => connection as DuckDBConnection;
}

describe('the log from the pipeline itself (metric and maintain)', () => {
  const HOUR_MS = 3_600_000;
  const connection = duckForTests();
  let root: string;
  let logsDir: string;
  let metrics: { totals: { n: number; mae: number }; models: Record<string, { n: number; mae: number }>; hours: any[] };
  /** What was sent, by id: its model and its prediction's and label's times. */
  const sent = new Map<string, { model: string | undefined; predictedAt: number; labelledAt: number }>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ml-monitor-queries-'));
    logsDir = join(root, 'logs');
    await mkdir(logsDir);
    handlerEnv(cloud, logsDir);
    const { handler: metric } = await import('../../functions/metric.js');
    const maintain = (await import('../../functions/maintain.js')).handler as () => Promise<MaintainResult>;
    const invoke = (records: SQSRecord[]) => metric(sqsEvent(records), lambdaContext('metric'));

    // 30 predictions by two model versions and one unnamed, made over the last five hours
    // and labelled ten minutes later; one id looks like a number, and must stay text.
    const now = Date.now();
    const ids = Array.from({ length: 30 }, (_, i) => (i === 0 ? '1669147134.196809' : `q-${i}`));
    ids.forEach((id, i) => {
      const predictedAt = now - 5 * HOUR_MS + i * 10 * 60_000;
      sent.set(id, { model: [undefined, 'v1', 'v2'][i % 3], predictedAt, labelledAt: predictedAt + 10 * 60_000 });
    });
    const predictions = ids.map((id, i) =>
      sqsRecord({ id, body: 100 + i * 1.7, model: sent.get(id)?.model, timestamp: sent.get(id)?.predictedAt }, { queue: 'y_pred' }),
    );
    const truths = ids.map((id, i) =>
      sqsRecord(
        { id, body: 90 + ((i * 7) % 13) * 2.5, timestamp: new Date(sent.get(id)?.labelledAt ?? 0).toISOString() },
        { queue: 'y_true' },
      ),
    );
    // Two maintain runs, as two minutes of the pipeline: the log grows by appends.
    await invoke([...predictions.slice(0, 20), ...truths.slice(0, 20)]);
    await maintain();
    await invoke([...predictions.slice(20), ...truths.slice(20)]);
    const { rows } = await maintain();
    expect(rows).toBe(30);
    metrics = JSON.parse((await getText(cloud.s3, cloud.bucket, BUCKET_KEYS.metrics))?.text ?? 'null');
  }, 120_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("fetches every piece of the log with the doc's one command, as the bucket and logs/ have them", async () => {
    const pieces = await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.bucket, Prefix: PIECES }));
    const keys = (pieces.Contents ?? []).map((object) => object.Key as string).sort();

    const printed = await fetchPieces(cloud, root);

    expect(DOC).toContain(`aws ${fetchArgs(LOCAL_ENDPOINT, BUCKET).join(' ')}\n`);
    expect(keys.length).toBeGreaterThan(0);
    expect(printed.match(/^download: /gm)).toHaveLength(keys.length);
    const fetched = await csvFilesUnder(join(root, FETCHED, PIECES));
    expect(fetched.map((path) => `${PIECES}${path}`)).toEqual(keys);
    expect(await csvFilesUnder(join(logsDir, PIECES))).toEqual(fetched);
    for (const key of keys) {
      const text = (await getText(cloud.s3, cloud.bucket, key))?.text;
      expect(await readFile(join(root, FETCHED, key), 'utf8'), key).toBe(text);
      expect(await readFile(join(logsDir, key), 'utf8'), key).toBe(text);
    }
  });

  it("answers the doc's DuckDB queries over logs/ with the log's rows and metrics.json's figures", async () => {
    const [view, totals, perModel, perHour, ...others] = docSql('logs').map((statement) => rootedAt(root, statement));
    await query(connection(), view as string);

    const rows = await query(connection(), 'SELECT id, y_true, y_pred, absolute_error, model, predicted_at, labelled_at FROM metric_log');
    const [total] = await query(connection(), totals as string);
    const models = await query(connection(), perModel as string);
    const hours = await query(connection(), perHour as string);

    expect(others).toEqual([]);
    const logged = parseMetricLog(await readFile(join(logsDir, LOGS.metric_log.key), 'utf8'));
    expect(rows.map((row) => [row.id, row.y_true, row.y_pred, row.absolute_error])).toEqual(
      logged.map((row) => [row.id, row.yTrue, row.yPred, row.absoluteError]),
    );
    expect(rows.map((row) => [row.id, row.model, row.predicted_at, row.labelled_at])).toEqual(
      logged.map(({ id }) => {
        const { model, predictedAt, labelledAt } = sent.get(id) ?? ({} as never);
        return [id, model ?? null, new Date(predictedAt).toISOString(), new Date(labelledAt).toISOString()];
      }),
    );
    expect(total?.n).toBe(metrics.totals.n);
    expectSameFigure(total?.mae, metrics.totals.mae);
    // The unnamed model's rows are NULL's group; metrics.json counts them in its totals alone.
    expect(models.map((row) => row.model)).toEqual(['v1', 'v2', null]);
    for (const row of models.filter((row) => row.model !== null)) {
      const book = metrics.models[row.model as string];
      expect(row.n).toBe(book?.n);
      expectSameFigure(row.mae, book?.mae as number);
    }
    expect(hours.map((row) => [row.predicted_hour, row.n])).toEqual(metrics.hours.map((hour) => [hour.start, hour.n]));
    for (const [i, row] of hours.entries()) expectSameFigure(row.mae, metrics.hours[i].mae);
  });

  it("makes the seed's one file from the fetched pieces with the doc's COPY: the bytes of logs/metric_log.csv", async () => {
    await fetchPieces(cloud, root);
    const [copy, ...others] = docSql(FETCHED).map((statement) => rootedAt(root, statement));

    await query(connection(), copy as string);

    expect(others).toEqual([]);
    expect(copy).toContain(`TO '${join(root, LOGS.metric_log.key)}'`);
    expect(await readFile(join(root, LOGS.metric_log.key), 'utf8')).toBe(await readFile(join(logsDir, LOGS.metric_log.key), 'utf8'));
  });
});

describe('pieces of several hours and days', () => {
  const HOURS = [Date.UTC(2025, 11, 31, 22, 30), Date.UTC(2025, 11, 31, 23, 45), Date.UTC(2026, 0, 1, 0, 5)];
  const connection = duckForTests();
  let root: string;
  let logsDir: string;
  /** The partition each id was logged in. */
  const loggedIn = new Map<string, string>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ml-monitor-queries-hours-'));
    logsDir = join(root, 'logs');
    const bucket = 'log-queries-hours';
    await cloud.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    let now = HOURS[0] as number;
    const clock = () => now;
    const store = new JoinTableStore({ s3: cloud.s3, bucket, orphanTtlMs: 3_600_000, now: clock });
    const compactor = new LogCompactor({ s3: cloud.s3, bucket, logsDir, index: new IdIndex({ s3: cloud.s3, bucket }), now: clock });
    for (const [h, hour] of HOURS.entries()) {
      now = hour;
      const ids = [1, 2, 3].map((i) => `h${h}-${i}`);
      await store.record(
        ids.flatMap((id, i) => [
          { kind: 'y_pred' as const, id, value: 10 + i, model: 'v1', at: hour - 60_000 },
          { kind: 'y_true' as const, id, value: 12 - h, at: hour },
        ]),
      );
      await compactor.open();
      await compactor.compact(LOGS.metric_log);
      for (const id of ids) loggedIn.set(id, hourPartition(hour));
    }
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("gives each row the date and hour of the piece it was logged in, across midnight, in the log's order", async () => {
    const [view] = docSql('logs').map((statement) => rootedAt(root, statement));
    await query(connection(), view as string);

    const rows = await query(connection(), "SELECT id, strftime(date, '%Y-%m-%d') AS date, hour FROM metric_log");

    expect(await csvFilesUnder(join(logsDir, PIECES))).toEqual([
      'date=2025-12-31/hour=22/part-0000.csv',
      'date=2025-12-31/hour=23/part-0000.csv',
      'date=2026-01-01/hour=00/part-0000.csv',
    ]);
    const logged = parseMetricLog(await readFile(join(logsDir, LOGS.metric_log.key), 'utf8'));
    expect(rows.map((row) => row.id)).toEqual(logged.map((row) => row.id));
    expect(rows.map((row) => `date=${row.date}/hour=${row.hour}/`)).toEqual(logged.map((row) => loggedIn.get(row.id)));
  });
});
