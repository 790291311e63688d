/**
 * The books behind metrics.json, pure: one aggregate for all rows, one per model
 * version, one per minute (the last day) and one per hour (the last 30 days) of
 * *prediction* time, and the orphans by the half they kept. `maintain` adds the rows
 * and orphans each compaction appends, stores the books (state/metrics-book.json) and
 * publishes the document.
 *
 * Time is when the prediction was made: a backfill lands in its own minutes and hours,
 * and a label that comes late updates the minute and hour of its prediction, even one
 * closed long ago (sums merge). A period is open (sums and a sketch of |error|) for its
 * first OPEN_MINUTES, resp. OPEN_HOURS; then it closes: its sums go on taking rows and
 * its quantiles are kept as they were (a sketch per period would make the books grow
 * with the traffic). So the books' size is bounded whatever the log's length or the
 * rate: at most a day of minutes and 30 days of hours. A row whose prediction time is
 * unknown (a log migrated from before times were kept) counts in the totals only, as
 * does one predicted before the hours' window.
 */
import type { RowNotes } from '../logs/logFiles.js';
import { checkMetricLine } from '../logs/rowFormat.js';
import {
  type Aggregate,
  addPrediction,
  addRow,
  addToSums,
  type ClosedAggregate,
  closeAggregate,
  emptyAggregate,
  fromStored,
  type PredictionNote,
  type StoredAggregate,
  type Summary,
  type Sums,
  summarize,
  toStored,
  withEstimateSums,
} from './aggregate.js';
import { MAX_SEGMENT_VALUES, OTHER_SEGMENT } from './segments.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** Minutes kept in metrics.json: a day. */
export const WINDOW_MINUTES = 24 * 60;
/** Hours kept in metrics.json: 30 days. */
export const WINDOW_HOURS = 30 * 24;
/** A minute keeps its sketch this long after it starts, an hour likewise: then its quantiles are final. */
export const OPEN_MINUTES = 60;
export const OPEN_HOURS = 2;

export interface StoredBook {
  readonly version: 2;
  /** metric_log and orphans rows these books hold. */
  readonly rows: number;
  readonly orphanRows: number;
  readonly orphanedPredictions: number;
  readonly totals: StoredAggregate;
  readonly models: Readonly<Record<string, StoredAggregate>>;
  readonly minutes: readonly StoredPeriod[];
  readonly hours: readonly StoredPeriod[];
  /** Per model version, its minutes and hours (absent in books written before they were kept). */
  readonly modelMinutes?: Readonly<Record<string, readonly StoredPeriod[]>>;
  readonly modelHours?: Readonly<Record<string, readonly StoredPeriod[]>>;
  /** Per SEGMENT_BY rule, per segment, its aggregate (absent before segments were kept). */
  readonly segments?: Readonly<Record<string, Readonly<Record<string, StoredAggregate>>>>;
}

/** An open period has its aggregate (with the sketch); a closed one its sums and final quantiles. */
type StoredPeriod =
  | { readonly start: number; readonly aggregate: StoredAggregate }
  | { readonly start: number; readonly closed: ClosedAggregate };

type Period = { readonly start: number; aggregate: Aggregate } | { readonly start: number; closed: ClosedAggregate };

export type PeriodSummary = { readonly start: string } & Summary;

export interface MetricsDocument {
  readonly updated_at: string;
  readonly totals: Summary;
  /** By prediction time: each minute of the last day, and each hour of the last 30 days, that holds a row. */
  readonly minutes: readonly PeriodSummary[];
  readonly hours: readonly PeriodSummary[];
  readonly models: Readonly<Record<string, Summary>>;
  /** Per model version, its minutes of the last day and hours of the last 30 days, as `minutes` and `hours`. */
  readonly models_minutes: Readonly<Record<string, readonly PeriodSummary[]>>;
  readonly models_hours: Readonly<Record<string, readonly PeriodSummary[]>>;
  /** Per SEGMENT_BY rule (`sex`, `age:4`), per segment (a category, or `Q1` … `Qk`), every figure. */
  readonly segments: Readonly<Record<string, Readonly<Record<string, Summary>>>>;
  /** The segment with the highest MAE among those with at least MIN_SEGMENT_ROWS labelled rows; null: none yet. */
  readonly worst_segment: WorstSegment | null;
  /** Predictions that got their true answer: rows / (rows + orphaned and pending predictions); null before any. */
  readonly label_coverage: number | null;
  readonly orphans: number;
  readonly pending: number;
  /** Messages in the dead-letter queues; null when they could not be counted. */
  readonly dead_letters: number | null;
}

