/**
 * The whole local stack for end-to-end tests: free ports, a temporary logs dir, its
 * own build folder. Like `npm start`, it restarts moto and sls offline if they die.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MetricRow, parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { localS3, localSqs } from '../../infra/local/cloud/localClients.js';
import { unhandledMessages } from '../../infra/local/cloud/unhandledMessages.js';
import { freeStackPorts, type RunningStack, startStack } from '../../infra/local/supervisor.js';
import { invokeOrThrow } from '../../infra/local/toolbox/invoke.js';
import { BUCKET, functionName } from '../../infra/local/toolbox/localDefaults.js';
import { waitFor } from '../../infra/local/toolbox/retry.js';
import { startedForTests } from './factories.js';
import { bucketLogText } from './logs.js';
import { privateBuildFolder, removeBuildFolder } from './serverlessConfig.js';

export interface TestStack extends RunningStack {
  readonly logsDir: string;
  /** serverless-offline's HTTP API (the ingestion routes), on a free port: `http://127.0.0.1:<port>`. */
  readonly httpEndpoint: string;
  /** sls offline's output and the stack's notices (each as "[stack] …"). */
  readonly output: () => string;
  /** Invokes a function of serverless.yml by its key ('features'); throws on a function error. */
  invoke<T>(key: string, payload?: unknown): Promise<T>;
}

export interface TestStackOptions {
  /** Default: a new temporary folder. */
  readonly logsDir?: string;
  /** Default: a new folder of its own, removed on stop; a given one is kept. */
  readonly buildFolder?: string;
}

export async function startTestStack(env: Record<string, string> = {}, options: TestStackOptions = {}): Promise<TestStack> {
  const logsDir = options.logsDir ?? (await mkdtemp(join(tmpdir(), 'ml-monitor-e2e-')));
  const buildFolder = options.buildFolder ?? privateBuildFolder();
  const cleanUp = () => {
    if (options.buildFolder === undefined) removeBuildFolder(buildFolder);
  };
  let output = '';
  const start = async (attempt: number): Promise<{ stack: RunningStack; ports: StackPorts }> => {
    output = '';
    const ports = await freeStackPorts();
    try {
      const stack = await startStack({
        ...ports,
        logsDir,
        env: {
          SQS_WAIT_TIME_SECONDS: '1',
          SCHEDULES_ENABLED: 'false',
          ESBUILD_WORK_FOLDER: buildFolder,
          ...env,
        },
        onOutput: (chunk) => {
          output = (output + chunk).slice(-200_000);
        },
        onNotice: (line) => {
          output += `[stack] ${line}\n`;
        },
      });
      return { stack, ports };
    } catch (error) {
      // A port free when chosen can be taken before its server binds it (another test
      // process choosing at once); the stack is not at fault, so it starts on new ones.
      if (attempt < PORT_ATTEMPTS && portWasTaken(error)) return await start(attempt + 1);
      throw error;
    }
  };
  const { stack, ports } = await start(1).catch((error: unknown) => {
    cleanUp();
    throw error;
  });
  return {
    ...stack,
    async stop() {
      await stack.stop();
      cleanUp();
    },
    logsDir,
    httpEndpoint: `http://127.0.0.1:${ports.httpPort}`,
    output: () => output,
    invoke: (key, payload = {}) => invokeOrThrow(stack.lambdaEndpoint, functionName(key), payload),
  };
}

type StackPorts = Awaited<ReturnType<typeof freeStackPorts>>;
const PORT_ATTEMPTS = 3;

/** A start that failed because one of its ports was taken meanwhile (sls's EADDRINUSE, or the supervisor's check). */
export function portWasTaken(error: unknown): boolean {
  return error instanceof Error && /EADDRINUSE|address already in use|is taken|is in use|is port \d+ taken/i.test(error.message);
}

/** The variables that put `npm start` on the stack ports given (freeStackPorts), as a test runs it. */
export function stackPortsEnv(ports: StackPorts): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: ports.awsEndpoint,
    QUICKCHART_URL: ports.quickchartUrl,
    LAMBDA_PORT: String(ports.lambdaPort),
    OFFLINE_HTTP_PORT: String(ports.httpPort),
  };
}

