/**
 * What the event source says while SQS does not answer: one warning when trouble
 * starts, a note when its cause changes, one line when it is over, however many loops
 * and retries there are; and one readable reason per failed SQS call.
 */
import type { RetryOptions } from '../toolbox/retry.js';

export interface EventSourceLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

interface OutageMessages {
  /** Starts every line, e.g. `sqs → metric`. */
  prefix: string;
  /** What fails, e.g. `cannot receive from <url>`; the reason is appended. */
  problem: string;
  /** What the recovery line says before `after N s`, e.g. `SQS answers again`. */
  recovered: string;
}

export class OutageReporter {
  readonly #retryNote: string;
  #since: number | undefined;
  #reason: string | undefined;

  constructor(
    readonly messages: OutageMessages,
    readonly logger: EventSourceLogger,
    backoff: Required<Pick<RetryOptions, 'delayMs' | 'maxDelayMs'>>,
  ) {
    this.#retryNote = `retrying every ${seconds(backoff.delayMs)} doubling to ${seconds(backoff.maxDelayMs)} until it works`;
  }

  failed(reason: string): void {
    const { prefix, problem } = this.messages;
    if (this.#since === undefined) {
      this.#since = Date.now();
      this.logger.warn(`${prefix}: ${problem}: ${reason}; ${this.#retryNote}`);
    } else if (reason !== this.#reason) {
      this.logger.info(`${prefix}: still failing, now: ${reason}`);
    }
    this.#reason = reason;
  }

  succeeded(): void {
    if (this.#since === undefined) return;
    this.logger.info(`${this.messages.prefix}: ${this.messages.recovered} after ${seconds(Date.now() - this.#since)}`);
    this.#since = undefined;
    this.#reason = undefined;
  }
}

/** The SDK rejects with the socket's own error (Node gives a raced IPv4/IPv6 AggregateError the first one's code). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Unreachable endpoint, missing queue, or the service's own error. */
export function describeSqsError(err: unknown): string {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return `SQS endpoint unreachable (${code})`;
  if (name === 'TimeoutError') return 'SQS endpoint unreachable (timed out)';
  // The JSON protocol and the query protocol name it differently.
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') return 'queue does not exist (yet)';
  return describeError(err);
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
