/**
 * serverless-offline 14's HTTP server made to answer browsers as API Gateway does, on
 * the two points the API's safety rests on:
 *
 * - **CORS.** With `provider.httpApi.cors` off, its server reflects any request's
 *   `Origin` into `access-control-allow-origin`, with
 *   `access-control-allow-credentials: true` (src/utils/createCorsPreResponseHandler.js,
 *   its onPreResponse extension), and hapi adds its own from the routes' `cors` option:
 *   any page could read the figures and post truths. No option turns that off. (14 no
 *   longer reflects an origin that `provider.httpApi.cors` does not name; 13 did on
 *   every answer but a preflight.) Here the routes have no `cors` option,
 *   serverless-offline's headers are dropped from every answer, and those of
 *   `provider.httpApi.cors` are put in their place (httpApiCors.ts): none unless it
 *   names the request's origin, whose preflight is answered here too.
 * - **Content type.** It gives the function `content-type: application/json` for a
 *   body sent without one (LambdaProxyIntegrationEventV2.js, still in 14), so a page's
 *   bodiless-type POST (a Blob, which needs no preflight) would pass as JSON. API
 *   Gateway passes the headers as sent: here a request without one reaches the
 *   function without one.
 *
 * Only public members are touched (HttpServer's `createServer` and `getServer`, the
 * `route` of the hapi server it makes, the event's `create`); nothing installed is
 * edited.
 */
import { corsConfiguration, corsHeaders, type HttpApiCors, isPreflight } from './httpApiCors.js';
import { loadOfflineModule } from './offlineModules.js';

/** The part of hapi's request and toolkit used here. */
interface HapiHeaders {
  [name: string]: string | string[] | undefined;
}
interface HapiResponse {
  headers: HapiHeaders;
  code(status: number): HapiResponse;
  header(name: string, value: string): HapiResponse;
  takeover(): HapiResponse;
}
interface HapiRequest {
  method: string;
  headers: HapiHeaders;
  raw: { req: { rawHeaders: string[] } };
  response: (HapiResponse & { isBoom?: false }) | { isBoom: true; output: { headers: HapiHeaders } } | null;
}
interface HapiToolkit {
  readonly continue: symbol;
  response(body?: unknown): HapiResponse;
}
interface HapiRoute {
  options?: { cors?: unknown };
}
interface HapiServer {
  ext(event: 'onRequest' | 'onPreResponse', method: (request: HapiRequest, h: HapiToolkit) => unknown): void;
  route(routes: HapiRoute | HapiRoute[]): void;
}

interface HttpServerClass {
  prototype: { createServer: (...args: unknown[]) => Promise<unknown>; getServer: () => HapiServer };
}
interface EventV2Class {
  prototype: { create: () => { headers?: Record<string, string> } };
}

/** A request header that marks a request sent without a content type, from onRequest to the event (and dropped there). */
export const NO_CONTENT_TYPE_MARK = 'x-ml-monitor-offline-no-content-type';

const HTTP_SERVER = 'events/http/HttpServer.js';
const EVENT_V2 = 'events/http/lambda-events/LambdaProxyIntegrationEventV2.js';

/** Why the fix cannot apply to the installed serverless-offline, or undefined when it can. */
export async function whyGatewayNotApplicable(): Promise<string | undefined> {
  const { default: httpServer } = await loadOfflineModule<{ default?: HttpServerClass }>(HTTP_SERVER).catch(() => ({ default: undefined }));
  const { default: eventV2 } = await loadOfflineModule<{ default?: EventV2Class }>(EVENT_V2).catch(() => ({ default: undefined }));
  if (typeof httpServer?.prototype?.createServer !== 'function') return 'HttpServer.prototype.createServer is gone';
  if (typeof httpServer.prototype.getServer !== 'function') return 'HttpServer.prototype.getServer is gone';
  if (typeof eventV2?.prototype?.create !== 'function') return 'LambdaProxyIntegrationEventV2.prototype.create is gone';
  return undefined;
}

let applied = false;

/**
 * Applies the fix once per process, its CORS from `httpApiCors()` (serverless.yml's
 * `provider.httpApi.cors`, read when the server is created); returns why it could not,
 * or undefined when it is in place.
 */
export async function answerAsApiGateway(httpApiCors: () => unknown): Promise<string | undefined> {
  if (applied) return undefined;
  const problem = await whyGatewayNotApplicable();
  if (problem !== undefined) return problem;
  const { default: httpServer } = await loadOfflineModule<{ default: HttpServerClass }>(HTTP_SERVER);
  const { default: eventV2 } = await loadOfflineModule<{ default: EventV2Class }>(EVENT_V2);

  const createServer = httpServer.prototype.createServer;
  httpServer.prototype.createServer = async function createServerAsApiGateway(this: HttpServerClass['prototype'], ...args: unknown[]) {
    const created = await createServer.apply(this, args);
    const server = this.getServer();
    withoutRouteCors(server);
    // Registered after serverless-offline's own onPreResponse, so it runs after it.
    addExtensions(server, corsConfiguration(httpApiCors()));
    return created;
  };

  const create = eventV2.prototype.create;
  eventV2.prototype.create = function createWithoutInventedContentType(this: EventV2Class['prototype']) {
    const event = create.call(this);
    if (event.headers?.[NO_CONTENT_TYPE_MARK] !== undefined) {
      delete event.headers[NO_CONTENT_TYPE_MARK];
      delete event.headers['content-type'];
    }
    return event;
  };
  applied = true;
  return undefined;
}

/**
 * serverless-offline also hands `provider.httpApi.cors` to hapi as each route's `cors`
 * option, and hapi adds its own headers after every extension has run (appending to
 * ours). The routes it adds from now on have none: the CORS headers are those below alone.
 */
function withoutRouteCors(server: HapiServer): void {
  const route = server.route.bind(server);
  server.route = (routes) => {
    const withoutCors = (config: HapiRoute): HapiRoute => ({ ...config, options: { ...config.options, cors: false } });
    route(Array.isArray(routes) ? routes.map(withoutCors) : withoutCors(routes));
  };
}

function addExtensions(server: HapiServer, cors: HttpApiCors | undefined): void {
  server.ext('onRequest', (request, h) => {
    if (!request.headers['content-type']) request.raw.req.rawHeaders.push(NO_CONTENT_TYPE_MARK, '1');
    const asked = corsRequest(request);
    if (!isPreflight(asked)) return h.continue;
    const headers = corsHeaders(cors, asked);
    // A preflight of an origin it names is API Gateway's to answer; any other goes on, to be answered without CORS headers.
    if (headers['access-control-allow-origin'] === undefined) return h.continue;
    const response = h.response().code(204);
    for (const [name, value] of Object.entries(headers)) response.header(name, value);
    return response.takeover();
  });
  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    if (response === null) return h.continue;
    const headers = response.isBoom === true ? response.output.headers : response.headers;
    for (const name of Object.keys(headers)) if (name.toLowerCase().startsWith('access-control-')) delete headers[name];
    Object.assign(headers, corsHeaders(cors, corsRequest(request)));
    return h.continue;
  });
}

function corsRequest(request: HapiRequest): { method: string; origin: string | undefined; requestMethod: string | undefined } {
  const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  return {
    method: request.method,
    origin: single(request.headers.origin),
    requestMethod: single(request.headers['access-control-request-method']),
  };
}
