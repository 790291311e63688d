/**
 * The local stack: an AWS emulator, a chart renderer and `sls offline start`, each
 * reused if something already answers at its address, else started here. Used by
 * `npm start` (infra/start.ts), the end-to-end tests and the bench, so all three run
 * the same thing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type RunningProcess, startMoto, stopProcess } from './cloud/moto.js';
import { answersHttp, findFreePort } from './cloud/net.js';
import { type RunningRenderer, startRendererServer } from './renderer/server.js';

export const PROJECT_DIR = join(__dirname, '..');

export interface StackOptions {
  readonly awsEndpoint: string;
  readonly quickchartUrl: string;
  readonly lambdaPort: number;
  readonly logsDir: string;
  /** Extra environment for the functions and plugins (queue settings, bucket, …). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where sls offline's output goes; default: this process's stdout/stderr. */
  readonly onOutput?: (chunk: string) => void;
  readonly readyTimeoutMs?: number;
  /** Where the stack's own notices go (restarts); default: stdout with a prefix. */
  readonly onNotice?: (line: string) => void;
}

export interface RunningStack {
  readonly awsEndpoint: string;
  readonly quickchartUrl: string;
  readonly lambdaEndpoint: string;
  readonly started: readonly string[];
  /** Resolves with sls's exit code if it stops on its own. */
  readonly slsExit: Promise<number>;
  /** The pid of the moto_server this stack started and keeps alive, if it started one. */
  emulatorPid(): number | undefined;
  stop(): Promise<void>;
}

export class StackStartError extends Error {
  override name = 'StackStartError';
}

function portOf(url: string): number {
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
}

function isLoopback(url: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
}

/** Starts what is missing, waits until the Lambda endpoint answers, or throws saying why. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const started: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  const notice = options.onNotice ?? ((line: string) => process.stdout.write(`[ml-monitor] ${line}\n`));
  let emulator: SupervisedMoto | undefined;
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    if (!(await answersHttp(options.awsEndpoint))) {
      if (!isLoopback(options.awsEndpoint))
        throw new StackStartError(
          `nothing answers at AWS_ENDPOINT_URL=${options.awsEndpoint}, and it is not on this machine, so no emulator can be started there`,
        );
      const moto: RunningProcess = await startMoto(portOf(options.awsEndpoint)).catch((error: Error) => {
        throw new StackStartError(`could not start moto_server on port ${portOf(options.awsEndpoint)}: ${error.message}`);
      });
      emulator = superviseMoto(moto, portOf(options.awsEndpoint), notice);
      stops.push(emulator.stop);
      started.push(`moto_server (SQS, S3) at ${moto.url}`);
    }
    if (!(await answersHttp(`${options.quickchartUrl}/healthcheck`))) {
      if (!isLoopback(options.quickchartUrl)) throw new StackStartError(`nothing answers at QUICKCHART_URL=${options.quickchartUrl}`);
      const renderer: RunningRenderer = await startRendererServer({ port: portOf(options.quickchartUrl) }).catch((error: Error) => {
        throw new StackStartError(`could not start the chart renderer on port ${portOf(options.quickchartUrl)}: ${error.message}`);
      });
      stops.push(renderer.close);
      started.push(`chart renderer (QuickChart-compatible) at ${renderer.url}`);
    }
    const lambdaEndpoint = `http://127.0.0.1:${options.lambdaPort}`;
    if (await answersHttp(lambdaEndpoint)) {
      throw new StackStartError(
        `port ${options.lambdaPort} (serverless-offline's Lambda endpoint) is taken; stop what uses it or set LAMBDA_PORT`,
      );
    }
    const sls = spawnOffline(options);
    stops.push(() => stopProcess(sls.child, 10_000));
    await sls.ready(lambdaEndpoint, options.readyTimeoutMs ?? 180_000);
    started.push(`sls offline start (Lambda endpoint ${lambdaEndpoint})`);
    return {
      awsEndpoint: options.awsEndpoint,
      quickchartUrl: options.quickchartUrl,
      lambdaEndpoint,
      started,
      slsExit: sls.exit,
      emulatorPid: () => emulator?.pid(),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface SupervisedMoto {
  pid(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Keeps the embedded moto_server running: if it dies, it is started again on the
 * same port, with backoff. It comes back empty; the bootstrap plugin notices and
 * creates the queues and bucket again.
 */
function superviseMoto(first: RunningProcess, port: number, notice: (line: string) => void): SupervisedMoto {
  let current = first;
  let stopping = false;
  const restart = async (code: number | null, signal: NodeJS.Signals | null) => {
    if (stopping) return;
    notice(`moto_server exited (${signal ?? `code ${code}`}); starting it again on port ${port}`);
    for (let attempt = 1; !stopping; attempt++) {
      try {
        current = await startMoto(port);
        if (stopping) return void (await current.stop());
        watch(current);
        notice(`moto_server is back at ${current.url} (empty: what it held in memory is gone)`);
        return;
      } catch (error) {
        const waitMs = Math.min(10_000, 500 * 2 ** attempt);
        notice(`moto_server did not start (${(error as Error).message}); trying again in ${waitMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  };
  const watch = (moto: RunningProcess) => moto.child.once('exit', (code, signal) => void restart(code, signal));
  watch(first);
  return {
    pid: () => current.child.pid,
    stop: async () => {
      stopping = true;
      await current.stop();
    },
  };
}

interface OfflineProcess {
  readonly child: ChildProcess;
  readonly exit: Promise<number>;
  ready(lambdaEndpoint: string, timeoutMs: number): Promise<void>;
}

function spawnOffline(options: StackOptions): OfflineProcess {
  const env = {
    ...process.env,
    ...options.env,
    AWS_ENDPOINT_URL: options.awsEndpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    QUICKCHART_URL: options.quickchartUrl,
    LOGS_DIR: options.logsDir,
    LAMBDA_PORT: String(options.lambdaPort),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    // The SDK's notice about Node 20's end of support, once per worker, drowns the logs.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const child = spawn(process.execPath, [join(PROJECT_DIR, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start'], {
    cwd: PROJECT_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onChunk = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    if (options.onOutput) options.onOutput(text);
    else process.stdout.write(text);
  };
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);
  const exit = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));

  async function ready(lambdaEndpoint: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited: number | undefined;
    void exit.then((code) => {
      exited = code;
    });
    while (Date.now() < deadline) {
      if (exited !== undefined) throw new StackStartError(`sls offline start exited with code ${exited}:\n${tail(output)}`);
      // sls reports a fatal start-up error and then keeps running: treat the report as fatal.
      if (/^\s*(Error|✖)[:\s]/m.test(output) && !/listening on/.test(output)) {
        throw new StackStartError(`sls offline start failed:\n${tail(output)}`);
      }
      if (await answersHttp(lambdaEndpoint, 500)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new StackStartError(`sls offline start did not open ${lambdaEndpoint} within ${timeoutMs / 1000} s:\n${tail(output)}`);
  }
  return { child, exit, ready };
}

function tail(text: string, lines = 25): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Free ports for a whole stack, for tests and the bench. */
export async function freeStackPorts(): Promise<{ awsEndpoint: string; quickchartUrl: string; lambdaPort: number }> {
  const [aws, chart, lambda] = [await findFreePort(), await findFreePort(), await findFreePort()];
  return { awsEndpoint: `http://127.0.0.1:${aws}`, quickchartUrl: `http://127.0.0.1:${chart}`, lambdaPort: lambda };
}
