/**
 * The dead-letter tool's logic against a real moto_server: list, show (a peek that
 * leaves messages in place) and redrive, and a message that reaches its DLQ through a
 * real redrive policy and comes back.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type DeadLetterReason, reasonKey } from '../../../../../functions/commons/messaging/deadLetterReasons.js';
import { waitFor } from '../../../../../infra/local/toolbox/retry.js';
import {
  type DeadLetterQueueDepth,
  listDeadLetterQueues,
  NO_REASON,
  QueueNotFoundError,
  type RedriveResult,
  redrive,
  showDeadLetters,
} from '../../../../../infra/tools/dlq/deadLetters.js';
import { type LocalCloud, startLocalCloud } from '../../../../helpers/localCloud.js';

const cloud: LocalCloud = await startLocalCloud();
afterAll(() => cloud.stop());
// Each case starts from empty pipeline queues.
beforeEach(() => Promise.all(Object.values(cloud.queueUrls).map((url) => cloud.sqs.send(new PurgeQueueCommand({ QueueUrl: url })))));

/** A redrive's result, every count zero unless given. */
function redriveResult(dlq: string, counts: Partial<RedriveResult> = {}): RedriveResult {
  return {
    dlq,
    source: dlq.replace(/-dlq$/, ''),
    moved: 0,
    sendFailed: 0,
    deleteFailed: 0,
    failures: [],
    interruptedBy: undefined,
    ...counts,
  };
}

function urlOf(queue: string): string {
  const url = cloud.queueUrls[queue];
  if (url === undefined) throw new Error(`the local cloud has no queue ${queue}`);
  return url;
}

/** Puts messages straight into a DLQ, as SQS's redrive does; returns their message ids. */
async function putDeadLetters(
  dlq: string,
  bodies: readonly string[],
  attributes?: Record<string, MessageAttributeValue>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const body of bodies) {
    const sent = await cloud.sqs.send(new SendMessageCommand({ QueueUrl: urlOf(dlq), MessageBody: body, MessageAttributes: attributes }));
    ids.push(sent.MessageId as string);
  }
  return ids;
}

/** Writes the record a handler writes when it rejects a message. */
async function recordReason(queue: string, messageId: string, reason: string, receiveCount = 2): Promise<DeadLetterReason> {
  const record: DeadLetterReason = { queue, messageId, reason, rejectedAt: new Date().toISOString(), receiveCount };
  await cloud.s3.send(
    new PutObjectCommand({
      Bucket: cloud.bucket,
      Key: reasonKey(queue, messageId),
      Body: JSON.stringify(record),
      ContentType: 'application/json',
    }),
  );
  return record;
}

/** Receives and deletes everything in a queue. */
async function drain(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await cloud.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 30 }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await cloud.sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }),
    );
  }
}

async function depthOf(dlq: string): Promise<DeadLetterQueueDepth | undefined> {
  return (await listDeadLetterQueues(cloud.sqs)).find((queue) => queue.dlq === dlq);
}

/**
 * The real client, except that SQS refuses the first entry of every
 * SendMessageBatch (moto only ever fails an entry for a bad DelaySeconds).
 */
function rejectingFirstEntryOfEachSend(real: SQSClient): SQSClient {
  const send = async (command: unknown): Promise<unknown> => {
    if (!(command instanceof SendMessageBatchCommand)) return await real.send(command as SendMessageCommand);
    const [refused, ...accepted] = command.input.Entries ?? [];
    const out: SendMessageBatchCommandOutput | undefined =
      accepted.length > 0 ? await real.send(new SendMessageBatchCommand({ ...command.input, Entries: accepted })) : undefined;
    const failure = { Id: refused?.Id, SenderFault: false, Code: 'InternalError', Message: 'injected' };
    return { Successful: out?.Successful ?? [], Failed: [...(out?.Failed ?? []), failure] };
  };
  return { send } as unknown as SQSClient;
}

describe('list', () => {
  it('names each dead-letter queue of the pipeline with its source queue and depth', async () => {
    await putDeadLetters('features-dlq', ['{"id":"f-1","body":[]}']);

    const queues = await listDeadLetterQueues(cloud.sqs);

    expect(queues.map((queue) => [queue.dlq, queue.source])).toEqual(
      expect.arrayContaining([
        ['features-dlq', 'features'],
        ['y_pred-dlq', 'y_pred'],
        ['y_true-dlq', 'y_true'],
      ]),
    );
    expect(queues.find((queue) => queue.dlq === 'features-dlq')).toMatchObject({ visible: 1, inFlight: 0, depth: 1 });
    expect(queues.find((queue) => queue.dlq === 'y_true-dlq')).toMatchObject({ depth: 0 });
  });

  it('leaves out a -dlq queue whose source queue does not exist', async () => {
    await cloud.sqs.send(new CreateQueueCommand({ QueueName: 'orphan-dlq' }));

    expect(await depthOf('orphan-dlq')).toBeUndefined();
  });
});

