/**
 * `npm start`: the whole pipeline on this machine. Checks every setting first and
 * starts nothing if one is bad; reuses an AWS endpoint and chart server that already
 * answer (LocalStack, QuickChart from docker-compose) and names anything else found
 * at their addresses; starts moto_server and the embedded renderer where nothing
 * answers, then runs `sls offline start` and keeps it and moto running (each is
 * restarted if it dies). Shows the first rows and histogram within seconds. Ctrl+C
 * stops everything it started.
 */
import './cloud/sdkNotice.js';
import { join } from 'node:path';
import { ConfigurationError } from '../functions/commons/platform/errors.js';
import { LOCAL_AWS_ENDPOINT, readSettings, type Settings } from '../functions/commons/platform/settings.js';
import { consoleLineFilter } from './consoleLines.js';
import { type RunningStack, StackStartError, startStack } from './supervisor.js';
import { invoke } from './toolbox/invoke.js';
import { functionName, PROJECT_DIR } from './toolbox/localDefaults.js';
import { waitFor } from './toolbox/retry.js';

/** How long the first look waits for plot to find rows after the first features run. */
const FIRST_LOOK_TIMEOUT_MS = 25_000;

function say(line: string): void {
  process.stdout.write(`[ml-monitor] ${line}\n`);
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const awsEndpoint = settings.awsEndpoint ?? LOCAL_AWS_ENDPOINT;
  const logsDir = settings.logsDir ?? join(PROJECT_DIR, 'logs');
  say('starting the local stack…');
  const slsConsole = consoleLineFilter((text) => process.stdout.write(text));
  const stack = await startStack({
    awsEndpoint,
    quickchartUrl: settings.quickchartUrl,
    lambdaPort: settings.lambdaPort,
    httpPort: settings.offlineHttpPort,
    logsDir,
    onOutput: (chunk) => slsConsole.push(chunk),
  });
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await stack.stop();
    say('stopped');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  // If whatever started us goes away without passing a signal on (npm does that with
  // SIGTERM), we are re-parented: stop, rather than leave moto and sls running.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(1);
  }, 1_000).unref();

  say('ready');
  for (const part of stack.started) say(`  started ${part}`);
  say(`  AWS endpoint:    ${awsEndpoint}   (bucket s3://${settings.bucket})`);
  say(`  chart server:    ${settings.quickchartUrl}`);
  say(`  Lambda endpoint: ${stack.lambdaEndpoint}`);
  say(`  outputs:         ${logsDir}/metric_log.csv, ${logsDir}/error_distribution.png`);
  say(
    settings.schedulesEnabled
      ? 'features, maintain and plot run every minute; to run one now:'
      : 'schedules are off (SCHEDULES_ENABLED=false); to run a function:',
  );
  say(`  aws lambda invoke --endpoint-url ${stack.lambdaEndpoint} --function-name ${functionName('features')} out.json`);
  say('If sls offline or moto dies, it is started again. Ctrl+C stops everything started here.');
  await firstLook(stack, settings, logsDir);
}

/**
 * A first emission right away, then maintain and plot until plot finds rows, so the first rows and
 * histogram show within seconds instead of at the next minute.
 */
async function firstLook(stack: RunningStack, settings: Settings, logsDir: string): Promise<void> {
  const features = await invoke(stack.lambdaEndpoint, functionName('features'));
  if (!features.ok) return say(`first features run failed: ${features.error}`);
  let last = 'no answer';
  const rows = await waitFor(
    async () => {
      await invoke(stack.lambdaEndpoint, functionName('maintain'));
      const plot = await invoke(stack.lambdaEndpoint, functionName('plot'));
      last = plot.ok ? 'plot found no rows yet' : plot.error;
      const found = plot.ok ? ((plot.response as { rows?: number } | undefined)?.rows ?? 0) : 0;
      return found > 0 ? found : undefined;
    },
    { timeoutMs: FIRST_LOOK_TIMEOUT_MS, intervalMs: 2_000, what: 'the first rows' },
  ).catch(() => undefined);
  if (rows === undefined) return say(`first look: no rows after ${FIRST_LOOK_TIMEOUT_MS / 1000} s (${last}); the log above says why`);
  say(
    `first look: ${rows} row${rows === 1 ? '' : 's'} in ${logsDir}/metric_log.csv, histogram in ${logsDir}/error_distribution.png ` +
      `(s3://${settings.bucket}/error_distribution.png)`,
  );
}

main().catch((error: unknown) => {
  // Expected failures (a bad setting, a taken or wrong address, sls that cannot start) are
  // one readable message; anything else keeps its stack trace.
  const expected = error instanceof StackStartError || error instanceof ConfigurationError;
  const message = expected ? (error as Error).message : ((error as Error).stack ?? String(error));
  process.stderr.write(`[ml-monitor] could not start: ${message}\n`);
  process.exit(1);
});
