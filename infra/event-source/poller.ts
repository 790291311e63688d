/**
 * What AWS Lambda's SQS event source mapping does, for a local emulator: long-poll a
 * queue, gather a batch, invoke the function, delete what succeeded. Failed messages are
 * simply not deleted; they reappear after the visibility timeout and the queue's own
 * RedrivePolicy dead-letters them, exactly as on AWS. Independent of Serverless.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type DeleteMessageBatchRequestEntry,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { DEFAULT_BATCH_SIZE, DEFAULT_POLLERS, DEFAULT_WAIT_TIME_SECONDS, MAX_WAIT_TIME_SECONDS, validateBatching } from './config.js';

/** The result of one invocation: the function's response, or why there is none. */
export type InvokeOutcome =
  | { ok: true; response: unknown }
  /** `unreachable`: the function was never reached (so the poller also backs off). */
  | { ok: false; error: string; unreachable?: boolean };

export interface PollerLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface SqsEventSourcePollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  functionName: string;
  /** Shown in log lines as `sqs → <label>`; defaults to functionName. */
  label?: string;
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
  logger?: PollerLogger;
  /** Retry delays after errors; 0.5 s doubling to 10 s unless set. */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** Per receive SQS returns at most 10 messages of at most 256 KiB each. */
const MAX_MESSAGES_PER_RECEIVE = 10;
const MAX_RECEIVE_BYTES = MAX_MESSAGES_PER_RECEIVE * 256 * 1024;
/** Lambda's synchronous payload limit (serverless-offline enforces it too); stop gathering before a receive could cross it. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Rough JSON envelope per record (ids, receipt handle, attributes). */
const RECORD_OVERHEAD_BYTES = 2 * 1024;
const DELETE_CHUNK = 10;
const DELETE_ATTEMPTS = 4;

const silentLogger: PollerLogger = { debug() {}, info() {}, warn() {}, error() {} };

export class SqsEventSourcePoller {
  readonly #options: Required<Omit<SqsEventSourcePollerOptions, 'backoff'>>;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #queueName: string;
  readonly #outage: OutageReporter;
  #abort = new AbortController();
  #loops: Promise<void>[] = [];
  #warnedUnrequestedFailures = false;

