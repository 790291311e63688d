/**
 * Compaction (run by `maintain`, the logs' one writer): appends the segments that
 * follow each log's last line, in order, to the object users fetch (metric_log.csv,
 * orphans.csv), records the last line number in its metadata, and mirrors the file to
 * LOGS_DIR (appending only: see localMirror.ts). Segments already in the log are
 * deleted by the next compaction, after it has read that they are.
 *
 * It is also exactly-once's last barrier: it knows every id in both logs (read once
 * per cold start, then only what is new), and a line whose id is already in a log,
 * or twice in one compaction, is dropped and counted as a duplicate. The join table
 * can then forget settled ids (joinTable.ts): no duplicate, however late, makes a
 * second row or an orphan.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getText, retryOnConflict } from '../storage/s3Objects.js';
import { AppendOnlyLog } from './appendOnlyLog.js';
import { type MirrorSync, syncLogMirror } from './localMirror.js';
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
  /** Lines committed but whose segment is not written yet, which later segments wait for. */
  readonly gap?: LogGap;
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

const idOf = (line: string): string => line.slice(0, line.indexOf(',') === -1 ? undefined : line.indexOf(','));

export class LogCompactor {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #logsDir: string | undefined;
  /** Each log as this warm container last read or wrote it, and the ids in it. */
  readonly #logs: Record<LogName, { readonly log: AppendOnlyLog; readonly ids: Set<string> }>;

  constructor(options: { s3: S3Client; bucket: string; logsDir: string | undefined }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#logsDir = options.logsDir;
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
    let next = log.lastSeq + 1;
    let gap: LogGap | undefined;
    for (const segment of segments.filter((s) => s.firstSeq > log.lastSeq)) {
      // A gap means a batch is committed but its segment not written yet: wait for it.
      if (segment.firstSeq !== next) {
        gap = { fromSeq: next, toSeq: segment.firstSeq - 1, waitingMs: Math.max(0, Date.now() - segment.lastModified) };
        break;
      }
      const lines = textToLines((await getText(this.#s3, this.#bucket, segment.key))?.text ?? '');
      for (const segmentLine of lines) {
        const noted = splitAnnotated(segmentLine, segment.lastModified);
        const id = idOf(noted.line);
        if (this.isSettled(id) || keptIds.has(id)) continue;
        keptIds.add(id);
        kept.push(noted);
      }
      next += lines.length;
    }
    const consumed = next - 1 - log.lastSeq;
    if (consumed > 0) {
      await log.append((log.size === 0 ? `${spec.header}\n` : '') + linesToText(kept.map((noted) => noted.line)), next - 1);
      for (const id of keptIds) ids.add(id);
    }
    // Even with nothing new, a copy deleted from LOGS_DIR is written again.
    const mirror = log.size === 0 ? 'current' : await syncLogMirror(this.#logsDir, spec.key, log);
    return {
      rows: ids.size,
      added: kept,
      duplicates: consumed - kept.length,
      lastSeq: log.lastSeq,
      mirror,
      ...(gap ? { gap } : {}),
    };
  }
}
