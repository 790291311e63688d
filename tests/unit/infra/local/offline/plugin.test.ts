/** serverless v3's schema made to accept the runtime we deploy. */
import { describe, expect, it } from 'vitest';
import { acceptRuntimes } from '../../../../../infra/local/offline/plugin.js';

describe('acceptRuntimes', () => {
  it('adds the runtimes the schema lacks, once, and keeps the ones it has', () => {
    const serverless = { configSchemaHandler: { schema: { definitions: { awsLambdaRuntime: { enum: ['nodejs20.x'] } } } } };

    acceptRuntimes(serverless, ['nodejs22.x', 'nodejs20.x']);
    acceptRuntimes(serverless, ['nodejs22.x']);

    expect(serverless.configSchemaHandler.schema.definitions.awsLambdaRuntime.enum).toEqual(['nodejs20.x', 'nodejs22.x']);
  });

  it('leaves a serverless without that schema alone', () => {
    expect(() => acceptRuntimes({})).not.toThrow();
  });
});
