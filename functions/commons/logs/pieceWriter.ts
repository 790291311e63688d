/**
 * Writes rows into new pieces of a log, whole, each create-only and no larger than
 * MAX_PIECE_BYTES: the restore of LOGS_DIR into an empty bucket and the migration of a
 * one-object log use it; the every-minute appends of `maintain` do not (compaction.ts
 * appends to the newest piece). Each row is filed in the id index as it is written.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ConcurrentWriteError } from '../platform/errors.js';
import { putIfUnchanged } from '../storage/s3Objects.js';
import type { NotedLine } from './compaction.js';
import type { IdIndex } from './idIndex.js';
import { idOfLine } from './logCheck.js';
import { LAST_LINE_METADATA, type LogSpec } from './logFiles.js';
import { anchorOf, MAX_PIECE_BYTES, pieceHeader, pieceKey, pieceLine } from './pieces.js';

export interface WrittenPiece {
  readonly key: string;
  readonly text: string;
  readonly rows: number;
}

export class PieceWriter {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #spec: LogSpec;
  readonly #index: IdIndex;
  readonly #loggedAt: number;
  #part: number;
  #lines: string[] = [];
  #noted: NotedLine[] = [];
  #bytes = 0;
  /** Rows written so far, across pieces: the log's last line number once done. */
  #rows: number;
  readonly written: WrittenPiece[] = [];

  constructor(options: {
    s3: S3Client;
    bucket: string;
    spec: LogSpec;
    index: IdIndex;
    loggedAt: number;
    firstPart: number;
    rowsBefore: number;
  }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#spec = options.spec;
    this.#index = options.index;
    this.#loggedAt = options.loggedAt;
    this.#part = options.firstPart;
    this.#rows = options.rowsBefore;
  }

  get rows(): number {
    return this.#rows;
  }

  async add(rows: readonly NotedLine[]): Promise<void> {
    for (const row of rows) {
      const text = pieceLine(row.line, row.notes);
      if (this.#bytes + text.length + 1 > MAX_PIECE_BYTES && this.#lines.length > 0) await this.#flush();
      this.#lines.push(text);
      this.#noted.push(row);
      this.#bytes += Buffer.byteLength(text) + 1;
    }
  }

  /** Writes what is left; returns the pieces written, in order. */
  async finish(): Promise<WrittenPiece[]> {
    if (this.#lines.length > 0) await this.#flush();
    return this.written;
  }

  async #flush(): Promise<void> {
    const key = pieceKey(this.#spec, this.#loggedAt, this.#part);
    const text = `${pieceHeader(this.#spec)}\n${this.#lines.join('\n')}\n`;
    this.#rows += this.#lines.length;
    try {
      await putIfUnchanged(
        this.#s3,
        this.#bucket,
        key,
        text,
        { expectedEtag: undefined },
        { contentType: 'text/csv', metadata: { [LAST_LINE_METADATA]: String(this.#rows) } },
      );
    } catch (error) {
      if (error instanceof ConcurrentWriteError) throw new Error(`${key} exists already: a restore or migration never writes over a piece`);
      throw error;
    }
    await this.#index.add(
      this.#noted.map(({ line, notes }) => ({ id: idOfLine(line), anchor: anchorOf(idOfLine(line), notes, notes.at) })),
      this.#loggedAt,
      `${this.#spec.name}-${this.#part}`,
    );
    this.written.push({ key, text, rows: this.#lines.length });
    this.#part += 1;
    this.#lines = [];
    this.#noted = [];
    this.#bytes = 0;
  }
}
