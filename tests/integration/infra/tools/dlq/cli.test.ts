/**
 * `npm run dlq` as a user runs it, in its own process, against a real moto_server:
 * what it prints and its exit status.
 */
import { spawnSync } from 'node:child_process';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PurgeQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { reasonKey } from '../../../../../functions/commons/messaging/deadLetterReasons.js';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import { PROJECT_DIR } from '../../../../../infra/local/toolbox/localDefaults.js';
import { type LocalCloud, startLocalCloud } from '../../../../helpers/localCloud.js';

const cloud: LocalCloud = await startLocalCloud();
afterAll(() => cloud.stop());
// Each case starts from empty pipeline queues.
beforeEach(() => Promise.all(Object.values(cloud.queueUrls).map((url) => cloud.sqs.send(new PurgeQueueCommand({ QueueUrl: url })))));

function runCli(args: readonly string[], endpoint = cloud.moto.url): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, AWS_ENDPOINT_URL: endpoint, BUCKET_NAME: cloud.bucket };
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/tools/dlq/cli.ts', ...args], {
    cwd: PROJECT_DIR,
    env,
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A message in `queue`'s DLQ; returns its id. */
async function deadLetter(queue: string, body: string): Promise<string> {
  const sent = await cloud.sqs.send(new SendMessageCommand({ QueueUrl: cloud.queueUrls[`${queue}-dlq`], MessageBody: body }));
  return sent.MessageId as string;
}

describe('npm run dlq', () => {
  it('lists each dead-letter queue with its depth and exits 0', async () => {
    await deadLetter('y_true', 'a');
    await deadLetter('y_true', 'b');

    const run = runCli(['list']);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^dead-letter queue\s+source\s+visible\s+in flight\s+depth$/m);
    expect(run.stdout).toMatch(/^y_true-dlq\s+y_true\s+2\s+0\s+2$/m);
    expect(run.stdout).toMatch(/^y_pred-dlq\s+y_pred\s+0\s+0\s+0$/m);
  });

  it('shows a dead letter with its recorded reason, given the source queue name', async () => {
    const id = await deadLetter('y_true', '{"id":"c-1","body":null}');
    const record = {
      queue: 'y_true',
      messageId: id,
      reason: 'body: expected number',
      rejectedAt: '2026-01-02T03:04:05.000Z',
      receiveCount: 5,
    };
    await cloud.s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: reasonKey('y_true', id), Body: JSON.stringify(record) }));

    const run = runCli(['show', 'y_true', '--limit', '5']);

    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').map((line) => line.trimEnd())).toEqual([
      'y_true-dlq (source y_true): 1 message(s), left in the queue',
      '',
      `1. messageId ${id}`,
      expect.stringMatching(/^ {3}sent {6}\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      '   received  1 time(s), counting this look',
      '   reason    body: expected number (rejected 2026-01-02T03:04:05.000Z, delivery 5)',
      '   body      {"id":"c-1","body":null}',
      '',
    ]);
  });

  it('redrives a queue given by its source name', async () => {
    await deadLetter('y_true', '{"id":"c-2","body":1}');

    const run = runCli(['redrive', 'y_true']);

    expect(run).toMatchObject({ code: 0, stdout: 'y_true-dlq → y_true: moved 1 message(s)\n', stderr: '' });
    const back = await cloud.sqs.send(new ReceiveMessageCommand({ QueueUrl: cloud.queueUrls.y_true, WaitTimeSeconds: 1 }));
    expect(back.Messages?.map((message) => message.Body)).toEqual(['{"id":"c-2","body":1}']);
  });

  it('exits 1 with a one-line message when nothing answers at the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await findFreePort()}`;

    const run = runCli(['list'], endpoint);

    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe(`dlq: nothing answers at ${endpoint}: is \`npm start\` running? (or set AWS_ENDPOINT_URL)\n`);
  });

  it('exits 1 naming a queue that does not exist', () => {
    const run = runCli(['show', 'nope']);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `dlq: queue nope-dlq does not exist at ${cloud.moto.url} (\`npm run dlq -- list\` shows the dead-letter queues)\n`,
    );
  });

  it.each([
    [['show'], 'show needs a queue, e.g. `show y_true`'],
    [['show', 'y_true', '--limit'], "Option '--limit <value>' argument missing"],
    [['redrive', 'y_true', '--limit', '0'], '--limit needs a positive whole number, not "0"'],
    [
      ['list', '--bogus'],
      "Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\"",
    ],
    [['list', 'y_true'], 'list takes no queue and no --limit'],
    [['purge', 'y_true'], 'unknown command purge (list, show or redrive)'],
    [[], 'a command is needed: list, show or redrive'],
  ])('exits 2 with the usage on %j', (args, problem) => {
    const run = runCli(args);

    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(`dlq: ${problem}\n\nusage: npm run dlq -- <command> [options]\n`)).toBe(true);
  });

  it('prints the usage on --help and exits 0', () => {
    const run = runCli(['--help']);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^usage: npm run dlq -- <command> \[options\]\n[\s\S]*exit status: 0 done, 1 failed, 2 bad usage\n$/);
  });
});