/** What the document needs besides the books: the join table's and the queues' state. */
export interface Surroundings {
  readonly pending: number;
  readonly pendingPredictions: number;
  readonly deadLetters: number | null;
  /**
   * The predictions waiting for their label now (the join table's): they count as
   * unlabelled, with their estimates, in their model and periods, for this document
   * only; once labelled or orphaned they count from the logs.
   */
  readonly waiting?: readonly WaitingPrediction[];
}

export interface WaitingPrediction {
  readonly model: string | undefined;
  readonly predictedAt: number | undefined;
  readonly estimate: number | undefined;
  readonly segments?: readonly (readonly [string, string])[];
}

export interface WorstSegment {
  /** The SEGMENT_BY rule and the segment. */
  readonly by: string;
  readonly segment: string;
  readonly mae: number;
  readonly n: number;
}

/** A segment needs this many labelled rows to be named the worst: fewer, and its MAE is mostly noise. */
export const MIN_SEGMENT_ROWS = 30;

/** What a prediction adds besides its line: its estimated error, and its segments ([rule, segment] pairs). */
export interface PredictionExtras {
  readonly estimate?: number | undefined;
  readonly segments?: readonly (readonly [string, string])[];
}

/** How a kind of period is kept: its length, how long it stays open, how many are kept. */
interface PeriodRule {
  readonly ms: number;
  readonly openMs: number;
  readonly keptMs: number;
}

const MINUTES: PeriodRule = { ms: MINUTE_MS, openMs: OPEN_MINUTES * MINUTE_MS, keptMs: WINDOW_MINUTES * MINUTE_MS };
const HOURS: PeriodRule = { ms: HOUR_MS, openMs: OPEN_HOURS * HOUR_MS, keptMs: WINDOW_HOURS * HOUR_MS };

/** The periods of one kind (minutes, or hours), by their start. */
class Periods {
  readonly #rule: PeriodRule;
  readonly #periods = new Map<number, Period>();

