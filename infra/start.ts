/**
 * `npm start`: the whole pipeline on this machine. Reuses an AWS endpoint and chart
 * server that already answer (LocalStack, QuickChart from docker-compose), starts
 * moto_server and the embedded renderer where nothing does, then runs
 * `sls offline start`. Ctrl+C stops everything it started.
 */
import { join } from 'node:path';
import { PROJECT_DIR, StackStartError, startStack } from './stack.js';

const env = process.env;
const lambdaPort = Number(env.LAMBDA_PORT ?? 3002);
const awsEndpoint = env.AWS_ENDPOINT_URL ?? 'http://localhost:4566';
const quickchartUrl = env.QUICKCHART_URL ?? 'http://localhost:3400';
const logsDir = env.LOGS_DIR ?? join(PROJECT_DIR, 'logs');
const bucket = env.BUCKET_NAME ?? 'ml-monitor-dev';

function say(line: string): void {
  process.stdout.write(`[ml-monitor] ${line}\n`);
}

async function invokeNow(functionName: string): Promise<void> {
  const url = `http://127.0.0.1:${lambdaPort}/2015-03-31/functions/ml-monitor-dev-${functionName}/invocations`;
  const response = await fetch(url, { method: 'POST', body: '{}' });
  if (!response.ok) throw new Error(`invoking ${functionName} answered ${response.status}`);
}

async function main(): Promise<void> {
  say('starting the local stack…');
  const stack = await startStack({ awsEndpoint, quickchartUrl, lambdaPort, logsDir });
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
  void stack.slsExit.then((code) => {
    if (!stopping) {
      say(`sls offline start exited with code ${code}; stopping the rest`);
      void shutdown(code === 0 ? 1 : code);
    }
  });

  say('ready');
  for (const part of stack.started) say(`  started ${part}`);
  say(`  AWS endpoint:    ${awsEndpoint}   (bucket s3://${bucket})`);
  say(`  chart server:    ${quickchartUrl}`);
  say(`  Lambda endpoint: ${stack.lambdaEndpoint}`);
  say(`  outputs:         ${logsDir}/metric_log.csv, ${logsDir}/error_distribution.png`);
  say('features and plot run every minute; to run one now:');
  say(`  aws lambda invoke --endpoint-url ${stack.lambdaEndpoint} --function-name ml-monitor-dev-features out.json`);
  say('Ctrl+C stops everything started here.');
  // A first emission right away, so rows appear without waiting for the next minute.
  await invokeNow('features').catch((error: Error) => say(`first features run failed: ${error.message}`));
}

main().catch((error: unknown) => {
  const message = error instanceof StackStartError ? error.message : ((error as Error).stack ?? String(error));
  process.stderr.write(`[ml-monitor] could not start: ${message}\n`);
  process.exit(1);
});
