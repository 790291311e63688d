/**
 * The local stack's supervisor: an AWS emulator, a chart renderer and `sls offline
 * start`, each reused if the right thing already answers at its address, else started
 * here. The moto and the sls it starts are supervised: either is started again if it
 * dies, with backoff, and the other keeps running. Used by `npm start`
 * (infra/local/start.ts), the end-to-end tests and the bench, so all three run the same thing.
 */
import { plainMotoNotice, startMoto } from './cloud/moto.js';
import { answersHttp, findFreePort, type Probe, portOf, portTaken, probeAwsEndpoint, probeChartServer } from './cloud/net.js';
import { acquireStackLock, describeProcess, type HeldLock, stackAddresses } from './cloud/stackLock.js';
import { StackStartError } from './cloud/stackStartError.js';
import { startRendererServer } from './renderer/server.js';
import { readLocalSetting } from './settings.js';
import { DUMMY_CREDENTIALS, LOCAL_REGION } from './toolbox/localDefaults.js';
import type { Spawned } from './toolbox/processes.js';
import { nextDelay, retry, sleep, waitFor } from './toolbox/retry.js';
import { slsEnv, spawnSls } from './toolbox/sls.js';

export interface StackOptions {
  readonly awsEndpoint: string;
  readonly quickchartUrl: string;
  readonly lambdaPort: number;
  /** serverless-offline's HTTP port: the ingestion API and the dashboard. */
  readonly httpPort: number;
  readonly logsDir: string;
  /** LOGS_DIR's lock, when the caller took it already (npm start does, before loading the rest); else taken here. */
  readonly lock?: HeldLock;
  /** Extra environment for the functions and plugins (queue settings, bucket, …). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where sls offline's output goes; default: this process's stdout/stderr. */
  readonly onOutput?: (chunk: string) => void;
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
   * started again (see supervise); a test uses this to tell that it never died.
   */
  readonly slsExit: Promise<number>;
  /** The pid of the sls offline process running now. */
  slsPid(): number | undefined;
  /** The pid of the moto_server this stack started and keeps alive, if it started one. */
  emulatorPid(): number | undefined;
  stop(): Promise<void>;
}