describe('show', () => {
  it('lists dead letters with their recorded reasons and leaves them in the queue', async () => {
    const [withReason, withoutReason] = await putDeadLetters('y_true-dlq', ['{"id":"t-1","body":"NaN"}', 'not json']);
    const record = await recordReason('y_true', withReason as string, 'body: must be a finite number');

    const letters = await showDeadLetters(cloud.sqs, cloud.s3, cloud.bucket, 'y_true-dlq', { limit: 10 });

    const byId = new Map(letters.map((letter) => [letter.messageId, letter]));
    expect(byId.get(withReason as string)).toMatchObject({
      body: '{"id":"t-1","body":"NaN"}',
      reason: 'body: must be a finite number',
      reasonRecord: record,
    });
    expect(byId.get(withoutReason as string)).toMatchObject({ body: 'not json', reason: NO_REASON });
    for (const letter of letters) {
      expect(letter.receiveCount).toBe(1);
      expect(letter.sentAt?.getTime()).toBeGreaterThan(Date.now() - 60_000);
    }
    // Made visible again at once: still there, and shown again by the next look.
    expect(await depthOf('y_true-dlq')).toMatchObject({ visible: 2, inFlight: 0 });
    expect((await showDeadLetters(cloud.sqs, cloud.s3, cloud.bucket, 'y_true', {})).map((l) => l.messageId).sort()).toEqual(
      [withReason, withoutReason].sort(),
    );
  });

  it('shows at most --limit messages, given the source queue name', async () => {
    await putDeadLetters('y_true-dlq', ['a', 'b', 'c']);

    const letters = await showDeadLetters(cloud.sqs, cloud.s3, cloud.bucket, 'y_true', { limit: 2 });

    expect(letters).toHaveLength(2);
    expect(await depthOf('y_true-dlq')).toMatchObject({ visible: 3, inFlight: 0 });
  });

  it('says when a reason record is malformed instead of failing', async () => {
    const [id] = await putDeadLetters('y_true-dlq', ['x']);
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: reasonKey('y_true', id as string), Body: '{"reason":1}' }));

    const letters = await showDeadLetters(cloud.sqs, cloud.s3, cloud.bucket, 'y_true-dlq');

    expect(letters).toHaveLength(1);
    expect(letters[0]?.reason.startsWith(`reason record ${reasonKey('y_true', id as string)} is malformed: `)).toBe(true);
    expect(letters[0]?.reasonRecord).toBeUndefined();
  });

  it('rejects a queue that does not exist, naming its dead-letter queue', async () => {
    const failure = showDeadLetters(cloud.sqs, cloud.s3, cloud.bucket, 'nope');

    await expect(failure).rejects.toBeInstanceOf(QueueNotFoundError);
    await expect(failure).rejects.toThrow('queue nope-dlq does not exist');
  });
});

describe('redrive', () => {
  it('moves dead letters back to the source queue, bodies and attributes intact, and empties the DLQ', async () => {
    const bodies = ['{"id":"p-1","body":1}', '{"id":"p-2","body":2}', 'not json'];
    await putDeadLetters('y_pred-dlq', bodies, { origin: { DataType: 'String', StringValue: 'test' } });
    expect(await depthOf('y_pred-dlq')).toMatchObject({ depth: 3 });

    const result = await redrive(cloud.sqs, 'y_pred-dlq');

    expect(result).toEqual(redriveResult('y_pred-dlq', { moved: 3 }));
    expect(await depthOf('y_pred-dlq')).toMatchObject({ depth: 0 });
    const back = await drain(urlOf('y_pred'));
    expect(back.map((message) => message.Body).sort()).toEqual([...bodies].sort());
    for (const message of back) expect(message.MessageAttributes?.origin?.StringValue).toBe('test');
  });

  it('moves only --limit messages and leaves the rest', async () => {
    await putDeadLetters('features-dlq', ['1', '2', '3']);

    const result = await redrive(cloud.sqs, 'features', { limit: 2 });

    expect(result.moved).toBe(2);
    expect(await depthOf('features-dlq')).toMatchObject({ visible: 1, inFlight: 0 });
    expect(await drain(urlOf('features'))).toHaveLength(2);
  });

  it('never deletes a message the source queue did not accept, and makes it visible again', async () => {
    await putDeadLetters('y_true-dlq', ['1', '2', '3']);

    const result = await redrive(rejectingFirstEntryOfEachSend(cloud.sqs), 'y_true-dlq');

    expect(result).toMatchObject({ moved: 2, sendFailed: 1, deleteFailed: 0, interruptedBy: undefined });
    expect(result.failures).toEqual([expect.stringMatching(/^not re-sent .+ to y_true: InternalError injected$/)]);
    expect(await depthOf('y_true-dlq')).toMatchObject({ visible: 1, inFlight: 0 });
    const inDlq = (await drain(urlOf('y_true-dlq'))).map((message) => message.Body);
    const inSource = (await drain(urlOf('y_true'))).map((message) => message.Body);
    expect([...inDlq, ...inSource].sort()).toEqual(['1', '2', '3']);
  });

  it('does nothing on an empty DLQ', async () => {
    const result = await redrive(cloud.sqs, 'y_true-dlq');

    expect(result).toEqual(redriveResult('y_true-dlq'));
  });
});

