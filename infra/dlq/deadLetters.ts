/**
 * The dead-letter tooling's logic (`npm run dlq`): list the pipeline's dead-letter
 * queues, show what is in one with the recorded reasons, and redrive its messages
 * to the source queue.
 *
 * A DLQ is any queue named `<source>-dlq` whose `<source>` exists, the convention
 * serverless.yml follows (`features-dlq`, `y_true-dlq`, `y_pred-dlq`).
 *
 * Redrive is a manual move (receive, SendMessageBatch to the source, then
 * DeleteMessageBatch of exactly what was sent) rather than SQS's
 * StartMessageMoveTask: moto 5.2 does not implement StartMessageMoveTask (it
 * answers HTTP 500 with an HTML page), LocalStack's support varies by version, and
 * the move task is asynchronous and reports no per-message outcome. The manual move
 * works on every endpoint and says exactly what moved. Its one difference: SQS gives
 * each re-sent message a new MessageId (the move task would too).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandOutput,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DeadLetterReason, InvalidReasonRecordError, readReason } from '../../functions/commons/messaging/deadLetterReasons.js';

export const DLQ_SUFFIX = '-dlq';
export const NO_REASON = 'no reason recorded';
export const DEFAULT_SHOW_LIMIT = 10;

/** SQS's cap on entries per batch call. */
const SQS_BATCH_LIMIT = 10;
/** SQS's cap on a SendMessageBatch payload (sum of bodies and attributes). */
const SEND_BATCH_MAX_BYTES = 256 * 1024;
/**
 * How long a peeked message stays hidden. Long enough for the whole `show` to
 * receive and read reasons; short enough that, if the tool dies before putting
 * them back, the consumers see them again soon.
 */
const PEEK_VISIBILITY_SECONDS = 30;
/** How long a message being redriven stays hidden: one send and one delete. */
const REDRIVE_VISIBILITY_SECONDS = 60;
/**
 * AWS's short poll samples only some servers and may answer empty while messages
 * wait; a 1 s long poll sees them all. It returns at once when messages are there.
 */
const RECEIVE_WAIT_SECONDS = 1;

export class QueueNotFoundError extends Error {
  constructor(readonly queue: string) {
    super(`queue ${queue} does not exist`);
    this.name = 'QueueNotFoundError';
  }
}

export interface DeadLetterQueuePair {
  /** The dead-letter queue's name, e.g. `y_true-dlq`. */
  readonly dlq: string;
  readonly dlqUrl: string;
  /** The queue it collects for, e.g. `y_true`. */
  readonly source: string;
  readonly sourceUrl: string;
}

export interface DeadLetterQueueDepth extends DeadLetterQueuePair {
  /** Messages available to receive. */
  readonly visible: number;
  /** Messages received by someone and not yet deleted or released. */
  readonly inFlight: number;
  /** visible + inFlight. */
  readonly depth: number;
}

export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  /** SQS's ApproximateReceiveCount, which counts the source queue's deliveries and every peek. */
  readonly receiveCount: number | undefined;
  readonly sentAt: Date | undefined;
  /** The recorded reason, `no reason recorded`, or why the record could not be read. */
  readonly reason: string;
  readonly reasonRecord: DeadLetterReason | undefined;
}

export interface RedriveResult {
  readonly dlq: string;
  readonly source: string;
  /** Sent to the source queue and deleted from the DLQ. */
  readonly moved: number;
  /** Not accepted by the source queue: left in the DLQ, untouched. */
  readonly sendFailed: number;
  /** Sent, but still in the DLQ (the delete failed): now in both queues. */
  readonly deleteFailed: number;
  /** One line per failed entry, with the SQS error. */
  readonly failures: readonly string[];
  /** Set when a call failed midway; the counts say what was done before it. */
  readonly interruptedBy: string | undefined;
}

// ---------------------------------------------------------------------------
// Queues

function queueNameOfUrl(url: string): string {
  return url.replace(/\/+$/, '').split('/').pop() ?? url;
}

function isQueueMissing(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? '';
  // The query protocol and the JSON protocol name it differently.
  return name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue';
}

/** The queue's URL, or undefined when there is no such queue. */
async function findQueueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (isQueueMissing(error)) return undefined;
    throw error;
  }
}

async function requireQueueUrl(sqs: SQSClient, name: string): Promise<string> {
  const url = await findQueueUrl(sqs, name);
  if (url === undefined) throw new QueueNotFoundError(name);
  return url;
}

