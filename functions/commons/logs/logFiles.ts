/**
 * The two append-only CSV logs the pipeline keeps in S3 (and mirrors to LOGS_DIR):
 * metric_log.csv, one row per completed id, and orphans.csv, one row per half whose
 * partner never came. Each is written as numbered segments and compacted into the
 * one file by `maintain` (see compaction.ts).
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { isMissing } from '../storage/s3Objects.js';
import { checkMetricLine, formatFloat, logNumber, METRIC_LOG_HEADER } from './rowFormat.js';

export type LogName = 'metric_log' | 'orphans';

export interface LogSpec {
  readonly name: LogName;
  /** The whole log, as users fetch it. */
  readonly key: string;
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
    header: ORPHAN_HEADER,
    segmentPrefix: BUCKET_KEYS.orphanLogSegments,
    problemOf: orphanLineProblem,
  },
};

export function formatOrphanLine(orphan: { id: string; half: string; value: number; firstSeen: number; reason: string }): string {
  return [orphan.id, orphan.half, formatFloat(orphan.value), new Date(orphan.firstSeen).toISOString(), orphan.reason].join(',');
}

/** Object metadata holding the number of a log's last line (lines are numbered from 1). */
export const LAST_LINE_METADATA = 'last-seq';

/** The number of the log's last line, from its metadata; 0 when there is no log yet. */
export async function lastLineOfLog(s3: S3Client, bucket: string, spec: LogSpec): Promise<number> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: spec.key }));
    return Number(head.Metadata?.[LAST_LINE_METADATA] ?? 0);
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
}

export function linesToText(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

export function textToLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/**
 * What a row's segment line carries beside the row itself, for metrics.json: the model
 * version of its prediction and when it was joined. After a tab (no id, number or
 * version holds one); compaction strips it, so metric_log.csv keeps the seed's format.
 */
export interface RowNotes {
  readonly model: string | undefined;
  /** Epoch ms the row was joined. */
  readonly at: number;
}

export function annotate(line: string, notes: RowNotes): string {
  return `${line}\t${notes.model ?? ''}\t${notes.at}`;
}

/** A segment line's log line and its notes; a line without notes (older segments) gets `fallbackAt`. */
export function splitAnnotated(line: string, fallbackAt: number): { readonly line: string; readonly notes: RowNotes } {
  const [logLine = '', model = '', at] = line.split('\t');
  return { line: logLine, notes: { model: model === '' ? undefined : model, at: at === undefined ? fallbackAt : Number(at) } };
}
