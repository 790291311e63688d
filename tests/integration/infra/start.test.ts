/**
 * `npm start` fails fast and clearly: a bad setting, or something at an address that
 * is not what belongs there, ends it non-zero with a short message naming the
 * variable or the port, before it starts anything.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort, portTaken } from '../../../infra/cloud/net.js';
import { freeStackPorts } from '../../../infra/supervisor.js';
import { PROJECT_DIR } from '../../../infra/toolbox/localDefaults.js';

const TSX = join(PROJECT_DIR, 'node_modules/tsx/dist/cli.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `tsx infra/start.ts` on free ports of its own, with `env` on top; killed if it runs past 60 s. */
async function runStart(env: Record<string, string>): Promise<Run> {
  const ports = await freeStackPorts();
  const child = spawn(process.execPath, [TSX, 'infra/start.ts'], {
    cwd: PROJECT_DIR,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: ports.awsEndpoint,
      QUICKCHART_URL: ports.quickchartUrl,
      LAMBDA_PORT: String(ports.lambdaPort),
      OFFLINE_HTTP_PORT: String(ports.httpPort),
      OFFLINE_WEBSOCKET_PORT: String(await findFreePort()),
      LOGS_DIR: join(tmpdir(), 'ml-monitor-start-test-logs'),
      ESBUILD_WORK_FOLDER: `.esbuild-start-test-${process.pid}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGINT'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const servers: Server[] = [];

/** An ordinary web server: 200 "hello" to everything, or what `answer` says. */
async function webServer(answer: (path: string) => { status: number; body: string } = () => ({ status: 200, body: 'hello' })) {
  const port = await findFreePort();
  const server = createServer((req, res) => {
    const { status, body } = answer(req.url ?? '/');
    res.writeHead(status, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/plain' }).end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, url: `http://127.0.0.1:${port}` };
}

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

describe('npm start with a bad setting', () => {
  it('exits non-zero naming the variable, the value and what is allowed, and starts nothing', async () => {
    const ports = await freeStackPorts();

    const run = await runStart({ RECORDS_PER_RUN: '-1', SQS_WAIT_TIME_SECONDS: '60', AWS_ENDPOINT_URL: ports.awsEndpoint });

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('RECORDS_PER_RUN="-1": must be an integer from 1 to 10000');
    expect(run.stderr).toContain('SQS_WAIT_TIME_SECONDS="60": must be an integer from 0 to 20 seconds');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(run.stdout).not.toContain('started');
    expect(await portTaken(Number(new URL(ports.awsEndpoint).port))).toBe(false);
  });
});

describe('npm start with the wrong server at an address', () => {
  it('names the AWS port when an ordinary web server answers there', async () => {
    const web = await webServer();

    const run = await runStart({ AWS_ENDPOINT_URL: web.url });

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`port ${web.port} (AWS_ENDPOINT_URL=${web.url}) is in use, but not by an AWS emulator`);
    expect(run.stderr).toMatch(/Stop what listens there, or set AWS_ENDPOINT_URL/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the chart port when a server that is not QuickChart answers there', async () => {
    // Healthy-looking, but its /chart is not QuickChart's.
    const web = await webServer((path) =>
      path === '/healthcheck' ? { status: 200, body: '{"success":true}' } : { status: 404, body: 'no' },
    );

    const run = await runStart({ QUICKCHART_URL: web.url });

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`port ${web.port} (QUICKCHART_URL=${web.url}) is in use, but not by QuickChart (POST /chart answered 404`);
    expect(run.stderr).toMatch(/set QUICKCHART_URL/);
  });

  it.each([
    ['LAMBDA_PORT', "serverless-offline's Lambda endpoint"],
    ['OFFLINE_HTTP_PORT', 'the ingestion API and the dashboard'],
  ])('names the port of %s and what it serves when it is taken', async (variable, what) => {
    const web = await webServer();

    const run = await runStart({ [variable]: String(web.port) });

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`port ${web.port} (${variable}, ${what}) is taken`);
    expect(run.stderr).toContain(`set ${variable} to a free port`);
  });
});
