/**
 * The one retry/backoff module of the tools: `retry` runs an action again after a
 * failure, with a growing delay, until it succeeds or runs out of attempts or time;
 * `waitFor` polls a check until it yields a value. Each caller says what it waits
 * for, so a time-out names it.
 */

export interface RetryOptions {
  /** At most this many attempts (default: no limit, then `timeoutMs` must be set). */
  readonly attempts?: number;
  /** Stop retrying once this long has passed since the first attempt. */
  readonly timeoutMs?: number;
  /** The first delay; each next one is `factor` times longer, up to `maxDelayMs`. */
  readonly delayMs?: number;
  readonly maxDelayMs?: number;
  readonly factor?: number;
  /** False: give up at once and throw this error. */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Called before each wait, with the error and the coming delay. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The delay after `previousMs`: the first one when there was none, else `factor` times it, capped. */
export function nextDelay(previousMs: number | undefined, { delayMs = 250, maxDelayMs = 2_000, factor = 2 }: RetryOptions = {}): number {
  return previousMs === undefined ? delayMs : Math.min(maxDelayMs, previousMs * factor);
}

/** Runs `action` until it resolves; throws its last error when attempts or time run out. */
export async function retry<T>(action: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  let delay: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action(attempt);
    } catch (error) {
      const exhausted = attempt >= (options.attempts ?? Number.POSITIVE_INFINITY) || Date.now() >= deadline;
      if (exhausted || options.shouldRetry?.(error, attempt) === false) throw error;
      delay = nextDelay(delay, options);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** What is awaited, for the time-out's message. */
  readonly what: string;
  /** The error to throw on time-out (default: "timed out after N s waiting for <what>"). */
  readonly onTimeout?: () => Error;
}

/**
 * Calls `check` every `intervalMs` until it returns something other than undefined
 * or false, and returns that. An error thrown by `check` ends the wait.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) {
      throw options.onTimeout?.() ?? new Error(`timed out after ${options.timeoutMs / 1000} s waiting for ${options.what}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}
