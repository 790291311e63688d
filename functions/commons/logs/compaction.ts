/**
 * Compaction (run by `maintain`, the logs' one writer): appends the segments that
 * follow each log's last line, in order, to the object users fetch (metric_log.csv,
 * orphans.csv), records the last line number in its metadata, and mirrors the file to
 * LOGS_DIR (appending only: see localMirror.ts). Segments already in the log are
 * deleted by the next compaction, after it has read that they are.
 *
 * The copy in LOGS_DIR is checked at every append: one that is no longer a prefix of
 * the log (edited, damaged, its header deleted) is repaired rather than left behind:
 * its lines that are no rows go to <log>.rejected.csv, its rows the log lacks are
 * appended to the log, and it is then rewritten as a copy of the log. No row it held
 * is lost; every line it held is either in the log or in the side file. A segment
 * line that is no row is never appended: it is set aside and reported. The segment
 * journal in LOGS_DIR (journal.ts) is trimmed once the copy holds its lines.
 *
 * It is also exactly-once's last barrier: it knows every id in both logs (read once
 * per cold start, then only what is new), and a line whose id is already in a log,
 * or twice in one compaction, is dropped and counted as a duplicate. The join table
 * can then forget settled ids (joinTable.ts): no duplicate, however late, makes a
 * second row or an orphan.
 */
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { getText, retryOnConflict } from '../storage/s3Objects.js';
import { AppendOnlyLog } from './appendOnlyLog.js';
import type { SegmentJournal } from './journal.js';
import { describeFileError, type MirrorSync, readMirror, replaceFile, setAsideRejected, syncLogMirror } from './localMirror.js';
import { checkLog, idOfLine, type RejectedLine } from './logCheck.js';
import { LOGS, type LogName, type LogSpec, linesToText, type RowNotes, splitAnnotated, textToLines } from './logFiles.js';
import { deleteSegments, listSegments } from './segments.js';

export interface CompactionResult {
  /** Rows in the log after compaction. */
  readonly rows: number;
  /** Lines added to the log by this compaction, with their notes (model, when joined). */
  readonly added: readonly NotedLine[];
  /** Lines dropped because their id was already in a log (or twice in this compaction). */
  readonly duplicates: number;
  readonly lastSeq: number;
  /** What became of the copy in LOGS_DIR. */
  readonly mirror: MirrorSync;
  /** How a copy that was no longer the log's prefix was repaired (mirror `repaired`). */
  readonly repair?: CopyRepair;
  /** Why the copy in LOGS_DIR could not be brought up to date (mirror `failed`): it catches up at a later run. */
  readonly mirrorProblem?: string;
  /** Segment lines that are no rows: not appended (set aside beside the copy when there is one). */
  readonly rejected: readonly RejectedLine[];
  /** Lines committed but whose segment is not written yet, which later segments wait for. */
  readonly gap?: LogGap;
}

export interface CopyRepair {
  /** Lines of the copy that are no rows (or hold another row for an id the log has), moved to `rejectedFile`. */
  readonly rejected: readonly RejectedLine[];
  readonly rejectedFile: string;
  /** Rows only the copy held, appended to the log (their join time and model are not known). */
  readonly recovered: readonly string[];
  readonly headerRepaired: boolean;
}

export interface LogGap {
  readonly fromSeq: number;
  readonly toSeq: number;
  /** How long the first segment after the gap has been waiting. */
  readonly waitingMs: number;
}

/** The first field of each line: the id, in both logs. Copied out, so the chunk read can be let go. */
export function idsOfLines(lines: Buffer): string[] {
  const ids: string[] = [];
  for (let start = 0; start < lines.length; ) {
    const end = lines.indexOf(0x0a, start);
    const lineEnd = end === -1 ? lines.length : end;
    const comma = lines.indexOf(0x2c, start);
    ids.push(lines.toString('utf8', start, comma === -1 || comma > lineEnd ? lineEnd : comma));
    start = lineEnd + 1;
  }
  return ids;
}

/** Sees each piece of a log read: its new complete lines, and whether the log was replaced (`lines` are then all of it). */
export type LogObserver = (name: LogName, lines: Buffer, restarted: boolean) => void;

export interface NotedLine {
  readonly line: string;
  readonly notes: RowNotes;
}

export class LogCompactor {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #logsDir: string | undefined;
  readonly #journal: SegmentJournal | undefined;
  /** Each log as this warm container last read or wrote it, and the ids in it. */
  readonly #logs: Record<LogName, { readonly log: AppendOnlyLog; readonly ids: Set<string> }>;

