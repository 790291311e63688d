/** Losing races on a conditional write: retried with backoff, and given up in time before a deadline. */
import { describe, expect, it } from 'vitest';
import { ConcurrentWriteError, ContendedWriteError } from '../../../../../functions/commons/platform/errors.js';
import { retryOnConflict } from '../../../../../functions/commons/storage/s3Objects.js';

const alwaysLoses = () => {
  let attempts = 0;
  return {
    attempt: async () => {
      attempts++;
      throw new ConcurrentWriteError('state/metric-table.json');
    },
    attempts: () => attempts,
  };
};

describe('retryOnConflict', () => {
  it('retries a lost race until it wins', async () => {
    let attempts = 0;
    const result = await retryOnConflict(async () => {
      if (++attempts < 3) throw new ConcurrentWriteError('k');
      return 'written';
    });

    expect(result).toBe('written');
    expect(attempts).toBe(3);
  });

  it('gives up with a ContendedWriteError before a backoff would pass the deadline', async () => {
    const loser = alwaysLoses();
    const started = Date.now();

    const error = await retryOnConflict(loser.attempt, { deadline: started + 150 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ContendedWriteError);
    expect(error).not.toBeInstanceOf(ConcurrentWriteError);
    expect((error as ContendedWriteError).attempts).toBe(loser.attempts());
    expect((error as ContendedWriteError).message).toMatch(/metric-table\.json .*after \d+ attempts/);
  });

  it('rethrows the last conflict after maxAttempts, and anything else at once', async () => {
    const loser = alwaysLoses();
    await expect(retryOnConflict(loser.attempt, { maxAttempts: 2 })).rejects.toBeInstanceOf(ConcurrentWriteError);
    expect(loser.attempts()).toBe(2);

    let calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw new Error('access denied');
      }),
    ).rejects.toThrow('access denied');
    expect(calls).toBe(1);
  });
});
