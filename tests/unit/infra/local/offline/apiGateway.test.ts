/**
 * The local gateway's fixes wrap members of serverless-offline 14 (apiGateway.ts); they
 * are still there in the installed one. What the fixes do is shown against the whole
 * stack, in a browser (tests/e2e/crossOrigin.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { whyGatewayNotApplicable } from '../../../../../infra/local/offline/apiGateway.js';

describe('answering browsers as API Gateway does', () => {
  it('finds the members it wraps in the installed serverless-offline', async () => {
    expect(await whyGatewayNotApplicable()).toBeUndefined();
  });
});
