/**
 * The logic of `npm run dlq`: list the pipeline's dead-letter queues, show what is
 * in one with the reasons the handlers recorded, and redrive it to its source queue.
 *
 * A DLQ is any queue named `<source>-dlq` whose `<source>` exists, the convention
 * serverless.yml follows (`features-dlq`, `y_true-dlq`, `y_pred-dlq`).
 *
 * Redrive is a manual move (receive, SendMessageBatch to the source, then
 * DeleteMessageBatch of exactly what was sent) rather than SQS's
 * StartMessageMoveTask: moto 5.2 does not implement it (HTTP 500 with an HTML page),
 * LocalStack's support varies by version, and the task is asynchronous and reports
 * no per-message outcome. Like the task, the move gives each message a new MessageId.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DeadLetterReason, InvalidReasonRecordError, readReason } from '../../../functions/commons/messaging/deadLetterReasons.js';
import {
  deadLetterQueueOf,
  groupIntoBatches,
  isDeadLetterQueue,
  SQS_LIMITS,
  sourceQueueOf,
} from '../../../functions/commons/messaging/sqsLimits.js';

export const NO_REASON = 'no reason recorded';
export const DEFAULT_SHOW_LIMIT = 10;

/** Long enough for a whole `show`; short enough that, if the tool dies holding them, consumers see them again soon. */
const PEEK_VISIBILITY_SECONDS = 30;
/** One send and one delete. */
const REDRIVE_VISIBILITY_SECONDS = 60;
/** AWS's short poll samples only some servers and may answer empty while messages wait; a 1 s long poll sees them all. */
const RECEIVE_WAIT_SECONDS = 1;

export class QueueNotFoundError extends Error {
  constructor(readonly queue: string) {
    super(`queue ${queue} does not exist`);
    this.name = 'QueueNotFoundError';
  }
}

interface DeadLetterQueuePair {
  /** e.g. `y_true-dlq`. */
  readonly dlq: string;
  readonly dlqUrl: string;
  /** The queue it collects for, e.g. `y_true`. */
  readonly source: string;
  readonly sourceUrl: string;
}

export interface DeadLetterQueueDepth extends DeadLetterQueuePair {
  readonly visible: number;
  /** Received by someone and not yet deleted or released. */
  readonly inFlight: number;
  readonly depth: number;
}

export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  /** SQS's ApproximateReceiveCount: the source queue's deliveries and every peek. */
  readonly receiveCount: number | undefined;
  readonly sentAt: Date | undefined;
  /** The recorded reason, NO_REASON, or why the record could not be read. */
  readonly reason: string;
  readonly reasonRecord: DeadLetterReason | undefined;
}

export interface RedriveResult {
  readonly dlq: string;
  readonly source: string;
  /** Sent to the source queue and deleted from the DLQ. */
  moved: number;
  /** Not accepted by the source queue: left in the DLQ. */
  sendFailed: number;
  /** Sent, but the delete failed: now in both queues. */
  deleteFailed: number;
  /** One line per failed entry, with the SQS error. */
  readonly failures: string[];
  /** Set when a call failed midway; the counts say what was done before it. */
  interruptedBy: string | undefined;
}

/** `y_true` and `y_true-dlq` both name the pair. */
export function deadLetterQueueName(queue: string): string {
  return deadLetterQueueOf(queue);
}

export function sourceQueueName(dlq: string): string {
  return sourceQueueOf(dlq);
}

/** The queue's URL, or undefined when there is no such queue. */
async function findQueueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    // The query protocol and the JSON protocol name it differently.
    if (['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'].includes((error as Error).name)) return undefined;
    throw error;
  }
}

/** Either name of a pair → both queues; throws QueueNotFoundError naming the first one missing (the DLQ for a wrong name). */
async function resolveDeadLetterQueue(sqs: SQSClient, queue: string): Promise<DeadLetterQueuePair> {
  const dlq = deadLetterQueueName(queue);
  const source = sourceQueueName(dlq);
  const dlqUrl = await findQueueUrl(sqs, dlq);
  if (dlqUrl === undefined) throw new QueueNotFoundError(dlq);
  const sourceUrl = await findQueueUrl(sqs, source);
  if (sourceUrl === undefined) throw new QueueNotFoundError(source);
  return { dlq, dlqUrl, source, sourceUrl };
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

/** Every `<source>-dlq` queue whose source exists (a DLQ without one is not ours to show), by name, with its depth. */
export async function listDeadLetterQueues(sqs: SQSClient): Promise<DeadLetterQueueDepth[]> {
  const dlqUrls: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken: nextToken }));
    dlqUrls.push(...(page.QueueUrls ?? []).filter((url) => isDeadLetterQueue(url.replace(/\/+$/, ''))));
    nextToken = page.NextToken;
  } while (nextToken);
  const found = await Promise.all(
    dlqUrls.map(async (dlqUrl) => {
      const dlq = dlqUrl.replace(/\/+$/, '').split('/').pop() as string;
      const source = sourceQueueName(dlq);
      const sourceUrl = await findQueueUrl(sqs, source);
      if (sourceUrl === undefined) return [];
      const { visible, inFlight } = await queueCounts(sqs, dlqUrl);
      return [{ dlq, dlqUrl, source, sourceUrl, visible, inFlight, depth: visible + inFlight }];
    }),
  );
  return found.flat().sort((a, b) => a.dlq.localeCompare(b.dlq));
}

