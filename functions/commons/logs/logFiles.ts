/**
 * The two append-only CSV logs the pipeline keeps in S3 (and mirrors to LOGS_DIR):
 * metric_log.csv, one row per completed id, and orphans.csv, one row per half whose
 * partner never came. Each is written as numbered segments and compacted into the
 * one file by `maintain` (see compaction.ts).
 */
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { checkMetricLine, formatFloat, logNumber, METRIC_LOG_HEADER } from './rowFormat.js';

export type LogName = 'metric_log' | 'orphans';

export interface LogSpec {
  readonly name: LogName;
  /** The whole log in one file: its name in LOGS_DIR (and the bucket's key of the one-object log of before the pieces). */
  readonly key: string;
  /** The bucket's pieces of the log (pieces.ts). */
  readonly piecePrefix: string;
  readonly header: string;
  /** Segments not yet compacted into `key`, named by their first line number. */
  readonly segmentPrefix: string;
  /** Why a line is not one of this log's rows, or undefined when it is one. */
  readonly problemOf: (line: string) => string | undefined;
}

const ORPHAN_HEADER = 'id,half,value,first_seen,reason';

/** Why an orphans.csv line is not a row (`id,half,value,first_seen,reason`), or undefined. */
export function orphanLineProblem(line: string): string | undefined {
  const fields = line.split(',');
  if (fields.length !== 5) return `${fields.length} field${fields.length === 1 ? '' : 's'}, not the 5 of ${ORPHAN_HEADER}`;
  const [id = '', half, value, firstSeen = ''] = fields;
  if (!/^[^\s"]+$/.test(id)) return 'the id is empty or holds spaces or quotes';
  if (half !== 'y_true' && half !== 'y_pred') return `half is "${half}", not y_true or y_pred`;
  if (logNumber(value) === undefined) return 'value must be a finite number';
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(firstSeen) || Number.isNaN(Date.parse(firstSeen))) return 'first_seen must be a UTC time';
  return undefined;
}

export const LOGS: Readonly<Record<LogName, LogSpec>> = {
  metric_log: {
    name: 'metric_log',
    key: BUCKET_KEYS.metricLog,
    piecePrefix: BUCKET_KEYS.metricLogPieces,
    header: METRIC_LOG_HEADER,
    segmentPrefix: BUCKET_KEYS.metricLogSegments,
    problemOf: (line) => {
      const row = checkMetricLine(line);
      return typeof row === 'string' ? row : undefined;
    },
  },
  orphans: {
    name: 'orphans',
    key: BUCKET_KEYS.orphanLog,
    piecePrefix: BUCKET_KEYS.orphanLogPieces,
    header: ORPHAN_HEADER,
    segmentPrefix: BUCKET_KEYS.orphanLogSegments,
    problemOf: orphanLineProblem,
  },
};

export function formatOrphanLine(orphan: { id: string; half: string; value: number; firstSeen: number; reason: string }): string {
  return [orphan.id, orphan.half, formatFloat(orphan.value), new Date(orphan.firstSeen).toISOString(), orphan.reason].join(',');
}

/** Object metadata holding the number of the last line appended to a piece (lines are numbered from 1). */
export const LAST_LINE_METADATA = 'last-seq';

export function linesToText(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

export function textToLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/**
 * What a segment line carries beside the row itself, for metrics.json and the log's
 * pieces: the model version of its prediction, when it was joined, and when its
 * prediction was made and its true answer became known. After tabs (no id, number or
 * version holds one); the copy in LOGS_DIR keeps the seed's four columns.
 */
export interface RowNotes {
  readonly model: string | undefined;
  /** Epoch ms the row was joined. */
  readonly at: number;
  /** Epoch ms of the prediction and of the true answer; undefined in lines written before they were kept. */
  readonly predictedAt?: number | undefined;
  readonly labelledAt?: number | undefined;
  /** What `metric` read in the prediction's inputs (arrivals.ts): its estimated error and its segments. */
  readonly estimate?: number | undefined;
  readonly segments?: readonly (readonly [string, string])[] | undefined;
}

const timeNote = (ms: number | undefined): string => (ms === undefined ? '' : String(ms));
/** A number note back (a time, an estimate); undefined when empty. */
const readNumberNote = (text: string | undefined): number | undefined => (text === undefined || text === '' ? undefined : Number(text));

export function annotate(line: string, notes: RowNotes): string {
  const noted = `${line}\t${notes.model ?? ''}\t${notes.at}\t${timeNote(notes.predictedAt)}\t${timeNote(notes.labelledAt)}`;
  if (notes.estimate === undefined && (notes.segments ?? []).length === 0) return noted;
  // JSON holds no tab or newline unescaped.
  const segments = (notes.segments ?? []).length === 0 ? '' : JSON.stringify(notes.segments);
  return `${noted}\t${notes.estimate ?? ''}\t${segments}`;
}

/** The segments note back, or undefined when it is none (or not the pairs it must be). */
function readSegmentsNote(text: string | undefined): [string, string][] | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    const pairs = Array.isArray(value) ? value : [];
    return pairs.length > 0 &&
      pairs.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((part) => typeof part === 'string'))
      ? (pairs as [string, string][])
      : undefined;
  } catch {
    return undefined;
  }
}

/** A segment line's log line and its notes; a line without notes (older segments) gets `fallbackAt`. */
export function splitAnnotated(line: string, fallbackAt: number): { readonly line: string; readonly notes: RowNotes } {
  const [logLine = '', model = '', at, predictedAt, labelledAt, estimateNote, segmentsNote] = line.split('\t');
  const estimate = readNumberNote(estimateNote);
  const segments = readSegmentsNote(segmentsNote);
  return {
    line: logLine,
    notes: {
      model: model === '' ? undefined : model,
      at: at === undefined ? fallbackAt : Number(at),
      predictedAt: readNumberNote(predictedAt),
      labelledAt: readNumberNote(labelledAt),
      ...(estimate !== undefined && Number.isFinite(estimate) ? { estimate } : {}),
      ...(segments === undefined ? {} : { segments }),
    },
  };
}