  constructor(options: SqsEventSourcePollerOptions) {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    const maximumBatchingWindowSeconds = options.maximumBatchingWindowSeconds ?? 0;
    validateBatching({ batchSize, maximumBatchingWindowSeconds });
    const pollers = options.pollers ?? DEFAULT_POLLERS;
    if (!Number.isInteger(pollers) || pollers < 1) throw new RangeError(`pollers must be a positive integer, got ${pollers}`);
    const waitTimeSeconds = options.waitTimeSeconds ?? DEFAULT_WAIT_TIME_SECONDS;
    if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 0 || waitTimeSeconds > MAX_WAIT_TIME_SECONDS) {
      throw new RangeError(`waitTimeSeconds must be an integer from 0 to ${MAX_WAIT_TIME_SECONDS}, got ${waitTimeSeconds}`);
    }
    this.#options = {
      ...options,
      label: options.label ?? options.functionName,
      batchSize,
      maximumBatchingWindowSeconds,
      pollers,
      waitTimeSeconds,
      logger: options.logger ?? silentLogger,
    };
    this.#backoff = { initialMs: options.backoff?.initialMs ?? 500, maxMs: options.backoff?.maxMs ?? 10_000 };
    this.#queueName = options.queueArn.split(':').at(-1) || options.queueUrl.split('/').at(-1) || options.queueUrl;
    this.#outage = new OutageReporter(
      {
        prefix: this.#prefix,
        problem: `cannot receive from ${options.queueUrl}`,
        recovered: `${this.#queueName} answers again, polling resumed`,
      },
      this.#options.logger,
      this.#backoff,
    );
  }

  get running(): boolean {
    return this.#loops.length > 0;
  }

  /** Starts the receive loops; they run until stop(). Calling it twice is harmless. */
  start(): void {
    if (this.running) return;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    for (let i = 0; i < this.#options.pollers; i++) this.#loops.push(this.#runLoop(signal));
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

  async #runLoop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#backoff.initialMs, this.#backoff.maxMs);
    while (!signal.aborted) {
      try {
        const { messages, failure } = await this.#gatherBatch(signal);
        if (signal.aborted) break;
        let invokeUnreachable = false;
        if (messages.length > 0) invokeUnreachable = await this.#processBatch(messages);
        if (failure !== undefined || invokeUnreachable) await sleep(backoff.next(), signal);
        else backoff.reset();
      } catch (err) {
        // Nothing above should throw; if it does, keep polling rather than kill the process.
        this.#options.logger.error(`${this.#prefix}: unexpected error, polling continues: ${describeError(err)}`);
        await sleep(backoff.next(), signal);
      }
    }
  }

  /**
   * Receives until batchSize messages, the batching window (which starts with the first
   * message) has elapsed, or the payload limit is near. A failed receive ends the
   * gathering; messages already received are still processed.
   */
  async #gatherBatch(signal: AbortSignal): Promise<{ messages: Message[]; failure?: unknown }> {
    const { batchSize, maximumBatchingWindowSeconds } = this.#options;
    // Keyed by id: with a window longer than the visibility timeout a message can come twice; keep the newest receipt.
    const byId = new Map<string, Message>();
    let bytes = 0;
    let deadline: number | undefined;
    while (!signal.aborted) {
      const waitSeconds = this.#waitSecondsUntil(deadline);
      let received: Message[];
      try {
        received = await this.#receive(Math.min(MAX_MESSAGES_PER_RECEIVE, batchSize - byId.size), waitSeconds, signal);
        this.#outage.succeeded();
      } catch (err) {
        if (!signal.aborted) this.#outage.failed(describeSqsError(err));
        return { messages: [...byId.values()], failure: err };
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
    return { messages: [...byId.values()] };
  }

  /** Long-polls fully until the window opens, then no longer than what is left of it (rounded up: SQS counts whole seconds). */
  #waitSecondsUntil(deadline: number | undefined): number {
    const { waitTimeSeconds } = this.#options;
    if (deadline === undefined) return waitTimeSeconds;
    return Math.max(0, Math.min(waitTimeSeconds, Math.ceil((deadline - Date.now()) / 1000)));
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
    const event = toSqsEvent(messages, this.#options.queueArn, this.#options.region);
    const count = plural(messages.length, 'message');
    const outcome = await this.#invokeSafely(event);
    if (!outcome.ok) {
      this.#options.logger.warn(
        `${this.#prefix}: ${count} from ${this.#queueName}, invocation failed (${outcome.error}); ` +
          'nothing deleted, all come back after the visibility timeout',
      );
      return outcome.unreachable === true;
    }
    const failedIds = this.#failedIds(outcome.response, messages, count);
    if (failedIds === undefined) return false;
    const toDelete = messages.filter((message) => !failedIds.has(message.MessageId ?? ''));
    await this.#deleteMessages(toDelete);
    this.#options.logger.info(
      failedIds.size === 0
        ? `${this.#prefix}: ${count} from ${this.#queueName}, all succeeded`
        : `${this.#prefix}: ${count} from ${this.#queueName}, ${failedIds.size} reported failed (left for redelivery)`,
    );
    return false;
  }

  async #invokeSafely(event: SQSEvent): Promise<InvokeOutcome> {
    try {
      return await this.#options.invoke(event);
    } catch (err) {
      return { ok: false, error: describeError(err) };
    }
  }

  /** Ids to keep in the queue, or undefined when the whole batch counts as failed (malformed response). */
  #failedIds(response: unknown, messages: Message[], count: string): Set<string> | undefined {
    if (!this.#options.reportBatchItemFailures) {
      this.#warnIfFailuresIgnored(response);
      return new Set();
    }
    const verdict = interpretBatchResponse(response, new Set(messages.map((message) => message.MessageId ?? '')));
    if (verdict.ok) return verdict.failedIds;
    this.#options.logger.warn(
      `${this.#prefix}: ${count} from ${this.#queueName}, invalid batchItemFailures response (${verdict.reason}); ` +
        'the whole batch counts as failed, as on AWS; nothing deleted',
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

  /** DeleteMessageBatch in chunks of 10; failed entries are retried with backoff, then left for redelivery. */
  async #deleteMessages(messages: Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += DELETE_CHUNK) {
      await this.#deleteChunk(messages.slice(start, start + DELETE_CHUNK));
    }
  }

  async #deleteChunk(chunk: Message[]): Promise<void> {
    let pending: DeleteMessageBatchRequestEntry[] = chunk.map((message, index) => ({
      Id: String(index),
      ReceiptHandle: message.ReceiptHandle,
    }));
    const backoff = new Backoff(this.#backoff.initialMs, this.#backoff.maxMs);
    let lastError = '';
    // Not tied to stop(): a batch the function already handled should still be deleted.
    for (let attempt = 1; attempt <= DELETE_ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 1) await delay(backoff.next());
      try {
        const result = await this.#options.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.#options.queueUrl, Entries: pending }));
        const failed = result.Failed ?? [];
        // Sender faults (e.g. an expired receipt handle) will not succeed on retry.
        for (const entry of failed.filter((f) => f.SenderFault)) {
          this.#options.logger.warn(
            `${this.#prefix}: could not delete a message (${entry.Code}: ${entry.Message}); it will be redelivered`,
          );
        }
        const retryable = new Set(failed.filter((f) => !f.SenderFault).map((f) => f.Id));
        lastError = failed.map((f) => `${f.Code}: ${f.Message}`).join('; ');
        pending = pending.filter((entry) => retryable.has(entry.Id));
      } catch (err) {
        lastError = describeSqsError(err);
      }
      if (pending.length > 0 && attempt < DELETE_ATTEMPTS) {
        this.#options.logger.warn(`${this.#prefix}: deleting ${plural(pending.length, 'message')} failed (${lastError}); retrying`);
      }
    }
    if (pending.length > 0) {
      this.#options.logger.error(
        `${this.#prefix}: gave up deleting ${plural(pending.length, 'processed message')} (${lastError}); they will be redelivered`,
      );
    }
  }
}

