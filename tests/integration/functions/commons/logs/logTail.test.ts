/**
 * LogTail against a real moto_server: a warm reader gets only what was appended, and
 * starts again from the top when the log was replaced rather than appended to.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LogTail } from '../../../../../functions/commons/logs/logTail.js';
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
const tail = () => new LogTail({ s3: cloud.s3, bucket: cloud.bucket, key });
/** Lines long enough that the log outgrows the bytes read again for the check. */
const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `id-${from + i}-${'x'.repeat(40)},1.0,2.0,1.0`);
const text = (lines: readonly string[]) => `id,y_true,y_pred,absolute_error\n${lines.join('\n')}\n`;

describe('LogTail', () => {
  it('reads no lines from a log that is not there yet', async () => {
    const reader = tail();

    expect(await reader.read()).toEqual({ lines: [], restarted: false });
  });

  it('reads every data line the first time, without the header', async () => {
    await put(text(rows(1, 3)));

    expect(await tail().read()).toEqual({ lines: rows(1, 3), restarted: false });
  });

  /** A reader that has read the first ten rows. */
  async function warmReader(): Promise<LogTail> {
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
