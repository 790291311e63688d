import { describe, expect, it } from 'vitest';
import { type ArrivingPrediction, readInputs, withDrift } from '../../../../../functions/commons/drift/arrivals.js';
import { DriftBook } from '../../../../../functions/commons/drift/driftBook.js';
import { assertModelReference } from '../../../../../functions/commons/drift/modelReference.js';
import { estimateError, type LoadedReference } from '../../../../../functions/commons/drift/referenceStore.js';
import { compileLossModel } from '../../../../../functions/commons/estimate/lossModel.js';
import { applyHalves, EMPTY_TABLE } from '../../../../../functions/commons/join/joinTable.js';
import { segmentsOf } from '../../../../../functions/commons/metrics/segments.js';
import builtIn from '../../../../../functions/commons/model/reference.json';

const reference = assertModelReference(builtIn);
const loaded: LoadedReference = { reference, estimator: compileLossModel(reference.loss_model), etag: 'built-in' };
const segmentBy = [
  { name: 'sex', feature: 'sex' },
  { name: 'bmi:4', feature: 'bmi', cuts: 4 },
];
const reading = { referenceOf: (model: string | undefined) => (model === reference.model ? loaded : undefined), segmentBy };
const NOW = Date.parse('2026-12-04T12:00:30Z');
const features = { age: 0.03, sex: 0.05, bmi: 0.06, bp: 0.02, s1: -0.04, s2: -0.03, s3: -0.04, s4: 0.0, s5: 0.02, s6: -0.02 };
const arriving = (id: string, extra: Partial<ArrivingPrediction> = {}): ArrivingPrediction => ({
  kind: 'y_pred',
  id,
  value: 180,
  model: reference.model,
  at: NOW - 20_000,
  features,
  ...extra,
});

describe('reading a prediction’s inputs as it arrives', () => {
  it('gives its estimated error and its segments, which wait with it in the join table, and not its inputs', () => {
    const read = readInputs(arriving('a'), reading);

    expect(read.estimate).toBe(estimateError(loaded, features, 180));
    expect(read.segments).toEqual(segmentsOf(segmentBy, features, reference));
    const { table } = applyHalves(EMPTY_TABLE, [read], NOW, { orphanTtlMs: 60_000 });
    expect(table.pending.a).toEqual({
      yPred: 180,
      model: reference.model,
      firstSeen: NOW,
      predictedAt: NOW - 20_000,
      estimate: read.estimate,
      segments: read.segments,
    });
  });

  it('gives no estimate without a reference for its version, but still its categories; a label or a bare prediction as they are', () => {
    const read = readInputs(arriving('a', { model: 'unknown' }), reading);
    expect(read.estimate).toBeUndefined();
    expect(read.segments).toEqual([['sex', '0.05']]);
    const { features: _, ...bare } = arriving('b');
    expect(readInputs(bare, reading)).toEqual(bare);
    expect(readInputs({ kind: 'y_true', id: 'c', value: 3 }, reading)).toEqual({ kind: 'y_true', id: 'c', value: 3 });
  });

  it('adds to the drift books the predictions with inputs, a time and a reference, in the minute they were made', () => {
    const recorded = [
      arriving('a'),
      arriving('b', { at: NOW - 80_000 }),
      arriving('c', { model: 'unknown' }),
      arriving('d', { at: undefined }),
      { kind: 'y_true' as const, id: 'e', value: 2 },
    ];

    const stored = withDrift(undefined, recorded, reading, NOW, 18);
    const book = new DriftBook(stored, 18);
    const minute = Math.floor(NOW / 60_000) * 60_000;

    expect(book.window(reference, minute, minute + 60_000).rows).toBe(1);
    expect(book.window(reference, minute - 60_000, minute + 60_000).rows).toBe(2);
    expect(book.window(reference, minute, minute + 60_000).features.bmi?.sum).toBe(0.06);
    // Nothing to add: the same book back, so the table is not rewritten for it.
    expect(withDrift(stored, [recorded[4] as ArrivingPrediction], reading, NOW, 18)).toBe(stored);
  });
});
