/** Setting a pack's bad records aside: to the dead-letter queue with a reason, once per pack, or, failing that, the pack comes back. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { setAsideRejected } from '../../../../../functions/commons/messaging/batchResponse.js';
import { setAsideKey } from '../../../../../functions/commons/messaging/deadLetterReasons.js';
import { CLOCK_SKEW_MS, completedClaim, newClaim } from '../../../../../functions/commons/messaging/setAsideClaim.js';
import { sqsRecord } from '../../../../helpers/factories.js';

const quietLogger = { error: () => {}, warn: () => {}, info: () => {} } as unknown as Logger;
const START = Date.parse('2026-12-03T12:00:00.000Z');
/** An invocation with 30 s left. */
const context = { getRemainingTimeInMillis: () => 30_000 };

/** A bucket in memory that honours If-None-Match: * and If-Match, as S3 does. */
function memoryS3() {
  const objects = new Map<string, { body: string; etag: string }>();
  let versions = 0;
  const failed = (status: number, name: string) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  const s3 = {
    send: async (command: unknown) => {
      if (command instanceof GetObjectCommand) {
        const object = objects.get(command.input.Key as string);
        if (object === undefined) throw failed(404, 'NoSuchKey');
        return { Body: { transformToString: async () => object.body }, ETag: object.etag };
      }
      if (command instanceof PutObjectCommand) {
        const { Key, Body, IfNoneMatch, IfMatch } = command.input;
        const existing = objects.get(Key as string);
        if ((IfNoneMatch === '*' && existing !== undefined) || (IfMatch !== undefined && existing?.etag !== IfMatch)) {
          throw failed(412, 'PreconditionFailed');
        }
        const etag = `"v${++versions}"`;
        objects.set(Key as string, { body: String(Body), etag });
        return { ETag: etag };
      }
      if (command instanceof DeleteObjectCommand) {
        objects.delete(command.input.Key as string);
        return {};
      }
      throw new Error(`unexpected ${String(command)}`);
    },
  } as unknown as S3Client;
  return { s3, objects };
}

function fakes(options: { refuseSend?: boolean; now?: number } = {}) {
  const sent: { queue: string; body: string }[] = [];
  const sqs = {
    send: async (command: unknown) => {
      if (command instanceof GetQueueUrlCommand) return { QueueUrl: `url:${command.input.QueueName}` };
      if (command instanceof SendMessageCommand) {
        if (options.refuseSend) throw new Error('AWS.SimpleQueueService.NonExistentQueue');
        sent.push({ queue: command.input.QueueUrl as string, body: command.input.MessageBody as string });
        return { MessageId: `set-aside-${sent.length}` };
      }
      throw new Error(`unexpected ${String(command)}`);
    },
  } as unknown as SQSClient;
  const { s3, objects } = memoryS3();
  const reasons = () => [...objects].filter(([key]) => !key.includes('/set-aside/')).map(([key, { body }]) => `${key} ${body}`);
  const claim = (queue: string, messageId: string) => objects.get(setAsideKey(queue, messageId))?.body;
  const setAside = setAsideRejected({ sqs, s3, bucket: 'b', logger: quietLogger, now: () => options.now ?? START });
  return { sent, reasons, claim, objects, setAside };
}

const badRecord = { index: 2, item: { id: 'x', body: 'y' }, reason: 'body: not a number' };

