/**
 * The Serverless plugin against a real moto_server and a stand-in for serverless-offline's
 * Lambda API: it reads serverless.yml's `sqs` events, polls the queue, invokes the
 * function by its deployed name and deletes only what the function did not report failed.
 */
import { createServer, type Server } from 'node:http';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { localSqs } from '../../../../../infra/local/cloud/localClients.js';
import { startMoto } from '../../../../../infra/local/cloud/moto.js';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import type { ServiceLike } from '../../../../../infra/local/event-source/config.js';
import SqsEventSourcePlugin from '../../../../../infra/local/event-source/plugin.js';
import { waitFor } from '../../../../../infra/local/toolbox/retry.js';

const moto = await startMoto(await findFreePort());
const sqs = localSqs(moto.url);
const plugins: SqsEventSourcePlugin[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(plugins.splice(0).map((plugin) => plugin.stop()));
  for (const server of servers.splice(0)) server.close();
});

afterAll(async () => {
  sqs.destroy();
  await moto.stop();
});

/** Serverless' plugin `log`, kept as `level message` lines. */
function recordingLog(): { lines: string[]; log: Record<'debug' | 'notice' | 'warning' | 'error', (message: string) => void> } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { lines, log: { debug: at('debug'), notice: at('notice'), warning: at('warning'), error: at('error') } };
}

/** serverless-offline's Lambda API as the plugin sees it: records each invocation; a body `bad` is reported failed. */
async function lambdaApi(): Promise<{ port: number; invocations: { path: string; bodies: string[] }[] }> {
  const invocations: { path: string; bodies: string[] }[] = [];
  const port = await findFreePort();
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      if (request.method !== 'POST') return void response.end();
      const event = JSON.parse(text) as SQSEvent;
      invocations.push({ path: request.url ?? '', bodies: event.Records.map((record) => record.body) });
      const failed = event.Records.filter((record) => record.body === 'bad').map((record) => ({ itemIdentifier: record.messageId }));
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ batchItemFailures: failed }));
    });
  });
  servers.push(server.listen(port, '127.0.0.1'));
  return { port, invocations };
}

/** A service with one function, `metric`, reading `queueName` through Fn::GetAtt. */
function service(queueName: string, lambdaPort: number, sqsEvent: object = {}): ServiceLike {
  const event = { sqs: { arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, functionResponseType: 'ReportBatchItemFailures', ...sqsEvent } };
  return {
    service: 'ml-monitor',
    provider: { stage: 'test', region: 'us-east-1', timeout: 6 },
    custom: { sqsEventSource: { endpoint: moto.url, waitTimeSeconds: 1 }, 'serverless-offline': { lambdaPort } },
    resources: { Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: queueName } } } },
    getAllFunctions: () => ['metric'],
    getFunction: () => ({ events: [event] }),
  };
}

async function startPlugin(serviceLike: ServiceLike, log: ReturnType<typeof recordingLog>['log']): Promise<SqsEventSourcePlugin> {
  const plugin = new SqsEventSourcePlugin({ service: serviceLike }, {}, { log });
  plugins.push(plugin);
  await plugin.hooks['before:offline:start:init']?.();
  await plugin.hooks['after:offline:start:init']?.();
  return plugin;
}

async function messagesLeft(queueUrl: string): Promise<number> {
  const attributes = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...attributes] }));
  return attributes.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
}

describe('SqsEventSourcePlugin', () => {
  it('invokes the deployed function with each batch and deletes all but what it reports failed', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'plugin-partial', Attributes: { VisibilityTimeout: '30' } }));
    const api = await lambdaApi();
    const { lines, log } = recordingLog();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'good' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'bad' }));

    await startPlugin(service('plugin-partial', api.port, { batchSize: 10, maximumBatchingWindow: 1 }), log);
    await waitFor(async () => lines.some((line) => line.includes('reported failed')), {
      what: 'a batch',
      timeoutMs: 15_000,
      intervalMs: 100,
    });

    expect(api.invocations).toEqual([{ path: '/2015-03-31/functions/ml-monitor-test-metric/invocations', bodies: ['good', 'bad'] }]);
    expect(lines).toEqual([
      `notice sqs → metric: polling plugin-partial at ${moto.url} (batch 10, window 1 s, ReportBatchItemFailures)`,
      'notice sqs → metric: 2 messages from plugin-partial, 1 reported failed (left for redelivery)',
    ]);
    expect(await messagesLeft(QueueUrl as string)).toBe(1);
  });

  it('warns when the queue would hide messages for less than the function may run', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'plugin-short', Attributes: { VisibilityTimeout: '2' } }));
    const api = await lambdaApi();
    const { lines, log } = recordingLog();

    await startPlugin(service('plugin-short', api.port), log);
    await waitFor(async () => lines.some((line) => line.includes('polling plugin-short')), { what: 'polling', timeoutMs: 15_000 });

    expect(lines[0]).toBe(
      'warning sqs → metric: queue plugin-short has VisibilityTimeout 2 s, below the function timeout 6 s; ' +
        'AWS refuses this mapping, and messages may be delivered twice',
    );
  });

  it('fails the command on a configuration mistake, naming the function', async () => {
    const broken = { ...service('any', 1), getFunction: () => ({ events: [{ sqs: { arn: { Ref: 'Queue' } } }] }) };
    const { log } = recordingLog();
    const plugin = new SqsEventSourcePlugin({ service: broken }, {}, { log });

    const starting = plugin.hooks['before:offline:start:init']?.();

    await expect(starting).rejects.toThrow(
      `sqs event source: functions.metric.events sqs: { Ref: "Queue" } gives a queue URL, not an ARN; use { 'Fn::GetAtt': ["Queue", 'Arn'] }`,
    );
  });
});
