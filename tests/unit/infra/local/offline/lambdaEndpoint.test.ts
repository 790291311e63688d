/**
 * The Lambda endpoint's fix wraps members of serverless-offline 14 and of the hapi it
 * loads (lambdaEndpoint.ts); they are still there in the installed ones. That the fix
 * reaches the server and closes it is shown on serverless-offline's own Lambda server
 * (tests/integration/infra/local/offline/lambdaEndpoint.test.ts) and against the whole stack,
 * in a browser (tests/e2e/crossOrigin.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { refusalMessage, whyLambdaEndpointNotClosable } from '../../../../../infra/local/offline/lambdaEndpoint.js';

describe('closing the Lambda endpoint to web pages', () => {
  it('finds the members it wraps in the installed serverless-offline and hapi', async () => {
    expect(await whyLambdaEndpointNotClosable()).toBeUndefined();
  });

  it('tells a refused caller why and what to use instead', () => {
    expect(refusalMessage('it carries an Origin header')).toBe(
      "serverless-offline's Lambda endpoint takes no requests from web pages, and it carries an Origin header: invoke with the AWS CLI or SDK",
    );
  });
});
