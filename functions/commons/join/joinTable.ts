/**
 * The join table's logic, pure: how the halves of a record (y_true, y_pred) meet,
 * and what becomes of a half whose partner never comes.
 *
 * The table holds only what is in flight: ids with one half (`pending`), and lines
 * that are committed but not yet written as log segments (`outbox`, numbered per log
 * by `nextSeq`). It remembers no settled id: a half of an id already logged or
 * orphaned, arriving later, is pending again until `maintain`, which knows every id
 * in the logs, drops it (`dropSettled`), and a line for such an id never reaches a
 * log (compaction.ts). So exactly once holds at any age, and the table's size follows
 * the traffic in flight, not the history.
 */

import type { StoredDriftBook } from '../drift/driftBook.js';
import { annotate, formatOrphanLine, type LogName, type RowNotes } from '../logs/logFiles.js';
import { formatMetricRow, type MetricRow, metricRow } from '../logs/rowFormat.js';

export type HalfKind = 'y_true' | 'y_pred';

export interface Half {
  readonly kind: HalfKind;
  readonly id: string;
  readonly value: number;
  /** The version of the model that made a prediction (y_pred only). */
  readonly model?: string;
  /** Epoch ms of its event: when the prediction was made, or the true answer became known. */
  readonly at?: number;
  /** What `metric` read in a prediction's inputs as it came (arrivals.ts): kept with it until its line. */
  readonly estimate?: number;
  readonly segments?: readonly (readonly [string, string])[];
}

export interface PendingRecord {
  readonly yTrue?: number;
  readonly yPred?: number;
  readonly model?: string;
  /** Epoch ms when the first half arrived. */
  readonly firstSeen: number;
  /** Epoch ms of the prediction, and of the true answer, when known. */
  readonly predictedAt?: number;
  readonly labelledAt?: number;
  /** The loss model's estimate of the prediction's error, and its segments, when its inputs gave them. */
  readonly estimate?: number;
  readonly segments?: readonly (readonly [string, string])[];
}

/** Lines for one log, numbered firstSeq, firstSeq + 1, …: one future segment. */
export interface OutboxBatch {
  readonly log: LogName;
  readonly firstSeq: number;
  readonly lines: readonly string[];
}

export interface MetricTable {
  readonly version: 3;
  readonly pending: Readonly<Record<string, PendingRecord>>;
  readonly outbox: readonly OutboxBatch[];
  /** Number of the next line of each log; numbers start at 1. */
  readonly nextSeq: Readonly<Record<LogName, number>>;
  /** Records orphaned since the table was created. */
  readonly orphanCount: number;
  /**
   * The drift books of the predictions recorded since `maintain` last took them
   * (metric adds each new prediction's inputs on arrival, arrivals.ts), and what
   * maintain took, by number, kept until the drift book that counts it is stored: a
   * maintain that dies in between takes it again, and counts it once (takeDrift).
   */
  readonly drift?: StoredDriftBook;
  readonly driftTaken?: readonly DriftTaken[];
}

/** How many takes of drift no stored book counts yet the table holds at most. */
export const MAX_UNCOUNTED_TAKES = 3;

/** Drift books maintain took out of the table: the `number`th. */
export interface DriftTaken {
  readonly number: number;
  readonly drift: StoredDriftBook;
}

export const EMPTY_TABLE: MetricTable = {
  version: 3,
  pending: {},
  outbox: [],
  nextSeq: { metric_log: 1, orphans: 1 },
  orphanCount: 0,
};

/**
 * A new table whose lines follow logs that already hold `lastLines` lines (restored
 * from LOGS_DIR after the local cloud came back empty), so numbering goes on.
 */
export function tableAfter(lastLines: Readonly<Record<LogName, number>>): MetricTable {
  if (lastLines.metric_log === 0 && lastLines.orphans === 0) return EMPTY_TABLE;
  return {
    ...EMPTY_TABLE,
    nextSeq: { metric_log: lastLines.metric_log + 1, orphans: lastLines.orphans + 1 },
    orphanCount: lastLines.orphans,
  };
}

/** Whether a pending id is already in a log (its record tells when it happened, where the log files it). */
export type SettledCheck = (id: string, record: PendingRecord) => boolean;