  constructor(options: { s3: S3Client; bucket: string; logsDir: string | undefined; journal?: SegmentJournal }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#logsDir = options.logsDir;
    this.#journal = options.journal;
    const open = (spec: LogSpec) => ({
      log: new AppendOnlyLog({ s3: this.#s3, bucket: this.#bucket, key: spec.key }),
      ids: new Set<string>(),
    });
    this.#logs = { metric_log: open(LOGS.metric_log), orphans: open(LOGS.orphans) };
  }

  /** Whether `id` is in either log, as last read: it is settled, and any later half of it a duplicate. */
  readonly isSettled = (id: string): boolean => this.#logs.metric_log.ids.has(id) || this.#logs.orphans.ids.has(id);

  /**
   * Reads what is new in both logs (all of them on a cold start), so `isSettled` is
   * current; `observe` sees each piece read (metrics.json's books follow the logs).
   */
  async refresh(observe?: LogObserver): Promise<void> {
    await Promise.all([this.#refresh('metric_log', observe), this.#refresh('orphans', observe)]);
  }

  compact(spec: LogSpec): Promise<CompactionResult> {
    return retryOnConflict(() => this.#compactOnce(spec), { maxAttempts: 4 });
  }

  async #refresh(name: LogName, observe?: LogObserver): Promise<void> {
    const { log, ids } = this.#logs[name];
    const { lines, restarted } = await log.readNew();
    if (restarted) ids.clear();
    for (const id of idsOfLines(lines)) ids.add(id);
    observe?.(name, lines, restarted);
  }

  async #compactOnce(spec: LogSpec): Promise<CompactionResult> {
    // Catches up with any other writer first (after a lost race, that is what changed).
    await this.#refresh(spec.name);
    const { log, ids } = this.#logs[spec.name];
    const segments = await listSegments(this.#s3, this.#bucket, spec);
    await deleteSegments(
      this.#s3,
      this.#bucket,
      segments.filter((segment) => segment.firstSeq <= log.lastSeq),
    );

    const kept: NotedLine[] = [];
    const keptIds = new Set<string>();
    const rejected: RejectedLine[] = [];
    let next = log.lastSeq + 1;
    let gap: LogGap | undefined;
    for (const segment of segments.filter((s) => s.firstSeq > log.lastSeq)) {
      // A gap means a batch is committed but its segment not written yet: wait for it.
      if (segment.firstSeq !== next) {
        gap = { fromSeq: next, toSeq: segment.firstSeq - 1, waitingMs: Math.max(0, Date.now() - segment.lastModified) };
        break;
      }
      const lines = textToLines((await getText(this.#s3, this.#bucket, segment.key))?.text ?? '');
      lines.forEach((segmentLine, index) => {
        const noted = splitAnnotated(segmentLine, segment.lastModified);
        const problem = spec.problemOf(noted.line);
        if (problem !== undefined) {
          rejected.push({ lineNumber: next + index, text: noted.line, reason: problem });
          return;
        }
        const id = idOfLine(noted.line);
        if (this.isSettled(id) || keptIds.has(id)) return;
        keptIds.add(id);
        kept.push(noted);
      });
      next += lines.length;
    }
    const consumed = next - 1 - log.lastSeq;
    if (consumed > 0) {
      await log.append((log.size === 0 ? `${spec.header}\n` : '') + linesToText(kept.map((noted) => noted.line)), next - 1);
      for (const id of keptIds) ids.add(id);
    }
    if (rejected.length > 0 && this.#logsDir !== undefined) {
      await setAsideRejected(this.#logsDir, spec, rejected, `${spec.segmentPrefix} (line numbers are the log's)`).catch(() => undefined);
    }
    const copy = await this.#syncCopy(spec);
    return {
      rows: ids.size,
      added: kept,
      duplicates: consumed - kept.length - rejected.length,
      lastSeq: log.lastSeq,
      rejected,
      ...copy,
      ...(gap ? { gap } : {}),
    };
  }

  /**
   * Brings the copy in LOGS_DIR up to the log (a deleted copy is written again), repairs
   * one that is no longer its prefix, and trims the journal once the copy holds its
   * lines. A file-system failure (a read-only or full disk) is reported, not thrown:
   * the bucket has the rows, and the copy catches up at a later run.
   */
  async #syncCopy(spec: LogSpec): Promise<Pick<CompactionResult, 'mirror' | 'repair' | 'mirrorProblem'>> {
    const { log } = this.#logs[spec.name];
    if (log.size === 0) return { mirror: 'current' };
    try {
      const mirror = await syncLogMirror(this.#logsDir, spec.key, log);
      const repair = mirror === 'diverged' ? await this.#repairCopy(spec) : undefined;
      await this.#journal?.removeThrough(spec, log.lastSeq);
      return repair === undefined ? { mirror } : { mirror: 'repaired', repair };
    } catch (error) {
      return { mirror: 'failed', mirrorProblem: `${this.#logsDir}/${spec.key} not brought up to date: ${describeFileError(error)}` };
    }
  }

  /**
   * A copy that is not the log's prefix: its lines that are no rows, and its rows for an
   * id the log holds with other values, go to the side file; its rows the log lacks are
   * appended to the log; then the copy is rewritten as the log. Reads both whole: a
   * repair is rare (someone edited or damaged the copy), and it must see every line.
   */
  async #repairCopy(spec: LogSpec): Promise<CopyRepair> {
    const logsDir = this.#logsDir as string;
    const { log, ids } = this.#logs[spec.name];
    const checked = checkLog(spec, (await readMirror(logsDir, spec.key)) ?? '');
    const logLines = new Set(textToLines((await log.bytes(0, log.size)).toString('utf8')));
    const rejected = [...checked.rejected];
    const recovered: string[] = [];
    checked.rows.forEach((line, index) => {
      if (logLines.has(line)) return;
      if (ids.has(idOfLine(line))) {
        rejected.push({
          lineNumber: checked.rowLineNumbers[index] ?? 0,
          text: line,
          reason: `s3://${this.#bucket}/${spec.key} holds another row for this id`,
        });
      } else recovered.push(line);
    });
    if (recovered.length > 0) {
      await log.append(linesToText(recovered), log.lastSeq);
      for (const line of recovered) ids.add(idOfLine(line));
    }
    const rejectedFile = await setAsideRejected(logsDir, spec, rejected, spec.key);
    await replaceFile(join(logsDir, spec.key), await log.bytes(0, log.size));
    return { rejected, rejectedFile, recovered, headerRepaired: checked.headerRepaired };
  }
}