async function receiveBatch(sqs: SQSClient, url: string, max: number, visibilitySeconds: number): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: Math.min(SQS_LIMITS.batchEntries, max),
      VisibilityTimeout: visibilitySeconds,
      WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages;
}

/** Makes held messages visible again at once; should this fail, their visibility timeout brings them back anyway. */
async function release(sqs: SQSClient, url: string, messages: readonly Message[]): Promise<void> {
  for (let start = 0; start < messages.length; start += SQS_LIMITS.batchEntries) {
    const Entries = messages
      .slice(start, start + SQS_LIMITS.batchEntries)
      .map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
    await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries }));
  }
}

/** No more than were visible at the start, so a run ends even while messages keep arriving (or failing back). */
async function visibleAtMost(sqs: SQSClient, url: string, limit: number): Promise<number> {
  return Math.min(limit, (await queueCounts(sqs, url)).visible);
}

/**
 * Up to `limit` messages with their recorded reasons, WITHOUT consuming them: each is
 * received with a short visibility timeout and released right after, so consumers and
 * a later redrive still see them. Peeking adds one to each message's receive count.
 */
export async function showDeadLetters(
  sqs: SQSClient,
  s3: S3Client,
  bucket: string,
  dlq: string,
  options: { readonly limit?: number } = {},
): Promise<DeadLetter[]> {
  const pair = await resolveDeadLetterQueue(sqs, dlq);
  const wanted = await visibleAtMost(sqs, pair.dlqUrl, options.limit ?? DEFAULT_SHOW_LIMIT);
  const held = new Map<string, Message>(); // by id: a standard queue may deliver a message twice
  let received = 0;
  try {
    while (received < wanted) {
      const batch = await receiveBatch(sqs, pair.dlqUrl, wanted - received, PEEK_VISIBILITY_SECONDS);
      if (batch.length === 0) break;
      received += batch.length;
      for (const message of batch) held.set(message.MessageId ?? '', message); // the newest receipt is the one to release
    }
  } finally {
    await release(sqs, pair.dlqUrl, [...held.values()]);
  }
  return await Promise.all([...held.values()].map((message) => describeMessage(s3, bucket, pair.source, message)));
}

async function describeMessage(s3: S3Client, bucket: string, source: string, message: Message): Promise<DeadLetter> {
  const messageId = message.MessageId ?? '';
  const { ApproximateReceiveCount: receiveCount, SentTimestamp: sentTimestamp } = message.Attributes ?? {};
  let reasonRecord: DeadLetterReason | undefined;
  let reason = NO_REASON;
  try {
    reasonRecord = messageId === '' ? undefined : await readReason(s3, bucket, source, messageId);
    reason = reasonRecord?.reason ?? NO_REASON;
  } catch (error) {
    // A malformed record is shown as such rather than failing the whole listing.
    if (!(error instanceof InvalidReasonRecordError)) throw error;
    reason = error.message;
  }
  return {
    messageId,
    body: message.Body ?? '',
    receiveCount: receiveCount === undefined ? undefined : Number(receiveCount),
    sentAt: sentTimestamp === undefined ? undefined : new Date(Number(sentTimestamp)),
    reason,
    reasonRecord,
  };
}

/**
 * Moves the DLQ's messages (all that were visible at the start, or `limit`) back to
 * the source queue with the same bodies and message attributes, then deletes from the
 * DLQ exactly those the source accepted. A message not re-sent is never deleted; it is
 * made visible again at the end. Messages that fail again meanwhile are not chased.
 */
