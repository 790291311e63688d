/**
 * The local stack: an AWS emulator, a chart renderer and `sls offline start`, each
 * reused if the right thing already answers at its address, else started here. The
 * moto and the sls it starts are supervised: either is started again if it dies, and
 * the other keeps running. Used by `npm start` (infra/start.ts), the end-to-end tests
 * and the bench, so all three run the same thing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { type RunningProcess, startMoto, stopProcess } from './cloud/moto.js';
import { answersHttp, findFreePort, type Probe, portOf, portTaken, probeAwsEndpoint, probeChartServer } from './cloud/net.js';
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
  /**
   * Resolves with sls's exit code the first time it dies on its own. It is then
   * started again (see superviseOffline); a test uses this to tell that it never died.
   */
  readonly slsExit: Promise<number>;
  /** The pid of the sls offline process running now. */
  slsPid(): number | undefined;
  /** The pid of the moto_server this stack started and keeps alive, if it started one. */
  emulatorPid(): number | undefined;
  stop(): Promise<void>;
}

export class StackStartError extends Error {
  override name = 'StackStartError';
}

function isLoopback(url: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
}

/** The first sls offline start may take this long to open its Lambda endpoint (it bundles first). */
const SLS_READY_TIMEOUT_MS = 180_000;

/**
 * Starts what is missing, waits until the Lambda endpoint answers, or throws saying
 * why. Something at an address that is not what belongs there (a web server on the
 * AWS port, a chart server that is not QuickChart, a taken Lambda port) is named
 * within a few seconds, before anything is started.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const started: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  const notice = options.onNotice ?? ((line: string) => process.stdout.write(`[ml-monitor] ${line}\n`));
  const lambdaEndpoint = `http://127.0.0.1:${options.lambdaPort}`;
  let emulator: SupervisedMoto | undefined;
  let sls: SupervisedOffline | undefined;
  const stopAll = async () => {
    // No restarts from here on: a Ctrl+C reaches moto too, and its death is then no news.
    emulator?.halt();
    sls?.halt();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  const [aws, chart, lambdaTaken] = await Promise.all([
    probeAwsEndpoint(options.awsEndpoint),
    probeChartServer(options.quickchartUrl),
    portTaken(options.lambdaPort),
  ]);
  const problems = addressProblems(options, aws, chart, lambdaTaken);
  if (problems.length > 0) throw new StackStartError(problems.length === 1 ? problems.join('') : `\n  ${problems.join('\n  ')}`);
  try {
    if (aws.kind === 'nothing') {
      const port = portOf(options.awsEndpoint);
      const moto: RunningProcess = await startMoto(port).catch((error: Error) => {
        throw new StackStartError(`could not start moto_server on port ${port}: ${error.message}`);
      });
      emulator = superviseMoto(moto, port, notice);
      stops.push(emulator.stop);
      started.push(`moto_server (SQS, S3) at ${moto.url}`);
    }
    if (chart.kind === 'nothing') {
      const port = portOf(options.quickchartUrl);
      const renderer: RunningRenderer = await startRendererServer({ port }).catch((error: Error) => {
        throw new StackStartError(`could not start the chart renderer on port ${port}: ${error.message}`);
      });
      stops.push(renderer.close);
      started.push(`chart renderer (QuickChart-compatible) at ${renderer.url}`);
    }
    sls = await superviseOffline(options, lambdaEndpoint, notice);
    stops.push(sls.stop);
    started.push(`sls offline start (Lambda endpoint ${lambdaEndpoint})`);
    return {
      awsEndpoint: options.awsEndpoint,
      quickchartUrl: options.quickchartUrl,
      lambdaEndpoint,
      started,
      slsExit: sls.firstExit,
      slsPid: sls.pid,
      emulatorPid: () => emulator?.pid(),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** What is wrong with the addresses, one line each, saying what to do; empty when all is well. */