/** `y_true` and `y_true-dlq` both name the pair (y_true-dlq → y_true). */
export function deadLetterQueueName(queue: string): string {
  return queue.endsWith(DLQ_SUFFIX) ? queue : `${queue}${DLQ_SUFFIX}`;
}

export function sourceQueueName(dlq: string): string {
  return dlq.endsWith(DLQ_SUFFIX) ? dlq.slice(0, -DLQ_SUFFIX.length) : dlq;
}

/** Resolves either name of a pair to both queues; throws QueueNotFoundError if either is missing. */
export async function resolveDeadLetterQueue(sqs: SQSClient, queue: string): Promise<DeadLetterQueuePair> {
  const dlq = deadLetterQueueName(queue);
  const source = sourceQueueName(dlq);
  // One after the other, so a wrong name is always reported as the missing DLQ.
  const dlqUrl = await requireQueueUrl(sqs, dlq);
  const sourceUrl = await requireQueueUrl(sqs, source);
  return { dlq, dlqUrl, source, sourceUrl };
}

async function listQueueUrls(sqs: SQSClient): Promise<string[]> {
  const urls: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken: nextToken }));
    urls.push(...(page.QueueUrls ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return urls;
}

async function queueCounts(sqs: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Every `<source>-dlq` queue whose source exists, by name, with its depth. */
export async function listDeadLetterQueues(sqs: SQSClient): Promise<DeadLetterQueueDepth[]> {
  const dlqUrls = (await listQueueUrls(sqs)).filter((url) => queueNameOfUrl(url).endsWith(DLQ_SUFFIX));
  const found = await Promise.all(dlqUrls.map((url) => describeDeadLetterQueue(sqs, url)));
  return found.filter((queue): queue is DeadLetterQueueDepth => queue !== undefined).sort((a, b) => a.dlq.localeCompare(b.dlq));
}

/** Undefined when the DLQ has no source queue: not part of a pair, so not ours to show. */
async function describeDeadLetterQueue(sqs: SQSClient, dlqUrl: string): Promise<DeadLetterQueueDepth | undefined> {
  const dlq = queueNameOfUrl(dlqUrl);
  const source = sourceQueueName(dlq);
  const sourceUrl = await findQueueUrl(sqs, source);
  if (sourceUrl === undefined) return undefined;
  const { visible, inFlight } = await queueCounts(sqs, dlqUrl);
  return { dlq, dlqUrl, source, sourceUrl, visible, inFlight, depth: visible + inFlight };
}

// ---------------------------------------------------------------------------
// Receiving and releasing

async function receiveBatch(sqs: SQSClient, url: string, max: number, visibilitySeconds: number): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: Math.min(SQS_BATCH_LIMIT, max),
      VisibilityTimeout: visibilitySeconds,
      WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return out.Messages ?? [];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Makes held messages visible again at once. If this fails they still come back
 * by themselves when their visibility timeout ends.
 */
async function releaseMessages(sqs: SQSClient, url: string, messages: readonly Message[]): Promise<void> {
  for (const chunk of chunks(messages, SQS_BATCH_LIMIT)) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: chunk.map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

/**
 * How many messages to go through: no more than were visible at the start, so a
 * run ends even while messages keep arriving (or failing back into the DLQ).
 */
async function visibleCountCapped(sqs: SQSClient, url: string, limit: number): Promise<number> {
  const { visible } = await queueCounts(sqs, url);
  return Math.min(limit, visible);
}

// ---------------------------------------------------------------------------
// show

export interface ShowOptions {
  /** At most this many messages (default DEFAULT_SHOW_LIMIT). */
  readonly limit?: number;
}

/**
 * Up to `limit` messages of the DLQ with their recorded reasons, WITHOUT consuming
 * them: each is received with a short visibility timeout and made visible again
 * right after, so consumers and a later redrive still see them. Peeking does add
 * one to each message's receive count.
 */
export async function showDeadLetters(
  sqs: SQSClient,
  s3: S3Client,
  bucket: string,
  dlq: string,
  options: ShowOptions = {},
): Promise<DeadLetter[]> {
  const pair = await resolveDeadLetterQueue(sqs, dlq);
  const messages = await peek(sqs, pair.dlqUrl, options.limit ?? DEFAULT_SHOW_LIMIT);
  return await Promise.all(messages.map((message) => describeMessage(s3, bucket, pair.source, message)));
}

async function peek(sqs: SQSClient, url: string, limit: number): Promise<Message[]> {
  const wanted = await visibleCountCapped(sqs, url, limit);
  const held: Message[] = [];
  try {
    while (held.length < wanted) {
      const batch = await receiveBatch(sqs, url, wanted - held.length, PEEK_VISIBILITY_SECONDS);
      if (batch.length === 0) break;
      held.push(...batch);
    }
  } finally {
    await releaseMessages(sqs, url, held);
  }
  return uniqueById(held);
}

/** A standard queue delivers at least once: the same message can come twice. */
function uniqueById(messages: readonly Message[]): Message[] {
  const seen = new Set<string | undefined>();
  const unique: Message[] = [];
  for (const message of messages) {
    if (seen.has(message.MessageId)) continue;
    seen.add(message.MessageId);
    unique.push(message);
  }
  return unique;
}

async function describeMessage(s3: S3Client, bucket: string, source: string, message: Message): Promise<DeadLetter> {
  const messageId = message.MessageId ?? '';
  const { reason, reasonRecord } = await reasonFor(s3, bucket, source, messageId);
  const receiveCount = message.Attributes?.ApproximateReceiveCount;
  const sentTimestamp = message.Attributes?.SentTimestamp;
  return {
    messageId,
    body: message.Body ?? '',
    receiveCount: receiveCount === undefined ? undefined : Number(receiveCount),
    sentAt: sentTimestamp === undefined ? undefined : new Date(Number(sentTimestamp)),
    reason,
    reasonRecord,
  };
}

/** A malformed record is shown as such, rather than failing the whole listing. */
async function reasonFor(
  s3: S3Client,
  bucket: string,
  source: string,
  messageId: string,
): Promise<{ reason: string; reasonRecord: DeadLetterReason | undefined }> {
  if (messageId === '') return { reason: NO_REASON, reasonRecord: undefined };
  try {
    const record = await readReason(s3, bucket, source, messageId);
    return { reason: record?.reason ?? NO_REASON, reasonRecord: record };
  } catch (error) {
    if (error instanceof InvalidReasonRecordError) return { reason: error.message, reasonRecord: undefined };
    throw error;
  }
}

// ---------------------------------------------------------------------------
// redrive

export interface RedriveOptions {
  /** At most this many messages (default: all that are visible when it starts). */
  readonly limit?: number;
}

interface MutableRedriveCounts {
  moved: number;
  sendFailed: number;
  deleteFailed: number;
  failures: string[];
}

/**
 * Moves the DLQ's messages back to its source queue: each batch is sent with the
 * same bodies and message attributes, then exactly the messages the source
 * accepted are deleted from the DLQ. A message that was not re-sent is never
 * deleted; it is made visible again at the end. Messages that were visible when it
 * started are the ones considered, so messages that fail again meanwhile are not
 * chased in a loop.
 */
export async function redrive(sqs: SQSClient, dlq: string, options: RedriveOptions = {}): Promise<RedriveResult> {
  const pair = await resolveDeadLetterQueue(sqs, dlq);
  const wanted = await visibleCountCapped(sqs, pair.dlqUrl, options.limit ?? Number.POSITIVE_INFINITY);
  const counts: MutableRedriveCounts = { moved: 0, sendFailed: 0, deleteFailed: 0, failures: [] };
  // Received but not re-sent: kept hidden until the end so the loop does not get them again.
  const heldBack: Message[] = [];
  // A message sent whose delete failed can come back; it must not be sent twice.
  const seen = new Set<string>();
  let interruptedBy: string | undefined;
  try {
    for (let handled = 0; handled < wanted; ) {
      const batch = await receiveBatch(sqs, pair.dlqUrl, wanted - handled, REDRIVE_VISIBILITY_SECONDS);
      const fresh = batch.filter((message) => !seen.has(message.MessageId ?? ''));
      heldBack.push(...batch.filter((message) => seen.has(message.MessageId ?? '')));
      if (fresh.length === 0) break;
      for (const message of fresh) seen.add(message.MessageId ?? '');
      handled += fresh.length;
      heldBack.push(...(await moveBatch(sqs, pair, fresh, counts)));
    }
  } catch (error) {
    interruptedBy = (error as Error).message;
  }
  try {
    await releaseMessages(sqs, pair.dlqUrl, heldBack);
  } catch (error) {
    interruptedBy ??= `could not release ${heldBack.length} unsent message(s): ${(error as Error).message}`;
  }
  return { dlq: pair.dlq, source: pair.source, ...counts, interruptedBy };
}

/** Sends `messages` to the source and deletes the ones sent; returns the ones not sent. */
async function moveBatch(
  sqs: SQSClient,
  pair: DeadLetterQueuePair,
  messages: readonly Message[],
  counts: MutableRedriveCounts,
): Promise<Message[]> {
  const notSent: Message[] = [];
  for (const group of bySendBatchSize(messages)) {
    const { sent, failed } = await sendToSourceOrExplain(sqs, pair, group, counts);
    notSent.push(...failed);
    await deleteFromDlq(sqs, pair, sent, counts);
  }
  return notSent;
}

/** Groups of at most 10 messages and 256 KiB, SendMessageBatch's limits. */
function bySendBatchSize(messages: readonly Message[]): Message[][] {
  const groups: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (current.length > 0 && (current.length >= SQS_BATCH_LIMIT || bytes + size > SEND_BATCH_MAX_BYTES)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function messageBytes(message: Message): number {
  const encoder = new TextEncoder();
  let bytes = encoder.encode(message.Body ?? '').length;
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    bytes += encoder.encode(name).length + encoder.encode(value.DataType ?? '').length;
    bytes += encoder.encode(value.StringValue ?? '').length + (value.BinaryValue?.length ?? 0);
  }
  return bytes;
}

/**
 * The attributes as received, minus the empty list fields some endpoints return
 * and SendMessage rejects.
 */
function resendableAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  if (attributes === undefined || Object.keys(attributes).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
      },
    ]),
  );
}

