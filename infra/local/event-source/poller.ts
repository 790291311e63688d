/**
 * What AWS Lambda's SQS event source mapping does, for a local emulator: long-poll a
 * queue, gather a batch, invoke the function, delete what succeeded. Failed messages are
 * simply not deleted; they reappear after the visibility timeout and the queue's own
 * RedrivePolicy dead-letters them, exactly as on AWS. Independent of Serverless.
 * Hand-built because serverless-offline-sqs deletes a whole batch whatever its
 * `batchItemFailures` say (CoorpAcademy/serverless-plugins issue 221).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { SQS_LIMITS } from '../../../functions/commons/messaging/sqsLimits.js';
import type { InvokeOutcome } from '../toolbox/invoke.js';
import { isRecord } from '../toolbox/isRecord.js';
import { nextDelay, type RetryOptions, retry } from '../toolbox/retry.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_POLLERS, DEFAULT_WAIT_TIME_SECONDS, validateBatching } from './config.js';
import { interpretBatchResponse, toSqsEvent } from './lambdaEvent.js';
import { describeError, describeSqsError, type EventSourceLogger, OutageReporter } from './outage.js';

export interface SqsEventSourcePollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  /** Shown in log lines as `sqs → <label>`. */
  label: string;
  /** 1..10000, default 10. Above 10 needs a batching window, as on AWS. */
  batchSize?: number;
  /** 0..300, default 0 (invoke with whatever one receive returned). */
  maximumBatchingWindowSeconds?: number;
  reportBatchItemFailures: boolean;
  /** Concurrent receive loops, each with at most one invocation in flight. Default 2. */
  pollers?: number;
  /** Long-poll duration of each ReceiveMessage, 0..20, default 20. */
  waitTimeSeconds?: number;
  invoke: (event: SQSEvent) => Promise<InvokeOutcome>;
  logger?: EventSourceLogger;
  /** Delays after errors. */
  backoff?: Required<Pick<RetryOptions, 'delayMs' | 'maxDelayMs'>>;
}

/** 0.5 s doubling to 10 s: quick after a blip, quiet during an outage. */
export const BACKOFF = { delayMs: 500, maxDelayMs: 10_000 };
/** Per receive SQS returns at most 10 messages of at most 256 KiB each. */
const MAX_MESSAGES_PER_RECEIVE = SQS_LIMITS.batchEntries;
const MAX_RECEIVE_BYTES = MAX_MESSAGES_PER_RECEIVE * SQS_LIMITS.messageBytes;
/** Lambda's synchronous payload limit (serverless-offline enforces it too); stop gathering before a receive could cross it. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Rough JSON envelope per record (ids, receipt handle, attributes). */
const RECORD_OVERHEAD_BYTES = 2 * 1024;
const DELETE_CHUNK = 10;
const DELETE_ATTEMPTS = 4;

