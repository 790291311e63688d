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
import { ConfigurationError } from '../../functions/commons/platform/errors.js';
import { LOCAL_AWS_ENDPOINT } from '../../functions/commons/platform/settings.js';
import { acquireStackLock, describeProcess, stackAddresses } from './cloud/stackLock.js';
import { StackStartError } from './cloud/stackStartError.js';
import { consoleLineFilter } from './consoleLines.js';
import { readLocalSettings } from './settings.js';
import { functionName, PROJECT_DIR } from './toolbox/localDefaults.js';

function say(line: string): void {
  process.stdout.write(`[ml-monitor] ${line}\n`);
}

async function main(): Promise<void> {
  const settings = readLocalSettings();
  const awsEndpoint = settings.awsEndpoint ?? LOCAL_AWS_ENDPOINT;
  const logsDir = settings.logsDir ?? join(PROJECT_DIR, 'logs');
  say('starting the local stack…');
  const addresses = {
    awsEndpoint,
    quickchartUrl: settings.quickchartUrl,
    lambdaPort: settings.lambdaPort,
    httpPort: settings.offlineHttpPort,
  };
  // The logs folder first, before the heavier modules load: a folder another stack uses,
  // or one that cannot be written, is refused within a second.
  const lock = await acquireStackLock(logsDir, {
    owner: describeProcess(process.pid, 'npm start'),
    addresses: stackAddresses(addresses),
    onLeftovers: say,
  });
  // require, not import(): `npm start` runs under tsx's require hook (no esbuild service to outlive it).
  const { startStack } = require('./supervisor.js') as typeof import('./supervisor.js');
  const { firstLook, dashboardAddress } = require('./firstLook.js') as typeof import('./firstLook.js');
  const slsConsole = consoleLineFilter((text) => process.stdout.write(text));
  const stack = await startStack({
    ...addresses,
    logsDir,
    lock,
    onOutput: (chunk) => slsConsole.push(chunk),
  }).catch(async (error: unknown) => {
    await lock.release();
    throw error;
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
  say(`  dashboard:       ${dashboardAddress(settings.offlineHost, settings.offlineHttpPort)}`);
  say(`  outputs:         ${logsDir}/metric_log.csv, ${logsDir}/error_distribution.png`);
  say(
    settings.schedulesEnabled
      ? 'features, maintain and plot run every minute; to run one now:'
      : 'schedules are off (SCHEDULES_ENABLED=false); to run a function:',
  );
  say(`  aws lambda invoke --endpoint-url ${stack.lambdaEndpoint} --function-name ${functionName('features')} out.json`);
  say('If sls offline or moto dies, it is started again. Ctrl+C stops everything started here.');
  await firstLook(stack, settings.bucket, logsDir, say);
}

main().catch((error: unknown) => {
  // Expected failures (a bad setting, a taken or wrong address, sls that cannot start) are
  // one readable message; anything else keeps its stack trace.
  const expected = error instanceof StackStartError || error instanceof ConfigurationError;
  const message = expected ? (error as Error).message : ((error as Error).stack ?? String(error));
  process.stderr.write(`[ml-monitor] could not start: ${message}\n`);
  process.exit(1);
});