  constructor(rule: PeriodRule, stored: readonly StoredPeriod[] = []) {
    this.#rule = rule;
    for (const period of stored) {
      this.#periods.set(
        period.start,
        'aggregate' in period
          ? { start: period.start, aggregate: fromStored(period.aggregate) }
          : { ...period, closed: withEstimateSums(period.closed) },
      );
    }
  }

  /** Adds a prediction made at `at` to its period, unless that is past the window (or more than a period ahead of `now`). */
  add(at: number, now: number, entry: BookEntry): void {
    const start = this.startOf(at);
    if (start <= now - this.#rule.keptMs || start > now + this.#rule.ms) return;
    const period = this.#periods.get(start);
    if (period === undefined) {
      const opened = { start, aggregate: emptyAggregate() };
      addEntry(opened.aggregate, entry);
      // Past its open time already (a backfill): it starts closed, its quantiles those of its first rows.
      this.#periods.set(start, start < now - this.#rule.openMs ? { start, closed: closeAggregate(opened.aggregate) } : opened);
    } else {
      addEntry('aggregate' in period ? period.aggregate : period.closed, entry);
    }
  }

  startOf(at: number): number {
    return Math.floor(at / this.#rule.ms) * this.#rule.ms;
  }

  /** The periods' summaries, with the waiting predictions (`waiting`: their estimate sums by period start) added. */
  summaries(now: number, waiting: ReadonlyMap<number, Sums> = new Map()): PeriodSummary[] {
    const starts = new Set([...this.#periods.keys(), ...waiting.keys()]);
    return [...starts]
      .filter((start) => start > now - this.#rule.keptMs)
      .sort((a, b) => a - b)
      .map((start) => {
        const period = this.#periods.get(start);
        const figures = period === undefined ? emptyAggregate() : 'aggregate' in period ? period.aggregate : period.closed;
        return { start: new Date(start).toISOString(), ...summarize(figures, waiting.get(start)) };
      });
  }

  /** As stored: periods past the window dropped, those past their open time closed. */
  toStored(now: number): StoredPeriod[] {
    const stored: StoredPeriod[] = [];
    for (const period of [...this.#periods.values()].sort((a, b) => a.start - b.start)) {
      if (period.start <= now - this.#rule.keptMs) {
        this.#periods.delete(period.start);
      } else if ('aggregate' in period && period.start < now - this.#rule.openMs) {
        const closed = { start: period.start, closed: closeAggregate(period.aggregate) };
        this.#periods.set(period.start, closed);
        stored.push(closed);
      } else {
        stored.push('aggregate' in period ? { start: period.start, aggregate: toStored(period.aggregate) } : period);
      }
    }
    return stored;
  }
}

/** What one prediction adds to a set: its row (when labelled) and its estimate and label state. */
interface BookEntry {
  readonly row?: { readonly yTrue: number; readonly yPred: number; readonly absError: number };
  readonly prediction: PredictionNote;
}

function addEntry(target: Aggregate | ClosedAggregate, entry: BookEntry): void {
  if (entry.row !== undefined) {
    const { yTrue, yPred, absError } = entry.row;
    if ('sketch' in target) addRow(target, yTrue, yPred, absError);
    else addToSums(target, yTrue, yPred, absError);
  }
  addPrediction(target, entry.prediction);
}

/** The waiting predictions' estimate sums, by key (a model, a period's start, a segment): those `keysOf` gives each. */
function waitingSums<K>(waiting: readonly WaitingPrediction[], keysOf: (prediction: WaitingPrediction) => Iterable<K>): Map<K, Sums> {
  const sums = new Map<K, Sums>();
  for (const prediction of waiting) {
    for (const key of keysOf(prediction)) {
      let into = sums.get(key);
      if (into === undefined) {
        const { sketch: _, ...empty } = emptyAggregate();
        into = empty;
        sums.set(key, into);
      }
      addPrediction(into, { estimate: prediction.estimate, labelled: false });
    }
  }
  return sums;
}

const some = <T>(value: T | undefined): T[] => (value === undefined ? [] : [value]);

export class MetricsBook {
  rows = 0;
  orphanRows = 0;
  #orphanedPredictions = 0;
  readonly #totals: Aggregate;
  readonly #models = new Map<string, Aggregate>();
  readonly #minutes: Periods;
  readonly #hours: Periods;
  readonly #modelMinutes = new Map<string, Periods>();
  readonly #modelHours = new Map<string, Periods>();
  readonly #segments = new Map<string, Map<string, Aggregate>>();

  constructor(stored?: StoredBook) {
    this.#totals = stored ? fromStored(stored.totals) : emptyAggregate();
    this.#minutes = new Periods(MINUTES, stored?.minutes);
    this.#hours = new Periods(HOURS, stored?.hours);
    if (stored === undefined) return;
    this.rows = stored.rows;
    this.orphanRows = stored.orphanRows;
    this.#orphanedPredictions = stored.orphanedPredictions;
    for (const [model, aggregate] of Object.entries(stored.models)) this.#models.set(model, fromStored(aggregate));
    for (const [model, periods] of Object.entries(stored.modelMinutes ?? {})) this.#modelMinutes.set(model, new Periods(MINUTES, periods));
    for (const [model, periods] of Object.entries(stored.modelHours ?? {})) this.#modelHours.set(model, new Periods(HOURS, periods));
    for (const [rule, segments] of Object.entries(stored.segments ?? {})) {
      this.#segments.set(rule, new Map(Object.entries(segments).map(([segment, aggregate]) => [segment, fromStored(aggregate)])));
    }
  }

  /**
   * A metric_log.csv line and its notes (undefined: nothing known but the row), with
   * the loss model's estimate of its error (undefined: its model has no reference). It
   * counts in the minute and hour of its prediction; a row whose prediction time is not
   * known (migrated, or written before times were kept) in the totals only. A line that
   * is no row is not counted, and false says so (the caller reports it).
   */
  addRow(line: string, notes: RowNotes | undefined, now: number, extras: PredictionExtras = {}): boolean {
    const row = checkMetricLine(line);
    if (typeof row === 'string') return false;
    this.rows += 1;
    this.#add(
      notes,
      now,
      {
        row: { yTrue: row.yTrue, yPred: row.yPred, absError: row.absoluteError },
        prediction: { estimate: extras.estimate, labelled: true },
      },
      extras.segments,
    );
    return true;
  }

  /**
   * An orphans.csv line (`id,half,value,first_seen,reason`) and its notes. An orphaned
   * prediction counts as unlabelled, with its estimate, in its model and periods.
   */
  addOrphan(line: string, notes?: RowNotes, now: number = Date.now(), extras: PredictionExtras = {}): void {
    this.orphanRows += 1;
    if (line.split(',')[1] !== 'y_pred') return;
    this.#orphanedPredictions += 1;
    this.#add(notes, now, { prediction: { estimate: extras.estimate, labelled: false } }, extras.segments);
  }

  document(now: number, around: Surroundings): MetricsDocument {
    const predictions = this.rows + this.#orphanedPredictions + around.pendingPredictions;
    const waiting = around.waiting ?? [];
    const all = waitingSums(waiting, () => ['all']);
    const byModel = waitingSums(waiting, (prediction) => some(prediction.model));
    const models = new Set([...this.#models.keys(), ...byModel.keys()]);
    const periods = (rule: Periods, model: string | undefined) =>
      waitingSums(waiting, (prediction) =>
        prediction.predictedAt === undefined || prediction.model !== model ? [] : [rule.startOf(prediction.predictedAt)],
      );
    const allPeriods = (rule: Periods) =>
      waitingSums(waiting, (prediction) => (prediction.predictedAt === undefined ? [] : [rule.startOf(prediction.predictedAt)]));
    const perModel = (kept: Map<string, Periods>, rule: PeriodRule) =>
      Object.fromEntries(
        [...models].map((model) => {
          const own = kept.get(model) ?? new Periods(rule);
          return [model, own.summaries(now, periods(own, model))];
        }),
      );
    return {
      updated_at: new Date(now).toISOString(),
      totals: summarize(this.#totals, all.get('all')),
      minutes: this.#minutes.summaries(now, allPeriods(this.#minutes)),
      hours: this.#hours.summaries(now, allPeriods(this.#hours)),
      models: Object.fromEntries(
        [...models].map((model) => [model, summarize(this.#models.get(model) ?? emptyAggregate(), byModel.get(model))]),
      ),
      models_minutes: perModel(this.#modelMinutes, MINUTES),
      models_hours: perModel(this.#modelHours, HOURS),
      ...this.#segmentFigures(waiting),
      label_coverage: predictions === 0 ? null : this.rows / predictions,
      orphans: this.orphanRows,
      pending: around.pending,
      dead_letters: around.deadLetters,
    };
  }

  /** The books as stored: periods past their windows dropped, those past their open time closed. */
  toStored(now: number): StoredBook {
    const stored = (kept: Map<string, Periods>) => Object.fromEntries([...kept].map(([model, periods]) => [model, periods.toStored(now)]));
    return {
      version: 2,
      rows: this.rows,
      orphanRows: this.orphanRows,
      orphanedPredictions: this.#orphanedPredictions,
      totals: toStored(this.#totals),
      models: Object.fromEntries([...this.#models].map(([model, aggregate]) => [model, toStored(aggregate)])),
      minutes: this.#minutes.toStored(now),
      hours: this.#hours.toStored(now),
      modelMinutes: stored(this.#modelMinutes),
      modelHours: stored(this.#modelHours),
      segments: Object.fromEntries(
        [...this.#segments].map(([rule, segments]) => [
          rule,
          Object.fromEntries([...segments].map(([segment, aggregate]) => [segment, toStored(aggregate)])),
        ]),
      ),
    };
  }

  /** Each rule's segments' figures (waiting predictions' estimates added), and the worst segment by MAE. */
  #segmentFigures(waiting: readonly WaitingPrediction[]): Pick<MetricsDocument, 'segments' | 'worst_segment'> {
    // A rule's name and a segment joined by a character neither holds.
    const keyOf = (rule: string, segment: string) => `${rule}\u0000${segment}`;
    const bySegment = waitingSums(waiting, (prediction) => (prediction.segments ?? []).map(([rule, segment]) => keyOf(rule, segment)));
    const kept = [...this.#segments].flatMap(([rule, segments]) => [...segments.keys()].map((segment) => keyOf(rule, segment)));
    const segments: Record<string, Record<string, Summary>> = {};
    for (const key of new Set([...kept, ...bySegment.keys()])) {
      const [rule = '', segment = ''] = key.split('\u0000');
      const own = this.#segments.get(rule)?.get(segment) ?? emptyAggregate();
      segments[rule] = { ...segments[rule], [segment]: summarize(own, bySegment.get(key)) };
    }
    let worst: WorstSegment | null = null;
    for (const [by, ofRule] of Object.entries(segments)) {
      for (const [segment, figures] of Object.entries(ofRule)) {
        if (figures.n >= MIN_SEGMENT_ROWS && figures.mae !== null && (worst === null || figures.mae > worst.mae))
          worst = { by, segment, mae: figures.mae, n: figures.n };
      }
    }
    return { segments, worst_segment: worst };
  }

  /** One prediction into the totals, its model's aggregate, its segments, and the periods (all, and its model's) of its time. */
  #add(notes: RowNotes | undefined, now: number, entry: BookEntry, segments: PredictionExtras['segments'] = []): void {
    addEntry(this.#totals, entry);
    for (const [rule, segment] of segments) addEntry(this.#segmentAggregate(rule, segment), entry);
    const model = notes?.model;
    if (model !== undefined) addEntry(this.#aggregateOf(model), entry);
    const predictedAt = notes?.predictedAt;
    if (predictedAt === undefined) return;
    this.#minutes.add(predictedAt, now, entry);
    this.#hours.add(predictedAt, now, entry);
    if (model === undefined) return;
    periodsOf(this.#modelMinutes, model, MINUTES).add(predictedAt, now, entry);
    periodsOf(this.#modelHours, model, HOURS).add(predictedAt, now, entry);
  }

  /** A segment's aggregate; past MAX_SEGMENT_VALUES segments of a rule, the shared OTHER_SEGMENT's. */
  #segmentAggregate(rule: string, segment: string): Aggregate {
    let kept = this.#segments.get(rule);
    if (kept === undefined) {
      kept = new Map();
      this.#segments.set(rule, kept);
    }
    const name = kept.has(segment) || kept.size < MAX_SEGMENT_VALUES ? segment : OTHER_SEGMENT;
    let aggregate = kept.get(name);
    if (aggregate === undefined) {
      aggregate = emptyAggregate();
      kept.set(name, aggregate);
    }
    return aggregate;
  }

  #aggregateOf(model: string): Aggregate {
    let aggregate = this.#models.get(model);
    if (aggregate === undefined) {
      aggregate = emptyAggregate();
      this.#models.set(model, aggregate);
    }
    return aggregate;
  }
}

function periodsOf(kept: Map<string, Periods>, model: string, rule: PeriodRule): Periods {
  let periods = kept.get(model);
  if (periods === undefined) {
    periods = new Periods(rule);
    kept.set(model, periods);
  }
  return periods;
}

/**
 * A stored book, checked before it is trusted (a bad one is rebuilt). A version-1 book
 * (minutes by join time, closed ones as summaries without their sums) keeps its totals,
 * models and counts; its minutes, which could not take late labels, are let go.
 */
export function readStoredBook(value: unknown): StoredBook | undefined {
  const book = value as (Partial<Omit<StoredBook, 'version'>> & { version?: number }) | null;
  if (typeof book?.rows !== 'number' || typeof book.totals !== 'object' || book.totals === null) return undefined;
  if (book.version === 2 && Array.isArray(book.minutes) && Array.isArray(book.hours)) return book as StoredBook;
  if (book.version === 1) return { ...(book as Omit<StoredBook, 'version'>), version: 2, minutes: [], hours: [] };
  return undefined;
}
