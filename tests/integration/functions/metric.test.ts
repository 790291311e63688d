/**
 * The metric handler against a real moto_server: halves in any order, duplicated
 * and late, concurrent invocations, crashes between writes, bad records and
 * orphans — one row per id in S3 and in logs/, every bad record accounted for.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { JoinTableStore } from '../../../functions/commons/join/joinTableStore.js';
import { LOGS } from '../../../functions/commons/logs/logFiles.js';
import { parseMetricLog } from '../../../functions/commons/logs/rowFormat.js';
import { readReason } from '../../../functions/commons/messaging/deadLetterReasons.js';
import { recordId } from '../../../functions/commons/messaging/recordIds.js';
import { BUCKET_KEYS } from '../../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../../functions/commons/storage/s3Objects.js';
import type { MaintainResult } from '../../../functions/maintain.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { drainQueue, handlerEnv, type LocalCloud, listKeys, startLocalCloud } from '../../helpers/localCloud.js';
import { bucketLogText, compactorFor } from '../../helpers/logs.js';

let cloud: LocalCloud;
let bucketCount = 0;
/** Each case gets its own bucket and logs folder, and handlers loaded for them: no case sees another's rows. */
let bucket: string;
let logsDir: string;
let handler: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;
let maintain: () => Promise<MaintainResult>;

beforeAll(async () => {
  cloud = await startLocalCloud();
});

beforeEach(async () => {
  bucket = `metric-test-${++bucketCount}`;
  await cloud.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-logs-'));
  handlerEnv({ ...cloud, bucket }, logsDir);
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  vi.resetModules();
  ({ handler } = await import('../../../functions/metric.js'));
  ({ handler: maintain } = await import('../../../functions/maintain.js'));
});

afterAll(async () => {
  await cloud?.stop();
});

afterEach(() => {
  delete process.env.ML_MONITOR_CRASH_AT;
  vi.restoreAllMocks();
});

const truth = (id: string, value: number) => sqsRecord({ id, body: value }, { queue: 'y_true' });
const prediction = (id: string, value: number) => sqsRecord({ id, body: value }, { queue: 'y_pred' });
const invoke = (records: ReturnType<typeof sqsRecord>[]) => handler(sqsEvent(records), lambdaContext('metric'));

/** Runs maintain, then reads the log from S3 and from logs/. */
async function compactedRows() {
  await maintain();
  const s3Text = await bucketLogText(cloud.s3, bucket);
  const localText = await readFile(join(logsDir, LOGS.metric_log.key), 'utf8');
  return { rows: parseMetricLog(s3Text), s3Text, localText };
}

async function table() {
  return JSON.parse((await getText(cloud.s3, bucket, BUCKET_KEYS.joinTable))?.text ?? '{}');
}

