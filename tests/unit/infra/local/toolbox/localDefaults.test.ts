/** toolbox/localDefaults: the names and ports the tools use are serverless.yml's and settings.ts's. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as local from '../../../../../infra/local/toolbox/localDefaults.js';

describe('local defaults', () => {
  it('names a function as Serverless deploys it', () => {
    expect(local.functionName('features')).toBe('ml-monitor-dev-features');
    expect(local.functionName('plot', 'prod')).toBe('ml-monitor-prod-plot');
  });

  it("takes the service and stage from serverless.yml and the rest from the settings' defaults", () => {
    const yml = readFileSync(join(local.PROJECT_DIR, 'serverless.yml'), 'utf8');

    expect(yml).toMatch(new RegExp(`^service: ${local.SERVICE}$`, 'm'));
    expect(yml).toContain(`stage: \${opt:stage, '${local.STAGE}'}`);
    expect({ endpoint: local.LOCAL_ENDPOINT, region: local.LOCAL_REGION, bucket: local.BUCKET }).toEqual({
      endpoint: 'http://localhost:4566',
      region: 'us-east-1',
      bucket: 'ml-monitor-dev',
    });
    expect(local.PORTS).toEqual({ aws: 4566, quickchart: 3400, lambda: 3002, http: 3000, websocket: 3001 });
  });
});
