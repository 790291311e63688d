import { describe, expect, it } from 'vitest';
import {
  formatFloat,
  formatMetricRow,
  METRIC_LOG_HEADER,
  metricRow,
  parseMetricLog,
} from '../../../../../functions/commons/logs/rowFormat.js';

describe('metric_log.csv rows', () => {
  it('writes numbers as Python repr does, like the original homework', () => {
    const row = metricRow('1669147134.196809', 295.0, 221.77392889122234);

    expect(formatMetricRow(row)).toBe('1669147134.196809,295.0,221.77392889122234,73.22607110877766');
  });

  it.each([
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [1234567890123456.8, '1234567890123456.8'],
    [123456789012345680, '1.2345678901234568e+17'],
    [-2.5, '-2.5'],
    [0, '0.0'],
    [100, '100.0'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
  ])('formats %s as %s', (value, text) => {
    expect(formatFloat(value)).toBe(text);
  });

  it('round-trips every number at full double precision', () => {
    for (const value of [Math.PI, 1 / 3, 221.77392889122234, 2 ** 53 + 2, 1e-7 / 3]) {
      expect(Number(formatFloat(value))).toBe(value);
    }
  });

  it('parses what it writes, header first', () => {
    const rows = [metricRow('a', 1, 2.5), metricRow('b', 310, 99.125)];
    const text = `${METRIC_LOG_HEADER}\n${rows.map(formatMetricRow).join('\n')}\n`;

    expect(parseMetricLog(text)).toEqual(rows);
  });

  it('refuses a log with another header', () => {
    expect(() => parseMetricLog('id,a,b\n')).toThrow(/header/);
  });
});