/**
 * AWS' rules for a ReportBatchItemFailures response: null, an empty object or an empty
 * list mean full success; anything malformed or naming an id not in the batch fails the
 * whole batch.
 */
export function interpretBatchResponse(
  response: unknown,
  batchIds: ReadonlySet<string>,
): { ok: true; failedIds: Set<string> } | { ok: false; reason: string } {
  if (response === undefined || response === null) return { ok: true, failedIds: new Set() };
  if (!isRecord(response)) return { ok: false, reason: `response is ${JSON.stringify(response)}, not an object` };
  const failures = response.batchItemFailures;
  if (failures === undefined || failures === null) return { ok: true, failedIds: new Set() };
  if (!Array.isArray(failures)) return { ok: false, reason: 'batchItemFailures is not a list' };
  const failedIds = new Set<string>();
  for (const failure of failures) {
    const id = isRecord(failure) ? failure.itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '') return { ok: false, reason: `bad entry ${JSON.stringify(failure)}` };
    if (!batchIds.has(id)) return { ok: false, reason: `itemIdentifier "${id}" is not a messageId of this batch` };
    failedIds.add(id);
  }
  return { ok: true, failedIds };
}

/** Builds the event Lambda would deliver for these messages. */
export function toSqsEvent(messages: readonly Message[], queueArn: string, region: string): SQSEvent {
  return { Records: messages.map((message) => toSqsRecord(message, queueArn, region)) };
}

export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: toRecordAttributes(message.Attributes ?? {}),
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

