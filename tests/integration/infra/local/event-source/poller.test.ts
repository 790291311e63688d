/**
 * The SQS event source poller against a real moto_server: deletes, partial batch
 * failures, redrive to the DLQ, batching windows and an emulator that goes away.
 * Queues use a 1 s visibility timeout and maxReceiveCount 2 so redelivery is quick.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localSqs } from '../../../../../infra/local/cloud/localClients.js';
import { type RunningProcess, startMoto } from '../../../../../infra/local/cloud/moto.js';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import type { EventSourceLogger } from '../../../../../infra/local/event-source/outage.js';
import { SqsEventSourcePoller, type SqsEventSourcePollerOptions } from '../../../../../infra/local/event-source/poller.js';
import type { InvokeOutcome } from '../../../../../infra/local/toolbox/invoke.js';
import { waitFor } from '../../../../../infra/local/toolbox/retry.js';

const REGION = 'us-east-1';
const VISIBILITY_TIMEOUT_SECONDS = 1;
/** For a test that counts deliveries but not redeliveries: a slow second on a busy machine must not redeliver. */
const NO_REDELIVERY = { visibilitySeconds: 30 };
const MAX_RECEIVE_COUNT = 2;
/** A long poll stop() must cut short. */
const LONG_POLL_SECONDS = 20;

let moto: RunningProcess;
let admin: SQSClient;
const pollers: SqsEventSourcePoller[] = [];
const clients: SQSClient[] = [];

beforeAll(async () => {
  moto = await startMoto(await findFreePort());
  admin = sqsClient(moto.url);
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await moto?.stop();
});

function sqsClient(endpoint: string): SQSClient {
  const client = localSqs(endpoint, REGION);
  clients.push(client);
  return client;
}

interface TestQueue {
  name: string;
  url: string;
  arn: string;
  dlqUrl: string;
}

let queueCounter = 0;

/** A queue whose messages go to its own DLQ after MAX_RECEIVE_COUNT receives. */
async function createQueueWithDlq(
  client: SQSClient = admin,
  name = `q${++queueCounter}-${Date.now()}`,
  { visibilitySeconds = VISIBILITY_TIMEOUT_SECONDS } = {},
): Promise<TestQueue> {
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = await queueArn(client, dlq.QueueUrl!);
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilitySeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
      },
    }),
  );
  return { name, url: queue.QueueUrl!, arn: await queueArn(client, queue.QueueUrl!), dlqUrl: dlq.QueueUrl! };
}

async function queueArn(client: SQSClient, url: string): Promise<string> {
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return Attributes!.QueueArn!;
}

async function sendBodies(queueUrl: string, bodies: string[], client: SQSClient = admin): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const entries = bodies.slice(start, start + 10).map((body, i) => ({
      Id: String(start + i),
      MessageBody: body,
      MessageAttributes: { source: { DataType: 'String', StringValue: 'test' } },
    }));
    const result = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    expect(result.Failed ?? []).toEqual([]);
  }
}

/** Visible + in-flight messages, i.e. everything not deleted. */
async function messagesLeft(queueUrl: string): Promise<number> {
  const { Attributes } = await admin.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Object.values(Attributes ?? {}).reduce((sum, value) => sum + Number(value), 0);
}

function waitUntil(what: string, condition: () => boolean | Promise<boolean>): Promise<boolean> {
  return waitFor(async () => await condition(), { what, timeoutMs: 15_000, intervalMs: 100 });
}

/** Keeps every log line per level, for asserting on what an operator would see. */
function recordingLogger(): EventSourceLogger & { lines: Record<'debug' | 'info' | 'warn' | 'error', string[]> } {
  const lines = { debug: [] as string[], info: [] as string[], warn: [] as string[], error: [] as string[] };
  return {
    lines,
    debug: (message) => lines.debug.push(message),
    info: (message) => lines.info.push(message),
    warn: (message) => lines.warn.push(message),
    error: (message) => lines.error.push(message),
  };
}

/** Counts the receipt handles the poller deletes, by watching its client's DeleteMessageBatch calls. */
function deleteCountingClient(endpoint: string): { client: SQSClient; deleted: string[] } {
  const client = sqsClient(endpoint);
  const deleted: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'DeleteMessageBatchCommand') {
        const input = args.input as { Entries?: { ReceiptHandle?: string }[] };
        deleted.push(...(input.Entries ?? []).map((entry) => entry.ReceiptHandle ?? ''));
      }
      return await next(args);
    },
    { step: 'initialize', name: 'countDeletes' },
  );
  return { client, deleted };
}

/**
 * Counts a client's ReceiveMessage calls: `sent` as each goes out over HTTP, `failed`
 * as each fails (its retries done), `aborted` as each is cut short by its abort signal.
 */
