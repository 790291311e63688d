/**
 * Creates the pipeline's queues, bucket and SNS topics on a local endpoint (moto,
 * LocalStack) from the very CloudFormation resources in serverless.yml, so the local
 * cloud is what `sls deploy` would create. Idempotent: an existing queue gets its
 * attributes brought in line, an existing bucket or topic is kept. Each topic also
 * gets, locally only, a queue subscribed to it (`alerts-inbox`, raw delivery: each
 * message is the JSON the function published), where `npm run alerts` reads.
 */
import { CreateBucketCommand, PutBucketEncryptionCommand, PutPublicAccessBlockCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export type CfnResources = Readonly<Record<string, CfnResource>>;

export interface QueuePlan {
  readonly logicalId: string;
  readonly name: string;
  /** SQS attributes except the redrive policy, as strings. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly redrive?: { readonly deadLetterQueue: string; readonly maxReceiveCount: number };
}

/** `inbox`: the local queue subscribed to the topic (not in the template: AWS users subscribe their own). */
export type TopicPlan = { readonly logicalId: string; readonly name: string; readonly inbox: string };

export interface BootstrapPlan {
  /** Dead-letter queues come before the queues that name them. */
  readonly queues: readonly QueuePlan[];
  readonly buckets: readonly string[];
  readonly topics: readonly TopicPlan[];
}

/** The local queue that receives the alerts topic's messages (`npm run alerts` reads it). */
export const ALERTS_INBOX = 'alerts-inbox';

const QUEUE_ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'MaximumMessageSize',
];

function logicalIdOfGetAtt(value: unknown): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

function requireName(logicalId: string, resource: CfnResource, property: string): string {
  const name = resource.Properties?.[property];
  if (typeof name !== 'string' || name === '') {
    throw new Error(`resource ${logicalId} needs a literal ${property} to be created locally`);
  }
  return name;
}

/** Reads the SQS queues and S3 buckets out of a CloudFormation `Resources` block. */
export function planFromResources(resources: CfnResources): BootstrapPlan {
  const queueNames = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::SQS::Queue') queueNames.set(logicalId, requireName(logicalId, resource, 'QueueName'));
  }
  const queues: QueuePlan[] = [];
  const buckets: string[] = [];
  const topics: TopicPlan[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::S3::Bucket') buckets.push(requireName(logicalId, resource, 'BucketName'));
    if (resource.Type === 'AWS::SNS::Topic')
      topics.push({ logicalId, name: requireName(logicalId, resource, 'TopicName'), inbox: ALERTS_INBOX });
    if (resource.Type !== 'AWS::SQS::Queue') continue;
    const props = resource.Properties ?? {};
    const attributes = Object.fromEntries(
      QUEUE_ATTRIBUTES.filter((key) => props[key] !== undefined).map((key) => [key, String(props[key])]),
    );
    const redrivePolicy = props.RedrivePolicy as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } | undefined;
    let redrive: QueuePlan['redrive'];
    if (redrivePolicy !== undefined) {
      const dlqLogicalId = logicalIdOfGetAtt(redrivePolicy.deadLetterTargetArn);
      const deadLetterQueue = dlqLogicalId === undefined ? undefined : queueNames.get(dlqLogicalId);
      if (deadLetterQueue === undefined)
        throw new Error(`queue ${logicalId}: deadLetterTargetArn must be Fn::GetAtt of a queue in this template`);
      redrive = { deadLetterQueue, maxReceiveCount: Number(redrivePolicy.maxReceiveCount) };
    }
    queues.push({ logicalId, name: queueNames.get(logicalId) as string, attributes, ...(redrive ? { redrive } : {}) });
  }
  // Dead-letter queues first: a redrive policy needs its target's ARN.
  queues.sort((a, b) => Number(a.redrive !== undefined) - Number(b.redrive !== undefined));
  if (new Set(topics.map((topic) => topic.inbox)).size < topics.length)
    throw new Error('one local inbox per topic: the template has more than one topic');
  return { queues, buckets, topics };
}

export interface BootstrapClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  /** Without it the topics (and their inboxes) are not created: tools that need only queues and bucket. */
  readonly sns?: SNSClient;
}

export interface BootstrapReport {
  readonly queues: Readonly<Record<string, string>>;
  readonly buckets: readonly string[];
  /** Topic ARNs by logical id (what a `Ref` to the topic stands for). */
  readonly topics: Readonly<Record<string, string>>;
}

async function ensureQueue(sqs: SQSClient, queue: QueuePlan, attributes: Record<string, string>): Promise<string> {
  try {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: attributes }));
    return created.QueueUrl as string;
  } catch (error) {
    // The queue exists with other attributes (a changed setting): converge it.
    if ((error as { name?: string }).name !== 'QueueAlreadyExists' && (error as { name?: string }).name !== 'QueueNameExists') throw error;
    const created = await sqs.send(new CreateQueueCommand({ QueueName: queue.name }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: created.QueueUrl, Attributes: attributes }));
    return created.QueueUrl as string;
  }
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return out.Attributes?.QueueArn as string;
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    }),
  );
}

