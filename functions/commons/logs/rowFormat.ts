/**
 * metric_log.csv: the header, the row format and a parser. Numbers are written at
 * full double precision the way Python's repr writes floats (the original homework
 * wrote the file from Python): shortest round-trip digits, a trailing `.0` on whole
 * numbers, exponent form below 1e-4 and from 1e16 up.
 */
export const METRIC_LOG_HEADER = 'id,y_true,y_pred,absolute_error';

export interface MetricRow {
  readonly id: string;
  readonly yTrue: number;
  readonly yPred: number;
  readonly absoluteError: number;
}

export function metricRow(id: string, yTrue: number, yPred: number): MetricRow {
  return { id, yTrue, yPred, absoluteError: Math.abs(yTrue - yPred) };
}

export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() with no argument gives the shortest digits that round-trip.
  const [mantissa = '', exponentText = '0'] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fracPart = digits.slice(exponent + 1);
  return `${sign}${intPart}.${fracPart === '' ? '0' : fracPart}`;
}

export function formatMetricRow(row: MetricRow): string {
  return [row.id, formatFloat(row.yTrue), formatFloat(row.yPred), formatFloat(row.absoluteError)].join(',');
}

/** A number as the logs write it (formatFloat, or Python's repr): digits, a point, an exponent; nothing else. */
const LOG_NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a log field holds, or undefined when the field is not one (empty, `nan`, text). */
export function logNumber(field: string | undefined): number | undefined {
  if (field === undefined || !LOG_NUMBER.test(field)) return undefined;
  const value = Number(field);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The row a metric_log.csv line holds, or why it holds none: four fields, an id of
 * printable characters without quotes, three finite numbers, and an absolute error
 * equal to |y_true − y_pred| (a line cut or garbled in one of its numbers is caught).
 */
export function checkMetricLine(line: string): MetricRow | string {
  const fields = line.split(',');
  if (fields.length !== 4) return `${fields.length} field${fields.length === 1 ? '' : 's'}, not the 4 of ${METRIC_LOG_HEADER}`;
  const [id = '', ...numbers] = fields;
  if (!/^[^\s"]+$/.test(id)) return 'the id is empty or holds spaces or quotes';
  const [yTrue, yPred, absoluteError] = numbers.map(logNumber);
  if (yTrue === undefined || yPred === undefined || absoluteError === undefined)
    return 'y_true, y_pred and absolute_error must be finite numbers';
  const expected = Math.abs(yTrue - yPred);
  if (Math.abs(absoluteError - expected) > 1e-9 * Math.max(1, expected)) return `absolute_error ${numbers[2]} is not |y_true − y_pred|`;
  return { id, yTrue, yPred, absoluteError };
}

export function parseMetricLine(line: string): MetricRow {
  const row = checkMetricLine(line);
  if (typeof row === 'string') throw new Error(`not a metric_log row (${row}): "${line}"`);
  return row;
}

/** Parses a whole log (header first); blank lines are ignored. */
export function parseMetricLog(text: string): MetricRow[] {
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  if (lines.length === 0) return [];
  if (lines[0] !== METRIC_LOG_HEADER) throw new Error(`metric log header is "${lines[0]}", expected "${METRIC_LOG_HEADER}"`);
  return lines.slice(1).map(parseMetricLine);
}
