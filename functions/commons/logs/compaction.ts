/**
 * Compaction (run by `maintain`): appends the segments that follow the log's last
 * line, in order, to the one object users fetch (metric_log.csv, orphans.csv), records
 * the last line number in that object's metadata, and mirrors the file to LOGS_DIR
 * (appending only: see localMirror.ts). Segments already in the log are deleted by the
 * next compaction, after it has read that they are.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getText, isMissing, isNotModified, putIfUnchanged, retryOnConflict } from '../storage/s3Objects.js';
import { type MirrorSync, syncLogMirror } from './localMirror.js';
import { LAST_LINE_METADATA, type LogSpec, linesToText, textToLines } from './logFiles.js';
import { deleteSegments, listSegments } from './segments.js';

interface CachedLog {
  readonly etag: string;
  readonly text: string;
  readonly lastSeq: number;
}

export interface CompactionResult {
  /** Lines added to the log by this compaction, in order. */
  readonly appended: readonly string[];
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

const NO_LOG: CachedLog = { etag: '', text: '', lastSeq: 0 };

export class LogCompactor {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #logsDir: string | undefined;
  /** What this warm container last read or wrote, so an unchanged log is not downloaded again. */
  readonly #cache = new Map<string, CachedLog>();

  constructor(options: { s3: S3Client; bucket: string; logsDir: string | undefined }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#logsDir = options.logsDir;
  }

  compact(spec: LogSpec): Promise<CompactionResult> {
    return retryOnConflict(() => this.#compactOnce(spec), { maxAttempts: 4 });
  }

  async #compactOnce(spec: LogSpec): Promise<CompactionResult> {
    const current = await this.#readLog(spec);
    const segments = await listSegments(this.#s3, this.#bucket, spec);
    await deleteSegments(
      this.#s3,
      this.#bucket,
      segments.filter((segment) => segment.firstSeq <= current.lastSeq),
    );

    const appended: string[] = [];
    let next = current.lastSeq + 1;
    let gap: LogGap | undefined;
    for (const segment of segments.filter((s) => s.firstSeq > current.lastSeq)) {
      // A gap means a batch is committed but its segment not written yet: wait for it.
      if (segment.firstSeq !== next) {
        gap = { fromSeq: next, toSeq: segment.firstSeq - 1, waitingMs: Math.max(0, Date.now() - segment.lastModified) };
        break;
      }
      const lines = textToLines((await getText(this.#s3, this.#bucket, segment.key))?.text ?? '');
      appended.push(...lines);
      next += lines.length;
    }
    const outcome = { appended, ...(gap ? { gap } : {}) };
    if (appended.length === 0) {
      // Even with nothing new, a copy deleted from LOGS_DIR is written again.
      const mirror = current.text === '' ? 'current' : await syncLogMirror(this.#logsDir, spec.key, current.text);
      return { ...outcome, lastSeq: current.lastSeq, mirror };
    }

    const text = (current.text === '' ? `${spec.header}\n` : current.text) + linesToText(appended);
    const lastSeq = next - 1;
    const etag = await putIfUnchanged(
      this.#s3,
      this.#bucket,
      spec.key,
      text,
      { expectedEtag: current.etag === '' ? undefined : current.etag },
      { contentType: 'text/csv', metadata: { [LAST_LINE_METADATA]: String(lastSeq) } },
    );
    // Remembered so the next run revalidates with a conditional GET instead of downloading.
    if (etag === undefined) this.#cache.delete(spec.key);
    else this.#cache.set(spec.key, { etag, text, lastSeq });
    const mirror = await syncLogMirror(this.#logsDir, spec.key, text);
    return { ...outcome, lastSeq, mirror };
  }

  async #readLog(spec: LogSpec): Promise<CachedLog> {
    const cached = this.#cache.get(spec.key);
    try {
      const response = await this.#s3.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: spec.key, ...(cached ? { IfNoneMatch: cached.etag } : {}) }),
      );
      const log = {
        etag: response.ETag ?? '',
        text: (await response.Body?.transformToString('utf8')) ?? '',
        lastSeq: Number(response.Metadata?.[LAST_LINE_METADATA] ?? 0),
      };
      this.#cache.set(spec.key, log);
      return log;
    } catch (error) {
      if (isNotModified(error) && cached) return cached;
      if (isMissing(error)) return NO_LOG;
      throw error;
    }
  }
}
