/**
 * Reads the absolute_error column of a metric_log.csv in one pass over its bytes: each
 * line and its three commas are found with Buffer.indexOf, its last field parsed from
 * the bytes (decimalBytes.ts), no string made; only a line cut by a chunk's end is
 * copied. Values go into a Float64Array (8 bytes a row), so a million-row log costs 8 MB
 * besides its 256 KiB chunk, never the file's size.
 *
 * A line that is not four fields ending in a number is skipped and reported (its line
 * number and why, as logCheck.ts reports a log's bad lines); blank lines are dropped
 * without a word, and a CR before a newline too. Only what the histogram reads is
 * checked: not the id, y_true nor y_pred.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { RejectedLine } from '../../../functions/commons/logs/logCheck.js';
import { checkMetricLine, logNumber, METRIC_LOG_HEADER } from '../../../functions/commons/logs/rowFormat.js';
import { parseDecimalInto } from './decimalBytes.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const COMMA = 0x2c;
const CHUNK_BYTES = 1 << 18;
/** No metric_log row is this short (an id and three numbers), so the first array rarely grows. */
const MIN_ROW_BYTES = 16;
/** Skipped lines kept with their text and reason (the rest are only counted). */
const KEPT_REJECTED = 3;

/** What a log held: the absolute errors of its rows, and the lines skipped. */
export interface ErrorColumn {
  readonly values: Float64Array;
  /** The first few lines skipped. */
  readonly rejected: readonly RejectedLine[];
  /** How many lines were skipped in all. */
  readonly rejectedCount: number;
}

/** What one stretch of a log held (readErrorColumnRange), and its count of lines, to number the next stretch's. */
export interface ErrorColumnPart extends ErrorColumn {
  readonly lines: number;
}

export class ErrorColumnParser {
  #values: Float64Array;
  #count = 0;
  /** The line a chunk ended in the middle of, at the front. */
  #partial = Buffer.allocUnsafe(1 << 10);
  #partialLength = 0;
  #line = 0;
  #rejected: RejectedLine[] = [];
  #rejectedCount = 0;
  readonly #header: boolean;

  /**
   * `expectedRows` sizes the first array. Pages never written stay unallocated, so an
   * overestimate costs address space, not memory. `header`: false for a stretch that
   * starts after the file's first line (its line numbers then count from that stretch).
   */
  constructor(expectedRows = 1 << 16, header = true) {
    this.#values = new Float64Array(Math.max(1 << 10, Math.ceil(expectedRows)));
    this.#header = header;
  }

