/** The set-aside claim: what a delivery of a pack may do when it finds one. */
import { describe, expect, it } from 'vitest';
import {
  CLOCK_SKEW_MS,
  completedClaim,
  InvalidSetAsideClaimError,
  newClaim,
  parseClaim,
  verdictOn,
} from '../../../../../functions/commons/messaging/setAsideClaim.js';

const now = Date.parse('2026-12-03T12:00:00.000Z');
const claim = newClaim('y_true', 'm-1', now, now + 30_000);

describe('verdictOn', () => {
  it('finds a pack done once the message holding its bad records is noted', () => {
    expect(verdictOn(completedClaim(claim, 'dlq-9'), now + 3_600_000)).toEqual({ kind: 'done', setAsideAs: 'dlq-9' });
  });

  it("finds a claim held until its holder's deadline has passed, clock skew included", () => {
    expect(verdictOn(claim, now + 1_000)).toEqual({ kind: 'held', holdUntil: '2026-12-03T12:00:30.000Z' });
    expect(verdictOn(claim, now + 30_000 + CLOCK_SKEW_MS)).toEqual({ kind: 'held', holdUntil: '2026-12-03T12:00:30.000Z' });
  });

  it('finds a claim lapsed after that: its holder died before sending', () => {
    expect(verdictOn(claim, now + 30_000 + CLOCK_SKEW_MS + 1)).toEqual({ kind: 'lapsed' });
  });
});

describe('parseClaim', () => {
  it('reads back what is written', () => {
    const done = completedClaim(claim, 'dlq-9');

    expect(parseClaim('k', JSON.stringify(done))).toEqual(done);
    expect(parseClaim('k', JSON.stringify(claim))).toEqual({
      queue: 'y_true',
      sourceMessageId: 'm-1',
      claimedAt: '2026-12-03T12:00:00.000Z',
      holdUntil: '2026-12-03T12:00:30.000Z',
    });
  });

  it('refuses what is not a claim, naming the key and the field', () => {
    expect(() => parseClaim('k', 'nope')).toThrow(InvalidSetAsideClaimError);
    expect(() => parseClaim('k', JSON.stringify({ ...claim, holdUntil: 'soon' }))).toThrow(/set-aside claim k is malformed: holdUntil/);
  });
});