describe('the real redrive policy', () => {
  const VISIBILITY_TIMEOUT_SECONDS = 1;
  const MAX_RECEIVE_COUNT = 2;

  async function createQueuePair(name: string): Promise<{ url: string; dlqUrl: string }> {
    const dlq = await cloud.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const { Attributes } = await cloud.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
    const queue = await cloud.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
        },
      }),
    );
    return { url: queue.QueueUrl as string, dlqUrl: dlq.QueueUrl as string };
  }

  /** Receives like a consumer that always fails: never deletes, records why. */
  async function rejectOnce(queue: string, url: string): Promise<Message[]> {
    const { Messages = [] } = await cloud.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    for (const message of Messages) {
      await recordReason(
        queue,
        message.MessageId as string,
        'body: must be a finite number',
        Number(message.Attributes?.ApproximateReceiveCount),
      );
    }
    return Messages;
  }

  it('sends a message received maxReceiveCount times to the DLQ, keeping its id, and redrive brings it back', async () => {
    const name = `redrive-${Date.now()}`;
    const pair = await createQueuePair(name);
    const sent = await cloud.sqs.send(new SendMessageCommand({ QueueUrl: pair.url, MessageBody: '{"id":"r-1","body":"x"}' }));

    // Each delivery is waited for: the first at once, the next when the visibility timeout brings the message back.
    const deliveries: (string | undefined)[][] = [];
    for (let delivery = 1; delivery <= MAX_RECEIVE_COUNT; delivery++) {
      const received = await waitFor(
        async () => {
          const got = await rejectOnce(name, pair.url);
          return got.length > 0 ? got.map((m) => m.MessageId) : undefined;
        },
        { what: `delivery ${delivery}`, timeoutMs: 30_000, intervalMs: 100 },
      );
      deliveries.push(received);
    }
    // moto moves it on the first receive after its last visibility timeout, which then finds nothing: received
    // until it is in the DLQ, every receive empty.
    const afterLast: Message[][] = [];
    await waitFor(
      async () => {
        afterLast.push(await rejectOnce(name, pair.url));
        return (await depthOf(`${name}-dlq`))?.depth === 1;
      },
      { what: `the message in ${name}-dlq`, timeoutMs: 30_000, intervalMs: 100 },
    );

    expect(deliveries).toEqual(Array.from({ length: MAX_RECEIVE_COUNT }, () => [sent.MessageId]));
    expect(afterLast.flat()).toEqual([]);
    expect(await depthOf(`${name}-dlq`)).toMatchObject({ source: name, depth: 1 });
    const [letter] = await showDeadLetters(cloud.sqs, cloud.s3, cloud.bucket, `${name}-dlq`);
    expect(letter).toMatchObject({ messageId: sent.MessageId, body: '{"id":"r-1","body":"x"}', reason: 'body: must be a finite number' });
    expect(letter?.reasonRecord?.receiveCount).toBe(MAX_RECEIVE_COUNT);

    expect(await redrive(cloud.sqs, name)).toMatchObject({ moved: 1, sendFailed: 0, deleteFailed: 0 });

    expect(await depthOf(`${name}-dlq`)).toMatchObject({ depth: 0 });
    const back = await drain(pair.url);
    expect(back.map((message) => message.Body)).toEqual(['{"id":"r-1","body":"x"}']);
  });
});