function toRecordAttributes(attributes: Record<string, string>): SQSRecordAttributes {
  return {
    ...attributes,
    ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
    SentTimestamp: attributes.SentTimestamp ?? '',
    SenderId: attributes.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
  };
}

/** SQS' `{ StringValue, BinaryValue: bytes, DataType }` → Lambda's camelCase shape with base64 binaries. */
export function toLambdaMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((bytes) => Buffer.from(bytes).toString('base64')),
      dataType: value.DataType ?? 'String',
    };
  }
  return result;
}

/** Exponential delays: initial, doubling, capped. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #next: number;

  constructor(initialMs = 500, maxMs = 10_000) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#next = initialMs;
  }

  next(): number {
    const current = this.#next;
    this.#next = Math.min(this.#next * 2, this.#maxMs);
    return current;
  }

  reset(): void {
    this.#next = this.#initialMs;
  }
}

export interface OutageMessages {
  /** Starts every line, e.g. `sqs → metric`. */
  prefix: string;
  /** What fails, e.g. `cannot receive from <url>`; the reason is appended. */
  problem: string;
  /** What the recovery line says before `after N s`, e.g. `SQS answers again`. */
  recovered: string;
}

/**
 * Turns a stream of failures into one warning when trouble starts, a note when its
 * cause changes, and one line when it is over, however many loops and retries there are.
 */
export class OutageReporter {
  readonly #messages: OutageMessages;
  readonly #logger: PollerLogger;
  readonly #retryNote: string;
  #since: number | undefined;
  #reason: string | undefined;

  constructor(messages: OutageMessages, logger: PollerLogger, backoff: { initialMs: number; maxMs: number }) {
    this.#messages = messages;
    this.#logger = logger;
    this.#retryNote = `retrying every ${seconds(backoff.initialMs)} doubling to ${seconds(backoff.maxMs)} until it works`;
  }

  failed(reason: string): void {
    const { prefix, problem } = this.#messages;
    if (this.#since === undefined) {
      this.#since = Date.now();
      this.#reason = reason;
      this.#logger.warn(`${prefix}: ${problem}: ${reason}; ${this.#retryNote}`);
    } else if (reason !== this.#reason) {
      this.#reason = reason;
      this.#logger.info(`${prefix}: still failing, now: ${reason}`);
    }
  }

  succeeded(): void {
    if (this.#since === undefined) return;
    const downFor = seconds(Date.now() - this.#since);
    this.#since = undefined;
    this.#reason = undefined;
    this.#logger.info(`${this.#messages.prefix}: ${this.#messages.recovered} after ${downFor}`);
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** One readable reason for a failed SQS call: unreachable endpoint, missing queue, or the service's own error. */
export function describeSqsError(err: unknown): string {
  const code = networkErrorCode(err);
  if (code !== undefined) return `SQS endpoint unreachable (${code})`;
  if (isRecord(err)) {
    const name = typeof err.name === 'string' ? err.name : '';
    if (
      name === 'QueueDoesNotExist' ||
      name === 'AWS.SimpleQueueService.NonExistentQueue' ||
      err.Code === 'AWS.SimpleQueueService.NonExistentQueue'
    ) {
      return 'queue does not exist (yet)';
    }
    if (name === 'TimeoutError') return 'SQS endpoint unreachable (timed out)';
  }
  return describeError(err);
}

/** The errno-style code of a connection failure, looking through AggregateError and `cause`. */
export function networkErrorCode(err: unknown, depth = 0): string | undefined {
  if (!isRecord(err) || depth > 3) return undefined;
  if (typeof err.code === 'string' && UNREACHABLE_CODES.has(err.code)) return err.code;
  if (typeof err.message === 'string' && /socket hang up/i.test(err.message)) return 'socket hang up';
  for (const inner of [err.cause, ...(Array.isArray(err.errors) ? err.errors : [])]) {
    const code = networkErrorCode(inner, depth + 1);
    if (code !== undefined) return code;
  }
  return undefined;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // Aborted by stop(): the caller's loop condition ends it.
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
