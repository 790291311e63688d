/**
 * `npm run dlq -- list | show <queue> | redrive <queue>`: the pipeline's
 * dead-letter queues from a terminal. The logic is in deadLetters.ts; this file
 * parses arguments, prints, and turns failures into exit codes.
 */
import '../cloud/sdkNotice.js';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_REGION, localS3, localSqs } from '../cloud/localClients.js';
import {
  DEFAULT_SHOW_LIMIT,
  type DeadLetter,
  type DeadLetterQueueDepth,
  deadLetterQueueName,
  listDeadLetterQueues,
  QueueNotFoundError,
  type RedriveResult,
  redrive,
  showDeadLetters,
  sourceQueueName,
} from './deadLetters.js';

export const DEFAULT_ENDPOINT = 'http://localhost:4566';
export const DEFAULT_BUCKET = 'ml-monitor-dev';
/** Longer bodies are cut in `show`: a bad message can be up to 256 KiB. */
const BODY_PREVIEW_CHARS = 500;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const USAGE = `usage: npm run dlq -- <command> [options]
       tsx infra/dlq/cli.ts <command> [options]

The pipeline's dead-letter queues (features-dlq, y_true-dlq, y_pred-dlq).

commands:
  list                         each dead-letter queue with its source queue and depth
  show <queue> [--limit N]     peek at up to N messages (default ${DEFAULT_SHOW_LIMIT}) with the reason
                               each was rejected; they stay in the queue
  redrive <queue> [--limit N]  move the messages (all, or N) back to the source queue

<queue> is the source queue (y_true) or its dead-letter queue (y_true-dlq).

environment:
  AWS_ENDPOINT_URL  SQS and S3 endpoint (default ${DEFAULT_ENDPOINT}, as for \`npm start\`)
  BUCKET_NAME       bucket with the rejection reasons (default ${DEFAULT_BUCKET})

exit status: 0 done, 1 failed, 2 bad usage`;

export type Command =
  | { readonly name: 'help' }
  | { readonly name: 'list' }
  | { readonly name: 'show'; readonly queue: string; readonly limit: number }
  | { readonly name: 'redrive'; readonly queue: string; readonly limit: number | undefined };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

// ---------------------------------------------------------------------------
// Arguments

interface SplitArgs {
  readonly positional: string[];
  readonly limit: number | undefined;
  readonly help: boolean;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined || !/^[1-9]\d*$/.test(value))
    throw new UsageError(`--limit needs a positive whole number, not ${JSON.stringify(value ?? '')}`);
  return Number(value);
}

function splitArgs(args: readonly string[]): SplitArgs {
  const positional: string[] = [];
  let limit: number | undefined;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--limit') limit = parseLimit(args[++i]);
    else if (arg.startsWith('--limit=')) limit = parseLimit(arg.slice('--limit='.length));
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  return { positional, limit, help };
}

/** The command in `args` (process.argv without node and the script). Throws UsageError. */
export function parseCommand(args: readonly string[]): Command {
  const { positional, limit, help } = splitArgs(args);
  if (help) return { name: 'help' };
  const [name, queue, ...extra] = positional;
  if (name === undefined) throw new UsageError('a command is needed: list, show or redrive');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  switch (name) {
    case 'list':
      if (queue !== undefined) throw new UsageError(`list takes no queue (got ${queue})`);
      if (limit !== undefined) throw new UsageError('list takes no --limit');
      return { name };
    case 'show':
      return { name, queue: requireQueue(name, queue), limit: limit ?? DEFAULT_SHOW_LIMIT };
    case 'redrive':
      return { name, queue: requireQueue(name, queue), limit };
    default:
      throw new UsageError(`unknown command ${name} (list, show or redrive)`);
  }
}

function requireQueue(command: string, queue: string | undefined): string {
  if (queue === undefined) throw new UsageError(`${command} needs a queue, e.g. \`${command} y_true\``);
  return queue;
}

// ---------------------------------------------------------------------------
// Output

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatList(queues: readonly DeadLetterQueueDepth[], endpoint: string): string {
  if (queues.length === 0) return `no dead-letter queues at ${endpoint} (\`npm start\` or \`npm run bootstrap\` creates them)`;
  const rows = queues.map((queue) => [queue.dlq, queue.source, String(queue.visible), String(queue.inFlight), String(queue.depth)]);
  return table(['dead-letter queue', 'source', 'visible', 'in flight', 'depth'], rows, new Set([2, 3, 4]));
}

