/**
 * `aws lambda invoke` as docs/operations.md shows it, run by the tests: the AWS CLI on PATH
 * (.ci/run requires it) with the emulators' dummy keys. Asynchronous, so a server in
 * the test's own process keeps answering while the CLI waits for it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DUMMY_CREDENTIALS, LOCAL_REGION } from '../../infra/local/toolbox/localDefaults.js';

export interface CliInvocation {
  /** What the CLI printed: `{"StatusCode": 200, …}` when the Invoke API answered. */
  readonly printed: unknown;
  /** The function's answer, from the outfile. */
  readonly response: unknown;
}

/**
 * `aws lambda invoke --endpoint-url <endpoint> --function-name <name> out.json`, the doc's
 * command (no payload: CLI v1 and v2 read `--payload` differently); throws with the
 * CLI's stderr when it fails.
 */
export async function awsLambdaInvoke(endpoint: string, functionName: string): Promise<CliInvocation> {
  const dir = await mkdtemp(join(tmpdir(), 'ml-monitor-cli-'));
  const outfile = join(dir, 'out.json');
  try {
    const args = ['lambda', 'invoke', '--endpoint-url', endpoint, '--function-name', functionName, outfile];
    const stdout = await runAws(args);
    return { printed: JSON.parse(stdout) as unknown, response: JSON.parse(await readFile(outfile, 'utf8')) as unknown };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The AWS CLI on PATH with `args`, as a user runs it against the emulator (its dummy keys); what it printed. */
export async function runAws(args: readonly string[], options: { cwd?: string } = {}): Promise<string> {
  const { stdout } = await promisify(execFile)('aws', [...args], {
    ...options,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: LOCAL_REGION,
    },
    timeout: 120_000,
  });
  return stdout;
}