describe('setAsideRejected', () => {
  it("sends a pack's bad records as one message to its queue's dead-letter queue and keeps the reason under that message", async () => {
    const { sent, reasons, claim, setAside } = fakes();
    const record = sqsRecord([], { queue: 'y_true', messageId: 'm-7' });

    const response = await setAside([{ record, rejected: [badRecord] }], { batchItemFailures: [{ itemIdentifier: 'other' }] }, context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'other' }] });
    expect(sent).toEqual([{ queue: 'url:y_true-dlq', body: '[{"id":"x","body":"y"}]' }]);
    expect(reasons()).toHaveLength(1);
    expect(reasons()[0]).toContain('dead-letters/reasons/y_true/set-aside-1.json');
    expect(reasons()[0]).toContain('1 bad record(s) set aside from message m-7');
    expect(reasons()[0]).toContain('[2] body: not a number');
    expect(JSON.parse(claim('y_true', 'm-7') ?? 'null')).toMatchObject({ sourceMessageId: 'm-7', setAsideAs: 'set-aside-1' });
  });

  it('sets a pack delivered twice aside once, the second delivery sending nothing', async () => {
    const { sent, reasons, setAside } = fakes();
    const record = sqsRecord([], { queue: 'y_true', messageId: 'm-7' });

    const first = await setAside([{ record, rejected: [badRecord] }], { batchItemFailures: [] }, context);
    const second = await setAside([{ record, rejected: [badRecord] }], { batchItemFailures: [] }, context);

    expect(sent).toHaveLength(1);
    expect(reasons()).toHaveLength(1);
    expect(first).toEqual({ batchItemFailures: [] });
    expect(second).toEqual({ batchItemFailures: [] });
  });

  it('sets a pack delivered to two invocations at once aside once; the one that finds it being set aside lets it come back', async () => {
    const { sent, setAside } = fakes();
    const record = sqsRecord([], { queue: 'y_pred', messageId: 'm-9' });

    const responses = await Promise.all([
      setAside([{ record, rejected: [badRecord] }], { batchItemFailures: [] }, context),
      setAside([{ record, rejected: [badRecord] }], { batchItemFailures: [] }, context),
    ]);

    expect(sent).toHaveLength(1);
    for (const response of responses) expect(response.batchItemFailures.filter((f) => f.itemIdentifier !== 'm-9')).toEqual([]);
  });

  it("lets a pack come back while another invocation's claim on it holds", async () => {
    const { sent, objects, setAside } = fakes({ now: START + 10_000 });
    objects.set(setAsideKey('y_true', 'm-7'), { body: JSON.stringify(newClaim('y_true', 'm-7', START, START + 30_000)), etag: '"x"' });
    const record = sqsRecord([], { queue: 'y_true', messageId: 'm-7' });

    const response = await setAside([{ record, rejected: [badRecord] }], { batchItemFailures: [] }, context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-7' }] });
    expect(sent).toEqual([]);
  });

  it("takes over a claim whose holder died before sending, once the holder's deadline has passed", async () => {
    const { sent, claim, objects, setAside } = fakes({ now: START + 30_000 + CLOCK_SKEW_MS + 1 });
    objects.set(setAsideKey('y_true', 'm-7'), { body: JSON.stringify(newClaim('y_true', 'm-7', START, START + 30_000)), etag: '"x"' });
    const record = sqsRecord([], { queue: 'y_true', messageId: 'm-7' });

    const response = await setAside([{ record, rejected: [badRecord] }], { batchItemFailures: [] }, context);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sent).toHaveLength(1);
    expect(JSON.parse(claim('y_true', 'm-7') ?? 'null')).toMatchObject({ setAsideAs: 'set-aside-1' });
  });

  it('sends nothing for a pack set aside long ago', async () => {
    const { sent, objects, setAside } = fakes({ now: START + 3 * 86_400_000 });
    const done = completedClaim(newClaim('y_true', 'm-7', START, START + 30_000), 'set-aside-earlier');
    objects.set(setAsideKey('y_true', 'm-7'), { body: JSON.stringify(done), etag: '"x"' });

    const response = await setAside(
      [{ record: sqsRecord([], { queue: 'y_true', messageId: 'm-7' }), rejected: [badRecord] }],
      { batchItemFailures: [] },
      context,
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sent).toEqual([]);
  });

  it('reports the pack as a batch item failure when its bad records cannot be set aside, and gives its claim up, so it comes back', async () => {
    const { claim, setAside } = fakes({ refuseSend: true });
    const record = sqsRecord([], { queue: 'y_pred', messageId: 'm-8' });

    const response = await setAside([{ record, rejected: [{ index: 0, item: 1, reason: 'bad' }] }], { batchItemFailures: [] }, context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-8' }] });
    expect(claim('y_pred', 'm-8')).toBeUndefined();
  });
});
