/**
 * One append-only log object in S3 (metric_log.csv, orphans.csv), read and appended
 * to at a cost that follows what is new, not the log's size.
 *
 * Reading: a warm reader asks only for the bytes after those it has (a ranged GET,
 * and none at all when the object is unchanged: If-None-Match). The last bytes it
 * already had are asked for again and compared, so a log that was replaced rather
 * than appended to (restored into an emulator that came back empty) is read again
 * whole, and the caller told so.
 *
 * Appending: S3 has no append. Below S3's 5 MiB part minimum the object is rewritten
 * from the copy this reader keeps in memory; above it, a multipart upload whose first
 * part is a server-side copy of the object as it is (UploadPartCopy) and whose second
 * part holds the new lines, so the old bytes never pass through the function. Both
 * are conditional on the version read (If-Match); a lost race is a
 * ConcurrentWriteError, and the caller reads again.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { ConcurrentWriteError } from '../platform/errors.js';
import { isMissing, isNotModified, isPreconditionFailed, statusOf } from '../storage/s3Objects.js';
import { LAST_LINE_METADATA } from './logFiles.js';

/** S3's smallest part but the last: below it, an append is a rewrite. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Bytes read again before the new ones, to check that the log still starts as we read it. */
const OVERLAP_BYTES = 256;
/** The first bytes of the log, kept to check the local copy against (localMirror.ts). */
const HEAD_BYTES = 4096;
/** Beyond the part minimum, how much of the log's end is kept in memory. */
const KEPT_TAIL_BYTES = 64 * 1024;

export interface NewLines {
  /** Complete lines new since the last read, as bytes (the header never among them). */
  readonly lines: Buffer;
  /** The log is not the one read before (replaced, or gone): `lines` are all of it, from the top. */
  readonly restarted: boolean;
}

interface State {
  readonly etag: string;
  /** Bytes of the log consumed: always just after a newline. */
  readonly size: number;
  /** The number of the last line appended from the join table's outbox (object metadata). */
  readonly lastSeq: number;
  readonly head: Buffer;
  /** The log's last bytes, ending at `size`: all of it while it is under the part minimum. */
  readonly tail: Buffer;
}

type Fetched = { readonly body: Buffer; readonly etag: string; readonly lastSeq: number } | 'unchanged' | 'missing';

export class AppendOnlyLog {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #key: string;
  #state: State | undefined;

  constructor(options: { s3: S3Client; bucket: string; key: string }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#key = options.key;
  }

  get key(): string {
    return this.#key;
  }

  /** Bytes in the log as last read or written; 0 when there is none. */
  get size(): number {
    return this.#state?.size ?? 0;
  }

  get lastSeq(): number {
    return this.#state?.lastSeq ?? 0;
  }