function countReceives(client: SQSClient): { sent: number; failed: number; aborted: number } {
  const counts = { sent: 0, failed: 0, aborted: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'ReceiveMessageCommand') return await next(args);
      try {
        return await next(args);
      } catch (error) {
        if ((error as Error).name === 'AbortError') counts.aborted++;
        else counts.failed++;
        throw error;
      }
    },
    { step: 'initialize', name: 'countFailedReceives' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ReceiveMessageCommand') counts.sent++;
      return await next(args);
    },
    { step: 'deserialize', name: 'countSentReceives' },
  );
  return counts;
}

/** A real in-process function: records every event, answers with `respond`. */
function recordingFunction(respond: (event: SQSEvent) => unknown): {
  invoke: (event: SQSEvent) => Promise<InvokeOutcome>;
  events: SQSEvent[];
  records: () => SQSRecord[];
} {
  const events: SQSEvent[] = [];
  return {
    events,
    records: () => events.flatMap((event) => event.Records),
    invoke: async (event) => {
      events.push(event);
      return { ok: true, response: await respond(event) };
    },
  };
}

function startPoller(
  queue: TestQueue,
  options: Partial<SqsEventSourcePollerOptions> & Pick<SqsEventSourcePollerOptions, 'invoke' | 'sqs'>,
) {
  const poller = new SqsEventSourcePoller({
    queueUrl: queue.url,
    queueArn: queue.arn,
    region: REGION,
    label: 'metric',
    reportBatchItemFailures: true,
    waitTimeSeconds: 1,
    ...options,
  });
  pollers.push(poller);
  poller.start();
  return poller;
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

describe('SqsEventSourcePoller against moto_server', () => {
  it('delivers each message once and deletes every success exactly once', async () => {
    const queue = await createQueueWithDlq(admin, undefined, NO_REDELIVERY);
    const { client, deleted } = deleteCountingClient(moto.url);
    const fn = recordingFunction(() => ({ batchItemFailures: [] }));
    const logger = recordingLogger();
    const bodies = Array.from({ length: 25 }, (_, i) => `message-${i}`);
    await sendBodies(queue.url, bodies);

    startPoller(queue, { sqs: client, invoke: fn.invoke, logger, pollers: 2 });
    await waitUntil('all 25 messages to be delivered', () => fn.records().length >= 25);
    // Every message deleted (none visible, in flight or delayed): none can be delivered again.
    await waitUntil('the queue to be empty', async () => (await messagesLeft(queue.url)) === 0);

    const records = fn.records();
    expect(records.map((r) => r.body).sort()).toEqual([...bodies].sort());
    expect([...countBy(records, (r) => r.messageId).values()].every((n) => n === 1)).toBe(true);
    expect(records.every((r) => r.attributes.ApproximateReceiveCount === '1')).toBe(true);
    expect(deleted).toHaveLength(25);
    expect(new Set(deleted)).toEqual(new Set(records.map((r) => r.receiptHandle)));
    expect(fn.events.every((event) => event.Records.length <= 10)).toBe(true);
    expect(await messagesLeft(queue.dlqUrl)).toBe(0);

    const record = records[0]!;
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: REGION,
      messageAttributes: { source: { stringValue: 'test', stringListValues: [], binaryListValues: [], dataType: 'String' } },
    });
    expect(record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThan(0);
    expect(record.attributes.SenderId).toMatch(/^\S+$/);
    expect(logger.lines.info.some((line) => /^sqs → metric: \d+ messages? from q\d+-\d+, all succeeded$/.test(line))).toBe(true);
    expect(logger.lines.warn).toEqual([]);
  });

  it('redelivers only the messages reported in batchItemFailures, then dead-letters them', async () => {
    const queue = await createQueueWithDlq();
    const { client, deleted } = deleteCountingClient(moto.url);
    const fn = recordingFunction((event) => ({
      batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })),
    }));
    const logger = recordingLogger();
    await sendBodies(queue.url, ['ok-1', 'bad', 'ok-2']);

    startPoller(queue, { sqs: client, invoke: fn.invoke, logger, pollers: 1, maximumBatchingWindowSeconds: 1 });
    await waitUntil('the failed message to reach the DLQ', async () => (await messagesLeft(queue.dlqUrl)) === 1);
    // Nothing left in the queue (the good ones deleted, the bad one moved): none can be delivered again.
    await waitUntil('the queue to be empty', async () => (await messagesLeft(queue.url)) === 0);

    const bad = fn.records().filter((r) => r.body === 'bad');
    expect(bad.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(
      fn
        .records()
        .filter((r) => r.body.startsWith('ok'))
        .map((r) => r.attributes.ApproximateReceiveCount),
    ).toEqual(['1', '1']);
    expect(fn.events[0]!.Records).toHaveLength(3);
    expect(deleted).toHaveLength(2);
    expect(await messagesLeft(queue.url)).toBe(0);
    const dead = await admin.send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['bad']);
    expect(logger.lines.info).toContain(`sqs → metric: 3 messages from ${queue.name}, 1 reported failed (left for redelivery)`);
  });

  it('deletes nothing when the invocation fails, so the queue redrive takes over', async () => {
    const queue = await createQueueWithDlq();
    const { client, deleted } = deleteCountingClient(moto.url);
    const logger = recordingLogger();
    const received: SQSRecord[] = [];
    const invoke = async (event: SQSEvent): Promise<InvokeOutcome> => {
      received.push(...event.Records);
      throw new Error('boom');
    };
    await sendBodies(queue.url, ['a', 'b']);

    startPoller(queue, { sqs: client, invoke, logger, pollers: 1 });
    await waitUntil('both messages to reach the DLQ', async () => (await messagesLeft(queue.dlqUrl)) === 2);

    expect(deleted).toEqual([]);
    expect(countBy(received, (r) => r.body)).toEqual(
      new Map([
        ['a', 2],
        ['b', 2],
      ]),
    );
    expect(await messagesLeft(queue.url)).toBe(0);
    expect(logger.lines.warn.length).toBeGreaterThanOrEqual(1);
    expect(logger.lines.warn[0]).toMatch(/^sqs → metric: 2 messages from .*, invocation failed \(boom\); nothing deleted/);
  });

  it('gathers more than 10 messages into one invocation within the batching window', async () => {
    const queue = await createQueueWithDlq();
    const { client, deleted } = deleteCountingClient(moto.url);
    const fn = recordingFunction(() => undefined);
    await sendBodies(
      queue.url,
      Array.from({ length: 25 }, (_, i) => `m${i}`),
    );

    const started = Date.now();
    startPoller(queue, { sqs: client, invoke: fn.invoke, pollers: 1, batchSize: 100, maximumBatchingWindowSeconds: 2 });
    await waitUntil('one invocation', () => fn.events.length >= 1);
    const elapsed = Date.now() - started;
    await waitUntil('the deletes', () => deleted.length >= 25);

    expect(fn.events).toHaveLength(1);
    expect(fn.events[0]!.Records).toHaveLength(25);
    // The batch was not full, so it went out when the 2 s window closed.
    expect(elapsed).toBeGreaterThanOrEqual(1_500);
    expect(deleted).toHaveLength(25);
  });

  it('survives the emulator going away and coming back, with one warning and one recovery line', async () => {
    const port = await findFreePort();
    let ownMoto = await startMoto(port);
    try {
      const client = sqsClient(ownMoto.url);
      const receives = countReceives(client);
      const queueName = 'restart-me';
      const queue = await createQueueWithDlq(client, queueName);
      const fn = recordingFunction(() => undefined);
      const logger = recordingLogger();
      startPoller(queue, { sqs: client, invoke: fn.invoke, logger, pollers: 2, backoff: { delayMs: 200, maxDelayMs: 1_000 } });

      await sendBodies(queue.url, ['before'], client);
      await waitUntil('the first message', () => fn.records().length === 1);
      // Its delete must be done too, or the outage also (rightly) reports a failed delete.
      await waitUntil('the first message deleted', async () => {
        const { Attributes } = await client.send(
          new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
        );
        return Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 1) === 0;
      });

      await ownMoto.stop();
      await waitUntil('the outage warning', () => logger.lines.warn.length > 0);
      // Several failed retries after the warning, which must stay quiet.
      const failedAtWarning = receives.failed;
      await waitUntil('three more failed receives', () => receives.failed >= failedAtWarning + 3);

      ownMoto = await startMoto(port);
      const recreated = await createQueueWithDlq(client, queueName);
      expect(recreated.url).toBe(queue.url);
      await sendBodies(queue.url, ['after'], client);
      await waitUntil('the message sent after the restart', () => fn.records().some((r) => r.body === 'after'));

      expect(logger.lines.warn, JSON.stringify(logger.lines)).toHaveLength(1);
      expect(logger.lines.warn[0]).toMatch(/^sqs → metric: cannot receive from .*restart-me: SQS endpoint unreachable \(/);
      expect(logger.lines.info.filter((line) => line.includes('answers again'))).toEqual([
        expect.stringMatching(/^sqs → metric: restart-me answers again, polling resumed after [\d.]+ s$/),
      ]);
      expect(logger.lines.error).toEqual([]);
    } finally {
      await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
      await ownMoto.stop();
    }
  });

  it('stop() aborts an in-flight long poll promptly', async () => {
    const queue = await createQueueWithDlq();
    const client = sqsClient(moto.url);
    const receives = countReceives(client);
    const poller = startPoller(queue, {
      sqs: client,
      invoke: async () => ({ ok: true, response: undefined }),
      pollers: 1,
      waitTimeSeconds: LONG_POLL_SECONDS,
    });
    await waitUntil('a long poll sent', () => receives.sent > 0);

    await poller.stop();

    // Cut short, not waited out: a long poll that ran its course would have ended without an abort.
    expect(receives.aborted).toBe(1);
  });
});
