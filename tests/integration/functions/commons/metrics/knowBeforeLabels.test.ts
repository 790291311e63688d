/**
 * Know before the labels come, end to end through what maintain runs, on a real
 * moto_server: a user's reference uploaded to the bucket (references/<model>.json), a
 * window of predictions whose error grows with x1 and whose x1 shifted, read as metric
 * reads them on arrival (arrivals.ts), first waiting for their labels (the join table's
 * pending records), then labelled. Before any label
 * the estimated MAE is in metrics.json and drift.json names x1, and the drift alert x1
 * alone; once the labels are in, the realised MAE is within 20% of the estimate, and
 * SEGMENT_BY names the quarter of x1 that errs most.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeUntil, evaluateRules } from '../../../../../functions/commons/alerts/alertRules.js';
import { type ArrivingPrediction, readInputs, withDrift } from '../../../../../functions/commons/drift/arrivals.js';
import { keptDriftMinutes, type StoredDriftBook } from '../../../../../functions/commons/drift/driftBook.js';
import { buildModelReference, referenceKey } from '../../../../../functions/commons/drift/modelReference.js';
import { ReferenceStore } from '../../../../../functions/commons/drift/referenceStore.js';
import { applyHalves, EMPTY_TABLE, type MetricTable } from '../../../../../functions/commons/join/joinTable.js';
import { splitAnnotated } from '../../../../../functions/commons/logs/logFiles.js';
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
    const segmentBy = [{ name: 'x1:4', feature: 'x1', cuts: 4 }];
    /** maintain's publisher after a cold start. */
    const coldPublisher = async () => {
      const publisher = new MetricsPublisher({
        s3: cloud.s3,
        bucket,
        logsDir: undefined,
        references: new ReferenceStore({ s3: cloud.s3, bucket, warn: (message) => expect.fail(message) }),
        drift: { windowMinutes: SETTINGS.windowMinutes, share: 0.5 },
        segmentBy,
        warn: (message) => expect.fail(message),
      });
      await publisher.load();
      return publisher;
    };
    // metric's side: the reference read from the bucket, each prediction's inputs read as it comes.
    const references = new ReferenceStore({ s3: cloud.s3, bucket, warn: (message) => expect.fail(message) });
    await references.refresh();
    const reading = { referenceOf: (model: string | undefined) => references.get(model), segmentBy };
    const first = await coldPublisher();
    // Mid-minute, a minute ago: the publish a second later judges the same fifteen minutes.
    // (Date.now() itself may be a second before a minute's end, and the window then moves on.)
    const now = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE / 2;
    // Made over the judged window's minutes (the last 15 complete ones), x1 shifted up by one.
    const windowStart = completeUntil(now) - SETTINGS.windowMinutes * MINUTE;
    const shifted = predictions(heteroscedasticPopulation(1500, 1, 300), fitted).map((row, i) => ({
      ...row,
      id: `p-${i}`,
      predictedAt: windowStart + Math.floor((i / 1500) * SETTINGS.windowMinutes * MINUTE),
    }));
    const arriving: ArrivingPrediction[] = shifted.map((row) => ({
      kind: 'y_pred',
      id: row.id,
      value: row.yPred,
      model: MODEL,
      at: row.predictedAt,
      features: row.features,
    }));
    // Two batches, the second with a hundred of the first again (a retried batch): recorded, and counted, once.
    const rules = { orphanTtlMs: 3_600_000 };
    let table: MetricTable = EMPTY_TABLE;
    let drift: StoredDriftBook | undefined;
    for (const batch of [arriving.slice(0, 800), arriving.slice(700)]) {
      const applied = applyHalves(
        table,
        batch.map((half) => readInputs(half, reading)),
        now,
        rules,
      );
      table = applied.table;
      drift = withDrift(drift, applied.accepted, reading, now, keptDriftMinutes(SETTINGS.windowMinutes));
    }
    expect(Object.keys(table.pending)).toHaveLength(1500);
    first.takeDrift([{ number: 1, drift: drift as StoredDriftBook }], now);

    const before = await first.publish(now, { pending: 1500, pendingPredictions: 1500, deadLetters: 0 }, table.pending);

    const estimated = before.metrics.models[MODEL];
    expect(estimated).toMatchObject({ n: 0, mae: null, estimated_n: 1500, unlabelled: 1500 });
    expect(before.drift?.models[MODEL]?.rows).toBe(1500);
    expect(before.drift?.models[MODEL]?.drifted_features).toEqual(['x1']);
    expect(before.drift?.models[MODEL]?.test).toBe('wasserstein');
    const alerts = evaluateRules({ ...before.metrics, drift: before.drift }, SETTINGS, now);
    expect(alerts).toMatchObject([{ rule: 'drift', firing: true, subjects: [`${MODEL}: x1`] }]);

    // A cold start meanwhile: its stored drift book counts the drift taken, which the table still holds: not counted twice.
    const publisher = await coldPublisher();
    expect(publisher.driftCountedUpTo).toBe(1);
    publisher.takeDrift([{ number: 1, drift: drift as StoredDriftBook }], now);
    const restarted = await publisher.publish(now, { pending: 1500, pendingPredictions: 1500, deadLetters: 0 }, table.pending);
    expect(restarted.metrics.models[MODEL]?.estimated_mae).toBeCloseTo(estimated?.estimated_mae as number, 9);
    expect(restarted.drift?.models[MODEL]?.rows).toBe(1500);
    expect(restarted.drift?.models[MODEL]?.drifted_features).toEqual(['x1']);

    // The labels come: the rows' lines carry what metric read in their inputs, and nothing waits any more.
    const labelled = applyHalves(
      table,
      shifted.map((row) => ({ kind: 'y_true' as const, id: row.id, value: row.yTrue, at: now })),
      now,
      rules,
    );
    expect(withDrift(drift, labelled.accepted, reading, now, keptDriftMinutes(SETTINGS.windowMinutes))).toBe(drift);
    const lines = labelled.table.outbox.flatMap((batch) => batch.lines);
    publisher.added(
      'metric_log',
      lines.map((line) => splitAnnotated(line, now)),
    );
    const after = await publisher.publish(now + 1000, { pending: 0, pendingPredictions: 0, deadLetters: 0 });

    const logged = after.metrics.models[MODEL];
    expect(logged).toMatchObject({ n: 1500, estimated_n: 1500, unlabelled: 0 });
    expect(logged?.estimated_mae).toBeCloseTo(estimated?.estimated_mae as number, 9);
    const realised = logged?.mae as number;
    expect(Math.abs((estimated?.estimated_mae as number) - realised) / realised).toBeLessThan(0.2);
    // The reference's own MAE would have missed it: the shift raised the error by far more than 20%.
    expect(realised / reference.mae).toBeGreaterThan(1.3);
    expect(after.drift?.models[MODEL]?.rows).toBe(1500);
    expect(after.drift?.models[MODEL]?.drifted_features).toEqual(['x1']);
    // The error grows with x1: cut at the reference's quartiles, the top quarter errs most, and is named.
    expect(Object.keys(after.metrics.segments['x1:4'] ?? {}).sort()).toEqual(['Q1', 'Q2', 'Q3', 'Q4']);
    expect(after.metrics.worst_segment).toMatchObject({ by: 'x1:4', segment: 'Q4' });
  });

  it('deletes the inputs an earlier version filed, and says so once', async () => {
    const bucket = await bucketWithReference('inputs-of-old');
    const old = { version: 1, inputs: [{ id: 'w-1', features: { x1: 0.5, x2: 0, x3: 1 }, filedAt: Date.now() - 60_000 }] };
    await cloud.s3.send(new PutObjectCommand({ Bucket: bucket, Key: BUCKET_KEYS.inputsBook, Body: JSON.stringify(old) }));
    const filing = `${BUCKET_KEYS.inputSegments}000001733280000000-a.json`;
    await cloud.s3.send(new PutObjectCommand({ Bucket: bucket, Key: filing, Body: JSON.stringify(old.inputs) }));
    const said: string[] = [];
    const publisher = new MetricsPublisher({ s3: cloud.s3, bucket, logsDir: undefined, warn: (message) => said.push(message) });

    await publisher.load();
    await publisher.load();

    expect(said).toEqual([
      "2 object(s) of predictions' inputs filed by an earlier version were deleted: the predictions they held count without their inputs",
    ]);
    expect(await getText(cloud.s3, bucket, BUCKET_KEYS.inputsBook)).toBeUndefined();
    expect(await listKeys({ ...cloud, bucket })).not.toContain(filing);
  });

  it("finds a reference uploaded before a version's first prediction; else lists the bucket at most every minute, or ten seconds for a version without one", async () => {
    const bucket = await bucketWithReference('references-for-metric');
    const store = new ReferenceStore({ s3: cloud.s3, bucket, warn: (message) => expect.fail(message) });
    const start = Date.now();
    await store.refreshFor(['v0'], start);
    const first = store.get(MODEL)?.etag;
    expect(first).toBeDefined();
    // MODEL's reference is replaced.
    const rows = heteroscedasticPopulation(200, 0, 7);
    const { reference } = buildModelReference(MODEL, predictions(rows, fitOrdinaryLeastSquares(rows)), Date.now());
    await cloud.s3.send(new PutObjectCommand({ Bucket: bucket, Key: referenceKey(MODEL), Body: JSON.stringify(reference) }));

    // Known versions, and v0 looked for a moment ago: no listing, the reference in hand is used.
    await store.refreshFor([MODEL, 'v0'], start + 5_000);
    expect(store.get(MODEL)?.etag).toBe(first);
    // A version never looked for: the bucket is listed, and the replaced reference comes along.
    await store.refreshFor(['v-new'], start + 6_000);
    const second = store.get(MODEL)?.etag;
    expect(second).not.toBe(first);
    // Replaced again: found within the minute only when a version without a reference was looked for ten seconds ago.
    const otherRows = heteroscedasticPopulation(200, 0, 8);
    const other = buildModelReference(MODEL, predictions(otherRows, fitOrdinaryLeastSquares(otherRows)), Date.now()).reference;
    await cloud.s3.send(new PutObjectCommand({ Bucket: bucket, Key: referenceKey(MODEL), Body: JSON.stringify(other) }));
    await store.refreshFor([MODEL, 'v-new'], start + 15_000);
    expect(store.get(MODEL)?.etag).toBe(second);
    await store.refreshFor([MODEL], start + 66_000);
    expect(store.get(MODEL)?.etag).not.toBe(second);
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
