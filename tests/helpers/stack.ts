/**
 * The whole local stack for end-to-end tests: free ports, a temporary logs dir, its
 * own build folder. Like `npm start`, it restarts moto and sls offline if they die.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { type MetricRow, parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { getText } from '../../functions/commons/storage/s3Objects.js';
import { localS3 } from '../../infra/cloud/localClients.js';
import { invokeThroughOffline } from '../../infra/event-source/lambdaInvoke.js';
import { freeStackPorts, type RunningStack, startStack } from '../../infra/stack.js';
import { privateBuildFolder, removeBuildFolder } from './serverlessConfig.js';

export interface TestStack extends RunningStack {
  readonly logsDir: string;
  readonly output: () => string;
  invoke<T>(functionName: string, payload?: unknown): Promise<T>;
}

export async function startTestStack(env: Record<string, string> = {}): Promise<TestStack> {
  const ports = await freeStackPorts();
  const logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-e2e-'));
  let output = '';
  const buildFolder = privateBuildFolder();
  const stack = await startStack({
    ...ports,
    logsDir,
    env: { SQS_WAIT_TIME_SECONDS: '1', SCHEDULES_ENABLED: 'false', ESBUILD_WORK_FOLDER: buildFolder, ...env },
    onOutput: (chunk) => {
      output = (output + chunk).slice(-200_000);
    },
    onNotice: (line) => {
      output += `[stack] ${line}\n`;
    },
  }).catch((error: unknown) => {
    removeBuildFolder(buildFolder);
    throw error;
  });
  return {
    ...stack,
    async stop() {
      await stack.stop();
      removeBuildFolder(buildFolder);
    },
    logsDir,
    output: () => output,
    async invoke<T>(functionName: string, payload: unknown = {}): Promise<T> {
      const outcome = await invokeThroughOffline(stack.lambdaEndpoint, `ml-monitor-dev-${functionName}`, payload);
      if (!outcome.ok) throw new Error(`invoking ${functionName}: ${outcome.error}`);
      return outcome.response as T;
    },
  };
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const BUCKET = 'ml-monitor-dev';

/** Invokes plot (which compacts the log) until every id is a row in S3's metric_log.csv. */
export async function waitForRows(stack: TestStack, ids: readonly string[], timeoutMs = 90_000): Promise<MetricRow[]> {
  const s3 = localS3(stack.awsEndpoint);
  try {
    return await eventually(
      `${ids.length} ids in metric_log.csv`,
      async () => {
        await stack.invoke('maintain');
        const rows = parseMetricLog((await getText(s3, BUCKET, LOGS.metric_log.key))?.text ?? '').filter((row) => ids.includes(row.id));
        return rows.length >= ids.length ? rows : undefined;
      },
      timeoutMs,
    );
  } finally {
    s3.destroy();
  }
}