  /** Takes a chunk's complete lines; keeps (copies) a line it ends in the middle of. Uses `chunk` only during the call. */
  push(chunk: Buffer): void {
    let start = 0;
    if (this.#partialLength > 0) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline === -1) {
        this.#keep(chunk, 0);
        return;
      }
      this.#keep(chunk.subarray(0, newline), 0);
      this.#takeLine(this.#partial, 0, this.#partialLength);
      this.#partialLength = 0;
      start = newline + 1;
    }
    for (let newline = chunk.indexOf(NEWLINE, start); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      this.#takeLine(chunk, start, newline);
      start = newline + 1;
    }
    this.#keep(chunk, start);
  }

  /** The values read and the lines skipped, once the input has ended. */
  end(): ErrorColumnPart {
    if (this.#partialLength > 0) this.#takeLine(this.#partial, 0, this.#partialLength, true);
    this.#partialLength = 0;
    if (this.#header && this.#line === 0) throw new Error('the file is empty: expected a metric_log.csv header');
    const values = this.#values.subarray(0, this.#count);
    return { values, rejected: this.#rejected, rejectedCount: this.#rejectedCount, lines: this.#line };
  }

  #keep(bytes: Buffer, from: number): void {
    const length = bytes.length - from;
    if (length === 0) return;
    if (this.#partialLength + length > this.#partial.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.#partial.length, this.#partialLength + length));
      this.#partial.copy(grown, 0, 0, this.#partialLength);
      this.#partial = grown;
    }
    this.#partialLength += bytes.copy(this.#partial, this.#partialLength, from);
  }

  #takeLine(bytes: Buffer, start: number, end: number, last = false): void {
    if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end--;
    this.#line++;
    if (this.#line === 1 && this.#header) {
      const header = bytes.toString('utf8', start, end);
      if (header !== METRIC_LOG_HEADER) throw new Error(`line 1 is "${header}", expected the header "${METRIC_LOG_HEADER}"`);
      return;
    }
    if (end === start) return;
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    // The third comma; a fourth, or anything but a number after it, fails the parse below.
    let comma = bytes.indexOf(COMMA, start);
    if (comma !== -1 && comma < end) comma = bytes.indexOf(COMMA, comma + 1);
    if (comma !== -1 && comma < end) comma = bytes.indexOf(COMMA, comma + 1);
    if (comma !== -1 && comma < end && parseDecimalInto(bytes, comma + 1, end, this.#values, this.#count)) {
      this.#count++;
      return;
    }
    // Not plain digits, or too many to decide fast, or no row: decided on the text, and why said as the log check says it.
    const text = bytes.toString('utf8', start, end);
    const fields = text.split(',');
    const value = fields.length === 4 ? logNumber(fields[3]) : undefined;
    if (value !== undefined) {
      this.#values[this.#count++] = value;
      return;
    }
    const why = fields.length === 4 ? `absolute_error ${fields[3]} is not a number` : (checkMetricLine(text) as string);
    this.#rejectedCount++;
    const reason = last ? `cut short: the file ends inside this line (${why})` : why;
    if (this.#rejected.length < KEPT_REJECTED) this.#rejected.push({ lineNumber: this.#line, text, reason });
  }
}

/** The absolute_error column of the metric_log.csv at `path`, read synchronously in 256 KiB chunks. */
export function readErrorColumn(path: string): ErrorColumn {
  return readErrorColumnRange(path);
}

/**
 * The column as held by bytes [start, end) of the log at `path` (to its end by default),
 * read synchronously in 256 KiB chunks. `start` is 0 or the start of a line
 * (lineStartAfter): only the stretch at 0 holds the header, and a stretch's line numbers
 * count from its own first line (joinParts renumbers them).
 */
export function readErrorColumnRange(path: string, start = 0, end = Number.POSITIVE_INFINITY): ErrorColumnPart {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const last = Math.min(end, size);
    // The first stretch's array is sized for the whole file: the stretch after it joins it in place (joinParts).
    const parser = new ErrorColumnParser((start === 0 ? size : last - start) / MIN_ROW_BYTES, start === 0);
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let at = start; at < last; ) {
      const read = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, last - at), at);
      if (read === 0) break;
      parser.push(chunk.subarray(0, read));
      at += read;
    }
    return parser.end();
  } finally {
    closeSync(fd);
  }
}

/** The offset just after the first newline at or after `offset` in the file at `path` (its size when there is none): where a line starts. */
export function lineStartAfter(path: string, offset: number): number {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 12);
    for (let at = offset; ; at += chunk.length) {
      const read = readSync(fd, chunk, 0, chunk.length, at);
      const newline = chunk.subarray(0, read).indexOf(NEWLINE);
      if (newline !== -1) return at + newline + 1;
      if (read < chunk.length) return at + read;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The column of a file read as two stretches, `first` from its start and `second` from
 * where first ended: what one pass over the whole file gives (second's values after
 * first's, in first's array when it has room; its lines renumbered; the skipped lines
 * kept as one pass keeps them, the first few).
 */
export function joinParts(first: ErrorColumnPart, second: ErrorColumnPart): ErrorColumnPart {
  const count = first.values.length + second.values.length;
  const room = first.values.byteOffset === 0 && first.values.buffer.byteLength >= count * Float64Array.BYTES_PER_ELEMENT;
  const values = room ? new Float64Array(first.values.buffer, 0, count) : new Float64Array(count);
  if (!room) values.set(first.values);
  values.set(second.values, first.values.length);
  const renumbered = second.rejected.map((line) => ({ ...line, lineNumber: line.lineNumber + first.lines }));
  return {
    values,
    rejected: [...first.rejected, ...renumbered].slice(0, KEPT_REJECTED),
    rejectedCount: first.rejectedCount + second.rejectedCount,
    lines: first.lines + second.lines,
  };
}
