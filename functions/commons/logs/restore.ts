/**
 * When the local cloud comes back empty (moto keeps nothing), the bootstrap puts the
 * logs kept in LOGS_DIR back into the bucket before any queue exists, and a new join
 * table numbers its lines after them (`lastLineOfLog`), so the logs simply go on.
 *
 * The copy in LOGS_DIR is checked line by line first (logCheck.ts): its good rows go
 * back, a missing or damaged header is put back, and every line that is no row is
 * moved aside to <log>.rejected.csv with its line number and reason, so nothing bad
 * reaches the bucket and nothing good is skipped. The rows of the segment journal
 * (journal.ts) that the copy lacks (joined, but not yet copied to LOGS_DIR when the
 * emulator died) follow them. The copy is then rewritten to hold exactly what went
 * back, so it stays the bucket log's prefix.
 */

import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConcurrentWriteError } from '../platform/errors.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { objectExists, putIfUnchanged } from '../storage/s3Objects.js';
import type { JournalEntry, SegmentJournal } from './journal.js';
import { readMirror, replaceFile, setAsideRejected } from './localMirror.js';
import { checkLog, describeRejected, idOfLine, type RejectedLine } from './logCheck.js';
import { LAST_LINE_METADATA, LOGS, type LogName, type LogSpec, linesToText, splitAnnotated } from './logFiles.js';

export type RestoreOutcome =
  | {
      readonly restored: true;
      /** Rows put back into the bucket, the journal's among them. */
      readonly rows: number;
      /** Of those, rows that only the journal held. */
      readonly fromJournal: number;
      /** Lines of the local copy that are no rows, moved aside to `rejectedFile`. */
      readonly rejected: readonly RejectedLine[];
      readonly rejectedFile: string | undefined;
      /** The copy's header was missing or damaged and is put back. */
      readonly headerRepaired: boolean;
    }
  /** Why nothing was restored. */
  | { readonly restored: false; readonly reason: 'no local copy' | 'the bucket has the log' };

/** The journal's rows that `known` (the copy's ids) lacks, each id once, and the entries they came from. */
async function journalRows(
  journal: SegmentJournal | undefined,
  spec: LogSpec,
  known: Set<string>,
): Promise<{ rows: string[]; entries: JournalEntry[] }> {
  if (journal === undefined) return { rows: [], entries: [] };
  const entries = await journal.list(spec);
  const rows: string[] = [];
  for (const entry of entries) {
    for (const annotated of await journal.read(entry)) {
      const { line } = splitAnnotated(annotated, 0);
      if (spec.problemOf(line) !== undefined || known.has(idOfLine(line))) continue;
      known.add(idOfLine(line));
      rows.push(line);
    }
  }
  return { rows, entries };
}

/**
 * Puts the copy of a log kept in LOGS_DIR (checked, repaired, and completed from the
 * journal) back into an empty bucket: create-only, so a log that is there wins;
 * numbered as it was: its last line number is its row count.
 */
export async function restoreLogFromMirror(
  s3: S3Client,
  bucket: string,
  spec: LogSpec,
  logsDir: string | undefined,
  journal?: SegmentJournal,
): Promise<RestoreOutcome> {
  if (logsDir === undefined) return { restored: false, reason: 'no local copy' };
  const local = (await readMirror(logsDir, spec.key)) ?? '';
  const checked = checkLog(spec, local);
  const fromJournal = await journalRows(journal, spec, new Set(checked.rows.map(idOfLine)));
  const rows = [...checked.rows, ...fromJournal.rows];
  if (rows.length === 0 && checked.rejected.length === 0) return { restored: false, reason: 'no local copy' };
  const text = `${spec.header}\n${linesToText(rows)}`;
  let rejectedFile: string | undefined;
  if (!checked.clean || fromJournal.rows.length > 0) {
    // The bad lines are safe in the side file before the copy stops holding them.
    if (checked.rejected.length > 0) rejectedFile = await setAsideRejected(logsDir, spec, checked.rejected, spec.key);
    await replaceFile(join(logsDir, spec.key), text);
  }
  try {
    const metadata = { [LAST_LINE_METADATA]: String(rows.length) };
    await putIfUnchanged(s3, bucket, spec.key, text, { expectedEtag: undefined }, { contentType: 'text/csv', metadata });
  } catch (error) {
    if (error instanceof ConcurrentWriteError) return { restored: false, reason: 'the bucket has the log' };
    throw error;
  }
  // Their rows are in the bucket and in the copy now, numbered afresh.
  await journal?.remove(fromJournal.entries);
  return {
    restored: true,
    rows: rows.length,
    fromJournal: fromJournal.rows.length,
    rejected: checked.rejected,
    rejectedFile,
    headerRepaired: checked.headerRepaired,
  };
}

/**
 * Restores both logs from LOGS_DIR when the bucket is empty of the pipeline's state
 * (no join table: the emulator came up empty). A bucket that holds the table is never
 * touched: what the bucket holds wins (LocalStack with PERSISTENCE=1).
 */
export async function restoreLogsFromMirror(
  s3: S3Client,
  bucket: string,
  logsDir: string | undefined,
  journal?: SegmentJournal,
): Promise<Record<LogName, RestoreOutcome> | undefined> {
  if (logsDir === undefined || (await objectExists(s3, bucket, BUCKET_KEYS.joinTable))) return undefined;
  return {
    metric_log: await restoreLogFromMirror(s3, bucket, LOGS.metric_log, logsDir, journal),
    orphans: await restoreLogFromMirror(s3, bucket, LOGS.orphans, logsDir, journal),
  };
}

/**
 * What a restore did, for the console: one notice of what went back, and one warning
 * for each log whose copy was damaged or completed from the journal.
 */
export function describeRestore(
  outcome: Record<LogName, RestoreOutcome>,
  where: { readonly endpoint: string; readonly bucket: string; readonly logsDir: string },
): { readonly notice: string | undefined; readonly warnings: readonly string[] } {
  const restored = Object.entries(outcome).flatMap(([name, result]) =>
    result.restored ? [`${result.rows.toLocaleString('en-US')} rows of ${name}.csv`] : [],
  );
  const warnings = Object.entries(outcome).flatMap(([name, result]) => {
    if (!result.restored) return [];
    const lines: string[] = [];
    if (result.rejected.length > 0 || result.headerRepaired) {
      const parts = [
        result.rejected.length > 0
          ? `${result.rejected.length.toLocaleString('en-US')} line(s) that are no rows moved aside to ${result.rejectedFile} (${describeRejected(result.rejected)})`
          : '',
        result.headerRepaired ? 'its header put back' : '',
      ].filter((part) => part !== '');
      lines.push(`${where.logsDir}/${name}.csv was damaged: ${parts.join('; ')}; its good rows are restored`);
    }
    if (result.fromJournal > 0) {
      lines.push(
        `${result.fromJournal.toLocaleString('en-US')} row(s) of ${name}.csv that the emulator lost before maintain copied them ` +
          `to ${where.logsDir} came back from the journal (${where.logsDir}/.journal)`,
      );
    }
    return lines;
  });
  const notice =
    restored.length === 0
      ? undefined
      : `local cloud at ${where.endpoint} had no logs: restored ${restored.join(' and ')} from ${where.logsDir} into s3://${where.bucket}; new rows follow them`;
  return { notice, warnings };
}
