/** toolbox/retry: how often and how long `retry` tries, what `waitFor` returns and says on a time-out. */
import { describe, expect, it } from 'vitest';
import { nextDelay, retry, waitFor } from '../../../../../infra/local/toolbox/retry.js';

describe('nextDelay', () => {
  it('starts at delayMs and grows by factor up to maxDelayMs', () => {
    const options = { delayMs: 100, maxDelayMs: 350, factor: 2 };

    const delays = [undefined, 100, 200, 400].map((previous) => nextDelay(previous, options));

    expect(delays).toEqual([100, 200, 350, 350]);
  });
});

describe('retry', () => {
  it('returns the first success, having waited the growing delays between failures', async () => {
    const retries: [number, number][] = [];

    const result = await retry(
      async (attempt) => {
        if (attempt < 3) throw new Error(`failure ${attempt}`);
        return `done on ${attempt}`;
      },
      { attempts: 5, delayMs: 1, factor: 3, onRetry: (_error, attempt, delayMs) => retries.push([attempt, delayMs]) },
    );

    expect(result).toBe('done on 3');
    expect(retries).toEqual([
      [1, 1],
      [2, 3],
    ]);
  });

  it('throws the last error when the attempts run out', async () => {
    let calls = 0;

    const attempt = retry(
      async () => {
        calls++;
        throw new Error(`failure ${calls}`);
      },
      { attempts: 3, delayMs: 1 },
    );

    await expect(attempt).rejects.toThrow('failure 3');
    expect(calls).toBe(3);
  });

  it('stops at once when shouldRetry says no', async () => {
    let calls = 0;

    const attempt = retry(
      async () => {
        calls++;
        throw new TypeError('a bug, not an outage');
      },
      { attempts: 5, delayMs: 1, shouldRetry: (error) => !(error instanceof TypeError) },
    );

    await expect(attempt).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
  });

  it('stops once timeoutMs has passed', async () => {
    const started = Date.now();

    const attempt = retry(
      async () => {
        throw new Error('down');
      },
      { timeoutMs: 50, delayMs: 10, maxDelayMs: 10 },
    );

    await expect(attempt).rejects.toThrow('down');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('waitFor', () => {
  it('returns the first value that is neither undefined nor false', async () => {
    const answers = [undefined, false, 0];

    const value = await waitFor(async () => answers.shift(), { timeoutMs: 1_000, intervalMs: 1, what: 'zero' });

    expect(value).toBe(0);
    expect(answers).toEqual([]);
  });

  it('names what it waited for when time runs out', async () => {
    const waiting = waitFor(async () => undefined, { timeoutMs: 20, intervalMs: 5, what: 'the queue to drain' });

    await expect(waiting).rejects.toThrow('timed out after 0.02 s waiting for the queue to drain');
  });

  it('throws the error onTimeout makes', async () => {
    const waiting = waitFor(async () => false, { timeoutMs: 10, intervalMs: 5, what: 'x', onTimeout: () => new RangeError('too slow') });

    await expect(waiting).rejects.toThrow(new RangeError('too slow'));
  });

  it('ends at once on an error from the check', async () => {
    const waiting = waitFor(
      async () => {
        throw new Error('gone');
      },
      { timeoutMs: 10_000, what: 'y' },
    );

    await expect(waiting).rejects.toThrow('gone');
  });
});
