/**
 * The books balance: the whole stack takes a burst of good, duplicated, reordered,
 * half-missing and malformed messages (an id a spreadsheet would run among them, found
 * with its reason by `npm run dlq -- show`), and a pack with a bad record among good ones,
 * and every record ends exactly once as a row, an orphan or a dead letter.
 */
import { readFileSync } from 'node:fs';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { parseDataset } from '../../functions/commons/model/dataset.js';
import { localS3, localSqs } from '../../infra/local/cloud/localClients.js';
import { unhandledMessages } from '../../infra/local/cloud/unhandledMessages.js';
import { BUCKET } from '../../infra/local/toolbox/localDefaults.js';
import { showDeadLetters } from '../../infra/tools/dlq/deadLetters.js';
import { DATA_FILE } from '../../infra/tools/model/train.js';
import { queueCounts, queueUrl, sendBodies } from '../helpers/localCloud.js';
import { bucketLogText } from '../helpers/logs.js';
import { eventually, stackForFile, type TestStack } from '../helpers/stack.js';

const dataset = parseDataset(readFileSync(DATA_FILE, 'utf8'));
const theStack = stackForFile({ SQS_MAX_RECEIVE_COUNT: '2', SQS_VISIBILITY_TIMEOUT: '8', ORPHAN_TTL_SECONDS: '30' });
let stack: TestStack;
let sqs: SQSClient;
let s3: ReturnType<typeof localS3>;

beforeAll(() => {
  stack = theStack();
  sqs = localSqs(stack.awsEndpoint);
  s3 = localS3(stack.awsEndpoint);
});

afterAll(() => {
  sqs?.destroy();
  s3?.destroy();
});

let sent = 0;

async function send(queue: string, bodies: string[]): Promise<void> {
  await sendBodies(sqs, await queueUrl(sqs, queue), bodies);
  sent += bodies.length;
}

/** Messages in a queue, visible or in flight. */
async function depth(queue: string): Promise<number> {
  const [visible = 0, inFlight = 0] = await queueCounts(sqs, await queueUrl(sqs, queue));
  return visible + inFlight;
}

const features = (id: string, row: number) => JSON.stringify({ id, body: dataset[row]?.features });
const truth = (id: string, row: number) => JSON.stringify({ id, body: dataset[row]?.target });

/** Where the records ended: rows of metric_log.csv, ids in orphans.csv, messages in the dead-letter queues. */
async function books(): Promise<{ rowIds: string[]; orphanIds: string[]; deadLettered: number }> {
  const rows = parseMetricLog(await bucketLogText(s3, BUCKET));
  const orphanLines = (await bucketLogText(s3, BUCKET, LOGS.orphans)).split('\n').slice(1).filter(Boolean);
  const deadLettered = (await depth('features-dlq')) + (await depth('y_true-dlq')) + (await depth('y_pred-dlq'));
  return { rowIds: rows.map((row) => row.id), orphanIds: orphanLines.map((line) => line.split(',')[0] as string), deadLettered };
}

