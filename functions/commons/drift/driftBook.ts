/**
 * The books behind drift.json, pure: per model version, per minute of prediction time,
 * each numeric feature's summary and the prediction's, on the edges of that version's
 * reference (featureSummary.ts). `metric` adds each prediction as it is recorded, to
 * the join table's own book (arrivals.ts); `maintain` merges those into its books each
 * minute and stores them (state/drift-book.json). A window's summary is the merge of
 * its minutes, so drift shows before the labels come.
 *
 * Bounded: only the minutes the drift window can reach are kept, each of a fixed size
 * (100 bins per feature), whatever the rate. Summaries are only comparable under the
 * reference they were cut by: when a version's reference changes, its minutes start
 * again.
 */

import { categorySlot } from './categoryDrift.js';
import { addValue, emptySummary, type FeatureSummary, mergeSummary, readStoredSummary } from './featureSummary.js';
import { type FeatureValues, type ModelReference, numericValue } from './modelReference.js';

const MINUTE_MS = 60_000;

/** Minutes the drift books keep: the window, the minutes before it is complete, and one to spare. */
export function keptDriftMinutes(windowMinutes: number): number {
  return windowMinutes + 3;
}

interface Minute {
  readonly start: number;
  readonly features: Record<string, FeatureSummary>;
  /** Each category feature's counts, in its reference's categories' order (absent in books of before categories). */
  readonly categories?: Record<string, number[]>;
  readonly prediction: FeatureSummary;
}

interface ModelMinutes {
  /** Which reference the summaries were cut by (referenceTag). */
  readonly reference: string;
  readonly minutes: Map<number, Minute>;
}

export interface StoredDriftBook {
  readonly version: 1;
  readonly models: Readonly<Record<string, { readonly reference: string; readonly minutes: readonly Minute[] }>>;
  /** maintain's books: the highest number of the drift it took from the join table that they count (joinTable.ts's takeDrift). */
  readonly countedUpTo?: number;
}

/** A prediction as drift sees it: when it was made, its inputs and the prediction. */
export interface SeenPrediction {
  readonly predictedAt: number;
  readonly features: FeatureValues;
  readonly prediction: number;
}

/** A window's summaries: how many predictions, and each feature's and the prediction's values. */
export interface WindowSummary {
  readonly rows: number;
  readonly features: Readonly<Record<string, FeatureSummary>>;
  readonly categories: Readonly<Record<string, readonly number[]>>;
  readonly prediction: FeatureSummary;
}

/** What tells one reference of a version from the next. */
export function referenceTag(reference: ModelReference): string {
  return `${reference.created_at}/${reference.rows}`;
}

function emptyMinute(start: number, reference: ModelReference): Minute {
  return {
    start,
    features: Object.fromEntries(reference.feature_names.map((name) => [name, emptySummary()])),
    categories: Object.fromEntries(
      Object.entries(reference.categories ?? {}).map(([name, categories]) => [name, categories.counts.map(() => 0)]),
    ),
    prediction: emptySummary(),
  };
}

function addTo(minute: Minute, reference: ModelReference, seen: Pick<SeenPrediction, 'features' | 'prediction'>): void {
  for (const name of reference.feature_names) {
    const into = minute.features[name];
    const edges = reference.features[name]?.edges;
    if (into !== undefined && edges !== undefined) addValue(into, edges, numericValue(seen.features[name]));
  }
  for (const [name, categories] of Object.entries(reference.categories ?? {})) {
    const value = seen.features[name];
    const counts = minute.categories?.[name];
    if (value === undefined || counts === undefined) continue;
    const slot = categorySlot(categories, String(value));
    counts[slot] = (counts[slot] ?? 0) + 1;
  }
  addValue(minute.prediction, reference.prediction.edges, seen.prediction);
}

/** Adds `part`'s summaries into `into` (the same reference's: the same features). */
function mergeMinute(into: Minute, part: Minute): void {
  for (const [name, summary] of Object.entries(part.features)) {
    const target = into.features[name];
    if (target !== undefined) mergeSummary(target, summary);
  }
  for (const [name, counts] of Object.entries(part.categories ?? {})) {
    const target = into.categories?.[name];
    if (target === undefined || target.length !== counts.length) continue;
    for (const [slot, count] of counts.entries()) target[slot] = (target[slot] ?? 0) + count;
  }
  mergeSummary(into.prediction, part.prediction);
}

