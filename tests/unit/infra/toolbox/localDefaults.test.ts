/** toolbox/localDefaults: the names and ports the tools use are serverless.yml's and settings.ts's. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUCKET,
  functionName,
  LOCAL_ENDPOINT,
  LOCAL_REGION,
  PORTS,
  PROJECT_DIR,
  SERVICE,
  STAGE,
} from '../../../../infra/toolbox/localDefaults.js';

describe('local defaults', () => {
  it('names a function as Serverless deploys it', () => {
    expect(functionName('features')).toBe('ml-monitor-dev-features');
    expect(functionName('plot', 'prod')).toBe('ml-monitor-prod-plot');
  });

  it("takes the service and stage from serverless.yml and the rest from the settings' defaults", () => {
    const yml = readFileSync(join(PROJECT_DIR, 'serverless.yml'), 'utf8');

    expect(yml).toMatch(new RegExp(`^service: ${SERVICE}$`, 'm'));
    expect(yml).toContain(`stage: \${opt:stage, '${STAGE}'}`);
    expect({ LOCAL_ENDPOINT, LOCAL_REGION, BUCKET }).toEqual({
      LOCAL_ENDPOINT: 'http://localhost:4566',
      LOCAL_REGION: 'us-east-1',
      BUCKET: 'ml-monitor-dev',
    });
    expect(PORTS).toEqual({ aws: 4566, quickchart: 3400, lambda: 3002, http: 3000, websocket: 3001 });
  });
});
