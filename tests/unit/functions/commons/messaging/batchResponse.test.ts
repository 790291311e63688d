/** Setting a pack's bad records aside: to the dead-letter queue with a reason, or, failing that, the pack comes back. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { setAsideRejected } from '../../../../../functions/commons/messaging/batchResponse.js';
import { sqsRecord } from '../../../../helpers/factories.js';

const quietLogger = { error: () => {}, warn: () => {} } as unknown as Logger;

function fakes(options: { refuseSend?: boolean } = {}) {
  const sent: { queue: string; body: string }[] = [];
  const reasons: string[] = [];
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
  const s3 = {
    send: async (command: { input: { Key: string; Body: string } }) => {
      reasons.push(`${command.input.Key} ${command.input.Body}`);
      return {};
    },
  } as unknown as S3Client;
  return { sent, reasons, setAside: setAsideRejected({ sqs, s3, bucket: 'b', logger: quietLogger }) };
}

describe('setAsideRejected', () => {
  it("sends a pack's bad records as one message to its queue's dead-letter queue and keeps the reason under that message", async () => {
    const { sent, reasons, setAside } = fakes();
    const record = sqsRecord([], { queue: 'y_true', messageId: 'm-7' });

    const response = await setAside([{ record, rejected: [{ index: 2, item: { id: 'x', body: 'y' }, reason: 'body: not a number' }] }], {
      batchItemFailures: [{ itemIdentifier: 'other' }],
    });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'other' }] });
    expect(sent).toEqual([{ queue: 'url:y_true-dlq', body: '[{"id":"x","body":"y"}]' }]);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain('dead-letters/reasons/y_true/set-aside-1.json');
    expect(reasons[0]).toContain('1 bad record(s) set aside from message m-7');
    expect(reasons[0]).toContain('[2] body: not a number');
  });

  it('reports the pack as a batch item failure when its bad records cannot be set aside, so it comes back', async () => {
    const { setAside } = fakes({ refuseSend: true });
    const record = sqsRecord([], { queue: 'y_pred', messageId: 'm-8' });

    const response = await setAside([{ record, rejected: [{ index: 0, item: 1, reason: 'bad' }] }], { batchItemFailures: [] });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-8' }] });
  });
});