describe('the books balance', () => {
  it('ends every record exactly once as a row, an orphan or a dead letter', async () => {
    // Prepare: a real features run, plus a burst sent straight to the queues.
    const emitted = (await stack.invoke<{ emitted: string[] }>('features')).emitted;
    const good = Array.from({ length: 30 }, (_, i) => `good-${String(i).padStart(2, '0')}`);
    const truthFirst = good.filter((_, i) => i % 2 === 0);
    const featuresFirst = good.filter((_, i) => i % 2 === 1);
    const duplicated = good.slice(0, 10);
    const onlyTruth = ['orphan-t-0', 'orphan-t-1', 'orphan-t-2', 'orphan-t-3'];
    const onlyFeatures = ['orphan-f-0', 'orphan-f-1', 'orphan-f-2', 'orphan-f-3'];
    // An id a spreadsheet would run as a formula, sent by a producer straight to y_true.
    const formula = JSON.stringify({ id: '+1+1', body: 1 });
    const malformed: Record<string, string[]> = {
      features: ['not json', JSON.stringify({ id: 'short', body: [1, 2] }), JSON.stringify({ body: dataset[0]?.features })],
      y_true: [JSON.stringify({ id: '', body: 1 }), JSON.stringify({ id: 'nan', body: 'NaN' }), '{"id":"inf","body":1e999}', formula],
      y_pred: [JSON.stringify({ id: 'null', body: null }), '[]'],
    };
    // A pack whose good record becomes a row and whose bad one is set aside as a dead letter of its own.
    const mixedPack = JSON.stringify([
      { id: 'mixed-ok', body: dataset[3]?.target },
      { id: 'mixed-bad', body: 'x' },
    ]);
    const setAside = JSON.stringify([{ id: 'mixed-bad', body: 'x' }]);
    const rowOf = (id: string) => Number(id.replace(/\D/g, '')) % dataset.length;

    // Act
    await send(
      'y_true',
      truthFirst.map((id) => truth(id, rowOf(id))),
    );
    await send(
      'features',
      [...truthFirst, ...featuresFirst].map((id) => features(id, rowOf(id))),
    );
    await send(
      'y_true',
      onlyTruth.map((id) => truth(id, 1)),
    );
    await send(
      'features',
      onlyFeatures.map((id) => features(id, 2)),
    );
    for (const [queue, bodies] of Object.entries(malformed)) await send(queue, bodies);
    await send('y_true', [mixedPack]);
    await send('features', [features('mixed-ok', 3)]);
    // The features sent so far handled (predicted, and the predictions joined) before their truths are sent.
    await eventually(
      'the features sent so far handled',
      async () => (await depth('features')) + (await depth('y_pred')) === 0 || undefined,
    );
    await send(
      'y_true',
      featuresFirst.map((id) => truth(id, rowOf(id))),
    );
    for (let copy = 0; copy < 2; copy++) {
      await send(
        'features',
        duplicated.map((id) => features(id, rowOf(id))),
      );
      await send(
        'y_true',
        duplicated.map((id) => truth(id, rowOf(id))),
      );
    }

    const malformedCount = Object.values(malformed).flat().length + 1;
    const expectedRows = [...emitted, ...good, 'mixed-ok'];
    const expectedOrphans = [...onlyTruth, ...onlyFeatures];
    // Settled: every message handled (the source queues hold none, visible or in flight) and every record
    // ended somewhere. Nothing can change the books after that: a dead letter moves only when its message is
    // received, and a late second delivery of a handled message adds no row and sets nothing aside again.
    let lastSeen = 'nothing yet';
    const { rowIds, orphanIds, deadLettered } = await eventually(
      'every message handled and every record a row, an orphan or a dead letter',
      async () => {
        // The queues first: once they are empty, the books read after the next compaction are the final ones.
        const unhandled = await unhandledMessages(sqs);
        await stack.invoke('maintain');
        const now = await books();
        lastSeen = `rows ${now.rowIds.length}, orphans ${now.orphanIds.length}, dead letters ${now.deadLettered}, unhandled messages ${unhandled}`;
        const done =
          unhandled === 0 &&
          now.rowIds.length >= expectedRows.length &&
          now.orphanIds.length >= expectedOrphans.length &&
          now.deadLettered >= malformedCount;
        return done ? now : undefined;
      },
      150_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message} (last seen: ${lastSeen})`);
    });

    // Assess
    const records = expectedRows.length + expectedOrphans.length + malformedCount;
    const everyId = [...rowIds, ...orphanIds];
    const duplicates = everyId.length - new Set(everyId).size;
    console.log(
      `balance: burst messages ${sent}, features run ${emitted.length} records (packed); records ${records}; ` +
        `rows ${rowIds.length}; orphans ${orphanIds.length}; dead-lettered ${deadLettered}; duplicates ${duplicates}`,
    );
    expect(rowIds.length + orphanIds.length + deadLettered).toBe(records);
    expect(duplicates).toBe(0);
    expect([...rowIds].sort()).toEqual([...expectedRows].sort());
    expect([...orphanIds].sort()).toEqual([...expectedOrphans].sort());
    expect(deadLettered).toBe(malformedCount);
    const dlq = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: await queueUrl(sqs, 'y_true-dlq'), MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    expect((dlq.Messages ?? []).map((message) => message.Body).sort()).toEqual([...(malformed.y_true ?? []), setAside].sort());
    // What `npm run dlq -- show y_true` says of the formula's message.
    const shown = await showDeadLetters(sqs, s3, BUCKET, 'y_true-dlq');
    expect(shown.find((message) => message.body === formula)?.reason).toBe(
      'id: id may not start with + - = or @ unless it is a plain number: a spreadsheet would run it as a formula',
    );
  }, 240_000);
});
