/** bench/metricCost.ts: the fixtures a measurement starts from, and the feature cost's order and ratios. */
import { describe, expect, it } from 'vitest';
import {
  type FeatureShape,
  featureCostRatios,
  freshIds,
  halfEvents,
  halfOrder,
  type MetricCostMeasurement,
  type PredictionShape,
  pairOrder,
  predictionMessage,
  syntheticPair,
} from '../../../bench/metricCost.js';
import { ScalarMessage } from '../../../functions/commons/messaging/messageSchemas.js';
import { emittedAt } from '../../../functions/commons/messaging/recordIds.js';
import { FEATURE_NAMES } from '../../../functions/commons/model/dataset.js';

const ID = '1795680000000-00000000-0007';
const vectors = [Array.from({ length: 10 }, (_, i) => i / 100), Array.from({ length: 10 }, (_, i) => -i / 100)];
const withFeatures: PredictionShape = { model: 'ols-bb0f121a', vectors, labelLag: 2 };

describe('freshIds', () => {
  it('numbers ids on from where the last call stopped, a new run id every 10,000, never one twice', () => {
    const runIds = new Map<number, string>();

    const first = freshIds(0, 9_999, 1_795_680_000_000, runIds);
    const next = freshIds(9_999, 2, 1_795_680_000_000, runIds);
    const ids = [...first, ...next];

    expect(new Set(ids).size).toBe(10_001);
    expect(ids.every((id) => emittedAt(id) === 1_795_680_000_000)).toBe(true);
    expect(next[0]?.split('-')[1]).toBe(first[0]?.split('-')[1]);
    expect(next[1]?.split('-')[1]).not.toBe(first[0]?.split('-')[1]);
  });
});

describe('syntheticPair', () => {
  it('stays in the data set range for y_true and is the same for the same index', () => {
    const pairs = Array.from({ length: 500 }, (_, i) => syntheticPair(i));

    expect(pairs.every(({ yTrue }) => yTrue >= 25 && yTrue <= 346)).toBe(true);
    expect(syntheticPair(7)).toEqual(pairs[7]);
  });
});

describe('halfEvents', () => {
  it('builds y_true then y_pred events of 100 halves from queues named as the mappings do', () => {
    const ids = Array.from({ length: 150 }, (_, i) => `1795680000000-00000000-${String(i).padStart(4, '0')}`);

    const events = halfEvents(ids, 0);

    expect(events.map((event) => event.Records.length)).toEqual([100, 100, 50, 50]);
    expect(events[0]?.Records[0]?.eventSourceARN).toBe('arn:aws:sqs:us-east-1:000000000000:y_true');
    expect(events[1]?.Records[0]?.eventSourceARN).toBe('arn:aws:sqs:us-east-1:000000000000:y_pred');
    expect(JSON.parse(events[1]?.Records[0]?.body ?? '{}')).toEqual({ id: ids[0], body: syntheticPair(0).yPred });
  });
});

describe('halfOrder', () => {
  it("without a lag, sends each chunk's labels and then its predictions", () => {
    expect(halfOrder(2)).toEqual([
      ['y_true', 0],
      ['y_pred', 0],
      ['y_true', 1],
      ['y_pred', 1],
    ]);
  });

  it('with a lag, sends the labels that many chunks behind their predictions, and every label once', () => {
    expect(halfOrder(3, 1)).toEqual([
      ['y_pred', 0],
      ['y_pred', 1],
      ['y_true', 0],
      ['y_pred', 2],
      ['y_true', 1],
      ['y_true', 2],
    ]);
    expect(halfOrder(2, 5)).toEqual([
      ['y_pred', 0],
      ['y_pred', 1],
      ['y_true', 0],
      ['y_true', 1],
    ]);
    expect(halfOrder(2, 0)).toEqual([
      ['y_pred', 0],
      ['y_true', 0],
      ['y_pred', 1],
      ['y_true', 1],
    ]);
  });
});

describe('predictionMessage', () => {
  it('is bare without a shape, as the metric cost phase has always sent it', () => {
    expect(predictionMessage(ID, 7)).toEqual({ id: ID, body: syntheticPair(7).yPred });
  });

  it('names the model and the time as the predictor does, and the inputs by name only when the shape has them', () => {
    const bare = predictionMessage(ID, 7, { model: 'ols-bb0f121a', labelLag: 0 });
    const full = predictionMessage(ID, 7, withFeatures);

    expect(bare).toEqual({ id: ID, body: syntheticPair(7).yPred, model: 'ols-bb0f121a', timestamp: 1_795_680_000_000 });
    expect(full).toEqual({ ...bare, features: Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, -i / 100])) });
    expect(ScalarMessage.safeParse(full).success).toBe(true);
  });
});

describe('halfEvents with a shape', () => {
  it('follows halfOrder and carries the features on the y_pred halves only', () => {
    const ids = Array.from({ length: 300 }, (_, i) => `1795680000000-00000000-${String(i).padStart(4, '0')}`);

    const events = halfEvents(ids, 0, withFeatures);
    const queues = events.map((event) => event.Records[0]?.eventSourceARN.split(':').pop());
    const bodies = events.map((event) => JSON.parse(event.Records[0]?.body ?? '{}') as Record<string, unknown>);

    expect(queues).toEqual(['y_pred', 'y_pred', 'y_pred', 'y_true', 'y_true', 'y_true']);
    expect(bodies.map((body) => body.id)).toEqual([ids[0], ids[100], ids[200], ids[0], ids[100], ids[200]]);
    expect(bodies.slice(0, 3).every((body) => typeof body.features === 'object')).toBe(true);
    expect(bodies.slice(3).every((body) => body.features === undefined && body.model === undefined)).toBe(true);
  });
});

describe('the feature cost pairs', () => {
  const measured = (ms: number, maintainMs: number, bytes = 100): MetricCostMeasurement => ({
    history: 10_000,
    rows: 10_000,
    records: 2_000,
    runs: [],
    medianMsPerRecord: ms,
    medianS3BytesPerRecord: bytes,
    medianS3RequestsPerInvocation: 3,
    medianMaintainMsPerRecord: maintainMs,
  });
  const pair = (first: FeatureShape, a: MetricCostMeasurement, b: MetricCostMeasurement) => [
    { shape: first, measurement: a },
    { shape: (first === 'with' ? 'without' : 'with') as FeatureShape, measurement: b },
  ];

  it('alternates which shape runs first', () => {
    expect([0, 1, 2, 3].map(pairOrder)).toEqual([
      ['without', 'with'],
      ['with', 'without'],
      ['without', 'with'],
      ['with', 'without'],
    ]);
  });

  it('divides the median with features by the median without, and gives each pair its ratio whatever its order', () => {
    const runs = [
      pair('without', measured(1, 0.2), measured(1.2, 0.3, 300)),
      pair('with', measured(1.5, 0.25, 300), measured(1.1, 0.2)),
      pair('without', measured(0.9, 0.1), measured(1.8, 0.2, 300)),
    ];

    const ratios = featureCostRatios(runs);

    expect(ratios.metricTime).toBeCloseTo(1.5 / 1);
    expect(ratios.maintainTime).toBeCloseTo(0.25 / 0.2);
    expect(ratios.metricS3Bytes).toBe(3);
    expect(ratios.pairMetricTime.map((ratio) => Number(ratio.toFixed(3)))).toEqual([1.2, 1.364, 2]);
    expect(ratios.pairMaintainTime.map((ratio) => Number(ratio.toFixed(3)))).toEqual([1.5, 1.25, 2]);
  });
});
