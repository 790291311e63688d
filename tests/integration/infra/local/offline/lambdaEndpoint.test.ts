/**
 * serverless-offline 14's Lambda endpoint closed to web pages (lambdaEndpoint.ts): its
 * own Lambda server class (src/lambda/HttpServer.js), started on free ports around a
 * stand-in for its function pool, once before the fix is applied and once after. The
 * first shows the hole, still there in the installed version (when it is closed
 * upstream, drop the fix); the second shows it closed for every request a browser
 * marks, and open as before to the SDK, the AWS CLI and Node's fetch. A change in
 * serverless-offline that the fix relies on fails here.
 */
import { describe, expect, it } from 'vitest';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import { closeLambdaEndpointToWebPages, REFUSED_ERROR_TYPE, refusalMessage } from '../../../../../infra/local/offline/lambdaEndpoint.js';
import { loadOfflineModule } from '../../../../../infra/local/offline/offlineModules.js';
import { invoke } from '../../../../../infra/local/toolbox/invoke.js';
import { awsLambdaInvoke } from '../../../../helpers/awsCli.js';
import { startedForTests } from '../../../../helpers/factories.js';

interface LambdaHttpServer {
  start(): Promise<void>;
  stop(timeout: number): Promise<void>;
}
type LambdaHttpServerClass = new (
  serverless: { service: { provider: object } },
  options: { host: string; lambdaPort: number; corsConfig: unknown },
  lambda: unknown,
) => LambdaHttpServer;

interface OfflineDefaults {
  corsAllowHeaders: string;
  corsAllowOrigin: string;
  corsDisallowCredentials: boolean;
  corsExposedHeaders: string;
}

/** The `corsConfig` serverless-offline gives its routes when serverless.yml sets no CORS option, as it builds it (src/ServerlessOffline.js). */
async function defaultCorsConfig(): Promise<unknown> {
  const { defaultOptions } = await loadOfflineModule<{ defaultOptions: OfflineDefaults }>('config/index.js');
  const list = (value: string) => value.replaceAll(' ', '').split(',');
  return {
    credentials: !defaultOptions.corsDisallowCredentials,
    exposedHeaders: list(defaultOptions.corsExposedHeaders),
    headers: list(defaultOptions.corsAllowHeaders),
    origin: list(defaultOptions.corsAllowOrigin),
  };
}

const FUNCTION = 'probe';

/** One Lambda server with a one-function pool that records each event it runs. */
interface Endpoint {
  readonly url: string;
  readonly ran: unknown[];
  stop(): Promise<void>;
}

async function startEndpoint(): Promise<Endpoint> {
  const { default: LambdaHttpServer } = await loadOfflineModule<{ default: LambdaHttpServerClass }>('lambda/HttpServer.js');
  const ran: unknown[] = [];
  let event: unknown;
  // What the routes ask of serverless-offline's Lambda (src/lambda/Lambda.js) and of a LambdaFunction.
  const lambdaFunction = {
    setClientContext: () => undefined,
    setEvent: (next: unknown) => {
      event = next;
    },
    runHandler: async () => {
      ran.push(event);
      return { ok: true };
    },
  };
  const lambda = {
    listFunctionNames: () => [FUNCTION],
    listFunctionNamePairs: () => ({ [FUNCTION]: FUNCTION }),
    getByFunctionName: () => lambdaFunction,
  };
  const port = await findFreePort();
  // A service without provider.httpApi.cors, as serverless.yml is unless API_ALLOWED_ORIGINS names origins.
  const serverless = { service: { provider: {} } };
  const server = new LambdaHttpServer(serverless, { host: '127.0.0.1', lambdaPort: port, corsConfig: await defaultCorsConfig() }, lambda);
  await server.start();
  return { url: `http://127.0.0.1:${port}`, ran, stop: () => server.stop(1_000) };
}

/** The endpoint before the fix, the endpoint after, and what the fix reported. */
interface Endpoints {
  readonly unfixed: Endpoint;
  readonly fixed: Endpoint;
  readonly problems: string[];
  stop(): Promise<void>;
}

const theEndpoints = startedForTests<Endpoints>(async () => {
  const unfixed = await startEndpoint();
  const problems: string[] = [];
  const problem = await closeLambdaEndpointToWebPages((unguarded) => problems.push(unguarded));
  if (problem !== undefined) problems.push(problem);
  const fixed = await startEndpoint();
  return {
    unfixed,
    fixed,
    problems,
    stop: async () => {
      await Promise.all([unfixed.stop(), fixed.stop()]);
    },
  };
});