export interface BootstrapHooks {
  /**
   * Runs once the buckets exist and before any queue does, so whatever it puts in a
   * bucket is there before the first message can reach a function.
   */
  readonly afterBuckets?: (buckets: readonly string[]) => Promise<void>;
}

export async function bootstrap(plan: BootstrapPlan, clients: BootstrapClients, hooks: BootstrapHooks = {}): Promise<BootstrapReport> {
  for (const bucket of plan.buckets) await ensureBucket(clients.s3, bucket);
  await hooks.afterBuckets?.(plan.buckets);
  const urls: Record<string, string> = {};
  const arns = new Map<string, string>();
  for (const queue of plan.queues) {
    const attributes: Record<string, string> = { ...queue.attributes };
    if (queue.redrive) {
      const target = arns.get(queue.redrive.deadLetterQueue);
      if (target === undefined) throw new Error(`dead-letter queue ${queue.redrive.deadLetterQueue} was not created first`);
      attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: queue.redrive.maxReceiveCount });
    }
    const url = await ensureQueue(clients.sqs, queue, attributes);
    urls[queue.name] = url;
    arns.set(queue.name, await queueArn(clients.sqs, url));
  }
  const topics: Record<string, string> = {};
  if (clients.sns !== undefined) {
    for (const topic of plan.topics) {
      const { url, topicArn } = await ensureTopicWithInbox(clients.sns, clients.sqs, topic);
      urls[topic.inbox] = url;
      topics[topic.logicalId] = topicArn;
    }
  }
  return { queues: urls, buckets: plan.buckets, topics };
}

/** The topic, its inbox queue, and one raw-delivery subscription of the queue to the topic (never two). */
async function ensureTopicWithInbox(sns: SNSClient, sqs: SQSClient, topic: TopicPlan): Promise<{ url: string; topicArn: string }> {
  const created = await sns.send(new CreateTopicCommand({ Name: topic.name }));
  const topicArn = created.TopicArn as string;
  const url = await ensureQueue(sqs, { logicalId: topic.inbox, name: topic.inbox, attributes: {} }, {});
  const inboxArn = await queueArn(sqs, url);
  const subscriptions = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
  if (!(subscriptions.Subscriptions ?? []).some((s) => s.Protocol === 'sqs' && s.Endpoint === inboxArn)) {
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: inboxArn, Attributes: { RawMessageDelivery: 'true' } }),
    );
  }
  return { url, topicArn };
}

/**
 * The same plan as a shell script for LocalStack's ready.d init hook, which has
 * `awslocal` but no Node. Queue ARNs are computed by LocalStack's own convention.
 */
export function awsCliScript(plan: BootstrapPlan): string {
  const lines = [
    '#!/bin/bash',
    '# Generated by `npm run bootstrap -- --localstack-script` from serverless.yml; do not edit.',
    '# LocalStack runs it when ready (docker-compose mounts it in /etc/localstack/init/ready.d).',
    'set -euo pipefail',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    'AWS="${AWS_CMD:-awslocal}"',
    'arn() { $AWS sqs get-queue-attributes --queue-url "$($AWS sqs get-queue-url --queue-name "$1" --query QueueUrl --output text)" --attribute-names QueueArn --query Attributes.QueueArn --output text; }',
  ];
  for (const queue of plan.queues) {
    const attrs = Object.entries(queue.attributes).map(([k, v]) => `"${k}":"${v}"`);
    if (queue.redrive) {
      attrs.push(
        `"RedrivePolicy":"{\\"deadLetterTargetArn\\":\\"'"$(arn ${queue.redrive.deadLetterQueue})"'\\",\\"maxReceiveCount\\":${queue.redrive.maxReceiveCount}}"`,
      );
    }
    lines.push(`$AWS sqs create-queue --queue-name ${queue.name} --attributes '{${attrs.join(',')}}' >/dev/null`);
    lines.push(`echo "queue ${queue.name} ready"`);
  }
  for (const bucket of plan.buckets) {
    lines.push(`$AWS s3api create-bucket --bucket ${bucket} >/dev/null 2>&1 || $AWS s3api head-bucket --bucket ${bucket}`);
    lines.push(
      `$AWS s3api put-public-access-block --bucket ${bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    );
    lines.push(`echo "bucket ${bucket} ready"`);
  }
  for (const topic of plan.topics) {
    lines.push(`topic="$($AWS sns create-topic --name ${topic.name} --query TopicArn --output text)"`);
    lines.push(`$AWS sqs create-queue --queue-name ${topic.inbox} >/dev/null`);
    lines.push(
      `$AWS sns list-subscriptions-by-topic --topic-arn "$topic" --query 'Subscriptions[].Endpoint' --output text | grep -w "$(arn ${topic.inbox})" >/dev/null || $AWS sns subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$(arn ${topic.inbox})" --attributes RawMessageDelivery=true >/dev/null`,
    );
    lines.push(`echo "topic ${topic.name} ready, queue ${topic.inbox} subscribed"`);
  }
  return `${lines.join('\n')}\n`;
}
