/**
 * The local alerts inbox: the SQS queue the bootstrap subscribes to the alerts topic
 * (raw delivery, so each message body is the alert's JSON). Reads every message
 * without taking it (each is made visible again at once) unless asked to delete, and
 * formats alerts one per line, oldest first.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { AlertMessage } from '../../../functions/commons/alerts/alertRules.js';

export interface InboxAlert {
  /** The alert, or undefined when the body is not an alert's JSON (`raw` then says what it was). */
  readonly alert: AlertMessage | undefined;
  readonly raw: string;
  /** When SNS delivered it (ms since epoch). */
  readonly sentAt: number;
}

export class InboxNotFoundError extends Error {
  constructor(readonly queue: string) {
    super(
      `queue ${queue} does not exist: start the stack (\`npm start\`), whose bootstrap creates it and subscribes it to the alerts topic`,
    );
  }
}

/** Every message in the inbox, oldest first; taken out of the queue only with `remove`. */
export async function readInbox(sqs: SQSClient, queue: string, options: { remove?: boolean } = {}): Promise<InboxAlert[]> {
  const url = await sqs.send(new GetQueueUrlCommand({ QueueName: queue })).then(
    (out) => out.QueueUrl as string,
    (error: { name?: string }) => {
      if (error.name === 'QueueDoesNotExist' || error.name === 'AWS.SimpleQueueService.NonExistentQueue')
        throw new InboxNotFoundError(queue);
      throw error;
    },
  );
  const seen = new Map<string, Message>();
  const handles: { Id: string; ReceiptHandle: string }[] = [];
  // Each received message stays hidden for the read (30 s), so the next receive gets others.
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    for (const message of messages) {
      if (message.MessageId !== undefined) seen.set(message.MessageId, message);
      handles.push({ Id: String(handles.length), ReceiptHandle: message.ReceiptHandle as string });
    }
  }
  for (let i = 0; i < handles.length; i += 10) {
    const entries = handles.slice(i, i + 10);
    if (options.remove) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    else
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries.map((e) => ({ ...e, VisibilityTimeout: 0 })) }),
      );
  }
  return [...seen.values()].map(toInboxAlert).sort((a, b) => order(a) - order(b));
}

function order(item: InboxAlert): number {
  const at = item.alert === undefined ? Number.NaN : Date.parse(item.alert.at);
  return Number.isFinite(at) ? at : item.sentAt;
}

/** A message as an alert: its body is the alert (raw delivery) or an SNS envelope holding it. */
export function toInboxAlert(message: Pick<Message, 'Body' | 'Attributes'>): InboxAlert {
  const raw = message.Body ?? '';
  const sentAt = Number(message.Attributes?.SentTimestamp ?? 0);
  let body: unknown;
  try {
    body = JSON.parse(raw);
    const envelope = body as { Type?: unknown; Message?: unknown };
    if (envelope?.Type === 'Notification' && typeof envelope.Message === 'string') body = JSON.parse(envelope.Message);
  } catch {
    return { alert: undefined, raw, sentAt };
  }
  const alert = body as Partial<AlertMessage> | null;
  const isAlert =
    typeof alert?.rule === 'string' && (alert.state === 'FIRING' || alert.state === 'RESOLVED') && typeof alert.at === 'string';
  return { alert: isAlert ? (alert as AlertMessage) : undefined, raw, sentAt };
}

/** One line: time, state, rule, value against threshold, and the alert's own sentence. */
export function formatAlert(item: InboxAlert): string {
  const { alert } = item;
  if (alert === undefined) return `${new Date(item.sentAt).toISOString()}  (not an alert) ${item.raw.slice(0, 200)}`;
  const figure = (value: number | null) => (value === null ? 'n/a' : String(Math.round(value * 10_000) / 10_000));
  return [
    alert.at,
    alert.state.padEnd(8),
    alert.rule.padEnd(14),
    `value ${figure(alert.value)} threshold ${figure(alert.threshold)}`.padEnd(34),
    alert.summary ?? '',
  ]
    .join('  ')
    .trimEnd();
}
