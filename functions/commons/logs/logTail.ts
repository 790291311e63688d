/**
 * Reads an append-only log in S3 a piece at a time. A warm container asks only for
 * the bytes after those it has (a ranged GET, and none at all when the object is
 * unchanged: If-None-Match), so a reader's cost per run follows what is new, not the
 * log's size. The last bytes it already had are asked for again and compared: a log
 * that was replaced rather than appended to (restored into an emulator that came back
 * empty) is then read again whole, and the caller told so.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isMissing, isNotModified } from '../storage/s3Objects.js';
import { textToLines } from './logFiles.js';

/** Bytes read again before the new ones, to check that the log still starts as we read it. */
const OVERLAP_BYTES = 256;

export interface TailRead {
  /** Complete data lines new since the last read (the header never among them). */
  readonly lines: readonly string[];
  /** The log is not the one read before (replaced, or gone): `lines` are all of it, from the top. */
  readonly restarted: boolean;
}

interface Position {
  readonly etag: string;
  /** Bytes consumed: always just after a newline. */
  readonly length: number;
  /** The last bytes consumed, at most OVERLAP_BYTES. */
  readonly tail: Buffer;
}

type Fetched = { readonly body: Buffer; readonly etag: string } | 'unchanged' | 'missing';

export class LogTail {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #key: string;
  #position: Position | undefined;

  constructor(options: { s3: S3Client; bucket: string; key: string }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#key = options.key;
  }

  async read(): Promise<TailRead> {
    const position = this.#position;
    if (position === undefined) return { lines: this.#consume(await this.#get(0, undefined), 0, 0), restarted: false };
    const start = position.length - position.tail.length;
    const fetched = await this.#get(start, position.etag);
    if (fetched === 'unchanged') return { lines: [], restarted: false };
    const overlap = position.tail.length;
    if (fetched === 'missing' || fetched.body.length < overlap || !fetched.body.subarray(0, overlap).equals(position.tail)) {
      this.#position = undefined;
      return { lines: this.#consume(await this.#get(0, undefined), 0, 0), restarted: true };
    }
    return { lines: this.#consume(fetched, start, overlap), restarted: false };
  }

  /** The complete lines of what was fetched from `start`, after its first `skip` bytes; remembers where they end. */
  #consume(fetched: Fetched, start: number, skip: number): string[] {
    if (typeof fetched === 'string') return [];
    const { body, etag } = fetched;
    const end = body.lastIndexOf(0x0a) + 1;
    if (end <= skip) return [];
    this.#position = { etag, length: start + end, tail: Buffer.from(body.subarray(Math.max(0, end - OVERLAP_BYTES), end)) };
    const lines = textToLines(body.subarray(skip, end).toString('utf8'));
    // The object's first line is its header.
    return start + skip === 0 ? lines.slice(1) : lines;
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
      return { body: Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array()), etag: response.ETag ?? '' };
    } catch (error) {
      if (isNotModified(error)) return 'unchanged';
      // 416: the object is now shorter than what we had read of it.
      if (isMissing(error) || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return 'missing';
      throw error;
    }
  }
}
