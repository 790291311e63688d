/**
 * toolbox/invoke against a stand-in for serverless-offline's Invoke API, which
 * answers as serverless-offline 14 does (src/lambda/routes/invocations/).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import { invoke, invokeOrThrow } from '../../../../../infra/local/toolbox/invoke.js';
import { functionName } from '../../../../../infra/local/toolbox/localDefaults.js';

interface Seen {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the stand-in answers, by the function's deployed name. */
const ANSWERS: Record<string, { status: number; headers?: Record<string, string>; body: string }> = {
  [functionName('echo')]: { status: 200, body: '{"rows":3}' },
  [functionName('quiet')]: { status: 200, body: '' },
  [functionName('throws')]: {
    status: 200,
    headers: { 'x-amz-function-error': 'Unhandled' },
    body: '{"errorMessage":"no rows","errorType":"TypeError","trace":[]}',
  },
};
const NOT_FOUND = {
  status: 404,
  headers: { 'x-amzn-errortype': 'ResourceNotFoundException' },
  body: '{"Message":"Function not found","Type":"User"}',
};

let server: Server;
let endpoint: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      seen.push({ method: request.method, url: request.url, headers: request.headers, body });
      const name = decodeURIComponent(request.url?.split('/')[3] ?? '');
      const answer = ANSWERS[name] ?? NOT_FOUND;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body);
    });
  });
  const port = await findFreePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('invoke', () => {
  it('posts the payload to the Invoke API as a RequestResponse call and returns the parsed answer', async () => {
    const outcome = await invoke(endpoint, functionName('echo'), { records: 2 });

    expect(outcome).toEqual({ ok: true, response: { rows: 3 } });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/2015-03-31/functions/ml-monitor-dev-echo/invocations',
      headers: { 'x-amz-invocation-type': 'RequestResponse', connection: 'close' },
      body: '{"records":2}',
    });
  });

  it('answers undefined for a handler that returned nothing', async () => {
    expect(await invoke(endpoint, functionName('quiet'))).toEqual({ ok: true, response: undefined });
  });

  it("reports a handler's error with its type and message", async () => {
    expect(await invoke(endpoint, functionName('throws'))).toEqual({ ok: false, error: 'Unhandled function error: TypeError: no rows' });
  });

  it('reports an unknown function as the API answered it', async () => {
    expect(await invoke(endpoint, functionName('nope'))).toEqual({
      ok: false,
      error: 'Invoke API answered 404 ResourceNotFoundException: Function not found',
    });
  });

  it('marks a closed port unreachable', async () => {
    const closed = `http://127.0.0.1:${await findFreePort()}`;

    expect(await invoke(closed, functionName('echo'))).toEqual({
      ok: false,
      unreachable: true,
      error: `Lambda endpoint ${closed} unreachable (ECONNREFUSED)`,
    });
  });
});

describe('invokeOrThrow', () => {
  it("returns the function's answer, or throws naming the function and what went wrong", async () => {
    expect(await invokeOrThrow(endpoint, functionName('echo'))).toEqual({ rows: 3 });
    await expect(invokeOrThrow(endpoint, functionName('throws'))).rejects.toThrow(
      'invoking ml-monitor-dev-throws: Unhandled function error: TypeError: no rows',
    );
  });
});