function isStoredMinute(value: unknown): value is Minute {
  const minute = value as Partial<Minute> | null;
  return (
    typeof minute?.start === 'number' &&
    readStoredSummary(minute.prediction) !== undefined &&
    typeof minute.features === 'object' &&
    minute.features !== null &&
    Object.values(minute.features).every((summary) => readStoredSummary(summary) !== undefined)
  );
}

export class DriftBook {
  readonly #keptMs: number;
  readonly #models = new Map<string, ModelMinutes>();

  /** `keptMinutes`: how far back a window reaches (the alert window and the minutes before it is complete). */
  constructor(stored: StoredDriftBook | undefined, keptMinutes: number) {
    this.#keptMs = keptMinutes * MINUTE_MS;
    for (const [model, kept] of Object.entries(stored?.models ?? {})) {
      const minutes = (Array.isArray(kept.minutes) ? kept.minutes : []).filter(isStoredMinute);
      this.#models.set(model, { reference: kept.reference, minutes: new Map(minutes.map((minute) => [minute.start, minute])) });
    }
  }

  /** A prediction of `reference`'s version, in the minute it was made (unless older than the books keep). */
  add(reference: ModelReference, seen: SeenPrediction, now: number): void {
    const start = Math.floor(seen.predictedAt / MINUTE_MS) * MINUTE_MS;
    if (start <= now - this.#keptMs || start > now + MINUTE_MS) return;
    const minutes = this.#minutesOf(reference);
    let minute = minutes.get(start);
    if (minute === undefined) {
      minute = emptyMinute(start, reference);
      minutes.set(start, minute);
    }
    addTo(minute, reference, seen);
  }

  /**
   * Adds another book's minutes (metric's, of the predictions it recorded). Summaries
   * cut by different references do not add up: a version's minutes cut by another
   * reference than its current one (`currentTagOf`, referenceTag) are left out, and
   * this book's minutes of a version whose reference changed start again.
   */
  merge(other: StoredDriftBook, now: number, currentTagOf: (model: string) => string | undefined): void {
    for (const [model, kept] of Object.entries(other.models)) {
      if (kept.reference !== currentTagOf(model)) continue;
      let mine = this.#models.get(model);
      if (mine === undefined || mine.reference !== kept.reference) {
        mine = { reference: kept.reference, minutes: new Map() };
        this.#models.set(model, mine);
      }
      const { minutes } = mine;
      for (const minute of (Array.isArray(kept.minutes) ? kept.minutes : []).filter(isStoredMinute)) {
        if (minute.start <= now - this.#keptMs) continue;
        const into = minutes.get(minute.start);
        if (into === undefined) minutes.set(minute.start, structuredClone(minute));
        else mergeMinute(into, minute);
      }
    }
  }

  /** The summaries of the predictions made in [from, to). */
  window(reference: ModelReference, from: number, to: number): WindowSummary {
    const total = emptyMinute(from, reference);
    for (const minute of this.#minutesOf(reference).values()) {
      if (minute.start >= from && minute.start < to) mergeMinute(total, minute);
    }
    return { rows: total.prediction.n, features: total.features, categories: total.categories ?? {}, prediction: total.prediction };
  }

  toStored(now: number): StoredDriftBook {
    const models: Record<string, { reference: string; minutes: Minute[] }> = {};
    for (const [model, kept] of this.#models) {
      for (const start of kept.minutes.keys()) if (start <= now - this.#keptMs) kept.minutes.delete(start);
      if (kept.minutes.size === 0) {
        this.#models.delete(model);
        continue;
      }
      models[model] = { reference: kept.reference, minutes: [...kept.minutes.values()].sort((a, b) => a.start - b.start) };
    }
    return { version: 1, models };
  }

  /** The version's minutes, started again when they were cut by another reference. */
  #minutesOf(reference: ModelReference): Map<number, Minute> {
    const tag = referenceTag(reference);
    let kept = this.#models.get(reference.model);
    if (kept === undefined || kept.reference !== tag) {
      kept = { reference: tag, minutes: new Map() };
      this.#models.set(reference.model, kept);
    }
    return kept.minutes;
  }
}

/** A stored drift book, checked before it is trusted (a bad one starts empty). */
export function readStoredDriftBook(value: unknown): StoredDriftBook | undefined {
  const book = value as Partial<StoredDriftBook> | null;
  return book?.version === 1 && typeof book.models === 'object' && book.models !== null ? (book as StoredDriftBook) : undefined;
}
