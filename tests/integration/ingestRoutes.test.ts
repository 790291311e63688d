/**
 * The ingestion API as serverless.yml declares it (`sls print`): two POST routes and
 * the references' PUT on ingest, each behind IAM on AWS (no anonymous writes), and serverless-offline told
 * not to check IAM locally (it cannot: it would not start its HTTP server).
 */
import { describe, expect, it } from 'vitest';
import { printService, slsEnv } from '../../infra/local/toolbox/sls.js';

interface Service {
  functions: Record<string, { handler: string; events?: Record<string, any>[] }>;
  custom: { 'serverless-offline': Record<string, unknown> };
}

describe('the HTTP routes in serverless.yml', () => {
  const service = printService<Service>(slsEnv({ OFFLINE_HTTP_PORT: '3999' }));

  it('routes POST /truths, POST /predictions and PUT /references/{model} to ingest, each with IAM authorization', () => {
    const ingest = service.functions.ingest;

    expect(ingest?.handler).toBe('functions/ingest.handler');
    expect(ingest?.events).toEqual([
      { httpApi: { method: 'POST', path: '/truths', authorizer: { type: 'aws_iam' } } },
      { httpApi: { method: 'POST', path: '/predictions', authorizer: { type: 'aws_iam' } } },
      { httpApi: { method: 'PUT', path: '/references/{model}', authorizer: { type: 'aws_iam' } } },
    ]);
  });

  it('gives HTTP routes only to ingest and the dashboard, every one IAM-authorized', () => {
    const routes = Object.entries(service.functions).flatMap(([name, fn]) =>
      (fn.events ?? []).filter((event) => 'httpApi' in event || 'http' in event).map((event) => ({ name, route: event.httpApi })),
    );

    expect(routes.map(({ name, route }) => `${name} ${route.method} ${route.path}`)).toEqual([
      'ingest POST /truths',
      'ingest POST /predictions',
      'ingest PUT /references/{model}',
      'dashboard GET /',
      'dashboard GET /{file}',
    ]);
    expect(routes.every(({ route }) => route.authorizer?.type === 'aws_iam')).toBe(true);
  });

  it('serves the routes locally on OFFLINE_HTTP_PORT without IAM checks', () => {
    expect(service.custom['serverless-offline']).toMatchObject({ httpPort: '3999', noAuth: true });
  });
});
