/** How packed messages are grouped into SendMessageBatch requests. */
import { describe, expect, it } from 'vitest';
import { batchRequests } from '../../../../../functions/commons/messaging/queues.js';
import { SQS_LIMITS } from '../../../../../functions/commons/messaging/sqsLimits.js';

describe('batchRequests', () => {
  it('puts ten messages to a request, in order', () => {
    const bodies = Array.from({ length: 23 }, (_, i) => `m${i}`);

    const requests = batchRequests(bodies);

    expect(requests.map((r) => r.length)).toEqual([10, 10, 3]);
    expect(requests.flat()).toEqual(bodies);
  });

  it("starts a new request before the bodies pass SendMessageBatch's 256 KiB", () => {
    const pack = 'x'.repeat(60 * 1024);

    const requests = batchRequests([pack, pack, pack, pack, pack, 'small']);

    expect(requests.map((r) => r.length)).toEqual([4, 2]);
    for (const request of requests) expect(request.join('').length).toBeLessThanOrEqual(SQS_LIMITS.batchBytes);
  });

  it('sends nothing for no bodies', () => {
    expect(batchRequests([])).toEqual([]);
  });
});