describe('metric handler with real S3', () => {
  it('writes one row per id, in S3 and in logs/, when each half comes three times in any order', async () => {
    const ids = ['m-1', 'm-2', 'm-3'];
    const halves = ids.flatMap((id, i) => [truth(id, 100 + i), prediction(id, 90 + 2 * i)]);
    const thrice = [...halves, ...halves, ...halves];
    // Interleave deterministically: reversed, then split into uneven batches.
    const shuffled = thrice
      .map((record, i) => ({ record, key: (i * 7) % thrice.length }))
      .sort((a, b) => a.key - b.key)
      .map((x) => x.record);

    for (const batch of [shuffled.slice(0, 4), shuffled.slice(4, 11), shuffled.slice(11)]) await invoke(batch);

    const { rows, s3Text, localText } = await compactedRows();
    expect(rows.map((row) => row.id).sort()).toEqual(ids);
    expect(rows.find((row) => row.id === 'm-2')).toEqual({ id: 'm-2', yTrue: 101, yPred: 92, absoluteError: 9 });
    expect(localText).toBe(s3Text);
  });

  it('holds only what is in flight: a pending half, no settled id, an empty outbox once maintain ran', async () => {
    await invoke([truth('pending-1', 1), truth('m-1', 100), prediction('m-1', 90)]);
    const rows = (await compactedRows()).rows;

    const state = await table();

    expect(state).toEqual({
      version: 3,
      pending: { 'pending-1': expect.objectContaining({ yTrue: 1 }) },
      outbox: [],
      nextSeq: { metric_log: 2, orphans: 1 },
      orphanCount: 0,
    });
    expect(rows.map((row) => row.id)).toEqual(['m-1']);
  });

  it('loses no update and doubles no row with sixteen invocations at once on overlapping ids', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `c-${i}`);
    const truths = Array.from({ length: 8 }, (_, w) => invoke(ids.filter((_, i) => i % 4 === w % 4).map((id, i) => truth(id, i))));
    const predictions = Array.from({ length: 8 }, (_, w) => invoke(ids.filter((_, i) => i % 8 === w).map((id) => prediction(id, 0.5))));

    await Promise.all([...truths, ...predictions]);

    const rows = (await compactedRows()).rows.filter((row) => row.id.startsWith('c-'));
    expect(rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(Object.keys((await table()).pending).filter((id) => id.startsWith('c-'))).toEqual([]);
  });

  it.each(['metric:after-commit', 'metric:after-segments'])(
    'ends as if nothing happened when a run crashes at %s and the batch is redelivered',
    async (point) => {
      const batch = [truth(`${point}-a`, 10), prediction(`${point}-a`, 4), truth(`${point}-b`, 7), prediction(`${point}-b`, 7)];

      process.env.ML_MONITOR_CRASH_AT = point;
      // A class from the handler's own module instance (loaded afresh per case), so matched by name.
      await expect(invoke(batch)).rejects.toMatchObject({
        name: 'InjectedCrashError',
        message: `injected crash at ${point} (ML_MONITOR_CRASH_AT)`,
      });
      delete process.env.ML_MONITOR_CRASH_AT;
      await invoke(batch);

      const rows = (await compactedRows()).rows.filter((row) => row.id.startsWith(point));
      expect(rows).toEqual([
        { id: `${point}-a`, yTrue: 10, yPred: 4, absoluteError: 6 },
        { id: `${point}-b`, yTrue: 7, yPred: 7, absoluteError: 0 },
      ]);
      expect((await table()).outbox).toEqual([]);
    },
  );

  it('reports each bad record as a batch item failure with a log line and a recorded reason, and records its batch-mates', async () => {
    const logged: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        logged.push(String(chunk));
        return true;
      });
    }
    const bad = [
      sqsRecord('{not json', { queue: 'y_true', raw: true }),
      sqsRecord({ body: 3 }, { queue: 'y_true' }),
      sqsRecord({ id: '', body: 3 }, { queue: 'y_true' }),
      sqsRecord({ id: 'b-2', body: 'three' }, { queue: 'y_pred' }),
      sqsRecord('{"id":"b-3","body":1e999}', { queue: 'y_pred', raw: true }),
      sqsRecord({ id: 'b-4', body: 1, padding: 'x'.repeat(300_000) }, { queue: 'y_pred' }),
      sqsRecord([], { queue: 'y_pred' }),
      sqsRecord(
        [
          { id: 'b-5', body: 'x' },
          { id: '', body: 1 },
        ],
        { queue: 'y_true' },
      ),
    ];

    const response = await invoke([truth('b-1', 10), ...bad, prediction('b-1', 4)]);

    vi.restoreAllMocks();
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(bad.map((r) => r.messageId).sort());
    const rejections = logged.filter((line) => line.includes('Message rejected')).map((line) => JSON.parse(line));
    expect(rejections.map((line) => line.messageId).sort()).toEqual(bad.map((r) => r.messageId).sort());
    for (const line of rejections) expect(line.queue).toMatch(/^y_(true|pred)$/);
    const reason = await readReason(cloud.s3, bucket, 'y_pred', bad[4]?.messageId as string);
    expect(reason?.reason).toMatch(/Infinity|finite/);
    expect((await compactedRows()).rows.filter((row) => row.id === 'b-1')).toHaveLength(1);
  });
});

