/**
 * When the local cloud comes back empty (moto keeps nothing), the bootstrap puts the
 * logs kept in LOGS_DIR back into the bucket before any queue exists: every local
 * piece under its own key, its ids into the id index, its rows into metrics.json's
 * books (a restart costs no figure), and the log heads, so a new join table numbers
 * its lines after them and the logs simply go on.
 *
 * Nothing is trusted blindly (logCheck.ts): a piece's lines that are no rows are moved
 * aside to <log>.rejected.csv with their line numbers, and so are those of the
 * one-file copy when it is not as the pipeline left it; its good rows that no piece
 * holds (a copy of before the pieces, or rows a user added) join the log in new pieces,
 * as do the journal's rows (journal.ts) that the emulator took along before `maintain`
 * copied them. The copy is then written again from the pieces.
 *
 * Restoring reads every local piece once: the price of an emulator that forgets
 * everything, paid at its restart only (on AWS, and on LocalStack with PERSISTENCE=1,
 * the bucket keeps the logs and nothing is restored).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { objectExists, putObject } from '../storage/s3Objects.js';
import type { NotedLine } from './compaction.js';
import { IdIndex } from './idIndex.js';
import type { SegmentJournal } from './journal.js';
import { LocalCopies, listLocalPieces } from './localCopy.js';
import { replaceFile } from './localMirror.js';
import { checkLog, describeRejected, idOfLine, type RejectedLine } from './logCheck.js';
import { LAST_LINE_METADATA, LOGS, type LogName, type LogSpec, splitAnnotated } from './logFiles.js';
import { type LogHead, NO_HEAD, readLogHeads, writeLogHeads } from './logHeads.js';
import { anchorOf, hourOfPiece, partOf, pieceHeader, readPieceLine } from './pieces.js';
import { PieceWriter } from './pieceWriter.js';

export type RestoreOutcome =
  | {
      readonly restored: true;
      /** Rows put back into the bucket, all of them. */
      readonly rows: number;
      /** Of those, rows only the journal held, and rows only the one-file copy held. */
      readonly fromJournal: number;
      readonly fromCopy: number;
      /** Lines that are no rows, moved aside to `rejectedFile`. */
      readonly rejected: readonly RejectedLine[];
      readonly rejectedFile: string | undefined;
      /** The copy's header was missing or damaged and is put back. */
      readonly headerRepaired: boolean;
    }
  /** Why nothing was restored. */
  | { readonly restored: false; readonly reason: 'no local copy' };

/** Takes the rows a restore puts back, for metrics.json's books (MetricsPublisher). */
export interface RestoredRows {
  added(name: LogName, lines: readonly NotedLine[]): void;
}

export interface RestoreOptions {
  readonly journal?: SegmentJournal | undefined;
  readonly books?: RestoredRows;
  readonly now?: number;
}

/**
 * Restores both logs from LOGS_DIR when the bucket holds none of the pipeline's state
 * (no join table, no log heads: the emulator came up empty). A bucket that holds it is
 * never touched: what the bucket holds wins (LocalStack with PERSISTENCE=1).
 */
export async function restoreLogsFromLocal(
  s3: S3Client,
  bucket: string,
  logsDir: string | undefined,
  options: RestoreOptions = {},
): Promise<Record<LogName, RestoreOutcome> | undefined> {
  if (logsDir === undefined) return undefined;
  if ((await objectExists(s3, bucket, BUCKET_KEYS.joinTable)) || (await readLogHeads(s3, bucket)) !== undefined) return undefined;
  const index = new IdIndex({ s3, bucket });
  const now = options.now ?? Date.now();
  const heads: Record<LogName, LogHead> = { metric_log: NO_HEAD, orphans: NO_HEAD };
  const outcomes = {} as Record<LogName, RestoreOutcome>;
  for (const spec of Object.values(LOGS)) {
    const restored = await restoreLog({ s3, bucket, logsDir, spec, index, now, ...options });
    outcomes[spec.name] = restored.outcome;
    heads[spec.name] = restored.head;
  }
  await writeLogHeads(s3, bucket, heads);
  return outcomes;
}

interface LogRestore extends RestoreOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly logsDir: string;
  readonly spec: LogSpec;
  readonly index: IdIndex;
  readonly now: number;
}

