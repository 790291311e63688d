/**
 * The HTTP API's CORS, pure: serverless.yml's `provider.httpApi.cors` from
 * API_ALLOWED_ORIGINS (through httpApiCors.cjs), and the headers API Gateway adds under
 * that configuration, which the local gateway (apiGateway.ts) gives the same way.
 *
 * Closed by default: with no origin named there is no CORS configuration, so a page of
 * another site can neither read the API's answers nor send it a JSON request (its
 * preflight fails). The simple requests a page may send without asking (text/plain,
 * forms) are refused by ingest itself: its body must be application/json.
 */
import { readLocalSetting } from '../settings.js';

/** The framework's `provider.httpApi.cors` object (its compile turns it into the API's CorsConfiguration). */
export interface HttpApiCors {
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods?: readonly string[];
  readonly allowedHeaders?: readonly string[];
  readonly exposedResponseHeaders?: readonly string[];
  readonly allowCredentials?: boolean;
  readonly maxAge?: number;
}

/**
 * What a named origin's page may do: read the dashboard's documents and post truths and
 * predictions, signed on AWS (the SigV4 headers), and read `retry-after` on a 503. No
 * credentials: the API knows no cookies, and a signed request carries its own.
 */
export const API_CORS = {
  allowedMethods: ['GET', 'POST'],
  allowedHeaders: ['content-type', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'],
  exposedResponseHeaders: ['retry-after'],
  maxAge: 600,
} as const satisfies Omit<HttpApiCors, 'allowedOrigins'>;

/** `provider.httpApi.cors` for these origins: false (none at all) when there is none. */
export function httpApiCors(origins: readonly string[]): HttpApiCors | false {
  if (origins.length === 0) return false;
  return { allowedOrigins: [...origins], ...API_CORS, allowCredentials: false };
}

/** serverless.yml's value, from API_ALLOWED_ORIGINS (checked by the settings module: a bad one stops `sls` with its reason). */
export function httpApiCorsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): HttpApiCors | false {
  return httpApiCors(readLocalSetting('apiAllowedOrigins', env) ?? []);
}

/** `provider.httpApi.cors` as serverless.yml may hold it: `true` is serverless's default configuration, open to every origin. */
export function corsConfiguration(configured: unknown): HttpApiCors | undefined {
  if (configured === true) {
    return {
      allowedOrigins: ['*'],
      allowedMethods: ['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
      allowedHeaders: ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent'],
    };
  }
  if (typeof configured !== 'object' || configured === null) return undefined;
  const cors = configured as Partial<HttpApiCors>;
  return Array.isArray(cors.allowedOrigins) ? (cors as HttpApiCors) : undefined;
}

export interface CorsRequest {
  readonly method: string;
  /** The `Origin` header: undefined for a same-origin GET or a client that is not a browser. */
  readonly origin: string | undefined;
  /** `Access-Control-Request-Method`: present on a preflight only. */
  readonly requestMethod: string | undefined;
}

/** A browser asking, before a request that is not simple (a JSON POST), whether it may send it. */
export function isPreflight(request: CorsRequest): boolean {
  return request.method.toUpperCase() === 'OPTIONS' && request.origin !== undefined && request.requestMethod !== undefined;
}

/**
 * The CORS headers of the answer to `request` under `cors`, as API Gateway gives them:
 * none without a configuration, none for an origin it does not name, and credentials
 * never with a wildcard (a browser would refuse them, and every site could use them).
 */
export function corsHeaders(cors: HttpApiCors | undefined, request: CorsRequest): Record<string, string> {
  const { origin } = request;
  if (cors === undefined || origin === undefined) return {};
  const wildcard = cors.allowedOrigins.includes('*');
  if (!wildcard && !cors.allowedOrigins.includes(origin)) return {};
  const credentials = cors.allowCredentials === true && !wildcard;
  const headers: Record<string, string> = wildcard
    ? { 'access-control-allow-origin': '*' }
    : { 'access-control-allow-origin': origin, vary: 'origin' };
  if (credentials) headers['access-control-allow-credentials'] = 'true';
  if (isPreflight(request)) {
    if (cors.allowedMethods !== undefined) headers['access-control-allow-methods'] = cors.allowedMethods.join(',');
    if (cors.allowedHeaders !== undefined) headers['access-control-allow-headers'] = cors.allowedHeaders.join(',');
    if (cors.maxAge !== undefined) headers['access-control-max-age'] = String(cors.maxAge);
  } else if (cors.exposedResponseHeaders !== undefined) {
    headers['access-control-expose-headers'] = cors.exposedResponseHeaders.join(',');
  }
  return headers;
}