function addressProblems(options: StackOptions, aws: Probe, chart: Probe, lambdaTaken: boolean): string[] {
  const problems: string[] = [];
  if (aws.kind === 'other') {
    problems.push(
      `port ${portOf(options.awsEndpoint)} (AWS_ENDPOINT_URL=${options.awsEndpoint}) is in use, but not by an AWS emulator with SQS and S3 ` +
        `(${aws.answer}). Stop what listens there, or set AWS_ENDPOINT_URL to your emulator or to a free port for the embedded moto.`,
    );
  } else if (aws.kind === 'nothing' && !isLoopback(options.awsEndpoint)) {
    problems.push(
      `nothing answers at AWS_ENDPOINT_URL=${options.awsEndpoint}, and it is not on this machine, so no emulator can be started there`,
    );
  }
  if (chart.kind === 'other') {
    problems.push(
      `port ${portOf(options.quickchartUrl)} (QUICKCHART_URL=${options.quickchartUrl}) is in use, but not by QuickChart (${chart.answer}). ` +
        'Stop what listens there, or set QUICKCHART_URL to a QuickChart server or to a free port for the embedded renderer.',
    );
  } else if (chart.kind === 'nothing' && !isLoopback(options.quickchartUrl)) {
    problems.push(`nothing answers at QUICKCHART_URL=${options.quickchartUrl}`);
  }
  if (lambdaTaken) {
    problems.push(
      `port ${options.lambdaPort} (LAMBDA_PORT, serverless-offline's Lambda endpoint) is taken (another npm start?). ` +
        'Stop what uses it, or set LAMBDA_PORT to a free port.',
    );
  }
  return problems;
}

interface SupervisedMoto {
  pid(): number | undefined;
  /** From now on, a death is not restarted. */
  halt(): void;
  stop(): Promise<void>;
}

/** Restart delays: 0.5 s, doubling to 10 s while a process keeps dying soon after it started. */
const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 10_000;
/** A process that ran this long before dying is restarted after the first delay again. */
const STABLE_AFTER_MS = 30_000;

function nextDelay(previousMs: number | undefined, livedMs: number): number {
  if (previousMs === undefined || livedMs >= STABLE_AFTER_MS) return FIRST_RESTART_DELAY_MS;
  return Math.min(MAX_RESTART_DELAY_MS, previousMs * 2);
}

/**
 * Keeps the embedded moto_server running: if it dies, it is started again on the
 * same port, with backoff. It comes back empty; the bootstrap plugin notices and
 * creates the queues and bucket again.
 */
function superviseMoto(first: RunningProcess, port: number, notice: (line: string) => void): SupervisedMoto {
  let current = first;
  let stopping = false;
  let startedAt = Date.now();
  let delayMs: number | undefined;
  const restart = async (code: number | null, signal: NodeJS.Signals | null) => {
    if (stopping) return;
    delayMs = nextDelay(delayMs, Date.now() - startedAt);
    notice(`moto_server exited (${signal ?? `code ${code}`}); starting it again on port ${port} in ${delayMs / 1000} s`);
    while (!stopping) {
      await sleep(delayMs);
      if (stopping) return;
      try {
        current = await startMoto(port);
        startedAt = Date.now();
        if (stopping) return void (await current.stop());
        watch(current);
        notice(`moto_server is back at ${current.url} (empty: what it held in memory is gone)`);
        return;
      } catch (error) {
        delayMs = nextDelay(delayMs, 0);
        notice(`moto_server did not start (${(error as Error).message}); trying again in ${delayMs / 1000} s`);
      }
    }
  };
  const watch = (moto: RunningProcess) => moto.child.once('exit', (code, signal) => void restart(code, signal));
  watch(first);
  return {
    pid: () => current.child.pid,
    halt: () => {
      stopping = true;
    },
    stop: async () => {
      stopping = true;
      await current.stop();
    },
  };
}

interface SupervisedOffline {
  pid(): number | undefined;
  /** Resolves with the exit code the first time sls offline dies on its own (it is then started again). */
  readonly firstExit: Promise<number>;
  /** From now on, a death is not restarted. */
  halt(): void;
  stop(): Promise<void>;
}

/**
 * Runs `sls offline start` and keeps it running. The first start must succeed (else
 * it throws: a bad configuration is not retried); after that, whenever it dies it is
 * started again with backoff, and the emulator, the renderer and the queues' contents
 * stay as they are. Messages the dead process had received come back after their
 * visibility timeout. Each sls runs in its own process group, which is killed when it
 * dies, so nothing it started outlives it and holds a port.
 */
