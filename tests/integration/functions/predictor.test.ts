/**
 * The predictor against a real moto_server: answers on y_pred, rejects bad feature
 * vectors record by record, and a crash after part of its sends ends, once the
 * batch is redelivered, in the same rows as a run without the crash.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JoinTableStore } from '../../../functions/commons/join/joinTableStore.js';
import { LOGS } from '../../../functions/commons/logs/logFiles.js';
import { parseMetricLog } from '../../../functions/commons/logs/rowFormat.js';
import { FEATURE_NAMES, parseDataset } from '../../../functions/commons/model/dataset.js';
import { assertModel, modelVersion, predict } from '../../../functions/commons/model/linearModel.js';
import modelArtefact from '../../../functions/commons/model/model.json';
import { InjectedCrashError } from '../../../functions/commons/platform/faults.js';
import { DATA_FILE } from '../../../infra/tools/model/train.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { drainQueue, handlerEnv, type LocalCloud, startLocalCloud } from '../../helpers/localCloud.js';
import { bucketLogText, compactorFor } from '../../helpers/logs.js';

type Handler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;
let cloud: LocalCloud;
let handler: Handler;
const dataset = parseDataset(readFileSync(DATA_FILE, 'utf8'));
const model = assertModel(modelArtefact);

beforeAll(async () => {
  cloud = await startLocalCloud();
  handlerEnv(cloud, await mkdtemp(join(tmpdir(), 'ml-monitor-logs-')));
  ({ handler } = await import('../../../functions/predictor.js'));
});
afterAll(async () => {
  await cloud?.stop();
});
afterEach(() => {
  delete process.env.ML_MONITOR_CRASH_AT;
});

/** Receives and deletes everything on a queue: the records of its messages, each one record or a pack. */
async function drain(queue: string): Promise<{ id: string; body: number; timestamp?: number }[]> {
  return (await drainQueue(cloud, queue)).flatMap((message) => [JSON.parse(message.body)].flat());
}

const row = (i: number) => dataset[i % dataset.length] as (typeof dataset)[number];
const featureRecords = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => sqsRecord({ id: `${prefix}-${i}`, body: row(i).features }, { queue: 'features' }));
/** `packs` messages of `perPack` feature vectors each, as features sends them. */
const featurePacks = (prefix: string, packs: number, perPack: number) =>
  Array.from({ length: packs }, (_, p) =>
    sqsRecord(
      Array.from({ length: perPack }, (_, j) => ({ id: `${prefix}-${p * perPack + j}`, body: row(p * perPack + j).features })),
      { queue: 'features' },
    ),
  );

describe('predictor with real SQS', () => {
  it("answers each feature vector with the model's prediction under the same id, the features' time, and the features by name", async () => {
    const records = featureRecords('p', 3);

    await handler(sqsEvent(records), lambdaContext('predictor'));

    const answers = (await drain('y_pred')).sort((a, b) => a.id.localeCompare(b.id));
    expect(answers).toEqual(
      [0, 1, 2].map((i) => ({
        id: `p-${i}`,
        body: predict(model, dataset[i]?.features ?? []),
        model: modelVersion(model),
        // Each record's own: SQS stamps each message when it takes it (a millisecond apart here, at times).
        timestamp: Number(records[i]?.attributes.SentTimestamp),
        // The inputs travel on with the prediction, for drift and the estimated error.
        features: Object.fromEntries(FEATURE_NAMES.map((name, f) => [name, dataset[i]?.features[f]])),
      })),
    );
  });

  it('keeps the time a feature vector carries on its prediction', async () => {
    const emitted = Date.parse('2026-12-01T10:00:00Z');
    const record = sqsRecord({ id: 'timed', body: row(0).features, timestamp: emitted }, { queue: 'features' });

    await handler(sqsEvent([record]), lambdaContext('predictor'));

    expect((await drain('y_pred')).map((answer) => [answer.id, answer.timestamp])).toEqual([['timed', emitted]]);
  });

  it('rejects a vector of the wrong length or with non-numbers, alone', async () => {
    const short = sqsRecord({ id: 'short', body: [1, 2, 3] }, { queue: 'features' });
    const words = sqsRecord({ id: 'words', body: Array(10).fill('x') }, { queue: 'features' });

    const response = await handler(sqsEvent([...featureRecords('ok', 1), short, words]), lambdaContext('predictor'));

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([short.messageId, words.messageId].sort());
    expect((await drain('y_pred')).map((a) => a.id)).toEqual(['ok-0']);
  });

  it('answers packs with packs, and sets the bad vectors of a pack aside', async () => {
    const pack = sqsRecord(
      [
        { id: 'pk-0', body: row(0).features },
        { id: 'pk-1', body: [1, 2] },
        { id: 'pk-2', body: row(2).features },
      ],
      { queue: 'features' },
    );

    const response = await handler(sqsEvent([pack, ...featurePacks('pp', 3, 100)]), lambdaContext('predictor'));

    expect(response.batchItemFailures).toEqual([]);
    const messages = await drainQueue(cloud, 'y_pred');
    expect(messages).toHaveLength(4);
    const answered = messages.flatMap((m) => JSON.parse(m.body) as { id: string }[]).map((a) => a.id);
    expect(answered.sort()).toEqual(['pk-0', 'pk-2', ...Array.from({ length: 300 }, (_, i) => `pp-${i}`)].sort());
    const [setAside] = await drainQueue(cloud, 'features-dlq');
    expect(JSON.parse(setAside?.body ?? 'null')).toEqual([{ id: 'pk-1', body: [1, 2] }]);
  });

  it('ends in the rows of a run without the crash when it dies after part of its sends', async () => {
    // Eleven packs of a hundred: eleven messages of predictions take two requests (sent at once), and the crash follows the first.
    const records = featurePacks('crash', 11, 100);
    process.env.ML_MONITOR_CRASH_AT = 'predictor:after-first-send';
    await expect(handler(sqsEvent(records), lambdaContext('predictor'))).rejects.toBeInstanceOf(InjectedCrashError);
    const beforeRedelivery = await drain('y_pred');
    delete process.env.ML_MONITOR_CRASH_AT;

    await handler(sqsEvent(records), lambdaContext('predictor'));

    const predictions = [...beforeRedelivery, ...(await drain('y_pred'))];
    expect(beforeRedelivery.length).toBeGreaterThan(0);
    expect(predictions.length).toBeGreaterThan(1_100);
    const store = new JoinTableStore({ s3: cloud.s3, bucket: cloud.bucket, orphanTtlMs: 3_600_000 });
    await store.record([
      ...predictions.map((p) => ({ kind: 'y_pred' as const, id: p.id, value: p.body })),
      ...Array.from({ length: 1_100 }, (_, i) => ({ kind: 'y_true' as const, id: `crash-${i}`, value: row(i).target })),
    ]);
    await compactorFor(cloud.s3, cloud.bucket, undefined).compact(LOGS.metric_log);
    const rows = parseMetricLog(await bucketLogText(cloud.s3, cloud.bucket));
    const expected = Array.from({ length: 1_100 }, (_, i) => {
      const yPred = predict(model, row(i).features);
      const yTrue = row(i).target;
      return { id: `crash-${i}`, yTrue, yPred, absoluteError: Math.abs(yTrue - yPred) };
    });
    expect([...rows].sort((a, b) => a.id.localeCompare(b.id))).toEqual(expected.sort((a, b) => a.id.localeCompare(b.id)));
  });
});
