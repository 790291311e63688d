/**
 * The two append-only CSV logs the pipeline keeps in S3 (and mirrors to LOGS_DIR):
 * metric_log.csv, one row per completed id, and orphans.csv, one row per half whose
 * partner never came. Each is written as numbered segments and compacted into the
 * one file (see logStore.ts).
 */
import { formatFloat, METRIC_LOG_HEADER } from './rowFormat.js';

export type LogName = 'metric_log' | 'orphans';

export interface LogSpec {
  readonly name: LogName;
  /** The whole log, as users fetch it. */
  readonly key: string;
  readonly header: string;
  /** Segments not yet compacted into `key`, named by their first line number. */
  readonly segmentPrefix: string;
}

export const LOGS: Readonly<Record<LogName, LogSpec>> = {
  metric_log: {
    name: 'metric_log',
    key: 'metric_log.csv',
    header: METRIC_LOG_HEADER,
    segmentPrefix: 'segments/metric_log/',
  },
  orphans: {
    name: 'orphans',
    key: 'orphans.csv',
    header: 'id,half,value,first_seen,reason',
    segmentPrefix: 'segments/orphans/',
  },
};

export function formatOrphanLine(orphan: { id: string; half: string; value: number; firstSeen: number; reason: string }): string {
  return [orphan.id, orphan.half, formatFloat(orphan.value), new Date(orphan.firstSeen).toISOString(), orphan.reason].join(',');
}

const SEQ_DIGITS = 12;

export function segmentKey(spec: LogSpec, firstSeq: number): string {
  return `${spec.segmentPrefix}${String(firstSeq).padStart(SEQ_DIGITS, '0')}.csv`;
}

export function firstSeqOfSegment(spec: LogSpec, key: string): number | undefined {
  if (!key.startsWith(spec.segmentPrefix) || !key.endsWith('.csv')) return undefined;
  const seq = Number(key.slice(spec.segmentPrefix.length, -'.csv'.length));
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}
