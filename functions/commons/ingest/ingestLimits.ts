import { SQS_LIMITS } from '../messaging/sqsLimits.js';

/** At most this many items, and this many bytes, per request (SQS's own message limit is 256 KiB too). */
export const INGEST_LIMITS = { items: 500, bytes: SQS_LIMITS.messageBytes } as const;
