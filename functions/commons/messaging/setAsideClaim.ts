/**
 * The claim that makes setting a pack's bad records aside idempotent, pure: the record
 * kept in S3 per source message (setAsideClaimStore.ts keeps it), and what an
 * invocation that finds one may do.
 *
 * SQS delivers at least once, and a message can reach two invocations at once (its
 * visibility timeout ran out while the first still held it) or come back after one
 * already set its bad records aside (the invocation failed later, or its delete was
 * lost). Sending to the dead-letter queue is not idempotent, so the first invocation
 * claims the pack, create-only, before it sends, and notes the message it sent; every
 * other delivery finds the claim and sends nothing. A claim whose holder died before
 * sending lapses at the holder's own deadline (Lambda has stopped it by then), and the
 * next delivery takes it over.
 */
// zod/mini: this module is bundled into the handlers, where full zod costs ~440 KB.
import * as z from 'zod/mini';

export const SetAsideClaim = z.object({
  /** The source queue's name, e.g. `y_true`. */
  queue: z.string().check(z.minLength(1)),
  /** The SQS message id of the pack: the same on every delivery. */
  sourceMessageId: z.string().check(z.minLength(1)),
  /** ISO 8601, when the holder claimed it. */
  claimedAt: z.iso.datetime({ offset: true }),
  /** ISO 8601, the holder's deadline (its invocation's timeout): past it the holder is gone. */
  holdUntil: z.iso.datetime({ offset: true }),
  /** The dead-letter queue's message holding the bad records, once sent. */
  setAsideAs: z.optional(z.string().check(z.minLength(1))),
});
export type SetAsideClaim = z.infer<typeof SetAsideClaim>;

/**
 * What a delivery finds: `done`, the bad records were set aside (send nothing);
 * `held`, another invocation is setting them aside now (let the pack come back);
 * `lapsed`, its holder died before sending (take it over and send).
 */
export type ClaimVerdict =
  | { readonly kind: 'done'; readonly setAsideAs: string }
  | { readonly kind: 'held'; readonly holdUntil: string }
  | { readonly kind: 'lapsed' };

/** Margin past the holder's deadline for clocks that disagree between hosts. */
export const CLOCK_SKEW_MS = 5_000;

export function verdictOn(claim: SetAsideClaim, now: number): ClaimVerdict {
  if (claim.setAsideAs !== undefined) return { kind: 'done', setAsideAs: claim.setAsideAs };
  if (now > Date.parse(claim.holdUntil) + CLOCK_SKEW_MS) return { kind: 'lapsed' };
  return { kind: 'held', holdUntil: claim.holdUntil };
}

export function newClaim(queue: string, sourceMessageId: string, now: number, deadline: number): SetAsideClaim {
  return { queue, sourceMessageId, claimedAt: new Date(now).toISOString(), holdUntil: new Date(deadline).toISOString() };
}

export function completedClaim(claim: SetAsideClaim, setAsideAs: string): SetAsideClaim {
  return { ...claim, setAsideAs };
}

/** A stored claim is not JSON or not a claim: a broken writer, reported rather than read as "none". */
export class InvalidSetAsideClaimError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`set-aside claim ${key} is malformed: ${detail}`);
    this.name = 'InvalidSetAsideClaimError';
  }
}

export function parseClaim(key: string, text: string): SetAsideClaim {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidSetAsideClaimError(key, `not JSON (${(error as Error).message})`);
  }
  const parsed = SetAsideClaim.safeParse(json);
  if (!parsed.success) {
    throw new InvalidSetAsideClaimError(
      key,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`).join('; '),
    );
  }
  return parsed.data;
}
