/**
 * AppendOnlyLog against a real moto_server: a warm reader gets only what was appended,
 * and starts again from the top when the log was replaced rather than appended to; an
 * append rewrites a small log and copies a large one server-side, conditionally.
 */
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppendOnlyLog, MIN_PART_BYTES } from '../../../../../functions/commons/logs/appendOnlyLog.js';
import { textToLines } from '../../../../../functions/commons/logs/logFiles.js';
import { ConcurrentWriteError } from '../../../../../functions/commons/platform/errors.js';
import { getText } from '../../../../../functions/commons/storage/s3Objects.js';
import { type LocalCloud, startLocalCloud } from '../../../../helpers/localCloud.js';

let cloud: LocalCloud;
let key: string;
let keyCount = 0;

beforeAll(async () => {
  cloud = await startLocalCloud();
});
afterAll(async () => {
  await cloud?.stop();
});
beforeEach(() => {
  key = `tail-test-${++keyCount}.csv`;
});

const put = (text: string) => cloud.s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: key, Body: text }));
/** A reader whose reads come back as lines. */
function tail() {
  const log = new AppendOnlyLog({ s3: cloud.s3, bucket: cloud.bucket, key });
  return {
    log,
    read: async () => {
      const { lines, restarted } = await log.readNew();
      return { lines: textToLines(lines.toString('utf8')), restarted };
    },
  };
}
/** Lines long enough that the log outgrows the bytes read again for the check. */
const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `id-${from + i}-${'x'.repeat(40)},1.0,2.0,1.0`);
const text = (lines: readonly string[]) => `id,y_true,y_pred,absolute_error\n${lines.join('\n')}\n`;

describe('reading what is new', () => {
  it('reads no lines from a log that is not there yet', async () => {
    const reader = tail();

    expect(await reader.read()).toEqual({ lines: [], restarted: false });
  });

  it('reads every data line the first time, without the header', async () => {
    await put(text(rows(1, 3)));

    expect(await tail().read()).toEqual({ lines: rows(1, 3), restarted: false });
  });

  /** A reader that has read the first ten rows. */
  async function warmReader(): Promise<ReturnType<typeof tail>> {
    const reader = tail();
    await put(text(rows(1, 10)));
    await reader.read();
    return reader;
  }

  it('reads only the lines appended since, and none when nothing changed', async () => {
    const reader = await warmReader();
    await put(text(rows(1, 12)));

    const appended = await reader.read();
    const unchanged = await reader.read();

    expect(appended).toEqual({ lines: rows(11, 12), restarted: false });
    expect(unchanged).toEqual({ lines: [], restarted: false });
  });

  it('leaves an unfinished last line for the next read', async () => {
    const reader = tail();
    await put(`${text(rows(1, 2))}id-3,1.0`);

    const first = await reader.read();
    await put(text(rows(1, 3)));
    const second = await reader.read();

    expect(first.lines).toEqual(rows(1, 2));
    expect(second.lines).toEqual(rows(3, 3));
  });

  it('starts again from the top when the log was replaced by another', async () => {
    const reader = await warmReader();
    const other = rows(101, 111);
    await put(text(other));

    expect(await reader.read()).toEqual({ lines: other, restarted: true });
  });

  it('starts again when the log became shorter, or went away', async () => {
    const reader = await warmReader();
    await put(text(rows(1, 2)));
    const shorter = await reader.read();
    await cloud.s3.send(new DeleteObjectCommand({ Bucket: cloud.bucket, Key: key }));
    const gone = await reader.read();

    expect(shorter).toEqual({ lines: rows(1, 2), restarted: true });
    expect(gone).toEqual({ lines: [], restarted: true });
  });
});

describe('appending', () => {
  /** Every S3 command the log sends, with the bytes of its body. */
  function recordedLog() {
    const sent: { command: string; bytes: number }[] = [];
    const log = new AppendOnlyLog({ s3: cloud.s3, bucket: cloud.bucket, key });
    const spy = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const body = (args as { input?: { Body?: unknown } }).input?.Body;
      sent.push({
        command: context.commandName ?? '?',
        bytes: body instanceof Uint8Array ? body.length : typeof body === 'string' ? body.length : 0,
      });
      return next(args);
    };
    cloud.s3.middlewareStack.add(spy as never, { step: 'initialize', name: `spy-${key}` });
    return { log, sent, stop: () => cloud.s3.middlewareStack.remove(`spy-${key}`) };
  }

  it('creates the log with its header, then rewrites it while it is under the part minimum', async () => {
    const log = tail().log;
    await log.readNew();

    await log.append(text(rows(1, 2)), 2);
    await log.append(`${rows(3, 3)[0]}\n`, 3);

    expect((await getText(cloud.s3, cloud.bucket, key))?.text).toBe(text(rows(1, 3)));
    expect((await cloud.s3.send(new HeadObjectCommand({ Bucket: cloud.bucket, Key: key }))).Metadata).toEqual({ 'last-seq': '3' });
    expect(log.lastSeq).toBe(3);
  });

  it('appends to a log past the part minimum by a server-side copy: only the new lines travel', async () => {
    const big = text(rows(1, Math.ceil(MIN_PART_BYTES / 60)));
    await put(big);
    const { log, sent, stop } = recordedLog();
    await log.readNew();
    sent.length = 0;
    const added = `${rows(999_999, 999_999)[0]}\n`;

    await log.append(added, 7);
    stop();

    expect(sent.map((request) => request.command)).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCopyCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
    ]);
    expect(sent.reduce((sum, request) => sum + request.bytes, 0)).toBe(added.length);
    expect((await getText(cloud.s3, cloud.bucket, key))?.text).toBe(big + added);
    expect((await cloud.s3.send(new HeadObjectCommand({ Bucket: cloud.bucket, Key: key }))).Metadata).toEqual({ 'last-seq': '7' });
    expect([log.size, log.lastSeq]).toEqual([big.length + added.length, 7]);
  });

  it('refuses to append to a log that changed since it was read', async () => {
    const log = tail().log;
    await put(text(rows(1, 2)));
    await log.readNew();
    await put(text(rows(1, 3)));

    await expect(log.append(text(rows(4, 4)), 4)).rejects.toBeInstanceOf(ConcurrentWriteError);
    expect((await getText(cloud.s3, cloud.bucket, key))?.text).toBe(text(rows(1, 3)));
  });

  it('serves any range of its bytes, from memory or from S3', async () => {
    const big = text(rows(1, Math.ceil(MIN_PART_BYTES / 60)));
    await put(big);
    const log = tail().log;
    await log.readNew();

    const ranges = await Promise.all([log.bytes(0, 100), log.bytes(1_000_000, 1_000_100), log.bytes(big.length - 100, big.length)]);

    expect(ranges.map((range) => range.toString('utf8'))).toEqual([big.slice(0, 100), big.slice(1_000_000, 1_000_100), big.slice(-100)]);
  });
});
