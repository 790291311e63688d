/**
 * `npm start` fails fast and clearly: a bad setting, something at an address that is
 * not what belongs there, a logs folder another stack uses or that cannot be written,
 * each ends it non-zero with a short message naming the variable, the port or the
 * folder, before it starts anything.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort, portTaken } from '../../../../infra/local/cloud/net.js';
import { acquireStackLock, describeProcess } from '../../../../infra/local/cloud/stackLock.js';
import { freeStackPorts } from '../../../../infra/local/supervisor.js';
import { PROJECT_DIR } from '../../../../infra/local/toolbox/localDefaults.js';
import { stackPortsEnv } from '../../../helpers/stack.js';

const folders: string[] = [];

async function newFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'ml-monitor-start-test-'));
  folders.push(folder);
  return folder;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm start` on free ports and a logs folder of its own, with `env` on top; killed if it runs past 60 s. */
async function runStart(env: Record<string, string>): Promise<Run> {
  const ports = await freeStackPorts();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: PROJECT_DIR,
    env: {
      ...process.env,
      ...stackPortsEnv(ports),
      OFFLINE_WEBSOCKET_PORT: String(await findFreePort()),
      LOGS_DIR: await newFolder(),
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
  // Kept: no wait before a check, a guard: a start that does not fail fast is stopped, and the test fails on its output.
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
  for (const folder of folders.splice(0)) {
    spawnSync('umount', [join(folder, 'logs')], { stdio: 'ignore' });
    spawnSync('chattr', ['-i', join(folder, 'logs')], { stdio: 'ignore' });
    await rm(folder, { recursive: true, force: true });
  }
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

describe('npm start on a logs folder it cannot have', () => {
  it('refuses a folder another stack uses, naming its pid and addresses, and starts nothing', async () => {
    const logsDir = await newFolder();
    const ports = await freeStackPorts();
    const held = await acquireStackLock(logsDir, {
      owner: describeProcess(process.pid, 'the stack'),
      addresses: { 'AWS endpoint': 'http://127.0.0.1:4566', 'HTTP API': 'http://127.0.0.1:3000' },
    });

    const run = await runStart({ LOGS_DIR: logsDir, AWS_ENDPOINT_URL: ports.awsEndpoint });
    await held.release();

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`could not start: the logs folder ${logsDir} is in use by another stack (pid ${process.pid}, started `);
    expect(run.stderr).toContain('AWS endpoint http://127.0.0.1:4566, HTTP API http://127.0.0.1:3000). Stop it first');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await portTaken(Number(new URL(ports.awsEndpoint).port))).toBe(false);
  });

  /** Makes `folder/logs` unwritable as `how` says; false when this machine does not let the test do it (not root). */
  const unwritable: Record<string, (logs: string) => Promise<boolean>> = {
    'a file where the folder should be': async (logs) => {
      await writeFile(logs, 'a file');
      return true;
    },
    'an immutable folder': async (logs) => {
      await mkdir(logs);
      return spawnSync('chattr', ['+i', logs]).status === 0;
    },
    'a read-only mount': async (logs) => {
      await mkdir(logs);
      return spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro', 'tmpfs', logs]).status === 0;
    },
  };

  it.each([
    ['a file where the folder should be', /a file is where a folder should be \(E(EXIST|NOTDIR)\)/],
    ['an immutable folder', /the operation is not permitted \(an immutable folder\?\) \(EPERM\)|permission denied \(EACCES\)/],
    ['a read-only mount', /the file system is read-only \(EROFS\)/],
  ])('fails on %s with one line naming the folder and why', async (how, reason) => {
    const logs = join(await newFolder(), 'logs');
    if (!(await unwritable[how]?.(logs))) return void console.warn(`skipped: cannot make ${how} here (needs root)`);

    const run = await runStart({ LOGS_DIR: logs });

    expect(run.code).not.toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^\\[ml-monitor\\] could not start: the logs folder ${logs} \\(LOGS_DIR\\) cannot be written: `));
    expect(lines[0]).toMatch(reason);
    expect(run.stdout).not.toContain('started');
  });
});