async function superviseOffline(options: StackOptions, lambdaEndpoint: string, notice: (line: string) => void): Promise<SupervisedOffline> {
  let current = spawnOffline(options);
  try {
    await current.ready(lambdaEndpoint, options.readyTimeoutMs ?? SLS_READY_TIMEOUT_MS);
  } catch (error) {
    await current.stop();
    throw error;
  }
  let stopping = false;
  let startedAt = Date.now();
  let delayMs: number | undefined;
  let deathsInARow = 0;
  let resolveFirstExit: (code: number) => void = () => undefined;
  const firstExit = new Promise<number>((resolve) => {
    resolveFirstExit = resolve;
  });

  const restart = async (died: OfflineProcess, code: number) => {
    if (stopping) return;
    died.killGroup();
    resolveFirstExit(code);
    const livedMs = Date.now() - startedAt;
    deathsInARow = livedMs >= STABLE_AFTER_MS ? 1 : deathsInARow + 1;
    delayMs = nextDelay(delayMs, livedMs);
    const how = died.describeExit();
    notice(
      deathsInARow === 1
        ? `sls offline start exited (${how}) after ${seconds(livedMs)}; starting it again in ${delayMs / 1000} s (the emulator and the queues keep running)`
        : `sls offline start exited again (${how}) ${seconds(livedMs)} after starting, ${deathsInARow} times in a row; ` +
            `still retrying, in ${delayMs / 1000} s — its last words: ${lastLine(died.output())}`,
    );
    while (!stopping) {
      await sleep(delayMs);
      if (stopping) return;
      // Something else took the port meanwhile: its answers must not pass for sls's.
      if (await portTaken(options.lambdaPort)) {
        deathsInARow++;
        delayMs = nextDelay(delayMs, 0);
        notice(
          `port ${options.lambdaPort} (LAMBDA_PORT) is taken by something else, so sls offline start cannot come back; ` +
            `stop what uses it; trying again in ${delayMs / 1000} s`,
        );
        continue;
      }
      const next = spawnOffline(options);
      current = next;
      startedAt = Date.now();
      try {
        await next.ready(lambdaEndpoint, SLS_READY_TIMEOUT_MS);
      } catch (error) {
        await next.stop();
        if (stopping) return;
        deathsInARow++;
        delayMs = nextDelay(delayMs, 0);
        notice(
          `sls offline start did not come back (${firstLine((error as Error).message)}), ${deathsInARow} times in a row; ` +
            `still retrying, in ${delayMs / 1000} s`,
        );
        continue;
      }
      if (stopping) return void (await next.stop());
      notice(`sls offline start is back (pid ${next.child.pid}, Lambda endpoint ${lambdaEndpoint})`);
      void next.exit.then((exitCode) => restart(next, exitCode));
      return;
    }
  };
  const first = current;
  void first.exit.then((code) => restart(first, code));
  return {
    pid: () => current.child.pid,
    firstExit,
    halt: () => {
      stopping = true;
    },
    stop: async () => {
      stopping = true;
      await current.stop();
    },
  };
}

interface OfflineProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (128 + the signal's number when a signal ended it). */
  readonly exit: Promise<number>;
  ready(lambdaEndpoint: string, timeoutMs: number): Promise<void>;
  output(): string;
  describeExit(): string;
  /** SIGKILL to whatever is left of its process group (workers, esbuild services). */
  killGroup(): void;
  /** SIGTERM, SIGKILL after a grace period, then the group. */
  stop(): Promise<void>;
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
    // Its own process group, so that whatever it leaves behind can be killed with it
    // (Ctrl+C reaches it through our own handler, which stops it).
    detached: true,
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
  const exit = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0))),
  );
  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is already empty
    }
  };
  // If this process exits without stopping it (an uncaught error), take sls down too.
  const onOurExit = () => killGroup();
  process.once('exit', onOurExit);
  void exit.then(() => process.off('exit', onOurExit));

  async function ready(lambdaEndpoint: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited: number | undefined;
    void exit.then((code) => {
      exited = code;
    });
    while (Date.now() < deadline) {
      if (exited !== undefined) throw new StackStartError(`sls offline start exited (${describeExit()}):\n${tail(output)}`);
      // sls reports a fatal start-up error and then keeps running: treat the report as fatal.
      if (/^\s*(Error|✖)[:\s]/m.test(output) && !/listening on/.test(output)) {
        throw new StackStartError(`sls offline start failed:\n${tail(output)}`);
      }
      if (await answersHttp(lambdaEndpoint, 500)) return;
      await sleep(250);
    }
    throw new StackStartError(`sls offline start did not open ${lambdaEndpoint} within ${timeoutMs / 1000} s:\n${tail(output)}`);
  }
  function describeExit(): string {
    return child.signalCode ?? `code ${child.exitCode}`;
  }
  return {
    child,
    exit,
    ready,
    output: () => output,
    describeExit,
    killGroup,
    stop: async () => {
      await stopProcess(child, 10_000);
      killGroup();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return JSON.stringify((lines.at(-1) ?? '(nothing)').slice(0, 200));
}

function tail(text: string, lines = 25): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Free ports for a whole stack, for tests and the bench. */
export async function freeStackPorts(): Promise<{ awsEndpoint: string; quickchartUrl: string; lambdaPort: number }> {
  const [aws, chart, lambda] = [await findFreePort(), await findFreePort(), await findFreePort()];
  return { awsEndpoint: `http://127.0.0.1:${aws}`, quickchartUrl: `http://127.0.0.1:${chart}`, lambdaPort: lambda };
}