async function restoreLog(restore: LogRestore): Promise<{ outcome: RestoreOutcome; head: LogHead }> {
  const { s3, bucket, logsDir, spec, index, now } = restore;
  const copies = new LocalCopies(logsDir, bucket);
  const rejected: RejectedLine[] = [];
  let rows = 0;
  let lastKey: string | undefined;
  // The pieces, as they are, under their own keys.
  for (const key of await listLocalPieces(logsDir, spec)) {
    const checked = await checkedPiece(logsDir, spec, key);
    rejected.push(...checked.rejected.map((line) => ({ ...line, reason: `${key}: ${line.reason}` })));
    if (checked.rows.length === 0) continue;
    rows += checked.rows.length;
    const text = `${pieceHeader(spec)}\n${checked.texts.join('\n')}\n`;
    if (checked.rejected.length > 0) await replaceFile(join(logsDir, key), text);
    await putObject(s3, bucket, key, text, 'text/csv', { [LAST_LINE_METADATA]: String(rows) });
    await index.add(
      checked.rows.map(({ line, notes }) => ({ id: idOfLine(line), anchor: anchorOf(idOfLine(line), notes, notes.at) })),
      checked.loggedAt,
      `${spec.name}-restore-${partOf(spec, key) ?? 0}`,
    );
    restore.books?.added(spec.name, checked.rows);
    lastKey = key;
  }
  // Rows no piece holds: the one-file copy's (when it is not as the pipeline left it), then the journal's.
  const consistent = lastKey !== undefined && (await copies.isConsistent(spec));
  const copy = consistent ? undefined : checkLog(spec, await readFile(join(logsDir, spec.key), 'utf8').catch(() => ''));
  if (copy !== undefined) rejected.push(...copy.rejected);
  const fromCopy = await unknownRows(
    index,
    (copy?.rows ?? []).map((line) => ({ line, notes: { model: undefined, at: now } })),
    now,
  );
  const fromCopyIds = new Set(fromCopy.map((row) => idOfLine(row.line)));
  const journaled = (await journalRows(restore.journal, spec)).filter((row) => !fromCopyIds.has(idOfLine(row.line)));
  const fromJournal = await unknownRows(index, journaled, now);
  const writer = new PieceWriter({
    s3,
    bucket,
    spec,
    index,
    loggedAt: now,
    firstPart: await nextPart(logsDir, spec, now),
    rowsBefore: rows,
  });
  await writer.add([...fromCopy, ...fromJournal]);
  for (const piece of await writer.finish()) {
    await replaceFile(join(logsDir, piece.key), piece.text);
    lastKey = piece.key;
  }
  restore.books?.added(spec.name, [...fromCopy, ...fromJournal]);
  const rejectedFile = rejected.length > 0 ? await copies.setAside(spec, rejected, spec.key) : undefined;
  if (!consistent || writer.written.length > 0 || rejected.length > 0) {
    if (lastKey !== undefined) await copies.rebuild(spec);
  }
  await restore.journal?.remove(await restore.journal.list(spec));
  const total = writer.rows;
  const outcome: RestoreOutcome =
    lastKey === undefined && rejected.length === 0
      ? { restored: false, reason: 'no local copy' }
      : {
          restored: true,
          rows: total,
          fromJournal: fromJournal.length,
          fromCopy: fromCopy.length,
          rejected,
          rejectedFile,
          headerRepaired: copy?.headerRepaired === true,
        };
  return { outcome, head: { key: lastKey, lastSeq: total, rows: total } };
}

/** A local piece's good rows (with their notes) and texts, its lines that are no rows, and the hour it was logged in. */
async function checkedPiece(logsDir: string, spec: LogSpec, key: string) {
  const loggedAt = hourOfPiece(spec, key) ?? 0;
  const checked = checkLog(
    { header: pieceHeader(spec), problemOf: (line) => spec.problemOf(readPieceLine(spec, line, loggedAt).line) },
    await readFile(join(logsDir, key), 'utf8'),
  );
  return {
    rows: checked.rows.map((line) => readPieceLine(spec, line, loggedAt)),
    texts: checked.rows,
    rejected: checked.rejected,
    loggedAt,
  };
}

/** The rows whose ids the id index does not hold (nor an earlier one of them), in order. */
async function unknownRows(index: IdIndex, rows: readonly NotedLine[], now: number): Promise<NotedLine[]> {
  const anchored = rows.map((row) => ({ row, id: idOfLine(row.line), anchor: anchorOf(idOfLine(row.line), row.notes, row.notes.at) }));
  await index.prepare(
    anchored.map((entry) => entry.anchor),
    now,
  );
  const seen = new Set<string>();
  return anchored
    .filter(({ id, anchor }) => {
      if (seen.has(id) || index.has(id, anchor, now)) return false;
      seen.add(id);
      return true;
    })
    .map(({ row }) => row);
}

async function journalRows(journal: SegmentJournal | undefined, spec: LogSpec): Promise<NotedLine[]> {
  if (journal === undefined) return [];
  const rows: NotedLine[] = [];
  for (const entry of await journal.list(spec)) {
    for (const annotated of await journal.read(entry)) {
      const noted = splitAnnotated(annotated, 0);
      if (spec.problemOf(noted.line) === undefined) rows.push(noted);
    }
  }
  return rows;
}

/** The part after the local pieces of the hour `at` is in. */
async function nextPart(logsDir: string, spec: LogSpec, at: number): Promise<number> {
  const pieces = await listLocalPieces(logsDir, spec);
  const hour = pieces.filter((key) => hourOfPiece(spec, key) === Math.floor(at / 3_600_000) * 3_600_000);
  return hour.length === 0 ? 0 : Math.max(...hour.map((key) => partOf(spec, key) ?? 0)) + 1;
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
    if (result.fromCopy > 0) {
      lines.push(
        `${result.fromCopy.toLocaleString('en-US')} row(s) of ${where.logsDir}/${name}.csv that no piece held (a log of before the pieces) ` +
          `joined the log in ${where.logsDir}/${name}/ (their prediction times are not known: they count in the totals)`,
      );
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
