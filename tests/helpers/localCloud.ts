/**
 * A real moto_server per test file, on a free port, with the pipeline's resources
 * in it; and the few SQS steps tests take on any emulator (send many, count).
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type BootstrapPlan, bootstrap, planFromResources } from '../../infra/local/cloud/bootstrap.js';
import { localS3, localSqs } from '../../infra/local/cloud/localClients.js';
import { type RunningProcess, startMoto } from '../../infra/local/cloud/moto.js';
import { findFreePort } from '../../infra/local/cloud/net.js';
import { printServiceConfig } from './serverlessConfig.js';

export interface LocalCloud {
  readonly moto: RunningProcess;
  readonly sqs: ReturnType<typeof localSqs>;
  readonly s3: ReturnType<typeof localS3>;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly bucket: string;
  stop(): Promise<void>;
}

/**
 * The resources serverless.yml declares with these settings, resolved once per test
 * file: `sls print` takes seconds (tens on a loaded machine) and blocks its worker, and
 * its answer is the same for every cloud a file starts (restore.test.ts starts 17).
 */
const plans = new Map<string, BootstrapPlan>();

function planFor(settings: Record<string, string>): BootstrapPlan {
  const key = JSON.stringify(Object.entries(settings).sort());
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = planFromResources(printServiceConfig(settings).resources.Resources);
    plans.set(key, plan);
  }
  return plan;
}

export async function startLocalCloud(settings: Record<string, string> = {}): Promise<LocalCloud> {
  const moto = await startMoto(await findFreePort());
  return await bootstrapped(moto, settings, () => moto.stop());
}

/**
 * An empty cloud on a running moto_server, as one just started: moto's own reset
 * drops everything it holds, and the bootstrap creates the resources again. For a file
 * whose tests each want an empty cloud (a restart's), one process instead of one each;
 * `stop` leaves the server running.
 */
export async function emptiedLocalCloud(moto: RunningProcess, settings: Record<string, string> = {}): Promise<LocalCloud> {
  const reset = await fetch(`${moto.url}/moto-api/reset`, { method: 'POST' });
  if (!reset.ok) throw new Error(`moto_server's reset answered ${reset.status}`);
  return await bootstrapped(moto, settings, async () => {});
}

async function bootstrapped(moto: RunningProcess, settings: Record<string, string>, stopMoto: () => Promise<void>): Promise<LocalCloud> {
  const sqs = localSqs(moto.url);
  const s3 = localS3(moto.url);
  const report = await bootstrap(planFor(settings), { sqs, s3 });
  return {
    moto,
    sqs,
    s3,
    queueUrls: report.queues,
    bucket: report.buckets[0] as string,
    stop: async () => {
      sqs.destroy();
      s3.destroy();
      await stopMoto();
    },
  };
}

/** Points the handlers' configuration (read at import) at this cloud. */
export function handlerEnv(cloud: LocalCloud, logsDir: string): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: cloud.moto.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    BUCKET_NAME: cloud.bucket,
    LOGS_DIR: logsDir,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
}

export async function listKeys(cloud: LocalCloud): Promise<string[]> {
  const out = await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.bucket }));
  return (out.Contents ?? []).map((object) => object.Key as string);
}

export async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
}

/** Sends `bodies` ten at a time; throws if the queue refused any. */
export async function sendBodies(sqs: SQSClient, url: string, bodies: readonly string[], delaySeconds?: number): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const entries = bodies.slice(i, i + 10).map((body, j) => ({ Id: `m${j}`, MessageBody: body, DelaySeconds: delaySeconds }));
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    if ((out.Failed ?? []).length > 0) throw new Error(`${url} refused ${JSON.stringify(out.Failed)}`);
  }
}

/** Receives and deletes everything visible on a queue of `cloud`. */
export async function drainQueue(cloud: LocalCloud, queue: string): Promise<{ messageId: string; body: string }[]> {
  const url = cloud.queueUrls[queue] ?? (await queueUrl(cloud.sqs, queue));
  const drained: { messageId: string; body: string }[] = [];
  for (;;) {
    const out = await cloud.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) return drained;
    drained.push(...messages.map((m) => ({ messageId: m.MessageId as string, body: m.Body as string })));
    await cloud.sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }),
    );
  }
}

const COUNT_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

/** [visible, in flight, delayed], as GetQueueAttributes reports them. */
export async function queueCounts(sqs: SQSClient, url: string): Promise<number[]> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...COUNT_ATTRIBUTES] }));
  return COUNT_ATTRIBUTES.map((name) => Number(Attributes?.[name] ?? 0));
}