export async function redrive(sqs: SQSClient, dlq: string, options: { readonly limit?: number } = {}): Promise<RedriveResult> {
  const pair = await resolveDeadLetterQueue(sqs, dlq);
  const wanted = await visibleAtMost(sqs, pair.dlqUrl, options.limit ?? Number.POSITIVE_INFINITY);
  const result: RedriveResult = {
    dlq: pair.dlq,
    source: pair.source,
    moved: 0,
    sendFailed: 0,
    deleteFailed: 0,
    failures: [],
    interruptedBy: undefined,
  };
  // Received but not re-sent: hidden until the end so the loop does not get them again.
  const heldBack: Message[] = [];
  // A message sent whose delete failed can come back; it must not be sent twice.
  const seen = new Set<string>();
  try {
    for (let handled = 0; handled < wanted; ) {
      const batch = await receiveBatch(sqs, pair.dlqUrl, wanted - handled, REDRIVE_VISIBILITY_SECONDS);
      const fresh = batch.filter((message) => !seen.has(message.MessageId ?? ''));
      heldBack.push(...batch.filter((message) => seen.has(message.MessageId ?? '')));
      if (fresh.length === 0) break;
      for (const message of fresh) seen.add(message.MessageId ?? '');
      handled += fresh.length;
      for (const group of bySendBatchBytes(fresh)) {
        const { sent, notSent } = await sendToSource(sqs, pair, group, result);
        heldBack.push(...notSent);
        await deleteFromDlq(sqs, pair, sent, result);
      }
    }
  } catch (error) {
    result.interruptedBy = (error as Error).message;
  }
  try {
    await release(sqs, pair.dlqUrl, heldBack);
  } catch (error) {
    result.interruptedBy ??= `could not release ${heldBack.length} unsent message(s): ${(error as Error).message}`;
  }
  return result;
}

/** Groups under SendMessageBatch's limits, counting bodies and attributes as SQS does. */
function bySendBatchBytes(messages: readonly Message[]): Message[][] {
  return groupIntoBatches(messages, (message) => {
    let size = Buffer.byteLength(message.Body ?? '');
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      size += Buffer.byteLength(name + (value.DataType ?? '') + (value.StringValue ?? '')) + (value.BinaryValue?.length ?? 0);
    }
    return size;
  });
}

/**
 * Sends with the same bodies and attributes (minus the empty list fields some endpoints
 * return and SendMessage rejects). An entry in neither Successful nor Failed counts as
 * not sent: deleting it could lose it. A send that fails outright may or may not have
 * reached the source, so its messages are neither deleted nor released.
 */
async function sendToSource(
  sqs: SQSClient,
  pair: DeadLetterQueuePair,
  messages: readonly Message[],
  result: RedriveResult,
): Promise<{ sent: Message[]; notSent: Message[] }> {
  const Entries = messages.map((message, index) => ({
    Id: `m${index}`,
    MessageBody: message.Body ?? '',
    MessageAttributes:
      Object.keys(message.MessageAttributes ?? {}).length === 0
        ? undefined
        : Object.fromEntries(
            Object.entries(message.MessageAttributes ?? {}).map(([name, { DataType, StringValue, BinaryValue }]) => [
              name,
              { DataType, StringValue, BinaryValue },
            ]),
          ),
  }));
  const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: pair.sourceUrl, Entries })).catch((error: Error) => {
    throw new Error(
      `sending ${messages.length} message(s) to ${pair.source} failed (${error.message}); ` +
        `they stay in ${pair.dlq} and are visible again within ${REDRIVE_VISIBILITY_SECONDS} s`,
      { cause: error },
    );
  });
  for (const failure of out.Failed ?? []) {
    const id = messages[Number(failure.Id?.slice(1))]?.MessageId ?? failure.Id;
    result.failures.push(`not re-sent ${id} to ${pair.source}: ${failure.Code ?? 'error'} ${failure.Message ?? ''}`.trim());
  }
  const sentIds = new Set((out.Successful ?? []).map((entry) => entry.Id));
  const sent = messages.filter((_, index) => sentIds.has(`m${index}`));
  result.sendFailed += messages.length - sent.length;
  return { sent, notSent: messages.filter((_, index) => !sentIds.has(`m${index}`)) };
}

async function deleteFromDlq(sqs: SQSClient, pair: DeadLetterQueuePair, sent: readonly Message[], result: RedriveResult): Promise<void> {
  if (sent.length === 0) return;
  const Entries = sent.map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle }));
  const out = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: pair.dlqUrl, Entries })).catch((error: Error) => {
    // Already in the source: they are now in both queues, and the count must say so.
    result.deleteFailed += sent.length;
    throw new Error(`re-sent ${sent.length} message(s) to ${pair.source} but could not delete them from ${pair.dlq}: ${error.message}`, {
      cause: error,
    });
  });
  const deleted = new Set((out.Successful ?? []).map((entry) => entry.Id));
  for (const [index, message] of sent.entries()) {
    if (deleted.has(`m${index}`)) {
      result.moved += 1;
      continue;
    }
    result.deleteFailed += 1;
    const failure = out.Failed?.find((entry) => entry.Id === `m${index}`);
    result.failures.push(
      `re-sent ${message.MessageId ?? '?'} to ${pair.source} but could not delete it from ${pair.dlq}: ${failure?.Code ?? 'no answer'} ${failure?.Message ?? ''}`.trim(),
    );
  }
}
