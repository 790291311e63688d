/**
 * A log number read straight from the bytes of a line, without making a string of it:
 * the same double `logNumber` (rowFormat.ts) gives, about five times faster. Number()
 * is slow on the log's 16- and 17-digit values (formatFloat writes the shortest digits
 * that round-trip), and `npm run plot` reads a million of them.
 *
 * Exact, not close: up to 15 significant digits the value is one correctly rounded
 * division or product of exact doubles (Clinger's fast path); up to 19 it is computed
 * with ~103 bits (double-double arithmetic, Dekker's products) and kept only when every
 * value within a generous error bound rounds to the same double. Anything else (more
 * digits, exponents past ±22, a tie between two doubles, text that is not a log
 * number) goes to `logNumber` itself.
 */
import { logNumber } from '../../../functions/commons/logs/rowFormat.js';

const ZERO = 0x30;
const MINUS = 0x2d;
const PLUS = 0x2b;
const POINT = 0x2e;
const LOWER_E = 0x65;
const LOWER_CASE_BIT = 0x20;

/** 10^0 … 10^22: every one an exact double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Digits an exact double integer always holds (10^15 < 2^53). */
const EXACT_DIGITS = 15;
const MAX_DIGITS = 19;
/** Dekker's splitter, 2^27 + 1: a double into two halves of 26 bits whose products are exact. */
const SPLITTER = 134_217_729;
/** The double-double results carry under 2^-100 relative error; decide only with a margin far wider. */
const MARGIN = 2 ** -90;

/**
 * Writes to out[at] the double bytes[start, end) holds and returns true, when it is a log
 * number of at most 19 significant digits and the fast arithmetic decides it; returns
 * false otherwise (then ask logNumber). The value goes into the array, not out as a
 * return value, and Dekker's products are written out: a million calls box no double.
 */
/**
 * The digits scanned so far, in one object the scan updates in place: the integer and
 * the fraction part are scanned by the same loop, and a module-level object returns
 * three numbers from it without allocating.
 */
const scan = { head: 0, tail: 0, significant: 0 };

/** Adds the digits from `i` to the first non-digit to `scan`; returns where they end. */
function scanDigits(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let { head, tail, significant } = scan;
  for (; i < end; i++) {
    const digit = (bytes[i] as number) - ZERO;
    if (digit >>> 0 > 9) break;
    if (significant < EXACT_DIGITS) head = head * 10 + digit;
    else tail = tail * 10 + digit;
    significant++;
  }
  scan.head = head;
  scan.tail = tail;
  scan.significant = significant;
  return i;
}

export function parseDecimalInto(bytes: Uint8Array, start: number, end: number, out: Float64Array, at: number): boolean {
  let i = start;
  const negative = bytes[i] === MINUS;
  if (negative) i++;
  const digitsStart = i;
  // Zeros before the first significant digit are digits, but carry nothing.
  while (i < end && bytes[i] === ZERO) i++;
  // The significant digits as head · 10^tailDigits + tail: head holds the first 15 exactly.
  scan.head = 0;
  scan.tail = 0;
  scan.significant = 0;
  i = scanDigits(bytes, i, end);
  let digits = i - digitsStart;
  let fractionDigits = 0;
  if (i < end && bytes[i] === POINT) {
    const fractionStart = ++i;
    if (scan.significant === 0) while (i < end && bytes[i] === ZERO) i++;
    i = scanDigits(bytes, i, end);
    fractionDigits = i - fractionStart;
    digits += fractionDigits;
  }
  const { head, tail, significant } = scan;
  const tailDigits = significant > EXACT_DIGITS ? significant - EXACT_DIGITS : 0;
  if (digits === 0 || significant > MAX_DIGITS) return false;
  let exponent = 0;
  if (i < end) {
    if (((bytes[i] as number) | LOWER_CASE_BIT) !== LOWER_E) return false;
    i++;
    const exponentNegative = bytes[i] === MINUS;
    if (exponentNegative || bytes[i] === PLUS) i++;
    if (i === end) return false;
    for (; i < end; i++) {
      const digit = (bytes[i] as number) - ZERO;
      if (digit < 0 || digit > 9) return false;
      if (exponent < 1_000) exponent = exponent * 10 + digit;
    }
    if (exponentNegative) exponent = -exponent;
  }
  if (significant === 0) {
    out[at] = negative ? -0 : 0;
    return true;
  }
  const scale = exponent - fractionDigits;
  if (scale < -22 || scale > 22) return false;
  const power = POWERS_OF_TEN[scale < 0 ? -scale : scale] as number;
  let value: number;
  if (tailDigits === 0) {
    // Clinger: both operands exact, so the one rounding is the right one.
    value = scale < 0 ? head / power : head * power;
  } else {
    // The digits exactly, as high + low: head · 10^t is exact in two parts (Dekker), tail and the parts are whole numbers.
    const shift = POWERS_OF_TEN[tailDigits] as number;
    const shifted = head * shift;
    let split = SPLITTER * head;
    const headHigh = split - (split - head);
    const headLow = head - headHigh;
    split = SPLITTER * shift;
    const shiftHigh = split - (split - shift);
    const shiftLow = shift - shiftHigh;
    const shiftedError = headHigh * shiftHigh - shifted + headHigh * shiftLow + headLow * shiftHigh + headLow * shiftLow;
    const sum = shifted + tail;
    const low0 = tail - (sum - shifted) + shiftedError;
    const high = sum + low0;
    const low = low0 - (high - sum);
    // Scaled, in double-double: first + second ≈ the value, to well under 2^-100 of it.
    split = SPLITTER * power;
    const powerHigh = split - (split - power);
    const powerLow = power - powerHigh;
    let first: number;
    let second: number;
    if (scale >= 0) {
      first = high * power;
      split = SPLITTER * high;
      const highHigh = split - (split - high);
      const highLow = high - highHigh;
      second = highHigh * powerHigh - first + highHigh * powerLow + highLow * powerHigh + highLow * powerLow + low * power;
    } else {
      first = high / power;
      const back = first * power;
      split = SPLITTER * first;
      const firstHigh = split - (split - first);
      const firstLow = first - firstHigh;
      const backError = firstHigh * powerHigh - back + firstHigh * powerLow + firstLow * powerHigh + firstLow * powerLow;
      second = (high - back - backError + low) / power;
    }
    value = first + second;
    // Rounding is monotonic: when both ends of the error interval round to `value`, the true value does too.
    const margin = Math.abs(first) * MARGIN;
    if (first + (second + margin) !== value || first + (second - margin) !== value) return false;
  }
  out[at] = negative ? -value : value;
  return true;
}

/** The number bytes[start, end) holds as the logs write it, or undefined when it is not one (as logNumber). */
export function parseDecimal(bytes: Buffer, start: number, end: number): number | undefined {
  const out = new Float64Array(1);
  return parseDecimalInto(bytes, start, end, out, 0) ? out[0] : logNumber(bytes.toString('latin1', start, end));
}
