/**
 * The first look's line states the truth: the log's rows (restored ones too) and whether
 * logs/ holds them; the ready block's dashboard address is one a browser here can open.
 */
import { describe, expect, it } from 'vitest';
import { dashboardAddress, firstLookLine } from '../../../../infra/local/firstLook.js';

describe('firstLookLine', () => {
  it('counts a fresh log as it is', () => {
    expect(firstLookLine({ rows: 10, rowsAdded: 10, copy: 'written' }, '/x/logs', 'b')).toBe(
      'first look: 10 rows in /x/logs/metric_log.csv, histogram in /x/logs/error_distribution.png (s3://b/error_distribution.png)',
    );
  });

  it('counts every row of a restored log, and says how many are new', () => {
    expect(firstLookLine({ rows: 2_010, rowsAdded: 10, copy: 'appended' }, '/x/logs', 'b')).toMatch(
      /^first look: 2,010 rows \(10 new\) in \/x\/logs\/metric_log\.csv,/,
    );
  });

  it.each(['failed', 'diverged'] as const)('says when the copy in logs/ is not up to date (%s)', (copy) => {
    expect(firstLookLine({ rows: 1, rowsAdded: 1, copy }, '/x/logs', 'b')).toMatch(
      /^first look: 1 row in s3:\/\/b\/metric_log\.csv, but \/x\/logs\/metric_log\.csv is not up to date \(the line above says why\)/,
    );
  });
});

describe('dashboardAddress', () => {
  it("is serverless-offline's host and HTTP port, every interface reached as localhost", () => {
    expect(dashboardAddress('localhost', 3000)).toBe('http://localhost:3000/');
    expect(dashboardAddress('0.0.0.0', 3100)).toBe('http://localhost:3100/');
    expect(dashboardAddress('::', 3000)).toBe('http://localhost:3000/');
    expect(dashboardAddress('::1', 3000)).toBe('http://[::1]:3000/');
    expect(dashboardAddress('127.0.0.1', 3000)).toBe('http://127.0.0.1:3000/');
  });
});