  /**
   * Opens the log where it stands: a log under the part minimum is read whole (it is
   * appended to by a rewrite from memory); a larger one only by its size and version,
   * its bytes then read by range when asked for. Returns its complete lines when it
   * was read whole, none otherwise.
   */
  async open(): Promise<Buffer> {
    let head: { size: number; etag: string; lastSeq: number } | undefined;
    try {
      const response = await this.#s3.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key }));
      head = {
        size: response.ContentLength ?? 0,
        etag: response.ETag ?? '',
        lastSeq: Number(response.Metadata?.[LAST_LINE_METADATA] ?? 0),
      };
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    if (head === undefined || head.size < MIN_PART_BYTES) return (await this.readNew()).lines;
    this.#state = { etag: head.etag, size: head.size, lastSeq: head.lastSeq, head: Buffer.alloc(0), tail: Buffer.alloc(0) };
    return Buffer.alloc(0);
  }

  async readNew(): Promise<NewLines> {
    const state = this.#state;
    if (state === undefined) return { lines: this.#consume(await this.#get(0, undefined), undefined), restarted: false };
    const overlap = Math.min(OVERLAP_BYTES, state.tail.length);
    const fetched = await this.#get(state.size - overlap, state.etag);
    if (fetched === 'unchanged') return { lines: Buffer.alloc(0), restarted: false };
    if (fetched === 'missing' || !fetched.body.subarray(0, overlap).equals(state.tail.subarray(state.tail.length - overlap))) {
      this.#state = undefined;
      return { lines: this.#consume(await this.#get(0, undefined), undefined), restarted: true };
    }
    return { lines: this.#consume({ ...fetched, body: fetched.body.subarray(overlap) }, state), restarted: false };
  }

  /**
   * Appends `text` (complete lines; the header first when the log is new) to the log as
   * last read, recording `lastSeq`. Throws ConcurrentWriteError when the log changed since.
   */
  async append(text: string, lastSeq: number): Promise<void> {
    const added = Buffer.from(text, 'utf8');
    const state = this.#state;
    const metadata = { [LAST_LINE_METADATA]: String(lastSeq) };
    let etag: string | undefined;
    try {
      if (state === undefined || state.size < MIN_PART_BYTES) {
        const body = state === undefined ? added : Buffer.concat([state.tail, added]);
        const condition = state === undefined ? { IfNoneMatch: '*' } : { IfMatch: state.etag };
        const put = new PutObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key,
          Body: body,
          ContentType: 'text/csv',
          Metadata: metadata,
          ...condition,
        });
        etag = (await this.#s3.send(put)).ETag;
      } else if (added.length === 0) {
        // Only the line number moves (every line consumed was a duplicate): a copy onto itself.
        const copy = new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key,
          CopySource: this.#copySource(),
          CopySourceIfMatch: state.etag,
          MetadataDirective: 'REPLACE',
          ContentType: 'text/csv',
          Metadata: metadata,
        });
        etag = (await this.#s3.send(copy)).CopyObjectResult?.ETag;
      } else {
        etag = await this.#appendByCopy(state.etag, added, metadata);
      }
    } catch (error) {
      if (isPreconditionFailed(error)) throw new ConcurrentWriteError(this.#key, { cause: error });
      throw error;
    }
    this.#remember(etag ?? '', lastSeq, state, added);
  }

  /** Bytes [start, end) of the log as last read or written: from memory where kept, else a ranged GET. */
  async bytes(start: number, end: number): Promise<Buffer> {
    const state = this.#state;
    if (state === undefined || end <= start) return Buffer.alloc(0);
    if (end <= state.head.length) return state.head.subarray(start, end);
    const tailStart = state.size - state.tail.length;
    if (start >= tailStart) return state.tail.subarray(start - tailStart, end - tailStart);
    const range = new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key, Range: `bytes=${start}-${end - 1}`, IfMatch: state.etag });
    return Buffer.from((await (await this.#s3.send(range)).Body?.transformToByteArray()) ?? new Uint8Array());
  }

  async #appendByCopy(etag: string, added: Buffer, metadata: Record<string, string>): Promise<string | undefined> {
    const target = { Bucket: this.#bucket, Key: this.#key };
    const { UploadId } = await this.#s3.send(new CreateMultipartUploadCommand({ ...target, ContentType: 'text/csv', Metadata: metadata }));
    try {
      const copied = await this.#s3.send(
        new UploadPartCopyCommand({
          ...target,
          UploadId,
          PartNumber: 1,
          CopySource: this.#copySource(),
          CopySourceIfMatch: etag,
        }),
      );
      const uploaded = await this.#s3.send(new UploadPartCommand({ ...target, UploadId, PartNumber: 2, Body: added }));
      const parts = [
        { PartNumber: 1, ETag: copied.CopyPartResult?.ETag },
        { PartNumber: 2, ETag: uploaded.ETag },
      ];
      const done = await this.#s3.send(
        new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts }, IfMatch: etag }),
      );
      return done.ETag;
    } catch (error) {
      // An upload left open costs storage until the bucket's lifecycle rule aborts it.
      await this.#s3.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  #copySource(): string {
    return `${this.#bucket}/${encodeURIComponent(this.#key)}`;
  }

  /** Takes the complete lines of what was fetched; remembers where they end. */
  #consume(fetched: Fetched, previous: State | undefined): Buffer {
    if (typeof fetched === 'string') return Buffer.alloc(0);
    const { body, lastSeq } = fetched;
    const end = body.lastIndexOf(0x0a) + 1;
    // Our writers write whole lines; a log ending mid-line is not appended to (If-Match on
    // no ETag fails) until it is read again whole.
    const etag = end === body.length ? fetched.etag : '';
    if (previous === undefined) {
      const headerEnd = body.indexOf(0x0a) + 1;
      this.#remember(etag, lastSeq, undefined, body.subarray(0, end));
      return body.subarray(headerEnd, end);
    }
    this.#remember(etag, lastSeq, previous, body.subarray(0, end));
    return body.subarray(0, end);
  }

  #remember(etag: string, lastSeq: number, previous: State | undefined, added: Buffer): void {
    const size = (previous?.size ?? 0) + added.length;
    const whole = previous === undefined ? added : Buffer.concat([previous.tail, added]);
    const kept = size < MIN_PART_BYTES ? whole : whole.subarray(Math.max(0, whole.length - KEPT_TAIL_BYTES));
    const head = previous !== undefined && previous.head.length >= HEAD_BYTES ? previous.head : whole.subarray(0, HEAD_BYTES);
    // Copies, so the buffers read from S3 can be let go.
    this.#state = { etag, size, lastSeq, head: Buffer.from(head), tail: Buffer.from(kept) };
  }

  async #get(start: number, etag: string | undefined): Promise<Fetched> {
    try {
      const response = await this.#s3.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key,
          ...(start > 0 ? { Range: `bytes=${start}-` } : {}),
          ...(etag !== undefined ? { IfNoneMatch: etag } : {}),
        }),
      );
      const body = Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array());
      return { body, etag: response.ETag ?? '', lastSeq: Number(response.Metadata?.[LAST_LINE_METADATA] ?? 0) };
    } catch (error) {
      if (isNotModified(error)) return 'unchanged';
      // 416: the object is now shorter than what we had read of it.
      if (isMissing(error) || statusOf(error) === 416) return 'missing';
      throw error;
    }
  }
}
