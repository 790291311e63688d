/**
 * What `metric` reads in a prediction's inputs as it arrives, pure: the loss model's
 * estimate of its error and its segments under SEGMENT_BY, which ride with the
 * prediction in the join table (tens of bytes) into its log line's notes; and its
 * inputs' place in the drift books, added to the table's own drift book (joinTable.ts)
 * that `maintain` takes each minute.
 *
 * The inputs themselves are never stored: they are read once, here. So a prediction
 * waiting for its label costs the table a few numbers, however many features it has,
 * and maintain reads no object per batch: what it needs is in the table and the
 * segments it reads anyway. A prediction counts in drift when it is recorded (once:
 * a duplicate half is not recorded again), labelled or not.
 */
import type { Half, MetricTable } from '../join/joinTable.js';
import { type SegmentRule, segmentsOf } from '../metrics/segments.js';
import { DriftBook, type StoredDriftBook } from './driftBook.js';
import type { FeatureValues } from './modelReference.js';
import { estimateError, type LoadedReference } from './referenceStore.js';

/** A y_pred half as it came, with the inputs its prediction was made from. */
export interface ArrivingPrediction extends Half {
  readonly features?: FeatureValues | undefined;
}

export interface ArrivalReading {
  /** The reference of a model version (undefined: none, and its inputs are read for categories only). */
  readonly referenceOf: (model: string | undefined) => LoadedReference | undefined;
  readonly segmentBy: readonly SegmentRule[];
}

/**
 * The half with what its inputs say (its estimate and segments, which the table keeps
 * with it; not the inputs, which it leaves); a half without inputs, or a label, as it is.
 */
export function readInputs(half: ArrivingPrediction, reading: ArrivalReading): ArrivingPrediction {
  const { features } = half;
  if (half.kind !== 'y_pred' || features === undefined) return half;
  const loaded = reading.referenceOf(half.model);
  const estimate = loaded === undefined ? undefined : estimateError(loaded, features, half.value);
  const segments = reading.segmentBy.length === 0 ? [] : segmentsOf(reading.segmentBy, features, loaded?.reference);
  return {
    ...half,
    ...(estimate === undefined || !Number.isFinite(estimate) ? {} : { estimate }),
    ...(segments.length === 0 ? {} : { segments }),
  };
}

/**
 * `stored` (the table's drift book) with the recorded predictions added: those with
 * inputs, a time and a version that has a reference. `keptMinutes`: how far back a
 * minute still counts (DriftBook).
 */
export function withDrift(
  stored: StoredDriftBook | undefined,
  recorded: readonly ArrivingPrediction[],
  reading: ArrivalReading,
  now: number,
  keptMinutes: number,
): StoredDriftBook | undefined {
  const book = new DriftBook(stored, keptMinutes);
  let added = false;
  for (const prediction of recorded) {
    if (prediction.kind !== 'y_pred' || prediction.features === undefined || prediction.at === undefined) continue;
    const loaded = reading.referenceOf(prediction.model);
    if (loaded === undefined) continue;
    book.add(loaded.reference, { predictedAt: prediction.at, features: prediction.features, prediction: prediction.value }, now);
    added = true;
  }
  return added ? book.toStored(now) : stored;
}

/** What a commit of the join table adds for the halves it records (JoinTableStore.record): their drift, in the same write. */
export function addingDrift(
  reading: ArrivalReading,
  keptMinutes: number,
): (table: MetricTable, recorded: readonly ArrivingPrediction[]) => MetricTable {
  return (table, recorded) => {
    const drift = withDrift(table.drift, recorded, reading, Date.now(), keptMinutes);
    return drift === table.drift || drift === undefined ? table : { ...table, drift };
  };
}