const INVOKE = `/2015-03-31/functions/${FUNCTION}/invocations`;
const INVOKE_ASYNC = `/2014-11-13/functions/${FUNCTION}/invoke-async/`;

/** A POST as a page's script sends it (a string body goes as text/plain), with the headers the browser adds. */
async function post(endpoint: Endpoint, path: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  return await fetch(`${endpoint.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
    body: JSON.stringify(body),
  });
}

function corsOf(answer: Response): Record<string, string> {
  return Object.fromEntries([...answer.headers].filter(([name]) => name.startsWith('access-control-')));
}

/** The headers each kind of page request carries (a page on another port of this host is `same-site`). */
const PAGE_REQUESTS: readonly { page: string; headers: Record<string, string>; reason: string }[] = [
  {
    page: 'another origin',
    headers: { origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-site' },
    reason: 'it carries an Origin header',
  },
  {
    page: 'another site',
    headers: { origin: 'https://example.com', 'sec-fetch-site': 'cross-site' },
    reason: 'it carries an Origin header',
  },
  { page: 'an opaque origin (a sandboxed frame, a file)', headers: { origin: 'null' }, reason: 'it carries an Origin header' },
  {
    page: 'a browser that sent no Origin',
    headers: { 'sec-fetch-site': 'cross-site' },
    reason: 'its Sec-Fetch-Site is neither none nor same-origin',
  },
];

describe("serverless-offline's Lambda endpoint", () => {
  it('is closed by the fix with what it relies on in the installed serverless-offline', () => {
    expect(theEndpoints().problems).toEqual([]);
  });

  it('without the fix, runs a function for a page of another site and lets it read the answer', async () => {
    const { unfixed } = theEndpoints();
    const origin = 'https://example.com';

    const answer = await post(unfixed, INVOKE, { origin, 'sec-fetch-site': 'cross-site' }, { from: 'a page' });

    expect(answer.status).toBe(200);
    expect(corsOf(answer)).toMatchObject({ 'access-control-allow-origin': origin });
    expect(unfixed.ran).toEqual([{ from: 'a page' }]);
  });

  describe.each(PAGE_REQUESTS)('with the fix, a request of a page of $page', ({ headers, reason }) => {
    it.each([INVOKE, INVOKE_ASYNC])('to %s is refused with 403 and its reason, no CORS header, and runs nothing', async (path) => {
      const { fixed } = theEndpoints();
      const before = fixed.ran.length;

      const answer = await post(fixed, path, headers, { from: 'a page' });

      expect(answer.status).toBe(403);
      expect(answer.headers.get('x-amzn-errortype')).toBe(REFUSED_ERROR_TYPE);
      expect(await answer.json()).toEqual({ message: refusalMessage(reason) });
      expect(corsOf(answer)).toEqual({});
      expect(fixed.ran.length).toBe(before);
    });
  });

  it("with the fix, answers a page's preflight 403 with no CORS header", async () => {
    const { fixed } = theEndpoints();

    const answer = await fetch(`${fixed.url}${INVOKE}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

    expect(answer.status).toBe(403);
    expect(corsOf(answer)).toEqual({});
  });

  it('with the fix, still runs functions for the SDK, the AWS CLI, and requests no other site sent', async () => {
    const { fixed } = theEndpoints();
    const before = fixed.ran.length;

    const sdk = await invoke(fixed.url, FUNCTION, { from: 'the SDK' });
    const cli = await awsLambdaInvoke(fixed.url, FUNCTION);
    const typed = await post(fixed, INVOKE, { 'sec-fetch-site': 'none' }, { from: 'the address bar' });
    const sameOrigin = await post(fixed, INVOKE, { 'sec-fetch-site': 'same-origin' }, { from: "the endpoint's own page" });
    const plain = await post(fixed, INVOKE, {}, { from: "Node's fetch" });

    expect(sdk).toEqual({ ok: true, response: { ok: true } });
    expect(cli).toEqual({ printed: expect.objectContaining({ StatusCode: 200 }), response: { ok: true } });
    expect([typed.status, sameOrigin.status, plain.status]).toEqual([200, 200, 200]);
    expect(fixed.ran.slice(before)).toEqual([
      { from: 'the SDK' },
      {},
      { from: 'the address bar' },
      { from: "the endpoint's own page" },
      { from: "Node's fetch" },
    ]);
  });
});
