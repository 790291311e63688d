/**
 * The local cloud is created from serverless.yml's own CloudFormation resources, on
 * a real moto_server; the LocalStack init hook creates the same from the same plan.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCliScript, bootstrap, planFromResources } from '../../../../../infra/local/cloud/bootstrap.js';
import { defaultsEnv, LOCALSTACK_SCRIPT, templateResources } from '../../../../../infra/local/cloud/bootstrapCli.js';
import { localS3, localSns, localSqs } from '../../../../../infra/local/cloud/localClients.js';
import { type RunningProcess, startMoto } from '../../../../../infra/local/cloud/moto.js';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import { BUCKET } from '../../../../../infra/local/toolbox/localDefaults.js';

const EXPECTED_QUEUES = ['alerts-inbox', 'features', 'features-dlq', 'y_pred', 'y_pred-dlq', 'y_true', 'y_true-dlq'];
let moto: RunningProcess;
const resources = templateResources(defaultsEnv());

beforeAll(async () => {
  moto = await startMoto(await findFreePort());
});
afterAll(async () => {
  await moto?.stop();
});

async function describeQueues(endpoint: string) {
  const sqs = localSqs(endpoint);
  const listed = await sqs.send(new ListQueuesCommand({}));
  const result: Record<string, Record<string, string>> = {};
  for (const url of listed.QueueUrls ?? []) {
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    result[url.split('/').pop() as string] = attrs.Attributes ?? {};
  }
  sqs.destroy();
  return result;
}

describe('bootstrap of the local cloud', () => {
  it('creates every queue with its dead-letter queue, and the bucket, twice without harm', async () => {
    const plan = planFromResources(resources);
    const clients = { sqs: localSqs(moto.url), s3: localS3(moto.url), sns: localSns(moto.url) };

    await bootstrap(plan, clients);
    await bootstrap(plan, clients);

    const queues = await describeQueues(moto.url);
    expect(Object.keys(queues).sort()).toEqual(EXPECTED_QUEUES);
    for (const name of ['features', 'y_true', 'y_pred']) {
      const redrive = JSON.parse(queues[name]?.RedrivePolicy ?? '{}');
      expect(redrive.deadLetterTargetArn).toBe(queues[`${name}-dlq`]?.QueueArn);
      expect(Number(redrive.maxReceiveCount)).toBe(5);
      expect(Number(queues[name]?.VisibilityTimeout)).toBe(180);
    }
    const block = await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }));
    expect(block.PublicAccessBlockConfiguration?.BlockPublicPolicy).toBe(true);
  });

  it('brings an existing queue in line when a setting changes', async () => {
    const changed = planFromResources(templateResources({ ...defaultsEnv(), SQS_VISIBILITY_TIMEOUT: '42' }));

    await bootstrap(changed, { sqs: localSqs(moto.url), s3: localS3(moto.url) });

    expect((await describeQueues(moto.url)).y_true?.VisibilityTimeout).toBe('42');
  });

  it('ships the LocalStack init hook generated from the current serverless.yml', () => {
    expect(readFileSync(LOCALSTACK_SCRIPT, 'utf8')).toBe(awsCliScript(planFromResources(resources)));
  });

  it('creates the same queues through the LocalStack init hook script', async () => {
    const fresh = await startMoto(await findFreePort());
    try {
      execFileSync('bash', [LOCALSTACK_SCRIPT], {
        env: {
          ...process.env,
          AWS_CMD: `aws --endpoint-url ${fresh.url}`,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_DEFAULT_REGION: 'us-east-1',
        },
        stdio: 'pipe',
      });

      const queues = await describeQueues(fresh.url);
      expect(Object.keys(queues).sort()).toEqual(EXPECTED_QUEUES);
      expect(JSON.parse(queues.y_pred?.RedrivePolicy ?? '{}').deadLetterTargetArn).toBe(queues['y_pred-dlq']?.QueueArn);
    } finally {
      await fresh.stop();
    }
  }, 120_000);
});
