/**
 * `npm run dlq -- list | show <queue> | redrive <queue>`: the pipeline's dead-letter
 * queues from a terminal. The logic is in deadLetters.ts; this file reads the command
 * line, prints, and turns failures into exit codes.
 */
import '../../local/cloud/sdkNotice.js';
import { parseArgs } from 'node:util';
import { localS3, localSqs } from '../../local/cloud/localClients.js';
import { readLocalSetting } from '../../local/settings.js';
import { BUCKET, LOCAL_ENDPOINT, LOCAL_REGION } from '../../local/toolbox/localDefaults.js';
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

/** Longer bodies are cut in `show`: a bad message can be up to 256 KiB. */
const BODY_PREVIEW_CHARS = 500;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const USAGE = `usage: npm run dlq -- <command> [options]
       tsx infra/tools/dlq/cli.ts <command> [options]

The pipeline's dead-letter queues (features-dlq, y_true-dlq, y_pred-dlq).

commands:
  list                         each dead-letter queue with its source queue and depth
  show <queue> [--limit N]     peek at up to N messages (default ${DEFAULT_SHOW_LIMIT}) with the reason
                               each was rejected; they stay in the queue
  redrive <queue> [--limit N]  move the messages (all, or N) back to the source queue

<queue> is the source queue (y_true) or its dead-letter queue (y_true-dlq).

environment:
  AWS_ENDPOINT_URL  SQS and S3 endpoint (default ${LOCAL_ENDPOINT}, as for \`npm start\`)
  BUCKET_NAME       bucket with the rejection reasons (default ${BUCKET})

exit status: 0 done, 1 failed, 2 bad usage`;

type Command =
  | { readonly name: 'help' | 'list' }
  | { readonly name: 'show' | 'redrive'; readonly queue: string; readonly limit: number | undefined };

class UsageError extends Error {}

/** The command in `args` (process.argv without node and the script). Throws UsageError. */
function parseCommand(args: string[]): Command {
  let parsed: { values: { limit?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const [name, queue, ...extra] = parsed.positionals;
  const { help, limit } = parsed.values;
  if (help) return { name: 'help' };
  if (limit !== undefined && !/^[1-9]\d*$/.test(limit))
    throw new UsageError(`--limit needs a positive whole number, not ${JSON.stringify(limit)}`);
  if (name === undefined) throw new UsageError('a command is needed: list, show or redrive');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  if (name === 'list') {
    if (queue !== undefined || limit !== undefined) throw new UsageError('list takes no queue and no --limit');
    return { name };
  }
  if (name !== 'show' && name !== 'redrive') throw new UsageError(`unknown command ${name} (list, show or redrive)`);
  if (queue === undefined) throw new UsageError(`${name} needs a queue, e.g. \`${name} y_true\``);
  return { name, queue, limit: limit === undefined ? undefined : Number(limit) };
}

function table(header: readonly string[], rows: readonly string[][], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function formatList(queues: readonly DeadLetterQueueDepth[], endpoint: string): string {
  if (queues.length === 0) return `no dead-letter queues at ${endpoint} (\`npm start\` or \`npm run bootstrap\` creates them)`;
  const rows = queues.map((queue) => [queue.dlq, queue.source, String(queue.visible), String(queue.inFlight), String(queue.depth)]);
  return table(['dead-letter queue', 'source', 'visible', 'in flight', 'depth'], rows, new Set([2, 3, 4]));
}

function formatLetter(letter: DeadLetter, index: number): string {
  const pad = ' '.repeat(String(index + 1).length + 2);
  const record = letter.reasonRecord;
  const reason = record ? `${record.reason} (rejected ${record.rejectedAt}, delivery ${record.receiveCount})` : letter.reason;
  // One line, cut, so a message never breaks the layout.
  const body = letter.body.replace(/\r?\n/g, '\\n');
  const preview = body.length <= BODY_PREVIEW_CHARS ? body : `${body.slice(0, BODY_PREVIEW_CHARS)}… (${letter.body.length} characters)`;
  return [
    `${index + 1}. messageId ${letter.messageId}`,
    `${pad}sent      ${letter.sentAt?.toISOString() ?? 'unknown'}`,
    `${pad}received  ${letter.receiveCount ?? '?'} time(s), counting this look`,
    `${pad}reason    ${reason}`,
    `${pad}body      ${preview}`,
  ].join('\n');
}

function formatShow(queue: string, letters: readonly DeadLetter[]): string {
  const dlq = deadLetterQueueName(queue);
  if (letters.length === 0) return `${dlq}: no messages waiting`;
  const header = `${dlq} (source ${sourceQueueName(dlq)}): ${letters.length} message(s), left in the queue`;
  return [header, ...letters.map(formatLetter)].join('\n\n');
}

/** Prints the outcome; returns the one-line error when it did not move everything it tried to. */
function reportRedrive(result: RedriveResult): string | undefined {
  console.log(`${result.dlq} → ${result.source}: moved ${result.moved} message(s)`);
  if (result.sendFailed > 0) console.log(`  ${result.sendFailed} not accepted by ${result.source}, left in ${result.dlq}`);
  if (result.deleteFailed > 0) console.log(`  ${result.deleteFailed} re-sent but not deleted: now in both queues`);
  for (const failure of result.failures) console.error(`  ${failure}`);
  if (result.interruptedBy !== undefined) return `redrive stopped after ${result.moved} message(s): ${result.interruptedBy}`;
  if (result.sendFailed + result.deleteFailed === 0) return undefined;
  return `redrive of ${result.dlq} incomplete: ${result.sendFailed} not re-sent, ${result.deleteFailed} not deleted`;
}

/** The SDK rejects with the socket's own error (Node gives a raced IPv4/IPv6 AggregateError the first one's code). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

function describeFailure(error: unknown, endpoint: string): string {
  if (UNREACHABLE_CODES.has((error as { code?: string }).code ?? ''))
    return `nothing answers at ${endpoint}: is \`npm start\` running? (or set AWS_ENDPOINT_URL)`;
  if (error instanceof QueueNotFoundError) return `${error.message} at ${endpoint} (\`npm run dlq -- list\` shows the dead-letter queues)`;
  return String(error instanceof Error ? error.message : error).split('\n')[0] as string;
}

/** Runs the command line; returns the exit code. */
async function main(args: string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`dlq: ${error.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (command.name === 'help') {
    console.log(USAGE);
    return 0;
  }
  const endpoint = readLocalSetting('awsEndpoint') ?? LOCAL_ENDPOINT;
  const region = readLocalSetting('region') ?? LOCAL_REGION;
  const sqs = localSqs(endpoint, region);
  const s3 = localS3(endpoint, region);
  try {
    if (command.name === 'list') console.log(formatList(await listDeadLetterQueues(sqs), endpoint));
    if (command.name === 'show') {
      const bucket = readLocalSetting('bucket') ?? BUCKET;
      console.log(formatShow(command.queue, await showDeadLetters(sqs, s3, bucket, command.queue, { limit: command.limit })));
    }
    if (command.name === 'redrive') {
      const failed = reportRedrive(await redrive(sqs, command.queue, { limit: command.limit }));
      if (failed === undefined) return 0;
      console.error(`dlq: ${failed}`);
      return EXIT_FAILED;
    }
    return 0;
  } catch (error) {
    console.error(`dlq: ${describeFailure(error, endpoint)}`);
    return EXIT_FAILED;
  } finally {
    sqs.destroy();
    s3.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