describe('packs of records', () => {
  it('records the good records of a pack and sets its bad ones aside in the dead-letter queue, with the reason', async () => {
    const pack = sqsRecord([{ id: 'p-1', body: 10 }, { id: 'p-2', body: 'ten' }, { id: 'p-3', body: 7 }, { body: 1 }], { queue: 'y_true' });

    const response = await invoke([
      pack,
      sqsRecord(
        [
          { id: 'p-1', body: 4 },
          { id: 'p-3', body: 7 },
        ],
        { queue: 'y_pred' },
      ),
    ]);

    expect(response.batchItemFailures).toEqual([]);
    expect((await compactedRows()).rows.filter((row) => row.id.startsWith('p-'))).toEqual([
      { id: 'p-1', yTrue: 10, yPred: 4, absoluteError: 6 },
      { id: 'p-3', yTrue: 7, yPred: 7, absoluteError: 0 },
    ]);
    const deadLetters = await drainQueue(cloud, 'y_true-dlq');
    const setAside = deadLetters.find((m) => m.body.includes('"p-2"'));
    expect(JSON.parse(setAside?.body ?? 'null')).toEqual([{ id: 'p-2', body: 'ten' }, { body: 1 }]);
    const reason = await readReason(cloud.s3, bucket, 'y_true', setAside?.messageId as string);
    expect(reason?.reason).toContain(`2 bad record(s) set aside from message ${pack.messageId}`);
    expect(reason?.reason).toMatch(/\[1\] body: .*; \[3\] id: /);
  });

  it("sets a pack's bad records aside once when SQS delivers the pack to two invocations at once, and again later", async () => {
    const pack = sqsRecord(
      [
        { id: 'again-1', body: 10 },
        { id: 'again-2', body: 'ten' },
      ],
      { queue: 'y_true' },
    );

    // Its visibility timeout ran out while the first invocation held it; then it came back once more.
    const atOnce = await Promise.all([invoke([pack]), invoke([pack])]);
    const later = await invoke([pack]);

    const setAside = (await drainQueue(cloud, 'y_true-dlq')).filter((m) => m.body.includes('"again-2"'));
    expect(setAside.map((m) => JSON.parse(m.body))).toEqual([[{ id: 'again-2', body: 'ten' }]]);
    const reason = await readReason(cloud.s3, bucket, 'y_true', setAside[0]?.messageId as string);
    expect(reason?.reason).toContain(`1 bad record(s) set aside from message ${pack.messageId}`);
    // The one that found the other still sending lets the pack come back; once it is set aside, a delivery is simply done.
    for (const response of atOnce) expect(response.batchItemFailures.filter((f) => f.itemIdentifier !== pack.messageId)).toEqual([]);
    expect(later.batchItemFailures).toEqual([]);
    expect((await table()).pending['again-1']).toBeDefined();
  });
});

describe('ids a spreadsheet would run', () => {
  const FORMULA_REASON = 'id: id may not start with + - = or @ unless it is a plain number: a spreadsheet would run it as a formula';

  it('fails a message of one such record with that reason, sets one aside from a pack with it, and logs neither', async () => {
    // Prepare
    const alone = sqsRecord({ id: '+1+1', body: 3 }, { queue: 'y_true' });
    const pack = sqsRecord(
      [
        { id: 'f-1', body: 10 },
        { id: '-2+3', body: 4 },
        { id: '-5', body: 6 },
      ],
      { queue: 'y_true' },
    );

    const logged: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        logged.push(String(chunk));
        return true;
      });
    }

    // Act
    const response = await invoke([alone, pack, prediction('f-1', 9), prediction('-5', 6)]);
    vi.restoreAllMocks();

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: alone.messageId }]);
    const lines = logged.map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.message, line.messageId])).toEqual([
      ['Message rejected', alone.messageId],
      ['Records set aside', pack.messageId],
    ]);
    expect(lines[0].reason).toBe(FORMULA_REASON);
    expect((await readReason(cloud.s3, bucket, 'y_true', alone.messageId))?.reason).toBe(FORMULA_REASON);
    const deadLetters = await drainQueue(cloud, 'y_true-dlq');
    const setAside = deadLetters.find((m) => m.body.includes('"-2+3"'));
    expect(JSON.parse(setAside?.body ?? 'null')).toEqual([{ id: '-2+3', body: 4 }]);
    expect((await readReason(cloud.s3, bucket, 'y_true', setAside?.messageId as string))?.reason).toContain(`[1] ${FORMULA_REASON}`);
    expect((await compactedRows()).rows.map((row) => row.id).sort()).toEqual(['-5', 'f-1']);
  });
});