export interface TableRules {
  /** A half waiting longer than this for its partner is orphaned. */
  readonly orphanTtlMs: number;
}

export interface Orphan {
  readonly id: string;
  readonly half: HalfKind;
  readonly value: number;
  readonly firstSeen: number;
  readonly reason: string;
  /** The half's record as it waited: its model and event times travel as the orphan line's notes. */
  readonly record: PendingRecord;
}

export interface Conflict {
  readonly id: string;
  readonly kind: HalfKind;
  readonly kept: number;
  readonly ignored: number;
}

export interface ApplyOutcome<H extends Half = Half> {
  readonly table: MetricTable;
  readonly newRows: readonly MetricRow[];
  readonly orphans: readonly Orphan[];
  /** Halves already pending with the same value. */
  readonly duplicates: number;
  /** Halves that contradict a value already recorded; the first value wins. */
  readonly conflicts: readonly Conflict[];
  /** The halves recorded: neither duplicates nor conflicts. */
  readonly accepted: readonly H[];
}

function halfValue(record: PendingRecord, kind: HalfKind): number | undefined {
  return kind === 'y_true' ? record.yTrue : record.yPred;
}

function withHalf(record: PendingRecord | undefined, half: Half, now: number): PendingRecord {
  const base = record ?? { firstSeen: now };
  if (half.kind === 'y_true') return { ...base, yTrue: half.value, ...(half.at === undefined ? {} : { labelledAt: half.at }) };
  return {
    ...base,
    yPred: half.value,
    ...(half.model === undefined ? {} : { model: half.model }),
    ...(half.at === undefined ? {} : { predictedAt: half.at }),
    ...(half.estimate === undefined ? {} : { estimate: half.estimate }),
    ...(half.segments === undefined || half.segments.length === 0 ? {} : { segments: half.segments }),
  };
}

/** What a line carries beside itself (logFiles.ts's notes): its model, when it was joined, and its event times. */
function notesOf(record: PendingRecord, now: number): RowNotes {
  return {
    model: record.model,
    at: now,
    predictedAt: record.predictedAt,
    labelledAt: record.labelledAt,
    estimate: record.estimate,
    segments: record.segments,
  };
}

function orphanOf(id: string, record: PendingRecord, ttlMs: number): Orphan {
  const half: HalfKind = record.yTrue !== undefined ? 'y_true' : 'y_pred';
  const missing: HalfKind = half === 'y_true' ? 'y_pred' : 'y_true';
  return {
    id,
    half,
    value: (half === 'y_true' ? record.yTrue : record.yPred) as number,
    firstSeen: record.firstSeen,
    reason: `no ${missing} within ${Math.round(ttlMs / 1000)} s`,
    record,
  };
}

/**
 * Upserts `halves` into `table`: an id with both halves becomes a metric_log line,
 * a half older than the TTL becomes an orphans line. Returns the same table object
 * when nothing changed, so callers can skip the write.
 */