/** One stack for a test file: started before its first test, stopped after its last; the getter returns it. */
export function stackForFile(env: Record<string, string> = {}): () => TestStack {
  return startedForTests(() => startTestStack(env));
}

/** A file's stack with SQS and S3 clients on its emulator, ready once its HTTP API answers. */
export interface ApiStack {
  readonly stack: TestStack;
  readonly sqs: ReturnType<typeof localSqs>;
  readonly s3: ReturnType<typeof localS3>;
  stop(): Promise<void>;
}

export function apiStackForFile(env: Record<string, string> = {}): () => ApiStack {
  return startedForTests(async () => {
    const stack = await startTestStack(env);
    const sqs = localSqs(stack.awsEndpoint);
    const s3 = localS3(stack.awsEndpoint);
    const stop = async () => {
      sqs.destroy();
      s3.destroy();
      await stack.stop();
    };
    await httpApiAnswers(stack).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    return { stack, sqs, s3, stop };
  });
}

/** Waits for the stack's HTTP API, which opens beside the Lambda endpoint the stack waited for: an empty JSON post answers 400. */
export async function httpApiAnswers(stack: TestStack): Promise<void> {
  await eventually('the HTTP API', async () => {
    const answer = await fetch(`${stack.httpEndpoint}/truths`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '',
    });
    return answer.status === 400 || undefined;
  });
}

/** Polls `probe` (its errors count as "not yet") until it yields a value; a time-out names the last look's error. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  let lastError: unknown;
  const look = async () => {
    try {
      const value = await probe();
      lastError = undefined;
      return value;
    } catch (error) {
      lastError = error;
      return undefined;
    }
  };
  return await waitFor(look, {
    what,
    timeoutMs,
    intervalMs: 500,
    onTimeout: () =>
      new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}` +
          (lastError === undefined ? '' : ` (the last look failed: ${lastError instanceof Error ? lastError.message : String(lastError)})`),
      ),
  });
}

/** Invokes maintain (which appends the segments to the log) until every id is a row in S3's metric_log.csv. */
export async function waitForRows(stack: TestStack, ids: readonly string[], timeoutMs = 90_000): Promise<MetricRow[]> {
  const s3 = localS3(stack.awsEndpoint);
  try {
    return await eventually(
      `${ids.length} ids in metric_log.csv`,
      async () => {
        await stack.invoke('maintain');
        const rows = parseMetricLog(await bucketLogText(s3, BUCKET)).filter((row) => ids.includes(row.id));
        return rows.length >= ids.length ? rows : undefined;
      },
      timeoutMs,
    );
  } finally {
    s3.destroy();
  }
}

/**
 * Waits until every message sent is handled (the source queues hold none), then has
 * maintain append what the last deliveries wrote. After that nothing can add a row: a
 * handled message is deleted and never comes back, so a check that an id is logged
 * once, or not at all, reads the final log. (Halves waiting for their partner stay in
 * the join table until ORPHAN_TTL_SECONDS: they add no row.)
 */
export async function settled(stack: TestStack, timeoutMs = 90_000): Promise<void> {
  const sqs = localSqs(stack.awsEndpoint);
  try {
    await eventually(
      'every message of features, y_pred and y_true handled',
      async () => (await unhandledMessages(sqs)) === 0 || undefined,
      timeoutMs,
    );
    await stack.invoke('maintain');
  } finally {
    sqs.destroy();
  }
}

/**
 * The rows of `ids` in S3's metric_log.csv once nothing more can land: every id a row
 * (waitForRows), then settled. For a check that each id is one row, not just at least one.
 */
export async function finalRows(stack: TestStack, ids: readonly string[], timeoutMs = 90_000): Promise<MetricRow[]> {
  await waitForRows(stack, ids, timeoutMs);
  await settled(stack, timeoutMs);
  const s3 = localS3(stack.awsEndpoint);
  try {
    return parseMetricLog(await bucketLogText(s3, BUCKET)).filter((row) => ids.includes(row.id));
  } finally {
    s3.destroy();
  }
}
