/**
 * serverless-offline 14's Lambda endpoint (LAMBDA_PORT: the AWS Lambda Invoke API,
 * `POST /2015-03-31/functions/<name>/invocations`, and the old
 * `/2014-11-13/functions/<name>/invoke-async/`) closed to web pages.
 *
 * Its two routes take serverless-offline's `corsConfig` as hapi's `cors` option
 * (src/lambda/routes/invocations/invocationsRoute.js:66, invoke-async/invokeAsyncRoute.js:22),
 * and since 14 the server itself has an onPreResponse extension
 * (src/utils/createCorsPreResponseHandler.js) that, by default (`corsAllowOrigin: "*"`),
 * reflects any page's `Origin` into `access-control-allow-origin` with credentials and
 * answers any preflight 200 (whatever the answer was), and they read the body raw
 * whatever its content type. So a script on any page open in the browser could run any
 * function with an event of its making (a made-up SQS event to `metric` writes rows;
 * `features` emits records) and read the answer. Taking the CORS headers away is not
 * enough (a page sends a text/plain POST without asking, and it runs the function all
 * the same), and serverless-offline's CORS options are the HTTP API's too. (The HTTP
 * port serves no invocation path: the `POST …/2015-03-31/functions/<key>/invocations`
 * lines of its start banner are only printed. tests/e2e/crossOrigin.test.ts keeps it so.)
 *
 * Its clients are never browsers (webPageRequests.ts), so every request a web page
 * sent is refused with 403 before it is routed, and the routes send no CORS headers
 * and answer no preflight: an onPreResponse extension of its own, added after
 * serverless-offline's and so run after it, takes every CORS header away again and
 * keeps the refusal a 403. A page can neither run a function nor read anything.
 *
 * The endpoint is a hapi server private to src/lambda/HttpServer.js (`#server`, with no
 * getter, unlike the HTTP server's `getServer` that apiGateway.ts uses). Its public
 * `start` registers the routes at once, before its first `await`: for that moment
 * hapi's own `route` (on the prototype its servers share) is wrapped to learn which
 * server it is called on, and that server gets its extensions before it listens. Being the server's, not its routes', the refusal also covers any route
 * serverless-offline adds to it later; no other server is touched. Only public members
 * are touched; nothing installed is edited.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadOfflineModule, offlineSourceDir } from './offlineModules.js';
import { type RequestHeaders, sentByAWebPage } from './webPageRequests.js';

/** The part of hapi used here. */
interface HapiRoute {
  readonly options?: Readonly<Record<string, unknown>>;
}
interface HapiResponse {
  code(status: number): HapiResponse;
  header(name: string, value: string): HapiResponse;
  takeover(): HapiResponse;
}
interface HapiToolkit {
  readonly continue: symbol;
  response(body?: unknown): HapiResponse;
}
/** A response as onPreResponse sees it: hapi's own, or a Boom error's output. */
interface HapiPreResponse {
  statusCode: number;
  headers: Record<string, unknown>;
}
interface HapiPreResponseRequest {
  headers: RequestHeaders;
  response: (HapiPreResponse & { isBoom?: false }) | { isBoom: true; output: HapiPreResponse } | null;
}
interface HapiServer {
  ext(event: 'onRequest', method: (request: { headers: RequestHeaders }, h: HapiToolkit) => unknown): void;
  ext(event: 'onPreResponse', method: (request: HapiPreResponseRequest, h: HapiToolkit) => unknown): void;
  route(routes: HapiRoute | readonly HapiRoute[]): void;
}
interface Hapi {
  server(options?: { autoListen?: boolean }): HapiServer;
}

interface LambdaHttpServerClass {
  prototype: { start: (...args: unknown[]) => Promise<unknown> };
}

const LAMBDA_HTTP_SERVER = 'lambda/HttpServer.js';

/** The error type AWS's Invoke API gives a caller it refuses: the CLI and the SDK print it with the message. */
export const REFUSED_ERROR_TYPE = 'AccessDeniedException';

/** The answer's message: what was refused, why, and what to use instead. */
export function refusalMessage(reason: string): string {
  return `serverless-offline's Lambda endpoint takes no requests from web pages, and ${reason}: invoke with the AWS CLI or SDK`;
}