export function applyHalves<H extends Half>(table: MetricTable, halves: readonly H[], now: number, rules: TableRules): ApplyOutcome<H> {
  const pending: Record<string, PendingRecord> = { ...table.pending };
  const newRows: MetricRow[] = [];
  const newRowNotes: RowNotes[] = [];
  const conflicts: Conflict[] = [];
  const accepted: H[] = [];
  let duplicates = 0;
  let changed = false;

  for (const half of halves) {
    const current = pending[half.id];
    const known = current === undefined ? undefined : halfValue(current, half.kind);
    if (known !== undefined) {
      if (Object.is(known, half.value)) duplicates++;
      else conflicts.push({ id: half.id, kind: half.kind, kept: known, ignored: half.value });
      continue;
    }
    changed = true;
    accepted.push(half);
    const updated = withHalf(current, half, now);
    if (updated.yTrue !== undefined && updated.yPred !== undefined) {
      delete pending[half.id];
      newRows.push(metricRow(half.id, updated.yTrue, updated.yPred));
      newRowNotes.push(notesOf(updated, now));
    } else {
      pending[half.id] = updated;
    }
  }

  const orphans: Orphan[] = [];
  for (const [id, record] of Object.entries(pending)) {
    if (now - record.firstSeen >= rules.orphanTtlMs) {
      orphans.push(orphanOf(id, record, rules.orphanTtlMs));
      delete pending[id];
    }
  }

  // Only duplicates and conflicts: nothing to write.
  if (!changed && orphans.length === 0) return { table, newRows, orphans, duplicates, conflicts, accepted };

  const outbox = [...table.outbox];
  const nextSeq = { ...table.nextSeq };
  if (newRows.length > 0) {
    const lines = newRows.map((row, i) => annotate(formatMetricRow(row), newRowNotes[i] as RowNotes));
    outbox.push({ log: 'metric_log', firstSeq: nextSeq.metric_log, lines });
    nextSeq.metric_log += newRows.length;
  }
  if (orphans.length > 0) {
    const lines = orphans.map((orphan) => annotate(formatOrphanLine(orphan), notesOf(orphan.record, now)));
    outbox.push({ log: 'orphans', firstSeq: nextSeq.orphans, lines });
    nextSeq.orphans += orphans.length;
  }
  return {
    table: { ...table, pending, outbox, nextSeq, orphanCount: table.orphanCount + orphans.length },
    newRows,
    orphans,
    duplicates,
    conflicts,
    accepted,
  };
}

/**
 * maintain's part of the drift hand-over: forgets what a stored drift book already
 * counts (`countedUpTo`, the highest number it took), and takes the drift metric added
 * since, as the next number. Returns the same table when there was nothing to do.
 */
export function takeDrift(table: MetricTable, countedUpTo: number): MetricTable {
  const kept = (table.driftTaken ?? []).filter((taken) => taken.number > countedUpTo);
  // While stored books count none of several takes (maintain fails to store them), what metric adds waits
  // where it is, a book bounded by its minutes, instead of piling up here.
  const hasDrift = table.drift !== undefined && Object.keys(table.drift.models).length > 0 && kept.length < MAX_UNCOUNTED_TAKES;
  if (!hasDrift && kept.length === (table.driftTaken ?? []).length) return table;
  const { drift, driftTaken: _, ...rest } = table;
  const last = Math.max(countedUpTo, ...kept.map((taken) => taken.number));
  const taken = hasDrift && drift !== undefined ? [...kept, { number: last + 1, drift }] : kept;
  return { ...rest, ...(taken.length > 0 ? { driftTaken: taken } : {}) };
}

/** Drops the given batches from the outbox: their segments are written. */
export function acknowledgeWritten(table: MetricTable, written: readonly Pick<OutboxBatch, 'log' | 'firstSeq'>[]): MetricTable {
  const done = new Set(written.map((batch) => `${batch.log}:${batch.firstSeq}`));
  const outbox = table.outbox.filter((batch) => !done.has(`${batch.log}:${batch.firstSeq}`));
  return outbox.length === table.outbox.length ? table : { ...table, outbox };
}

/**
 * Drops the pending ids `isSettled` knows (already in a log): late duplicates, which
 * count as such. Returns the same table when there were none.
 */
export function dropSettled(table: MetricTable, isSettled: SettledCheck): { table: MetricTable; duplicates: number } {
  const settled = Object.entries(table.pending)
    .filter(([id, record]) => isSettled(id, record))
    .map(([id]) => id);
  if (settled.length === 0) return { table, duplicates: 0 };
  const pending = { ...table.pending };
  for (const id of settled) delete pending[id];
  return { table: { ...table, pending }, duplicates: settled.length };
}

/**
 * Reads a stored table, refusing anything that is not one (rather than silently
 * resetting it). A version-2 table (which kept settled ids) is read as version 3.
 */
export function parseTable(text: string): MetricTable {
  const value = JSON.parse(text) as Partial<MetricTable> & { version?: number; settled?: unknown };
  if (
    (value?.version !== 3 && value?.version !== 2) ||
    typeof value.pending !== 'object' ||
    !Array.isArray(value.outbox) ||
    typeof value.nextSeq !== 'object'
  ) {
    throw new Error('stored metric table is not a version-3 (or 2) table');
  }
  const { settled: _, ...table } = value;
  return { ...(table as MetricTable), version: 3 };
}