describe('exactly once, at any age', () => {
  it('counts as duplicates, not rows or orphans, halves of ids logged 25,000 ids earlier', async () => {
    await invoke([truth('old-pair', 10), prediction('old-pair', 4), truth('old-half', 7), prediction('old-half', 7)]);
    await maintain();
    const store = new JoinTableStore({ s3: cloud.s3, bucket, orphanTtlMs: 3_600_000 });
    for (let batch = 0; batch < 5; batch++) {
      const ids = Array.from({ length: 5_000 }, (_, i) => `other-${batch}-${i}`);
      await store.record(
        ids.flatMap((id) => [
          { kind: 'y_true' as const, id, value: 1 },
          { kind: 'y_pred' as const, id, value: 2 },
        ]),
      );
    }
    await maintain();

    await invoke([truth('old-pair', 10), prediction('old-pair', 4), prediction('old-half', 7)]);
    const result = await maintain();

    const { rows } = await compactedRows();
    expect(rows).toHaveLength(25_002);
    expect(rows.filter((row) => row.id.startsWith('old-'))).toEqual([
      { id: 'old-pair', yTrue: 10, yPred: 4, absoluteError: 6 },
      { id: 'old-half', yTrue: 7, yPred: 7, absoluteError: 0 },
    ]);
    expect(result).toMatchObject({ rows: 25_002, rowsAdded: 0, orphansAdded: 0, duplicates: 2, pending: 0 });
    expect((await table()).pending).toEqual({});
  }, 120_000);

  it('finds a late half of an id predicted days ago under its prediction hour, never reading the log whole', async () => {
    // An id of features' own (its emission time in it), and one sent through the API with its timestamp.
    const longAgo = Date.now() - 3 * 24 * 3_600_000;
    const emittedId = recordId(longAgo, 'abcdef01', 7);
    const timed = (record: ReturnType<typeof sqsRecord>, at: number) => ({
      ...record,
      body: JSON.stringify({ ...JSON.parse(record.body), timestamp: at }),
    });
    await invoke([
      truth(emittedId, 10),
      prediction(emittedId, 4),
      timed(truth('api-1', 3), longAgo),
      timed(prediction('api-1', 5), longAgo),
    ]);
    await maintain();
    // Hours later in the log (other rows), as a cold start would see it.
    await invoke([truth('between', 1), prediction('between', 1)]);
    await maintain();
    vi.resetModules();
    ({ handler: maintain } = await import('../../../functions/maintain.js'));
    const loads: string[] = [];
    cloud.s3.middlewareStack.add(
      (next) => async (args) => {
        const key = (args.input as { Key?: string }).Key;
        if (key !== undefined) loads.push(key);
        return next(args);
      },
      { step: 'initialize', name: 'watchKeys' },
    );

    // The late copies: a lone true answer of the emitted id, and the API id's prediction with its time.
    await invoke([truth(emittedId, 10), timed(prediction('api-1', 5), longAgo)]);
    const result = await maintain();

    const { rows } = await compactedRows();
    expect(rows.map((row) => row.id).sort()).toEqual(['api-1', 'between', emittedId].sort());
    expect(result).toMatchObject({ rowsAdded: 0, orphansAdded: 0, duplicates: 2, pending: 0 });
    expect(
      loads.filter((key) => key.startsWith(LOGS.metric_log.piecePrefix) && !key.includes(new Date().toISOString().slice(0, 10))),
    ).toEqual([]);
  }, 120_000);
});

