/** What an emptied emulator took along is said in one line, and its waiting halves written for `npm run ingest`. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CloudSample,
  describeLoss,
  IN_FLIGHT_FILE,
  InFlight,
  writeLostHalves,
} from '../../../../../infra/local/cloud/emulatorLoss.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ml-monitor-loss-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sample: CloudSample = {
  at: Date.parse('2026-12-03T12:00:00.000Z'),
  queued: { features: 3, y_true: 1_200, y_pred: 0 },
  pending: {
    'a-1': { yTrue: 151, firstSeen: 1 },
    'a-2': { yPred: 140.25, model: 'v2', firstSeen: 1 },
    'a-3': { yPred: 99.5, firstSeen: 1 },
  },
};

describe('writeLostHalves', () => {
  it("writes the waiting truths and predictions in npm run ingest's formats", async () => {
    const files = await writeLostHalves(dir, sample);

    expect(await readFile(files.truths as string, 'utf8')).toBe('id,value\na-1,151.0\n');
    expect(await readFile(files.predictions as string, 'utf8')).toBe('id,value,model\na-2,140.25,v2\na-3,99.5,\n');
    expect(files.truths).toBe(join(dir, 'lost', '2026-12-03T12-00-00-000Z-truths.csv'));
  });

  it('writes nothing when nothing waited', async () => {
    expect(await writeLostHalves(dir, { ...sample, pending: {} })).toEqual({});
  });
});

describe('describeLoss', () => {
  it('counts the queued messages by queue and the waiting halves, and says how to send them again', () => {
    const line = describeLoss(sample, sample.at + 4_000, { truths: 't.csv', predictions: 'p.csv' });

    expect(line).toBe(
      "lost with the emulator's memory, as of its last check at 12:00:00 UTC (4 s before it was found empty): " +
        '1,203 queued message(s) of up to 100 records each (features 3, y_true 1,200, y_pred 0) and 3 half/halves waiting for their partner. ' +
        "features' own records need no resending; send again your model's records that have no row in metric_log.csv yet (duplicates are harmless); " +
        'the waiting halves: npm run ingest -- --truths t.csv --predictions p.csv',
    );
  });
});

describe('InFlight', () => {
  it('reports the kept sample once, and nothing when there is none', async () => {
    const inFlight = new InFlight(dir);
    await writeFile(join(dir, IN_FLIGHT_FILE), JSON.stringify(sample));

    expect(await inFlight.reportLoss(sample.at + 1_000)).toMatch(/^lost with the emulator's memory/);
    expect(await inFlight.reportLoss(sample.at + 2_000)).toBeUndefined();
  });

  it('says so even when the last check found nothing: a burst after it went unseen', async () => {
    const inFlight = new InFlight(dir);
    await writeFile(join(dir, IN_FLIGHT_FILE), JSON.stringify({ ...sample, queued: { y_true: 0 }, pending: {} }));

    expect(await inFlight.reportLoss(sample.at + 6_000)).toBe(
      "the emulator's memory is gone: its last check, at 12:00:00 UTC (6 s before it was found empty), found nothing queued or waiting; " +
        "what was sent after it is not known: send again your model's records of that time that have no row in metric_log.csv (duplicates are harmless)",
    );
  });
});
