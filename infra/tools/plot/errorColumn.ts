/**
 * Reads the absolute_error column of a metric_log.csv as a stream: byte chunks in,
 * numbers out, the file never held whole. Only the last field of each line is
 * decoded, and values go into a growing Float64Array (8 bytes a row), so a
 * million-row log costs a few megabytes, not the file's size in strings.
 */
import { createReadStream } from 'node:fs';
import { METRIC_LOG_HEADER } from '../../../functions/commons/logs/rowFormat.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const COMMA = 0x2c;

export class ErrorColumnParser {
  #values = new Float64Array(1 << 16);
  #count = 0;
  #carry: Buffer = Buffer.alloc(0);
  #line = 0;

  push(chunk: Buffer): void {
    const bytes = this.#carry.length === 0 ? chunk : Buffer.concat([this.#carry, chunk]);
    let start = 0;
    for (let newline = bytes.indexOf(NEWLINE, start); newline !== -1; newline = bytes.indexOf(NEWLINE, start)) {
      this.#takeLine(bytes, start, newline);
      start = newline + 1;
    }
    // Copy the partial line so the chunk it came from can be collected.
    this.#carry = Buffer.from(bytes.subarray(start));
  }

  /** The values read, once the input has ended. */
  end(): Float64Array {
    if (this.#carry.length > 0) this.#takeLine(this.#carry, 0, this.#carry.length);
    this.#carry = Buffer.alloc(0);
    if (this.#line === 0) throw new Error('the file is empty: expected a metric_log.csv header');
    return this.#values.subarray(0, this.#count);
  }

  #takeLine(bytes: Buffer, start: number, end: number): void {
    if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end--;
    this.#line++;
    if (this.#line === 1) {
      const header = bytes.toString('utf8', start, end);
      if (header !== METRIC_LOG_HEADER) throw new Error(`line 1 is "${header}", expected the header "${METRIC_LOG_HEADER}"`);
      return;
    }
    if (end === start) return;
    let comma = end - 1;
    while (comma >= start && bytes[comma] !== COMMA) comma--;
    const value = comma < start ? Number.NaN : Number(bytes.toString('latin1', comma + 1, end));
    if (!Number.isFinite(value))
      throw new Error(`line ${this.#line}: absolute_error is not a number: "${bytes.toString('utf8', start, end)}"`);
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = value;
  }
}

export async function readErrorColumn(path: string): Promise<Float64Array> {
  const parser = new ErrorColumnParser();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 })) parser.push(chunk as Buffer);
  return parser.end();
}