describe('metrics.json', () => {
  const metricsJson = async () => JSON.parse((await getText(cloud.s3, bucket, BUCKET_KEYS.metrics))?.text ?? 'null');

  it('is published with the log: totals equal to the CSV, per model version and per minute, the pending, the coverage', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `mj-${i}`);
    await invoke([
      ...ids.map((id, i) => sqsRecord({ id, body: 100 + i * 1.7, model: i % 3 === 0 ? 'v2' : 'v1' }, { queue: 'y_pred' })),
      sqsRecord({ id: 'waiting', body: 5, model: 'v1' }, { queue: 'y_pred' }),
    ]);
    await invoke(ids.map((id, i) => truth(id, 90 + i * 2)));

    await maintain();

    const { rows, localText } = await compactedRows();
    const document = await metricsJson();
    const errors = rows.map((row) => row.yPred - row.yTrue);
    const mae = rows.reduce((sum, row) => sum + row.absoluteError, 0) / rows.length;
    const rmse = Math.sqrt(errors.reduce((sum, e) => sum + e * e, 0) / rows.length);
    expect(localText.split('\n')[0]).toBe('id,y_true,y_pred,absolute_error');
    expect(document.totals.n).toBe(30);
    expect(Math.abs(document.totals.mae / mae - 1)).toBeLessThan(1e-9);
    expect(Math.abs(document.totals.rmse / rmse - 1)).toBeLessThan(1e-9);
    expect(Object.fromEntries(Object.entries(document.models).map(([model, summary]) => [model, (summary as { n: number }).n]))).toEqual({
      v1: 20,
      v2: 10,
    });
    expect(document.minutes.reduce((sum: number, minute: { n: number }) => sum + minute.n, 0)).toBe(30);
    expect(document).toMatchObject({ pending: 1, orphans: 0, dead_letters: 0, label_coverage: 30 / 31 });
    expect(JSON.parse(await readFile(join(logsDir, BUCKET_KEYS.metrics), 'utf8'))).toEqual(document);
  });

  it("takes back the rows its books lack from the end of the log's newest piece (a run that died before storing them)", async () => {
    await invoke([truth('rb-1', 10), prediction('rb-1', 13), truth('rb-2', 20), prediction('rb-2', 19)]);
    await maintain();
    await cloud.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: BUCKET_KEYS.metricsBook }));
    vi.resetModules();
    ({ handler: maintain } = await import('../../../functions/maintain.js'));

    await invoke([truth('rb-3', 1), prediction('rb-3', 1)]);
    await maintain();

    const document = await metricsJson();
    expect(document.totals).toMatchObject({ n: 3, mae: 4 / 3, abs_error_max: 3 });
    // The piece keeps each row's prediction time: the rows taken back count in their minutes too.
    expect(document.minutes.reduce((sum: number, minute: { n: number }) => sum + minute.n, 0)).toBe(3);
  });
});

describe('orphans', () => {
  it('moves a half whose partner never comes to orphans.csv after the TTL, and counts it', async () => {
    let now = 1_000_000;
    const store = new JoinTableStore({ s3: cloud.s3, bucket, orphanTtlMs: 5_000, now: () => now });
    await store.record([{ kind: 'y_pred', id: 'o-1', value: 12.5 }]);

    now += 5_000;
    const outcome = await store.expireAndFlush(() => false);
    await compactorFor(cloud.s3, bucket, logsDir).compact(LOGS.orphans);

    expect(outcome.orphans.map((orphan) => orphan.id)).toEqual(['o-1']);
    const orphans = await bucketLogText(cloud.s3, bucket, LOGS.orphans);
    expect(orphans).toMatch(/^id,half,value,first_seen,reason\no-1,y_pred,12\.5,1970-01-01T00:16:40\.000Z,no y_true within 5 s\n$/);
    expect(await readFile(join(logsDir, LOGS.orphans.key), 'utf8')).toBe(orphans);
    expect((await table()).orphanCount).toBe(1);
  });

  it('deletes compacted segments on the next compaction, keeping the log whole', async () => {
    await invoke([truth('s-1', 3), prediction('s-1', 1)]);
    await maintain();
    const segmentsBefore = (await listKeys({ ...cloud, bucket })).filter((key) => key.startsWith(LOGS.metric_log.segmentPrefix));

    await maintain();

    expect(segmentsBefore).toEqual([`${LOGS.metric_log.segmentPrefix}000000000001.csv`]);
    expect((await listKeys({ ...cloud, bucket })).filter((key) => key.startsWith(LOGS.metric_log.segmentPrefix))).toEqual([]);
    expect((await compactedRows()).rows).toEqual([{ id: 's-1', yTrue: 3, yPred: 1, absoluteError: 2 }]);
  });
});