/** hapi as serverless-offline's Lambda server loads it: resolved from that very file, so the same module instance. */
function offlineHapi(): Hapi {
  return createRequire(join(offlineSourceDir(), LAMBDA_HTTP_SERVER))('@hapi/hapi') as Hapi;
}

/** The prototype hapi's servers share, where `route` lives (hapi exports a factory, not its class); the server made to find it never listens. */
function hapiServerPrototype(): Partial<HapiServer> {
  return Object.getPrototypeOf(offlineHapi().server({ autoListen: false })) as Partial<HapiServer>;
}

/** Why the fix cannot apply to the installed serverless-offline, or undefined when it can. */
export async function whyLambdaEndpointNotClosable(): Promise<string | undefined> {
  const { default: lambdaHttpServer } = await loadOfflineModule<{ default?: LambdaHttpServerClass }>(LAMBDA_HTTP_SERVER).catch(() => ({
    default: undefined,
  }));
  if (typeof lambdaHttpServer?.prototype?.start !== 'function') return 'lambda/HttpServer.prototype.start is gone';
  let prototype: Partial<HapiServer>;
  try {
    prototype = hapiServerPrototype();
  } catch {
    return 'its @hapi/hapi cannot be loaded';
  }
  if (typeof prototype.route !== 'function' || typeof prototype.ext !== 'function') return "hapi's servers no longer share route and ext";
  return undefined;
}

let applied = false;

/**
 * Applies the fix once per process; returns why it could not, or undefined when it is
 * in place. `onUnguarded` hears of a Lambda server started without it (its `start` no
 * longer registers the routes at once), which the checks here cannot see beforehand.
 */
export async function closeLambdaEndpointToWebPages(onUnguarded: (problem: string) => void): Promise<string | undefined> {
  if (applied) return undefined;
  const problem = await whyLambdaEndpointNotClosable();
  if (problem !== undefined) return problem;
  const { default: lambdaHttpServer } = await loadOfflineModule<{ default: LambdaHttpServerClass }>(LAMBDA_HTTP_SERVER);
  const hapiPrototype = hapiServerPrototype() as HapiServer;

  const start = lambdaHttpServer.prototype.start;
  lambdaHttpServer.prototype.start = function startClosedToWebPages(this: unknown, ...args: unknown[]) {
    const route = hapiPrototype.route;
    const closed = new Set<HapiServer>();
    hapiPrototype.route = function routeOfTheLambdaEndpoint(this: HapiServer, routes) {
      if (!closed.has(this)) {
        refuseWebPages(this);
        closed.add(this);
      }
      route.call(this, [routes].flat().map(withoutCors));
    };
    try {
      return start.apply(this, args);
    } finally {
      hapiPrototype.route = route;
      if (closed.size === 0) onUnguarded('lambda/HttpServer.prototype.start no longer registers its routes at once');
    }
  };
  applied = true;
  return undefined;
}

/** hapi adds a route's CORS headers after every extension has run: the routes have none. */
function withoutCors(config: HapiRoute): HapiRoute {
  return { ...config, options: { ...config.options, cors: false } };
}

/**
 * Refuses, before routing (so before any body is read or function run), every request a
 * web page sent; and, last before each answer goes out, takes away the CORS headers
 * serverless-offline's own onPreResponse put on it and puts a refusal's 403 back where it
 * made a preflight's answer a 200.
 */
function refuseWebPages(server: HapiServer): void {
  server.ext('onRequest', (request, h) => {
    const reason = sentByAWebPage(request.headers);
    if (reason === undefined) return h.continue;
    return h
      .response({ message: refusalMessage(reason) })
      .code(403)
      .header('x-amzn-ErrorType', REFUSED_ERROR_TYPE)
      .takeover();
  });
  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    if (response === null) return h.continue;
    const answer = response.isBoom === true ? response.output : response;
    for (const name of Object.keys(answer.headers)) if (name.toLowerCase().startsWith('access-control-')) delete answer.headers[name];
    if (sentByAWebPage(request.headers) !== undefined) answer.statusCode = 403;
    return h.continue;
  });
}
