/**
 * Append-only CSV logs in S3 without rewriting them per record.
 *
 * The metric handler writes each committed batch of lines as a segment object named
 * by its first line number, with If-None-Match: * — so a retried write is a no-op
 * and two writers of the same batch cannot both succeed. Once per plot period the
 * compactor appends the segments that follow the log's last line, in order, to the
 * one object users fetch (metric_log.csv), records the last line number in that
 * object's metadata, and mirrors the file to LOGS_DIR (appending only: see
 * localMirror.ts). Segments already in the log are deleted by the next compaction,
 * after it has read that they are.
 *
 * When the local cloud comes back empty (moto keeps nothing), `restoreLogFromMirror`
 * puts the files in LOGS_DIR back into the bucket, and a new metric table numbers its
 * lines after them (`lastLineOfLog`), so the log simply goes on.
 */
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { OBJECT_KEYS } from '../platform/config.js';
import { ConcurrentWriteError } from '../platform/errors.js';
import { getText, objectExists, putIfUnchanged, retryOnConflict } from '../storage/s3Objects.js';
import { type MirrorSync, readMirror, syncLogMirror } from './localMirror.js';
import { firstSeqOfSegment, LOGS, type LogName, type LogSpec, segmentKey } from './logFiles.js';

const LAST_SEQ = 'last-seq';

/** Writes one batch as a segment; false when it was already there (a repeat). */
export async function writeSegment(
  s3: S3Client,
  bucket: string,
  spec: LogSpec,
  firstSeq: number,
  lines: readonly string[],
): Promise<boolean> {
  try {
    await putIfUnchanged(
      s3,
      bucket,
      segmentKey(spec, firstSeq),
      linesToText(lines),
      { expectedEtag: undefined },
      { contentType: 'text/csv' },
    );
    return true;
  } catch (error) {
    if (error instanceof ConcurrentWriteError) return false;
    throw error;
  }
}

function linesToText(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

function textToLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

interface CachedLog {
  readonly etag: string;
  readonly text: string;
  readonly lastSeq: number;
}

export interface CompactionResult {
  /** Lines added to the log by this compaction, in order. */
  readonly appended: readonly string[];
  /** The whole log after compaction (header first). */
  readonly text: string;
  readonly lastSeq: number;
  /** Segments removed because the log already held them. */
  readonly segmentsRemoved: number;
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

interface StatusError {
  $metadata?: { httpStatusCode?: number };
}

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
    const segments = await this.#listSegments(spec);
    const alreadyIn = segments.filter((segment) => segment.firstSeq <= current.lastSeq);
    if (alreadyIn.length > 0) await this.#deleteSegments(alreadyIn.map((segment) => segment.key));

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
    const outcome = { appended, segmentsRemoved: alreadyIn.length, ...(gap ? { gap } : {}) };
    if (appended.length === 0) {
      // Even with nothing new, a copy deleted from LOGS_DIR is written again.
      const mirror = current.text === '' ? 'current' : await syncLogMirror(this.#logsDir, spec.key, current.text);
      return { ...outcome, text: current.text, lastSeq: current.lastSeq, mirror };
    }

    const base = current.text === '' ? `${spec.header}\n` : current.text;
    const text = base + linesToText(appended);
    const lastSeq = next - 1;
    const etag = await putIfUnchanged(
      this.#s3,
      this.#bucket,
      spec.key,
      text,
      { expectedEtag: current.etag === '' ? undefined : current.etag },
      {
        contentType: 'text/csv',
        metadata: { [LAST_SEQ]: String(lastSeq) },
      },
    );
    // Remembered so the next run revalidates with a conditional GET instead of downloading.
    if (etag === undefined) this.#cache.delete(spec.key);
    else this.#cache.set(spec.key, { etag, text, lastSeq });
    const mirror = await syncLogMirror(this.#logsDir, spec.key, text);
    return { ...outcome, text, lastSeq, mirror };
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
        lastSeq: Number(response.Metadata?.[LAST_SEQ] ?? 0),
      };
      this.#cache.set(spec.key, log);
      return log;
    } catch (error) {
      const status = (error as StatusError).$metadata?.httpStatusCode;
      if (status === 304 && cached) return cached;
      if (status === 404 || (error as { name?: string }).name === 'NoSuchKey') return { etag: '', text: '', lastSeq: 0 };
      throw error;
    }
  }

  async #listSegments(spec: LogSpec): Promise<{ key: string; firstSeq: number; lastModified: number }[]> {
    const segments: { key: string; firstSeq: number; lastModified: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: spec.segmentPrefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const firstSeq = object.Key === undefined ? undefined : firstSeqOfSegment(spec, object.Key);
        if (firstSeq !== undefined) {
          segments.push({ key: object.Key as string, firstSeq, lastModified: object.LastModified?.getTime() ?? Date.now() });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return segments.sort((a, b) => a.firstSeq - b.firstSeq);
  }

  async #deleteSegments(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      await this.#s3.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }
}

/** The number of the log's last line, from its metadata; 0 when there is no log yet. */
export async function lastLineOfLog(s3: S3Client, bucket: string, spec: LogSpec): Promise<number> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: spec.key }));
    return Number(head.Metadata?.[LAST_SEQ] ?? 0);
  } catch (error) {
    const status = (error as StatusError).$metadata?.httpStatusCode;
    if (status === 404 || (error as { name?: string }).name === 'NotFound') return 0;
    throw error;
  }
}

export type RestoreOutcome =
  | { readonly restored: true; readonly rows: number }
  /** Why nothing was restored. */
  | { readonly restored: false; readonly reason: 'no local copy' | 'the bucket has the log' | 'not this log' };

/**
 * Puts the copy of a log kept in LOGS_DIR back into an empty bucket (create-only, so a
 * log that is there wins), numbered as it was: its last line number is its row count.
 * Only complete lines go back; a local file that does not start with the log's header
 * is left alone.
 */
export async function restoreLogFromMirror(
  s3: S3Client,
  bucket: string,
  spec: LogSpec,
  logsDir: string | undefined,
): Promise<RestoreOutcome> {
  const local = await readMirror(logsDir, spec.key);
  if (local === undefined || local === '') return { restored: false, reason: 'no local copy' };
  if (!local.startsWith(`${spec.header}\n`)) return { restored: false, reason: 'not this log' };
  const text = local.slice(0, local.lastIndexOf('\n') + 1);
  const rows = textToLines(text).length - 1;
  try {
    await putIfUnchanged(
      s3,
      bucket,
      spec.key,
      text,
      { expectedEtag: undefined },
      { contentType: 'text/csv', metadata: { [LAST_SEQ]: String(rows) } },
    );
  } catch (error) {
    if (error instanceof ConcurrentWriteError) return { restored: false, reason: 'the bucket has the log' };
    throw error;
  }
  return { restored: true, rows };
}

/**
 * Restores both logs from LOGS_DIR when the bucket is empty of the pipeline's state
 * (no metric table: the emulator came up empty). A bucket that holds the table is
 * never touched: what the bucket holds wins (LocalStack with PERSISTENCE=1).
 */
export async function restoreLogsFromMirror(
  s3: S3Client,
  bucket: string,
  logsDir: string | undefined,
): Promise<Record<LogName, RestoreOutcome> | undefined> {
  if (logsDir === undefined || (await objectExists(s3, bucket, OBJECT_KEYS.metricTable))) return undefined;
  return {
    metric_log: await restoreLogFromMirror(s3, bucket, LOGS.metric_log, logsDir),
    orphans: await restoreLogFromMirror(s3, bucket, LOGS.orphans, logsDir),
  };
}
