/**
 * The set-aside claims in S3 (their rules, pure, are setAsideClaim.ts): one object
 * per source message, created only if absent (`If-None-Match: *`, exact on AWS, LocalStack
 * and moto), so of two deliveries of a pack exactly one may send its bad records. A
 * lapsed claim is taken over with `If-Match` on the version read (atomic on AWS; on
 * moto two takeovers racing could both win, which needs a crash and two deliveries at once).
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConcurrentWriteError } from '../platform/errors.js';
import { getText, putIfUnchanged, putObject } from '../storage/s3Objects.js';
import { setAsideKey } from './deadLetterReasons.js';
import { type ClaimVerdict, completedClaim, newClaim, parseClaim, type SetAsideClaim, verdictOn } from './setAsideClaim.js';

export interface ClaimRequest {
  readonly queue: string;
  readonly sourceMessageId: string;
  /** Epoch ms: this invocation's deadline, past which nobody waits for it. */
  readonly deadline: number;
  readonly now?: () => number;
}

/** The pack is this invocation's to set aside; it sends, then calls completeSetAside (or releaseSetAside if the send failed). */
export interface HeldClaim {
  readonly kind: 'claimed';
  readonly key: string;
  readonly claim: SetAsideClaim;
}

/** `claimed`, or what another invocation left: `done` (send nothing) or `held` (let the pack come back). */
export type ClaimOutcome = HeldClaim | Exclude<ClaimVerdict, { kind: 'lapsed' }>;

/** Two rounds settle any race: a lost create-only write is followed by reading the winner's claim. */
const CLAIM_ATTEMPTS = 3;

export async function claimSetAside(s3: S3Client, bucket: string, request: ClaimRequest): Promise<ClaimOutcome> {
  const now = request.now ?? Date.now;
  const key = setAsideKey(request.queue, request.sourceMessageId);
  for (let attempt = 1; ; attempt++) {
    const stored = await getText(s3, bucket, key);
    if (stored !== undefined) {
      const verdict = verdictOn(parseClaim(key, stored.text), now());
      if (verdict.kind !== 'lapsed') return verdict;
      // Lapsed: taken over below, only if it is still the claim we read.
    }
    const claim = newClaim(request.queue, request.sourceMessageId, now(), request.deadline);
    try {
      await putIfUnchanged(s3, bucket, key, JSON.stringify(claim), { expectedEtag: stored?.etag }, { contentType: 'application/json' });
      return { kind: 'claimed', key, claim };
    } catch (error) {
      if (!(error instanceof ConcurrentWriteError) || attempt >= CLAIM_ATTEMPTS) throw error;
    }
  }
}

/**
 * Notes the message the bad records went out as, so later deliveries send nothing.
 * Unconditional: the claim is this invocation's until its deadline, which it has not
 * reached while it runs.
 */
export async function completeSetAside(s3: S3Client, bucket: string, held: HeldClaim, setAsideAs: string): Promise<void> {
  await putObject(s3, bucket, held.key, JSON.stringify(completedClaim(held.claim, setAsideAs)), 'application/json');
}

/** Gives the claim up after a failed send, so the pack's next delivery sets it aside at once. */
export async function releaseSetAside(s3: S3Client, bucket: string, held: HeldClaim): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: held.key }));
}
