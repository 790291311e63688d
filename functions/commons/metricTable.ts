/**
 * The metric table's logic, pure: how the halves of a record (y_true, y_pred) meet.
 *
 * The table holds only what is in flight: ids with one half (`pending`), rows that
 * are committed but not yet appended to metric_log.csv (`outbox`, numbered by
 * `seq`), and a bounded memory of recently completed ids (`completed`) so that a
 * duplicate arriving after its row was written is recognised and dropped instead of
 * starting a new pending record.
 */
import { type MetricRow, metricRow } from './csv.js';

export type HalfKind = 'y_true' | 'y_pred';

export interface Half {
  readonly kind: HalfKind;
  readonly id: string;
  readonly value: number;
}

export interface PendingRecord {
  readonly yTrue?: number;
  readonly yPred?: number;
  /** Epoch ms when the first half arrived. */
  readonly firstSeen: number;
}

export interface OutboxRow {
  readonly seq: number;
  readonly row: MetricRow;
}

export interface MetricTable {
  readonly version: 1;
  readonly pending: Readonly<Record<string, PendingRecord>>;
  /** Oldest first; at most `completedIdsKept` entries. */
  readonly completed: readonly string[];
  readonly outbox: readonly OutboxRow[];
  /** seq of the next committed row; seqs start at 1. */
  readonly nextSeq: number;
}

export const EMPTY_TABLE: MetricTable = { version: 1, pending: {}, completed: [], outbox: [], nextSeq: 1 };

export interface ApplyOutcome {
  readonly table: MetricTable;
  readonly newRows: readonly OutboxRow[];
  /** Halves already known (same value) or whose id was already completed. */
  readonly duplicates: number;
  /** Halves that contradict a value already recorded; the first value wins. */
  readonly conflicts: readonly { id: string; kind: HalfKind; kept: number; ignored: number }[];
}

function valueOf(record: PendingRecord, kind: HalfKind): number | undefined {
  return kind === 'y_true' ? record.yTrue : record.yPred;
}

function withHalf(record: PendingRecord | undefined, half: Half, now: number): PendingRecord {
  const base = record ?? { firstSeen: now };
  return half.kind === 'y_true' ? { ...base, yTrue: half.value } : { ...base, yPred: half.value };
}

/** Upserts `halves` into `table`; an id with both halves becomes a row in the outbox. */
export function applyHalves(
  table: MetricTable,
  halves: readonly Half[],
  now: number,
  completedIdsKept: number,
): ApplyOutcome {
  const pending: Record<string, PendingRecord> = { ...table.pending };
  const completedSet = new Set(table.completed);
  const completed = [...table.completed];
  const newRows: OutboxRow[] = [];
  const conflicts: { id: string; kind: HalfKind; kept: number; ignored: number }[] = [];
  let duplicates = 0;
  let nextSeq = table.nextSeq;

  for (const half of halves) {
    if (completedSet.has(half.id)) {
      duplicates++;
      continue;
    }
    const current = pending[half.id];
    const known = current === undefined ? undefined : valueOf(current, half.kind);
    if (known !== undefined) {
      if (Object.is(known, half.value)) duplicates++;
      else conflicts.push({ id: half.id, kind: half.kind, kept: known, ignored: half.value });
      continue;
    }
    const updated = withHalf(current, half, now);
    if (updated.yTrue !== undefined && updated.yPred !== undefined) {
      delete pending[half.id];
      newRows.push({ seq: nextSeq++, row: metricRow(half.id, updated.yTrue, updated.yPred) });
      completedSet.add(half.id);
      completed.push(half.id);
    } else {
      pending[half.id] = updated;
    }
  }

  const overflow = completed.length - completedIdsKept;
  return {
    table: {
      version: 1,
      pending,
      completed: overflow > 0 ? completed.slice(overflow) : completed,
      outbox: [...table.outbox, ...newRows],
      nextSeq,
    },
    newRows,
    duplicates,
    conflicts,
  };
}

/** Drops outbox rows up to and including `flushedSeq`: they are in metric_log.csv. */
export function acknowledgeFlushed(table: MetricTable, flushedSeq: number): MetricTable {
  if (!table.outbox.some((entry) => entry.seq <= flushedSeq)) return table;
  return { ...table, outbox: table.outbox.filter((entry) => entry.seq > flushedSeq) };
}

/** Reads a stored table, refusing anything that is not one (rather than silently resetting it). */
export function parseTable(text: string): MetricTable {
  const value = JSON.parse(text) as Partial<MetricTable>;
  if (
    value?.version !== 1 ||
    typeof value.pending !== 'object' ||
    !Array.isArray(value.completed) ||
    !Array.isArray(value.outbox) ||
    !Number.isInteger(value.nextSeq)
  ) {
    throw new Error('stored metric table is not a version-1 table');
  }
  return value as MetricTable;
}
