/**
 * Know before the labels come, end to end through what maintain runs, on a real
 * moto_server: a user's reference uploaded to the bucket (references/<model>.json), a
 * window of predictions whose error grows with x1 and whose x1 shifted, first waiting
 * for their labels (the join table's pending records), then labelled. Before any label
 * the estimated MAE is in metrics.json and drift.json names x1, and the drift alert x1
 * alone; once the labels are in, the realised MAE is within 20% of the estimate, and
 * SEGMENT_BY names the quarter of x1 that errs most.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeUntil, evaluateRules } from '../../../../../functions/commons/alerts/alertRules.js';
import { buildModelReference, referenceKey } from '../../../../../functions/commons/drift/modelReference.js';
import { fileInputs } from '../../../../../functions/commons/drift/predictionInputs.js';
import { ReferenceStore } from '../../../../../functions/commons/drift/referenceStore.js';
import type { PendingRecord } from '../../../../../functions/commons/join/joinTable.js';
import { formatMetricRow, metricRow } from '../../../../../functions/commons/logs/rowFormat.js';
import { MetricsPublisher } from '../../../../../functions/commons/metrics/metricsPublisher.js';
import type { DataRow } from '../../../../../functions/commons/model/dataset.js';
import { BUCKET_KEYS } from '../../../../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../../../../functions/commons/storage/s3Objects.js';
import { fitOrdinaryLeastSquares } from '../../../../../infra/tools/model/ols.js';
import { type LocalCloud, listKeys, startLocalCloud } from '../../../../helpers/localCloud.js';
import { heteroscedasticPopulation } from '../../../../unit/functions/commons/estimate/lossFixtures.js';

const MODEL = 'user-v1';
const MINUTE = 60_000;
const SETTINGS = {
  windowMinutes: 15,
  maeAbove: undefined,
  maeRatio: undefined,
  coverageBelow: undefined,
  minRows: 30,
  forMinutes: 0,
  drift: true,
  estimatedMaeRatio: undefined,
};

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud();
});

afterAll(async () => {
  await cloud?.stop();
});

/** A population's rows as the pipeline sees them: named inputs, the fitted model's prediction, the label. */
function predictions(rows: readonly DataRow[], fitted: ReturnType<typeof fitOrdinaryLeastSquares>) {
  return rows.map((row) => ({
    features: { x1: row.features[0] as number, x2: row.features[1] as number, x3: row.features[2] as number },
    yPred: row.features.reduce((y, x, i) => y + (fitted.coefficients[i] as number) * x, fitted.intercept),
    yTrue: row.target,
  }));
}

/** A new bucket holding a reference for MODEL, fitted on a small unshifted population. */
async function bucketWithReference(bucket: string): Promise<string> {
  await cloud.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const referenceRows = heteroscedasticPopulation(500, 0, 100);
  const { reference } = buildModelReference(MODEL, predictions(referenceRows, fitOrdinaryLeastSquares(referenceRows)), Date.now());
  await cloud.s3.send(new PutObjectCommand({ Bucket: bucket, Key: referenceKey(MODEL), Body: JSON.stringify(reference) }));
  return bucket;
}

