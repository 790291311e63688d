/**
 * The log in bounded pieces, pure: in the bucket each log is a set of CSV objects that
 * never grow past a bound, one per hour of *logging* time (Hive-style, so Athena and
 * DuckDB read them as partitions):
 *
 *   metric_log/date=2026-12-03/hour=14/part-0000.csv
 *
 * Only the newest piece is ever appended to (an hour's rows, or APPEND_LIMIT_BYTES of
 * them and then the next part). A piece's first columns are the log's own (metric_log's
 * `id,y_true,y_pred,absolute_error`, the seed's); to their right, what analysts ask
 * for: the model version, when the prediction was made and when its true answer became
 * known (ISO 8601, empty when not known). The copy in LOGS_DIR (`metric_log.csv`) keeps
 * the seed's four columns alone.
 */
import { emittedAt } from '../messaging/recordIds.js';
import type { LogSpec, RowNotes } from './logFiles.js';

/**
 * The every-minute appends (compaction.ts) go to the newest piece while it is under
 * this, S3's smallest multipart part, and start the next part of the hour past it: an
 * append is then one rewrite of at most this many bytes, from memory, whatever the
 * history (no server-side copy of a growing object).
 */
export const APPEND_LIMIT_BYTES = 5 * 1024 * 1024;
/** A piece written whole (a restore, a migration) takes no more than this. */
export const MAX_PIECE_BYTES = 64 * 1024 * 1024;

/** The columns a piece adds to the right of the log's own. */
export const PIECE_EXTRA_COLUMNS = 'model,predicted_at,labelled_at';

export function pieceHeader(spec: LogSpec): string {
  return `${spec.header},${PIECE_EXTRA_COLUMNS}`;
}

const HOUR_MS = 60 * 60 * 1000;

export function hourOf(epochMs: number): number {
  return Math.floor(epochMs / HOUR_MS) * HOUR_MS;
}

/** `date=2026-12-03/hour=14/`: the Hive partition of an hour (UTC). */
export function hourPartition(epochMs: number): string {
  const iso = new Date(hourOf(epochMs)).toISOString();
  return `date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

export function pieceKey(spec: LogSpec, loggedAt: number, part = 0): string {
  return `${spec.piecePrefix}${hourPartition(loggedAt)}part-${String(part).padStart(4, '0')}.csv`;
}

/** The part number of a piece key, or undefined when the key is not one of the log's pieces. */
export function partOf(spec: LogSpec, key: string): number | undefined {
  const match = new RegExp(`^${spec.piecePrefix}date=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/part-(\\d{4})\\.csv$`).exec(key);
  return match ? Number(match[1]) : undefined;
}

/** The hour (epoch ms) a piece key is in, or undefined. */
export function hourOfPiece(spec: LogSpec, key: string): number | undefined {
  const match = new RegExp(`^${spec.piecePrefix}date=(\\d{4}-\\d{2}-\\d{2})/hour=(\\d{2})/`).exec(key);
  return match ? Date.parse(`${match[1]}T${match[2]}:00:00Z`) : undefined;
}

const isoOrEmpty = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? '' : new Date(ms).toISOString());
const msOrUndefined = (text: string | undefined): number | undefined => {
  if (text === undefined || text === '') return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
};

/** A row as a piece holds it: the log's line, then its model and its times. */
export function pieceLine(line: string, notes: RowNotes): string {
  return `${line},${notes.model ?? ''},${isoOrEmpty(notes.predictedAt)},${isoOrEmpty(notes.labelledAt)}`;
}

/** A piece's line back as the log's line and its notes (`loggedAt` stands in for the join time, which a piece does not keep). */
export function readPieceLine(spec: LogSpec, text: string, loggedAt: number): { readonly line: string; readonly notes: RowNotes } {
  const fields = text.split(',');
  const own = spec.header.split(',').length;
  const [model = '', predictedAt, labelledAt] = fields.slice(own);
  return {
    line: fields.slice(0, own).join(','),
    notes: {
      model: model === '' ? undefined : model,
      at: loggedAt,
      predictedAt: msOrUndefined(predictedAt),
      labelledAt: msOrUndefined(labelledAt),
    },
  };
}

/**
 * The time an id is filed under in the exactly-once index (idIndex.ts): when its
 * prediction was made, or, for ids that carry it, when they were emitted (`features`'s
 * own), else `otherwise` (the label's time, or when it was logged). A late copy of a
 * half is looked for under the same time, so it is found whatever the distance.
 */
export function anchorOf(id: string, notes: Pick<RowNotes, 'predictedAt'>, otherwise: number): number {
  return notes.predictedAt ?? emittedAt(id) ?? otherwise;
}