/**
 * A send that fails outright may or may not have reached the source, so its
 * messages are neither deleted nor released: they reappear in the DLQ when their
 * visibility timeout ends.
 */
async function sendToSourceOrExplain(
  sqs: SQSClient,
  pair: DeadLetterQueuePair,
  messages: readonly Message[],
  counts: MutableRedriveCounts,
): Promise<{ sent: Message[]; failed: Message[] }> {
  try {
    return await sendToSource(sqs, pair, messages, counts);
  } catch (error) {
    throw new Error(
      `sending ${messages.length} message(s) to ${pair.source} failed (${(error as Error).message}); ` +
        `they stay in ${pair.dlq} and are visible again within ${REDRIVE_VISIBILITY_SECONDS} s`,
      { cause: error },
    );
  }
}

async function sendToSource(
  sqs: SQSClient,
  pair: DeadLetterQueuePair,
  messages: readonly Message[],
  counts: MutableRedriveCounts,
): Promise<{ sent: Message[]; failed: Message[] }> {
  const entries: SendMessageBatchRequestEntry[] = messages.map((message, index) => ({
    Id: `m${index}`,
    MessageBody: message.Body ?? '',
    MessageAttributes: resendableAttributes(message.MessageAttributes),
  }));
  const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: pair.sourceUrl, Entries: entries }));
  const sentIds = new Set((out.Successful ?? []).map((entry) => entry.Id));
  for (const failure of out.Failed ?? []) {
    const message = messages[Number(failure.Id?.slice(1))];
    counts.failures.push(
      `not re-sent ${message?.MessageId ?? failure.Id} to ${pair.source}: ${failure.Code ?? 'error'} ${failure.Message ?? ''}`.trim(),
    );
  }
  // An entry in neither list is treated as not sent: deleting it could lose it.
  const sent = messages.filter((_, index) => sentIds.has(`m${index}`));
  const failed = messages.filter((_, index) => !sentIds.has(`m${index}`));
  counts.sendFailed += failed.length;
  return { sent, failed };
}

async function deleteFromDlq(
  sqs: SQSClient,
  pair: DeadLetterQueuePair,
  sent: readonly Message[],
  counts: MutableRedriveCounts,
): Promise<void> {
  if (sent.length === 0) return;
  let out: DeleteMessageBatchCommandOutput;
  try {
    out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: pair.dlqUrl,
        Entries: sent.map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  } catch (error) {
    // Already in the source: they will be in both queues, and the count must say so.
    counts.deleteFailed += sent.length;
    throw new Error(
      `re-sent ${sent.length} message(s) to ${pair.source} but could not delete them from ${pair.dlq}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const deleted = new Set((out.Successful ?? []).map((entry) => entry.Id));
  for (const [index, message] of sent.entries()) {
    if (deleted.has(`m${index}`)) {
      counts.moved += 1;
      continue;
    }
    counts.deleteFailed += 1;
    const failure = (out.Failed ?? []).find((entry) => entry.Id === `m${index}`);
    counts.failures.push(
      `re-sent ${message.MessageId ?? '?'} to ${pair.source} but could not delete it from ${pair.dlq}: ${failure?.Code ?? 'no answer'} ${failure?.Message ?? ''}`.trim(),
    );
  }
}