const silentLogger: EventSourceLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Waits `ms`, or less if `signal` aborts first (the caller's loop then sees it). */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

export class SqsEventSourcePoller {
  readonly #options: Required<SqsEventSourcePollerOptions>;
  readonly #queueName: string;
  readonly #outage: OutageReporter;
  #abort = new AbortController();
  #loops: Promise<void>[] = [];
  #warnedUnrequestedFailures = false;

  constructor(options: SqsEventSourcePollerOptions) {
    this.#options = {
      ...options,
      batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
      maximumBatchingWindowSeconds: options.maximumBatchingWindowSeconds ?? 0,
      pollers: options.pollers ?? DEFAULT_POLLERS,
      waitTimeSeconds: options.waitTimeSeconds ?? DEFAULT_WAIT_TIME_SECONDS,
      logger: options.logger ?? silentLogger,
      backoff: options.backoff ?? BACKOFF,
    };
    validateBatching(this.#options);
    this.#queueName = options.queueArn.split(':').at(-1) || options.queueUrl;
    this.#outage = new OutageReporter(
      {
        prefix: this.#prefix,
        problem: `cannot receive from ${options.queueUrl}`,
        recovered: `${this.#queueName} answers again, polling resumed`,
      },
      this.#options.logger,
      this.#options.backoff,
    );
  }

  /** Starts the receive loops; they run until stop(). Calling it twice is harmless. */
  start(): void {
    if (this.#loops.length > 0) return;
    this.#abort = new AbortController();
    for (let i = 0; i < this.#options.pollers; i++) this.#loops.push(this.#runLoop(this.#abort.signal));
  }

  /**
   * Aborts in-flight long polls and waits for in-flight invocations (and their deletes)
   * to settle. Messages gathered but not yet handed to the function stay in flight and
   * come back after the visibility timeout, as when a Lambda poller is stopped.
   */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled(this.#loops);
    this.#loops = [];
  }

  get #prefix(): string {
    return `sqs → ${this.#options.label}`;
  }

  /** Backs off while receiving fails or the function cannot be reached; a good round resets the delay. */
  async #runLoop(signal: AbortSignal): Promise<void> {
    let backoffMs: number | undefined;
    while (!signal.aborted) {
      let failed = true;
      try {
        const { messages, receiveFailed } = await this.#gatherBatch(signal);
        if (signal.aborted) break;
        const unreachable = messages.length > 0 && (await this.#processBatch(messages));
        failed = receiveFailed || unreachable;
      } catch (err) {
        // Nothing above should throw; if it does, keep polling rather than kill the process.
        this.#options.logger.error(`${this.#prefix}: unexpected error, polling continues: ${describeError(err)}`);
      }
      backoffMs = failed ? nextDelay(backoffMs, this.#options.backoff) : undefined;
      if (backoffMs !== undefined) await sleepUnlessAborted(backoffMs, signal);
    }
  }

  /**
   * Receives until batchSize messages, the batching window (which starts with the first
   * message) has elapsed, or the payload limit is near. A failed receive ends the
   * gathering; messages already received are still processed.
   */
  async #gatherBatch(signal: AbortSignal): Promise<{ messages: Message[]; receiveFailed: boolean }> {
    const { batchSize, maximumBatchingWindowSeconds, waitTimeSeconds } = this.#options;
    // Keyed by id: with a window longer than the visibility timeout a message can come twice; keep the newest receipt.
    const byId = new Map<string, Message>();
    let bytes = 0;
    let deadline: number | undefined;
    while (!signal.aborted) {
      // Long-polls fully until the window opens, then no longer than what is left of it (rounded up: SQS counts whole seconds).
      const waitSeconds =
        deadline === undefined ? waitTimeSeconds : Math.max(0, Math.min(waitTimeSeconds, Math.ceil((deadline - Date.now()) / 1000)));
      let received: Message[];
      try {
        received = await this.#receive(Math.min(MAX_MESSAGES_PER_RECEIVE, batchSize - byId.size), waitSeconds, signal);
        this.#outage.succeeded();
      } catch (err) {
        if (!signal.aborted) this.#outage.failed(describeSqsError(err));
        return { messages: [...byId.values()], receiveFailed: true };
      }
      for (const message of received) {
        if (!message.MessageId || !message.ReceiptHandle) continue;
        byId.set(message.MessageId, message);
        bytes += Buffer.byteLength(message.Body ?? '') + RECORD_OVERHEAD_BYTES;
      }
      if (byId.size === 0 || maximumBatchingWindowSeconds === 0) break;
      deadline ??= Date.now() + maximumBatchingWindowSeconds * 1000;
      if (byId.size >= batchSize || Date.now() >= deadline || bytes + MAX_RECEIVE_BYTES > MAX_PAYLOAD_BYTES) break;
    }
    return { messages: [...byId.values()], receiveFailed: false };
  }

  async #receive(maxMessages: number, waitSeconds: number, signal: AbortSignal): Promise<Message[]> {
    const response = await this.#options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#options.queueUrl,
        MaxNumberOfMessages: maxMessages,
        WaitTimeSeconds: waitSeconds,
        // Both spellings: AttributeNames is deprecated but older emulators only know it.
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    return response.Messages ?? [];
  }

  /** Invokes the function and deletes what succeeded. Returns true when the function could not be reached. */
  async #processBatch(messages: Message[]): Promise<boolean> {
    const { queueArn, region, logger } = this.#options;
    const from = `${this.#prefix}: ${plural(messages.length, 'message')} from ${this.#queueName}`;
    const outcome = await this.#options
      .invoke(toSqsEvent(messages, queueArn, region))
      .catch((err: unknown): InvokeOutcome => ({ ok: false, error: describeError(err) }));
    if (!outcome.ok) {
      logger.warn(`${from}, invocation failed (${outcome.error}); nothing deleted, all come back after the visibility timeout`);
      return outcome.unreachable === true;
    }
    const failedIds = this.#failedIds(outcome.response, messages, from);
    if (failedIds === undefined) return false;
    await this.#deleteMessages(messages.filter((message) => !failedIds.has(message.MessageId ?? '')));
    logger.info(failedIds.size === 0 ? `${from}, all succeeded` : `${from}, ${failedIds.size} reported failed (left for redelivery)`);
    return false;
  }

  /** Ids to keep in the queue, or undefined when the whole batch counts as failed (malformed response). */
  #failedIds(response: unknown, messages: Message[], from: string): Set<string> | undefined {
    if (!this.#options.reportBatchItemFailures) {
      this.#warnIfFailuresIgnored(response);
      return new Set();
    }
    const verdict = interpretBatchResponse(response, new Set(messages.map((message) => message.MessageId ?? '')));
    if (verdict.ok) return verdict.failedIds;
    this.#options.logger.warn(
      `${from}, invalid batchItemFailures response (${verdict.reason}); the whole batch counts as failed, as on AWS; nothing deleted`,
    );
    return undefined;
  }

  /** AWS ignores batchItemFailures unless the mapping asks for them; say so once instead of silently deleting. */
  #warnIfFailuresIgnored(response: unknown): void {
    if (this.#warnedUnrequestedFailures || !isRecord(response) || !Array.isArray(response.batchItemFailures)) return;
    if (response.batchItemFailures.length === 0) return;
    this.#warnedUnrequestedFailures = true;
    this.#options.logger.warn(
      `${this.#prefix}: the function returned batchItemFailures but the event lacks functionResponseType: ReportBatchItemFailures; ` +
        'every message is deleted, as on AWS',
    );
  }

  /**
   * DeleteMessageBatch in chunks of 10; failed entries are retried with backoff, then
   * left for redelivery. Not tied to stop(): a batch the function handled should still be deleted.
   */
  async #deleteMessages(messages: Message[]): Promise<void> {
    const { sqs, queueUrl, logger, backoff } = this.#options;
    for (let start = 0; start < messages.length; start += DELETE_CHUNK) {
      let pending = messages
        .slice(start, start + DELETE_CHUNK)
        .map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle }));
      const deletePending = async () => {
        const { Failed = [] } = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
        // Sender faults (e.g. an expired receipt handle) will not succeed on retry.
        for (const entry of Failed.filter((f) => f.SenderFault)) {
          logger.warn(`${this.#prefix}: could not delete a message (${entry.Code}: ${entry.Message}); it will be redelivered`);
        }
        const retryable = Failed.filter((f) => !f.SenderFault);
        pending = pending.filter((entry) => retryable.some((f) => f.Id === entry.Id));
        if (pending.length > 0) throw new Error(retryable.map((f) => `${f.Code}: ${f.Message}`).join('; '));
      };
      const onRetry = (err: unknown) =>
        logger.warn(`${this.#prefix}: deleting ${plural(pending.length, 'message')} failed (${describeSqsError(err)}); retrying`);
      await retry(deletePending, { attempts: DELETE_ATTEMPTS, ...backoff, onRetry }).catch((err: unknown) => {
        logger.error(
          `${this.#prefix}: gave up deleting ${plural(pending.length, 'processed message')} (${describeSqsError(err)}); they will be redelivered`,
        );
      });
    }
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