export { StackStartError };

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
  // First: a folder that cannot be written, or that another stack uses, fails the start at once.
  const lock =
    options.lock ??
    (await acquireStackLock(options.logsDir, {
      owner: describeProcess(process.pid, 'the stack'),
      addresses: stackAddresses(options),
      onLeftovers: notice,
    }));
  let emulator: Supervised | undefined;
  let sls: Supervised | undefined;
  /** The lock names what runs now, so a start after a SIGKILL of this one can stop what it left. */
  const recordChildren = async () => {
    const children = [
      ...(emulator?.pid() === undefined ? [] : [describeProcess(emulator.pid() as number, 'moto_server')]),
      ...(sls?.pid() === undefined ? [] : [describeProcess(sls.pid() as number, 'sls offline start', true)]),
    ];
    await lock.setChildren(children).catch(() => undefined);
  };
  const stopAll = async () => {
    // No restarts from here on: a Ctrl+C reaches moto too, and its death is then no news.
    emulator?.halt();
    sls?.halt();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await lock.release().catch(() => undefined);
  };
  const [aws, chart, taken] = await Promise.all([
    probeAwsEndpoint(options.awsEndpoint),
    probeChartServer(options.quickchartUrl),
    takenSlsPort(options),
  ]);
  const problems = addressProblems(options, aws, chart, taken);
  if (problems.length > 0) {
    await lock.release();
    throw new StackStartError(problems.length === 1 ? problems.join('') : `\n  ${problems.join('\n  ')}`);
  }
  /** Starts one part, or throws a StackStartError naming it and its port. */
  const begin = async <T>(what: string, port: number, start: () => Promise<T>): Promise<T> =>
    await start().catch((error: Error) => {
      throw new StackStartError(`could not start ${what} on port ${port}: ${error.message}`);
    });
  try {
    if (aws.kind === 'nothing') {
      const port = portOf(options.awsEndpoint);
      const moto = await begin('moto_server', port, () => startMoto(port));
      emulator = supervise(moto, {
        name: 'moto_server',
        start: () => startMoto(port),
        back: (next) => `at ${next.url}, empty: what it held in memory is gone`,
        onBack: recordChildren,
        notice,
      });
      stops.push(emulator.stop);
      await recordChildren();
      started.push(`moto_server (SQS, S3) at ${moto.url}`);
      if (moto.plain !== undefined) notice(plainMotoNotice(moto.plain));
    }
    if (chart.kind === 'nothing') {
      const port = portOf(options.quickchartUrl);
      const renderer = await begin('the chart renderer', port, () => startRendererServer({ port }));
      stops.push(renderer.close);
      started.push(`chart renderer (QuickChart-compatible) at ${renderer.url}`);
    }
    sls = supervise(await startOffline(options, lambdaEndpoint), {
      name: 'sls offline start',
      keeps: ' (the emulator and the queues keep running)',
      // Something else took the port meanwhile: its answers must not pass for sls's.
      blocked: async () => {
        const port = await takenSlsPort(options);
        return (
          port && `port ${port.port} (${port.name}) is taken by something else, so sls offline start cannot come back; stop what uses it`
        );
      },
      start: (signal) => startOffline(options, lambdaEndpoint, signal),
      back: (next) => `pid ${next.child.pid}, Lambda endpoint ${lambdaEndpoint}`,
      onBack: recordChildren,
      notice,
    });
    stops.push(sls.stop);
    await recordChildren();
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

/** The first of sls offline's own ports that something else holds. */
async function takenSlsPort(options: StackOptions): Promise<{ port: number; name: string; what: string } | undefined> {
  const ports = [
    { port: options.lambdaPort, name: 'LAMBDA_PORT', what: "serverless-offline's Lambda endpoint" },
    { port: options.httpPort, name: 'OFFLINE_HTTP_PORT', what: 'the ingestion API and the dashboard' },
  ];
  const taken = await Promise.all(ports.map((port) => portTaken(port.port)));
  return ports.find((_, i) => taken[i]);
}

function addressProblems(
  options: StackOptions,
  aws: Probe,
  chart: Probe,
  taken: { port: number; name: string; what: string } | undefined,
): string[] {
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
  if (taken !== undefined) {
    problems.push(
      `port ${taken.port} (${taken.name}, ${taken.what}) is taken (another npm start?). ` +
        `Stop what uses it, or set ${taken.name} to a free port.`,
    );
  }
  return problems;
}

interface Supervised {
  pid(): number | undefined;
  /** Resolves with the exit code the first time the process dies on its own (it is then started again). */
  readonly firstExit: Promise<number>;
  /** From now on, a death is not restarted. */
  halt(): void;
  stop(): Promise<void>;
}

interface Supervision<P extends Spawned> {
  readonly name: string;
  /** What stays as it was while it is down, said when it dies. */
  readonly keeps?: string;
  /** Why it cannot be started now, or undefined. */
  readonly blocked?: () => Promise<string | undefined>;
  /** Starts it again and resolves once it serves; throws (having stopped it) when it does not or `signal` aborts. */
  readonly start: (signal: AbortSignal) => Promise<P>;
  /** Said in "… is back (…)". */
  readonly back: (next: P) => string;
  /** Called once it is back (the lock records its new pid). */
  readonly onBack?: () => Promise<void>;
  readonly notice: (line: string) => void;
}

/** Restart delays: 0.5 s, doubling to 10 s while a process keeps dying soon after it started. */
const RESTART_DELAYS = { delayMs: 500, maxDelayMs: 10_000 };
/** A process that ran this long before dying is restarted after the first delay again. */
const STABLE_AFTER_MS = 30_000;

/**
 * Keeps a started process running: whenever it dies it is started again, with
 * backoff, and the rest of the stack stays as it is. The moto comes back empty (the
 * bootstrap plugin notices and creates the queues and bucket again); messages a dead
 * sls had received come back after their visibility timeout. The first start is the
 * caller's: a bad configuration is not retried.
 */
function supervise<P extends Spawned>(first: P, how: Supervision<P>): Supervised {
  let current = first;
  let stopping = false;
  let startedAt = Date.now();
  let delayMs: number | undefined;
  let deathsInARow = 0;
  const stopped = new AbortController();
  let starting: Promise<unknown> | undefined;
  let resolveFirstExit: (code: number) => void = () => undefined;
  const firstExit = new Promise<number>((resolve) => {
    resolveFirstExit = resolve;
  });
  /** Starts it again; throws saying why it cannot, or did not come back. */
  const startAgain = async (): Promise<P> => {
    if (stopping) throw new Error(`${how.name}: stopping`);
    const blocked = await how.blocked?.();
    if (blocked !== undefined) throw new Error(blocked);
    const attempt = how.start(stopped.signal);
    starting = attempt.catch(() => undefined);
    return await attempt.catch((error: Error) => {
      throw new Error(`${how.name} did not come back (${error.message.split('\n')[0]})`);
    });
  };
  const restart = async (died: P, code: number) => {
    if (stopping) return;
    died.killGroup();
    resolveFirstExit(code);
    const livedMs = Date.now() - startedAt;
    deathsInARow = livedMs >= STABLE_AFTER_MS ? 1 : deathsInARow + 1;
    delayMs = nextDelay(livedMs >= STABLE_AFTER_MS ? undefined : delayMs, RESTART_DELAYS);
    how.notice(
      deathsInARow === 1
        ? `${how.name} exited (${died.describeExit()}) after ${seconds(livedMs)}; starting it again in ${delayMs / 1000} s${how.keeps ?? ''}`
        : `${how.name} exited again (${died.describeExit()}) ${seconds(livedMs)} after starting, ${deathsInARow} times in a row; ` +
            `still retrying, in ${delayMs / 1000} s — its last words: ${lastLine(died.output())}`,
    );
    await sleep(delayMs);
    const next = await retry(startAgain, {
      ...RESTART_DELAYS,
      delayMs: nextDelay(delayMs, RESTART_DELAYS),
      shouldRetry: () => !stopping,
      onRetry: (error, _attempt, nextDelayMs) => {
        delayMs = nextDelayMs;
        deathsInARow++;
        how.notice(`${(error as Error).message}, ${deathsInARow} times in a row; still retrying, in ${nextDelayMs / 1000} s`);
      },
    }).catch(() => undefined);
    if (next === undefined) return;
    if (stopping) return void (await next.stop());
    current = next;
    startedAt = Date.now();
    await how.onBack?.();
    how.notice(`${how.name} is back (${how.back(next)})`);
    watch(next);
  };
  const watch = (proc: P) => void proc.exit.then((code) => restart(proc, code));
  watch(first);
  return {
    pid: () => current.child.pid,
    firstExit,
    halt: () => {
      stopping = true;
    },
    stop: async () => {
      stopping = true;
      stopped.abort();
      await Promise.all([current.stop(10_000), starting]);
    },
  };
}

/**
 * Runs `sls offline start` and resolves once its Lambda endpoint answers, or stops it
 * and throws saying why. It runs in its own process group, which is killed when it
 * dies or stops, so nothing it started outlives it and holds a port.
 */
async function startOffline(options: StackOptions, lambdaEndpoint: string, signal?: AbortSignal): Promise<Spawned> {
  const sls = spawnSls(['offline', 'start'], {
    dieWithParent: true,
    env: slsEnv({
      ...options.env,
      AWS_ENDPOINT_URL: options.awsEndpoint,
      AWS_REGION: readLocalSetting('region') ?? LOCAL_REGION,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      QUICKCHART_URL: options.quickchartUrl,
      LOGS_DIR: options.logsDir,
      LAMBDA_PORT: String(options.lambdaPort),
      OFFLINE_HTTP_PORT: String(options.httpPort),
    }),
    onOutput: options.onOutput ?? ((text) => process.stdout.write(text)),
  });
  const tail = () => sls.output().split('\n').slice(-25).join('\n');
  try {
    await waitFor(
      async () => {
        if (signal?.aborted) throw new StackStartError('sls offline start: stopped while starting');
        if (sls.child.exitCode !== null || sls.child.signalCode !== null)
          throw new StackStartError(`sls offline start exited (${sls.describeExit()}):\n${tail()}`);
        // sls reports a fatal start-up error and then keeps running: treat the report as fatal.
        if (/^\s*(Error|✖)[:\s]/m.test(sls.output()) && !/listening on/.test(sls.output())) {
          throw new StackStartError(`sls offline start failed:\n${tail()}`);
        }
        return await answersHttp(lambdaEndpoint, 500);
      },
      {
        timeoutMs: SLS_READY_TIMEOUT_MS,
        what: 'sls offline start',
        onTimeout: () =>
          new StackStartError(`sls offline start did not open ${lambdaEndpoint} within ${SLS_READY_TIMEOUT_MS / 1000} s:\n${tail()}`),
      },
    );
    return sls;
  } catch (error) {
    await sls.stop(10_000);
    throw error;
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return JSON.stringify((lines.at(-1) ?? '(nothing)').slice(0, 200));
}

/** Free ports for a whole stack, for tests and the bench. */
export async function freeStackPorts(): Promise<{ awsEndpoint: string; quickchartUrl: string; lambdaPort: number; httpPort: number }> {
  const [aws, chart, lambda, http] = [await findFreePort(), await findFreePort(), await findFreePort(), await findFreePort()];
  return { awsEndpoint: `http://127.0.0.1:${aws}`, quickchartUrl: `http://127.0.0.1:${chart}`, lambdaPort: lambda, httpPort: http };
}