/** One line, cut to `max` characters, so a message never breaks the layout. */
function preview(text: string, max = BODY_PREVIEW_CHARS): string {
  const oneLine = text.replace(/\r?\n/g, '\\n');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}… (${text.length} characters)`;
}

function formatReason(letter: DeadLetter): string {
  const record = letter.reasonRecord;
  if (record === undefined) return letter.reason;
  return `${record.reason} (rejected ${record.rejectedAt}, delivery ${record.receiveCount})`;
}

function formatLetter(letter: DeadLetter, index: number): string {
  const pad = ' '.repeat(String(index + 1).length + 2);
  return [
    `${index + 1}. messageId ${letter.messageId}`,
    `${pad}sent      ${letter.sentAt?.toISOString() ?? 'unknown'}`,
    `${pad}received  ${letter.receiveCount ?? '?'} time(s), counting this look`,
    `${pad}reason    ${formatReason(letter)}`,
    `${pad}body      ${preview(letter.body)}`,
  ].join('\n');
}

export function formatShow(queue: string, letters: readonly DeadLetter[]): string {
  const dlq = deadLetterQueueName(queue);
  if (letters.length === 0) return `${dlq}: no messages waiting`;
  const header = `${dlq} (source ${sourceQueueName(dlq)}): ${letters.length} message(s), left in the queue`;
  return [header, ...letters.map(formatLetter)].join('\n\n');
}

export function formatRedrive(result: RedriveResult): string {
  const lines = [`${result.dlq} → ${result.source}: moved ${result.moved} message(s)`];
  if (result.sendFailed > 0) lines.push(`  ${result.sendFailed} not accepted by ${result.source}, left in ${result.dlq}`);
  if (result.deleteFailed > 0) lines.push(`  ${result.deleteFailed} re-sent but not deleted: now in both queues`);
  return lines.join('\n');
}

/** The one-line error for a redrive that did not move everything it tried to. */
function redriveFailure(result: RedriveResult): string | undefined {
  if (result.interruptedBy !== undefined) return `redrive stopped after ${result.moved} message(s): ${result.interruptedBy}`;
  if (result.sendFailed + result.deleteFailed > 0) {
    return `redrive of ${result.dlq} incomplete: ${result.sendFailed} not re-sent, ${result.deleteFailed} not deleted`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Errors

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

/** Connection failures, also when wrapped (cause) or raced (AggregateError of IPv4 and IPv6). */
function isUnreachable(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  if (Array.isArray(errors) && errors.some((inner) => isUnreachable(inner, depth + 1))) return true;
  return isUnreachable(cause, depth + 1);
}

export function describeFailure(error: unknown, endpoint: string): string {
  if (isUnreachable(error)) return `nothing answers at ${endpoint}: is \`npm start\` running? (or set AWS_ENDPOINT_URL)`;
  if (error instanceof QueueNotFoundError) return `${error.message} at ${endpoint} (\`npm run dlq -- list\` shows the dead-letter queues)`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

// ---------------------------------------------------------------------------
// Running

interface Clients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
}

interface Settings {
  readonly endpoint: string;
  readonly bucket: string;
}

/** Runs a parsed command; returns the exit code. Errors are thrown to the caller. */
async function run(command: Exclude<Command, { name: 'help' }>, clients: Clients, settings: Settings): Promise<number> {
  switch (command.name) {
    case 'list':
      console.log(formatList(await listDeadLetterQueues(clients.sqs), settings.endpoint));
      return EXIT_OK;
    case 'show': {
      const letters = await showDeadLetters(clients.sqs, clients.s3, settings.bucket, command.queue, { limit: command.limit });
      console.log(formatShow(command.queue, letters));
      return EXIT_OK;
    }
    case 'redrive': {
      const result = await redrive(clients.sqs, command.queue, { limit: command.limit });
      console.log(formatRedrive(result));
      for (const failure of result.failures) console.error(`  ${failure}`);
      const failed = redriveFailure(result);
      if (failed === undefined) return EXIT_OK;
      console.error(`dlq: ${failed}`);
      return EXIT_FAILED;
    }
  }
}

function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  return {
    endpoint: env.AWS_ENDPOINT_URL || DEFAULT_ENDPOINT,
    bucket: env.BUCKET_NAME || DEFAULT_BUCKET,
  };
}

async function main(): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`dlq: ${error.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (command.name === 'help') {
    console.log(USAGE);
    return EXIT_OK;
  }
  const settings = settingsFromEnv(process.env);
  const region = process.env.AWS_REGION || LOCAL_REGION;
  const clients = { sqs: localSqs(settings.endpoint, region), s3: localS3(settings.endpoint, region) };
  try {
    return await run(command, clients, settings);
  } catch (error) {
    console.error(`dlq: ${describeFailure(error, settings.endpoint)}`);
    return EXIT_FAILED;
  } finally {
    clients.sqs.destroy();
    clients.s3.destroy();
  }
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