describe('a shifted window, before and after its labels', () => {
  it('estimates its MAE and names the drifted feature before the labels, and the estimate holds once they come', async () => {
    const bucket = 'know-before-labels';
    await cloud.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const referenceRows = heteroscedasticPopulation(3000, 0, 100);
    const fitted = fitOrdinaryLeastSquares(referenceRows);
    const { reference } = buildModelReference(MODEL, predictions(referenceRows, fitted), Date.parse('2026-12-01T00:00:00Z'));
    await cloud.s3.send(new PutObjectCommand({ Bucket: bucket, Key: referenceKey(MODEL), Body: JSON.stringify(reference) }));
    /** maintain's publisher after a cold start: the filings still in the bucket are its inputs book. */
    const coldPublisher = async () => {
      const publisher = new MetricsPublisher({
        s3: cloud.s3,
        bucket,
        logsDir: undefined,
        references: new ReferenceStore({ s3: cloud.s3, bucket, warn: (message) => expect.fail(message) }),
        drift: { windowMinutes: SETTINGS.windowMinutes, share: 0.5 },
        segmentBy: [{ name: 'x1:4', feature: 'x1', cuts: 4 }],
        warn: (message) => expect.fail(message),
      });
      await publisher.load();
      return publisher;
    };
    const first = await coldPublisher();
    const now = Date.now();
    // Made over the judged window's minutes (the last 15 complete ones), x1 shifted up by one.
    const windowStart = completeUntil(now) - SETTINGS.windowMinutes * MINUTE;
    const shifted = predictions(heteroscedasticPopulation(1500, 1, 300), fitted).map((row, i) => ({
      ...row,
      id: `p-${i}`,
      predictedAt: windowStart + Math.floor((i / 1500) * SETTINGS.windowMinutes * MINUTE),
    }));
    const waiting: Record<string, PendingRecord> = Object.fromEntries(
      shifted.map((row) => [row.id, { yPred: row.yPred, model: MODEL, firstSeen: row.predictedAt, predictedAt: row.predictedAt }]),
    );
    // metric files each batch's inputs as it comes (three batches here, one of them twice: a retried batch).
    for (const [i, batch] of [shifted.slice(0, 700), shifted.slice(700), shifted.slice(600, 800)].entries()) {
      await fileInputs(cloud.s3, bucket, batch, now - 3000 + i, `batch-${i}`);
    }
    await first.takeFiledInputs();

    const before = await first.publish(now, { pending: 1500, pendingPredictions: 1500, deadLetters: 0 }, waiting);

    const estimated = before.metrics.models[MODEL];
    expect(estimated).toMatchObject({ n: 0, mae: null, estimated_n: 1500, unlabelled: 1500 });
    expect(before.drift?.models[MODEL]?.drifted_features).toEqual(['x1']);
    expect(before.drift?.models[MODEL]?.test).toBe('wasserstein');
    const alerts = evaluateRules({ ...before.metrics, drift: before.drift }, SETTINGS, now);
    expect(alerts).toMatchObject([{ rule: 'drift', firing: true, subjects: [`${MODEL}: x1`] }]);

    // A cold start meanwhile: the filings are read again, and the same inputs give the same figures.
    const publisher = await coldPublisher();
    await publisher.takeFiledInputs();
    const restarted = await publisher.publish(now, { pending: 1500, pendingPredictions: 1500, deadLetters: 0 }, waiting);
    expect(restarted.metrics.models[MODEL]?.estimated_mae).toBeCloseTo(estimated?.estimated_mae as number, 9);
    expect(restarted.drift?.models[MODEL]?.drifted_features).toEqual(['x1']);

    // The labels come: the rows reach metric_log.csv with their notes, and nothing waits any more.
    publisher.added(
      'metric_log',
      shifted.map((row) => ({
        line: formatMetricRow(metricRow(row.id, row.yTrue, row.yPred)),
        notes: { model: MODEL, at: now, predictedAt: row.predictedAt },
      })),
    );
    const after = await publisher.publish(now + 1000, { pending: 0, pendingPredictions: 0, deadLetters: 0 });

    const labelled = after.metrics.models[MODEL];
    expect(labelled).toMatchObject({ n: 1500, estimated_n: 1500, unlabelled: 0 });
    expect(labelled?.estimated_mae).toBeCloseTo(estimated?.estimated_mae as number, 9);
    const realised = labelled?.mae as number;
    expect(Math.abs((estimated?.estimated_mae as number) - realised) / realised).toBeLessThan(0.2);
    // The reference's own MAE would have missed it: the shift raised the error by far more than 20%.
    expect(realised / reference.mae).toBeGreaterThan(1.3);
    expect(after.drift?.models[MODEL]?.drifted_features).toEqual(['x1']);
    // The inputs left the book as their rows reached the log, and with the last of them each filing.
    expect(await listKeys({ ...cloud, bucket })).not.toContainEqual(expect.stringMatching(/^segments\/inputs\//));
    // The error grows with x1: cut at the reference's quartiles, the top quarter errs most, and is named.
    expect(Object.keys(after.metrics.segments['x1:4'] ?? {}).sort()).toEqual(['Q1', 'Q2', 'Q3', 'Q4']);
    expect(after.metrics.worst_segment).toMatchObject({ by: 'x1:4', segment: 'Q4' });
  });

  it('takes over the inputs book an earlier version stored whole, and deletes it once its inputs are taken', async () => {
    const bucket = await bucketWithReference('inputs-book-of-old');
    const now = Date.now();
    const old = { version: 1, inputs: [{ id: 'w-1', features: { x1: 0.5, x2: 0, x3: 1 }, filedAt: now - 60_000 }] };
    await cloud.s3.send(new PutObjectCommand({ Bucket: bucket, Key: BUCKET_KEYS.inputsBook, Body: JSON.stringify(old) }));
    const publisher = new MetricsPublisher({
      s3: cloud.s3,
      bucket,
      logsDir: undefined,
      references: new ReferenceStore({ s3: cloud.s3, bucket, warn: (message) => expect.fail(message) }),
    });
    await publisher.load();
    await publisher.takeFiledInputs();
    const waiting = { 'w-1': { yPred: 3, model: MODEL, firstSeen: now - 60_000, predictedAt: now - 60_000 } };

    const before = await publisher.publish(now, { pending: 1, pendingPredictions: 1, deadLetters: 0 }, waiting);
    expect(before.metrics.models[MODEL]).toMatchObject({ estimated_n: 1, unlabelled: 1 });
    expect(await getText(cloud.s3, bucket, BUCKET_KEYS.inputsBook)).toBeDefined();

    publisher.added('metric_log', [
      { line: formatMetricRow(metricRow('w-1', 4, 3)), notes: { model: MODEL, at: now, predictedAt: now - 60_000 } },
    ]);
    const after = await publisher.publish(now + 1000, { pending: 0, pendingPredictions: 0, deadLetters: 0 });
    expect(after.metrics.models[MODEL]).toMatchObject({ n: 1, estimated_n: 1, unlabelled: 0 });
    expect(await getText(cloud.s3, bucket, BUCKET_KEYS.inputsBook)).toBeUndefined();
  });

  it('says once that a SEGMENT_BY number rule names no numeric feature of any reference', async () => {
    const bucket = await bucketWithReference('segment-rule-typo');
    const said: string[] = [];
    const publisher = new MetricsPublisher({
      s3: cloud.s3,
      bucket,
      logsDir: undefined,
      references: new ReferenceStore({ s3: cloud.s3, bucket, warn: (message) => expect.fail(message) }),
      segmentBy: [
        { name: 'x1:4', feature: 'x1', cuts: 4 },
        { name: 'xl:4', feature: 'xl', cuts: 4 },
        { name: 'region', feature: 'region' },
      ],
      warn: (message) => said.push(message),
    });
    await publisher.load();

    await publisher.refreshReferences();
    await publisher.refreshReferences();

    expect(said).toEqual(['SEGMENT_BY xl:4: no model version\'s reference has a numeric feature "xl" to cut, so its segments stay empty']);
  });
});
