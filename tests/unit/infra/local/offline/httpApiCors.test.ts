/** The HTTP API's CORS: closed unless API_ALLOWED_ORIGINS names origins, then those alone, never with credentials. */
import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../../../../functions/commons/platform/settings.js';
import {
  API_CORS,
  corsConfiguration,
  corsHeaders,
  httpApiCors,
  httpApiCorsFromEnv,
  isPreflight,
} from '../../../../../infra/local/offline/httpApiCors.js';

const PAGE = 'http://127.0.0.1:8080';
const get = (origin: string | undefined) => ({ method: 'GET', origin, requestMethod: undefined });
const preflight = (origin: string) => ({ method: 'OPTIONS', origin, requestMethod: 'POST' });

describe("serverless.yml's provider.httpApi.cors", () => {
  it('is off with no origin named', () => {
    expect(httpApiCors([])).toBe(false);
    expect(httpApiCorsFromEnv({})).toBe(false);
  });

  it('names only the given origins, never credentials', () => {
    expect(httpApiCorsFromEnv({ API_ALLOWED_ORIGINS: `${PAGE},https://app.example.com` })).toEqual({
      allowedOrigins: [PAGE, 'https://app.example.com'],
      allowedMethods: ['GET', 'POST'],
      allowedHeaders: API_CORS.allowedHeaders,
      exposedResponseHeaders: ['retry-after'],
      maxAge: 600,
      allowCredentials: false,
    });
  });

  it('stops at a bad API_ALLOWED_ORIGINS, naming it', () => {
    expect(() => httpApiCorsFromEnv({ API_ALLOWED_ORIGINS: '*' })).toThrow(SettingsError);
  });
});

describe('the CORS headers of an answer', () => {
  const cors = corsConfiguration(httpApiCors([PAGE]));

  it('are none without a configuration, whatever the origin', () => {
    expect(corsHeaders(corsConfiguration(false), get(PAGE))).toEqual({});
    expect(corsHeaders(corsConfiguration(undefined), preflight(PAGE))).toEqual({});
  });

  it('are none for an origin the configuration does not name, or a request without one', () => {
    expect(corsHeaders(cors, get('http://127.0.0.1:8081'))).toEqual({});
    expect(corsHeaders(cors, preflight('https://evil.example'))).toEqual({});
    expect(corsHeaders(cors, get(undefined))).toEqual({});
  });

  it("give a named origin's request that origin, without credentials", () => {
    expect(corsHeaders(cors, get(PAGE))).toEqual({
      'access-control-allow-origin': PAGE,
      vary: 'origin',
      'access-control-expose-headers': 'retry-after',
    });
  });

  it("answer a named origin's preflight with the methods, headers and how long to keep them", () => {
    expect(corsHeaders(cors, preflight(PAGE))).toEqual({
      'access-control-allow-origin': PAGE,
      vary: 'origin',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': API_CORS.allowedHeaders.join(','),
      'access-control-max-age': '600',
    });
  });

  it('never pair credentials with a wildcard', () => {
    const open = corsConfiguration({ allowedOrigins: ['*'], allowCredentials: true });
    const named = corsConfiguration({ allowedOrigins: [PAGE], allowCredentials: true });

    expect(corsHeaders(open, get(PAGE))).toEqual({ 'access-control-allow-origin': '*' });
    expect(corsHeaders(named, get(PAGE))).toMatchObject({
      'access-control-allow-origin': PAGE,
      'access-control-allow-credentials': 'true',
    });
  });

  it("read serverless's `cors: true` as its default, open to every origin", () => {
    expect(corsConfiguration(true)?.allowedOrigins).toEqual(['*']);
  });
});

describe('a preflight', () => {
  it('is an OPTIONS with an origin and the method it asks for', () => {
    expect(isPreflight(preflight(PAGE))).toBe(true);
    expect(isPreflight({ method: 'options', origin: PAGE, requestMethod: undefined })).toBe(false);
    expect(isPreflight({ method: 'OPTIONS', origin: undefined, requestMethod: 'POST' })).toBe(false);
    expect(isPreflight(get(PAGE))).toBe(false);
  });
});
