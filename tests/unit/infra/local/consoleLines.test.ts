/** npm start's console: one line per invocation, failures and everything else kept. */
import { describe, expect, it } from 'vitest';
import { consoleLineFilter, isRoutineLine } from '../../../../infra/local/consoleLines.js';

describe("npm start's console", () => {
  it("leaves out serverless-offline's per-invocation line and the event source's success line", () => {
    expect(isRoutineLine('(λ: metric) RequestId: 1f0e-42  Duration: 123.45 ms  Billed Duration: 124 ms')).toBe(true);
    expect(isRoutineLine('\u001b[90m(λ: plot) RequestId: x  Duration: 7.00 ms  Billed Duration: 8 ms\u001b[39m')).toBe(true);
    expect(isRoutineLine('sqs → metric: 10 messages from y_true, all succeeded')).toBe(true);
  });

  it("leaves out each HTTP request's line, the blank lines around it, and the schedule's success line", () => {
    expect(
      [
        'POST /truths (λ: ingest)',
        '\u001b[32mGET / (λ: dashboard)\u001b[39m',
        '',
        '  ',
        'Successfully invoked scheduled function: [plot]',
      ].map(isRoutineLine),
    ).toEqual([true, true, true, true, true]);
  });

  it('keeps failures, warnings and the functions own lines', () => {
    for (const line of [
      "× Unhandled Lambda Error during invoke of 'ml-monitor-dev-metric': Error: [504] - Lambda timeout.",
      'sqs → metric: 10 messages from y_true, 2 reported failed (left for redelivery)',
      'Warning: sqs → predictor: 10 messages from features, invocation failed (boom); nothing deleted',
      '04:12:29 metric    INFO  Halves recorded halves=10 rows=10 duplicates=0',
    ]) {
      expect(isRoutineLine(line)).toBe(false);
    }
  });

  it('passes whole lines on, however the output is cut into chunks', () => {
    let shown = '';
    const filter = consoleLineFilter((text) => {
      shown += text;
    });
    const output =
      '04:12:29 metric    INFO  Halves recorded halves=10\n(λ: metric) RequestId: a  Duration: 1.00 ms  Billed Duration: 1 ms\nlast';
    for (const chunk of output.match(/.{1,7}/gsu) ?? []) filter.push(chunk);
    filter.flush();

    expect(shown).toBe('04:12:29 metric    INFO  Halves recorded halves=10\nlast');
  });
});
