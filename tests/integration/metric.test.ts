/**
 * The metric handler against a real moto_server: halves in any order, duplicated
 * and late, concurrent invocations, bad records — one row per id in S3 and in logs/.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OBJECT_KEYS } from '../../functions/commons/config.js';
import { parseMetricLog } from '../../functions/commons/csv.js';
import { getText } from '../../functions/commons/s3Objects.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../helpers/factories.js';
import { type LocalCloud, handlerEnv, startLocalCloud } from '../helpers/localCloud.js';

let cloud: LocalCloud;
let logsDir: string;
let handler: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  cloud = await startLocalCloud();
  logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-logs-'));
  handlerEnv(cloud, logsDir);
  ({ handler } = await import('../../functions/metric.js'));
});

afterAll(async () => {
  await cloud?.stop();
});

const truth = (id: string, value: number) => sqsRecord({ id, body: value }, { queue: 'y_true' });
const prediction = (id: string, value: number) => sqsRecord({ id, body: value }, { queue: 'y_pred' });
const invoke = (records: ReturnType<typeof sqsRecord>[]) => handler(sqsEvent(records), lambdaContext('metric'));

async function logRows() {
  const stored = await getText(cloud.s3, cloud.bucket, OBJECT_KEYS.metricLog);
  const local = await readFile(join(logsDir, OBJECT_KEYS.metricLog), 'utf8');
  return { s3: parseMetricLog(stored?.text ?? ''), localText: local, s3Text: stored?.text };
}

describe('metric handler with real S3', () => {
  it('writes one row per id, in S3 and in logs/, whatever the order and duplication', async () => {
    await invoke([prediction('m-1', 100), truth('m-2', 50), prediction('m-1', 100)]);
    await invoke([truth('m-1', 130), truth('m-1', 130), prediction('m-3', 7)]);
    await invoke([prediction('m-2', 60.5), truth('m-3', 7), truth('m-2', 50)]);
    await invoke([truth('m-1', 130), prediction('m-2', 60.5)]);

    const { s3, localText, s3Text } = await logRows();

    expect(s3.map((row) => row.id).sort()).toEqual(['m-1', 'm-2', 'm-3']);
    expect(s3.find((row) => row.id === 'm-1')).toEqual({ id: 'm-1', yTrue: 130, yPred: 100, absoluteError: 30 });
    expect(s3.find((row) => row.id === 'm-2')?.absoluteError).toBe(10.5);
    expect(s3.find((row) => row.id === 'm-3')?.absoluteError).toBe(0);
    expect(localText).toBe(s3Text);
  });

  it('holds only what is in flight: completed ids leave the table', async () => {
    await invoke([truth('pending-1', 1)]);

    const table = JSON.parse((await getText(cloud.s3, cloud.bucket, OBJECT_KEYS.metricTable))?.text ?? '{}');

    expect(Object.keys(table.pending)).toEqual(['pending-1']);
    expect(table.outbox).toEqual([]);
  });

  it('reports a bad record as a batch item failure and records its batch-mates', async () => {
    const bad = sqsRecord('{not json', { queue: 'y_true', raw: true });
    const wrongType = sqsRecord({ id: 'b-2', body: 'three' }, { queue: 'y_pred' });

    const response = await invoke([truth('b-1', 10), bad, wrongType, prediction('b-1', 4)]);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([bad.messageId, wrongType.messageId].sort());
    expect((await logRows()).s3.filter((row) => row.id === 'b-1')).toHaveLength(1);
  });

  it('loses no update and doubles no row with eight invocations at once on overlapping ids', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `c-${i}`);
    const invocations = Array.from({ length: 8 }, (_, w) =>
      invoke(ids.filter((_, i) => i % 4 === w % 4).flatMap((id, i) => [truth(id, i), prediction(id, i + 0.5)])),
    );
    const more = Array.from({ length: 8 }, (_, w) =>
      invoke(ids.filter((_, i) => i % 8 === w).map((id, i) => truth(id, i % 3))),
    );

    await Promise.all([...invocations, ...more]);

    const rows = (await logRows()).s3.filter((row) => row.id.startsWith('c-'));
    expect(rows).toHaveLength(ids.length);
    expect(new Set(rows.map((row) => row.id)).size).toBe(ids.length);
  });
});
