/**
 * The HTTP API against pages of other origins, in a real browser (headless Chromium
 * through playwright-core): a small page served from another port of 127.0.0.1 tries
 * to post a truth as JSON (a preflight first), as text/plain and as an untyped Blob
 * (simple requests, no preflight), and to read /metrics.json. On a stack with the
 * shipped defaults every attempt fails in the page, the simple posts are answered 415,
 * and nothing reaches y_true. With API_ALLOWED_ORIGINS naming the page's origin that
 * page posts JSON and reads the figures; a page of any other origin still cannot.
 *
 * serverless-offline's Lambda endpoint (the AWS Lambda Invoke API) is closed to every
 * page, named or not: a page's text/plain and `no-cors` posts of a made-up SQS event to
 * `metric` are refused with 403 and no CORS header, and no row appears; the HTTP port's
 * invocation paths (its start banner lists one beside each route) are not served at all.
 * The AWS CLI and the SDK invoke as before.
 */
import { createServer, type Server } from 'node:http';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { localS3, localSqs } from '../../infra/local/cloud/localClients.js';
import { findFreePort } from '../../infra/local/cloud/net.js';
import { BUCKET, functionName } from '../../infra/local/toolbox/localDefaults.js';
import { awsLambdaInvoke } from '../helpers/awsCli.js';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { sqsEvent, sqsRecord, startedForTests } from '../helpers/factories.js';
import { queueCounts, queueUrl } from '../helpers/localCloud.js';
import { bucketLogText } from '../helpers/logs.js';
import { eventually, httpApiAnswers, startTestStack, type TestStack, waitForRows } from '../helpers/stack.js';

const missing = browserMissing();
if (missing !== undefined) console.warn(missing);

/** A page of another origin: an empty document served from a free port of 127.0.0.1. */
interface OtherSite {
  readonly origin: string;
  close(): Promise<void>;
}

async function serveOtherSite(): Promise<OtherSite> {
  const port = await findFreePort();
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>another site</title>');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What the page tries: one request each, as a script on it would send it. */
type Attempt = 'json post' | 'text/plain post' | 'untyped post' | 'read metrics.json';

/** What the page saw: the answer, or the error fetch threw (a CORS failure is "TypeError: Failed to fetch"). */
type Seen = { status: number; body: string } | { error: string };

/** Runs the attempt in `page` (its origin is the page's), with `id` as the truth's id. */
async function tryFromPage(page: Page, api: string, attempt: Attempt, id: string): Promise<Seen> {
  return await page.evaluate(
    async ({ api, attempt, id }) => {
      const truth = JSON.stringify({ id, body: 1 });
      const init: Record<string, unknown> = {
        'json post': { method: 'POST', headers: { 'content-type': 'application/json' }, body: truth },
        // A string body is sent as text/plain;charset=UTF-8: a simple request.
        'text/plain post': { method: 'POST', body: truth },
        // A Blob without a type is sent with no content-type at all: a simple request too.
        'untyped post': { method: 'POST', body: new (globalThis as any).Blob([truth]) },
        'read metrics.json': { method: 'GET' },
      }[attempt] as Record<string, unknown>;
      const url = `${api}/${attempt === 'read metrics.json' ? 'metrics.json' : 'truths'}`;
      try {
        const response = await (globalThis as any).fetch(url, init);
        return { status: response.status as number, body: (await response.text()) as string };
      } catch (error) {
        return { error: String(error) };
      }
    },
    { api, attempt, id },
  );
}

/** A stack, its queues and bucket, a browser, and two sites of other origins. */
interface Scene {
  readonly stack: TestStack;
  readonly sqs: SQSClient;
  readonly s3: ReturnType<typeof localS3>;
  readonly sites: readonly OtherSite[];
  readonly browser: Browser;
  stop(): Promise<void>;
}

/** The scene of a suite; with `allowFirstSite`, the stack's API_ALLOWED_ORIGINS names the first site's origin. */
function sceneForSuite(allowFirstSite: boolean): () => Scene {
  return startedForTests(async () => {
    const sites = [await serveOtherSite(), await serveOtherSite()];
    const env: Record<string, string> = allowFirstSite ? { API_ALLOWED_ORIGINS: (sites[0] as OtherSite).origin } : {};
    const stack = await startTestStack(env).catch(async (error: unknown) => {
      await Promise.all(sites.map((site) => site.close()));
      throw error;
    });
    const sqs = localSqs(stack.awsEndpoint);
    const s3 = localS3(stack.awsEndpoint);
    const browser = await launchBrowser();
    const stop = async () => {
      await browser.close();
      sqs.destroy();
      s3.destroy();
      await Promise.all(sites.map((site) => site.close()));
      await stack.stop();
    };
    await httpApiAnswers(stack).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    return { stack, sqs, s3, sites, browser, stop };
  });
}

/** A page of `site`, loaded. */
async function openPage(scene: Scene, site: OtherSite): Promise<Page> {
  const page = await scene.browser.newPage();
  await page.goto(`${site.origin}/`);
  return page;
}

/** One request of the page as the browser's network layer saw it, whether or not the page could read the answer. */
interface Traffic {
  readonly method: string;
  readonly path: string;
  /** The status the server answered (none when no answer came, as for a failed preflight). */
  status?: number;
  /** Why the browser withheld the answer from the page (Chromium's CORS error), if it did. */
  corsError?: string;
  /** The CORS headers of the answer, as they came over the wire. */
  cors?: string[];
  done: boolean;
}

/** Every request `page` sends to one of `apis` from now on, by the browser's own account (Chrome DevTools Protocol). */
async function watchNetwork(page: Page, ...apis: string[]): Promise<() => Traffic[]> {
  const requests = new Map<string, Traffic>();
  // Chromium may report what came over the wire before it reports the request: kept apart, joined when read.
  const answers = new Map<string, Pick<Traffic, 'status' | 'cors'>>();
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Network.requestWillBeSent', (event) => {
    // (Chromium may report a preflight as a request of its own: the answer withheld is the request's.)
    if (apis.some((api) => event.request.url.startsWith(api)) && event.request.method !== 'OPTIONS') {
      requests.set(event.requestId, { method: event.request.method, path: new URL(event.request.url).pathname, done: false });
    }
  });
  cdp.on('Network.responseReceivedExtraInfo', (event) => {
    answers.set(event.requestId, {
      status: event.statusCode,
      cors: Object.keys(event.headers).filter((name) => name.toLowerCase().startsWith('access-control-')),
    });
  });
  cdp.on('Network.loadingFinished', (event) => {
    const request = requests.get(event.requestId);
    if (request !== undefined) request.done = true;
  });
  cdp.on('Network.loadingFailed', (event) => {
    const request = requests.get(event.requestId);
    if (request === undefined) return;
    request.corsError = event.corsErrorStatus?.corsError;
    request.done = true;
  });
  await cdp.send('Network.enable');
  return () => [...requests].map(([id, request]) => ({ ...request, ...answers.get(id) }));
}

/**
 * Rows of `ids` once the pipeline has settled: their partner predictions and a control
 * pair are posted (from here, not a browser), then y_true and y_pred drain and the
 * control is a row. An id whose truth had been queued is a row by then.
 */
async function rowsOfAfterPartners(scene: Scene, ids: readonly string[]): Promise<string[]> {
  const { stack, sqs, s3 } = scene;
  const control = `control-${Date.now()}`;
  const post = (route: string, items: unknown) =>
    fetch(`${stack.httpEndpoint}/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(items),
    });
  const partners = await post(
    'predictions',
    [...ids, control].map((id) => ({ id, body: 2 })),
  );
  const controlTruth = await post('truths', [{ id: control, body: 1 }]);
  expect([partners.status, controlTruth.status]).toEqual([202, 202]);
  await waitForRows(stack, [control]);
  const urls = await Promise.all(['y_true', 'y_pred'].map((name) => queueUrl(sqs, name)));
  await eventually(
    'y_true and y_pred to drain',
    async () => (await Promise.all(urls.map((url) => queueCounts(sqs, url)))).flat().every((count) => count === 0) || undefined,
  );
  await stack.invoke('maintain');
  const rows = parseMetricLog(await bucketLogText(s3, BUCKET));
  return rows.map((row) => row.id).filter((id) => ids.includes(id));
}

/** Both halves of `id` as one SQS event: `metric` run with it makes `id` a row at once. */
function metricEvent(id: string): SQSEvent {
  return sqsEvent([sqsRecord({ id, body: 1 }, { queue: 'y_true' }), sqsRecord({ id, body: 2 }, { queue: 'y_pred' })]);
}

/** Where the AWS Lambda Invoke API runs `name` at `endpoint`. */
function invocationsUrl(endpoint: string, name: string): string {
  return `${endpoint}/2015-03-31/functions/${name}/invocations`;
}

/**
 * How a page's script may send a request without asking first: a string body
 * (text/plain), and the same in `no-cors` mode, where the answer is opaque and never
 * read: a page that means only to run a function needs nothing more.
 */
type PageMode = 'text/plain' | 'no-cors';

/** A POST of `body` to `url` by a script on `page`, in `mode`. */
async function postFromPage(page: Page, url: string, mode: PageMode, body: string): Promise<Seen> {
  return await page.evaluate(
    async ({ url, mode, body }) => {
      try {
        const response = await (globalThis as any).fetch(url, { method: 'POST', body, ...(mode === 'no-cors' ? { mode } : {}) });
        return { status: response.status as number, body: (await response.text()) as string };
      } catch (error) {
        return { error: String(error) };
      }
    },
    { url, mode, body },
  );
}

/** What a page of another origin saw of each post, and what the browser sent and got. */
interface PagePosts {
  readonly seen: Seen[];
  readonly network: Traffic[];
}

/** Each post of `posts` from a page of `site`, made-up events to `metric` for `ids[i]`, once the browser has settled them all. */
async function postFromSite(
  scene: Scene,
  site: OtherSite,
  posts: readonly { url: string; mode: PageMode }[],
  ids: readonly string[],
): Promise<PagePosts> {
  const page = await openPage(scene, site);
  const traffic = await watchNetwork(page, scene.stack.lambdaEndpoint, scene.stack.httpEndpoint);
  const seen: Seen[] = [];
  for (const [i, { url, mode }] of posts.entries())
    seen.push(await postFromPage(page, url, mode, JSON.stringify(metricEvent(ids[i] as string))));
  // Every one of these posts is answered (none is preflighted): settled once each is done and its answer seen.
  const network = await eventually('the browser to settle the requests and report their answers', async () => {
    const requests = traffic();
    const settled = requests.every((request) => request.done && request.status !== undefined);
    return requests.length === posts.length && settled ? requests : undefined;
  });
  await page.close();
  return { seen, network };
}

/**
 * Rows of `ids` once a run of `metric` by the SDK, started after the page's posts were
 * answered, is a row itself: a run of theirs would have numbered its row before it, and
 * maintain appends rows in order.
 */
async function rowsOfAfterAControlRun(scene: Scene, ids: readonly string[]): Promise<string[]> {
  const control = `control-${Date.now()}`;
  await scene.stack.invoke('metric', metricEvent(control));
  await waitForRows(scene.stack, [control]);
  const rows = parseMetricLog(await bucketLogText(scene.s3, BUCKET));
  return rows.map((row) => row.id).filter((id) => ids.includes(id));
}

/** What the page saw of an answer it may not read: a failed fetch, or an opaque answer in no-cors mode. */
function unreadable(mode: PageMode): Seen {
  return mode === 'no-cors' ? { status: 0, body: '' } : { error: 'TypeError: Failed to fetch' };
}

describe.skipIf(missing !== undefined)('a stack with the shipped defaults', () => {
  const theScene = sceneForSuite(false);

  describe('its HTTP API, closed to other origins', () => {
    it("sends no CORS header of its own or serverless-offline's, to any origin", async () => {
      const { stack, sites } = theScene();
      const origin = (sites[0] as OtherSite).origin;

      // Act
      const answers = [
        await fetch(`${stack.httpEndpoint}/metrics.json`, { headers: { origin } }),
        await fetch(`${stack.httpEndpoint}/truths`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json' },
          body: '[]',
        }),
        await fetch(`${stack.httpEndpoint}/truths`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        }),
      ];

      // Assess
      for (const answer of answers) {
        expect({ url: answer.url, cors: [...answer.headers.keys()].filter((name) => name.startsWith('access-control-')) }).toEqual({
          url: answer.url,
          cors: [],
        });
      }
    });

    it("fails every attempt of another origin's page, answers its simple posts 415, and queues nothing", async () => {
      // Prepare
      const scene = theScene();
      const page = await openPage(scene, scene.sites[0] as OtherSite);
      const traffic = await watchNetwork(page, scene.stack.httpEndpoint);
      const tag = `cross-${Date.now()}`;
      const attempts: Attempt[] = ['json post', 'text/plain post', 'untyped post', 'read metrics.json'];

      // Act
      const seen: Record<string, Seen> = {};
      for (const [i, attempt] of attempts.entries())
        seen[attempt] = await tryFromPage(page, scene.stack.httpEndpoint, attempt, `${tag}-${i}`);
      const network = await eventually('the browser to settle the requests', async () => {
        const requests = traffic();
        return requests.length === attempts.length && requests.every((request) => request.done) ? requests : undefined;
      });
      const logged = await rowsOfAfterPartners(
        scene,
        attempts.map((_, i) => `${tag}-${i}`),
      );
      await page.close();

      // Assess: the page read nothing; the JSON post never left (its preflight failed); the simple
      // posts reached ingest and were refused; the read was answered but withheld; no truth was queued.
      for (const attempt of attempts)
        expect({ attempt, seen: seen[attempt] }).toEqual({ attempt, seen: { error: 'TypeError: Failed to fetch' } });
      expect(network.map(({ method, path, status, corsError }) => ({ method, path, status, corsError }))).toEqual([
        // (Its preflight's answer, a 404 without CORS headers, is not the request's.)
        expect.objectContaining({ method: 'POST', path: '/truths', corsError: expect.stringMatching(/^Preflight/) }),
        { method: 'POST', path: '/truths', status: 415, corsError: 'MissingAllowOriginHeader' },
        { method: 'POST', path: '/truths', status: 415, corsError: 'MissingAllowOriginHeader' },
        { method: 'GET', path: '/metrics.json', status: expect.any(Number), corsError: 'MissingAllowOriginHeader' },
      ]);
      expect(logged).toEqual([]);
    }, 180_000);
  });

  describe('its Lambda endpoint, closed to web pages', () => {
    it("runs no function for another origin's page, by the Lambda endpoint or the HTTP port's invocation paths, and sends it no CORS header", async () => {
      // Prepare
      const scene = theScene();
      const { lambdaEndpoint, httpEndpoint } = scene.stack;
      const metric = functionName('metric');
      const posts: { url: string; mode: PageMode }[] = [
        { url: invocationsUrl(lambdaEndpoint, metric), mode: 'text/plain' },
        { url: invocationsUrl(lambdaEndpoint, metric), mode: 'no-cors' },
        // The HTTP port's start banner lists `POST <http port>/2015-03-31/functions/<key>/invocations` beside each route.
        { url: invocationsUrl(httpEndpoint, 'metric'), mode: 'text/plain' },
        { url: invocationsUrl(httpEndpoint, 'metric'), mode: 'no-cors' },
        { url: invocationsUrl(httpEndpoint, metric), mode: 'text/plain' },
      ];
      const tag = `invoke-${Date.now()}`;
      const ids = posts.map((_, i) => `${tag}-${i}`);

      // Act
      const { seen, network } = await postFromSite(scene, scene.sites[0] as OtherSite, posts, ids);
      const logged = await rowsOfAfterAControlRun(scene, ids);

      // Assess: the Lambda endpoint refused every post before running anything; the HTTP port
      // serves no invocation path (the banner's lines are not routes); no answer had a CORS header.
      expect(seen).toEqual(posts.map(({ mode }) => unreadable(mode)));
      const corsErrorOf = (mode: PageMode) => (mode === 'no-cors' ? undefined : 'MissingAllowOriginHeader');
      expect(network.map(({ method, path, status, corsError, cors }) => ({ method, path, status, corsError, cors }))).toEqual(
        posts.map(({ url, mode }) => ({
          method: 'POST',
          path: new URL(url).pathname,
          status: url.startsWith(lambdaEndpoint) ? 403 : 404,
          corsError: corsErrorOf(mode),
          cors: [],
        })),
      );
      expect(logged).toEqual([]);
    }, 180_000);

    it('still runs functions for the AWS CLI and the SDK', async () => {
      const { stack } = theScene();

      // Act: docs/operations.md's command, and infra/local/toolbox/invoke.ts's InvokeCommand.
      const cli = await awsLambdaInvoke(stack.lambdaEndpoint, functionName('features'));
      const sdk = await stack.invoke<{ emitted: string[] }>('features');
      const emitted = [...(cli.response as { emitted: string[] }).emitted, ...sdk.emitted];
      const rows = await waitForRows(stack, emitted);

      // Assess
      expect(cli.printed).toMatchObject({ StatusCode: 200 });
      expect(new Set(emitted).size).toBe(20);
      expect(rows.map((row) => row.id).sort()).toEqual([...emitted].sort());
    }, 180_000);
  });
});

describe.skipIf(missing !== undefined)('the HTTP API with API_ALLOWED_ORIGINS naming a page', () => {
  const theScene = sceneForSuite(true);

  it('lets that page post JSON and read the figures, and still refuses its simple posts with 415', async () => {
    // Prepare
    const scene = theScene();
    await scene.stack.invoke('maintain');
    const page = await openPage(scene, scene.sites[0] as OtherSite);
    const tag = `allowed-${Date.now()}`;

    // Act
    const posted = await tryFromPage(page, scene.stack.httpEndpoint, 'json post', `${tag}-json`);
    const plain = await tryFromPage(page, scene.stack.httpEndpoint, 'text/plain post', `${tag}-text`);
    const untyped = await tryFromPage(page, scene.stack.httpEndpoint, 'untyped post', `${tag}-untyped`);
    const metrics = await tryFromPage(page, scene.stack.httpEndpoint, 'read metrics.json', tag);
    const logged = await rowsOfAfterPartners(scene, [`${tag}-json`, `${tag}-text`, `${tag}-untyped`]);
    await page.close();

    // Assess
    expect(posted).toEqual({ status: 202, body: '{"accepted":1}' });
    const refusal = (what: string) => ({
      status: 415,
      body: JSON.stringify({
        errors: [{ reason: `the content-type must be application/json (optionally with ; charset=utf-8), ${what}` }],
      }),
    });
    expect(plain).toEqual(refusal('not "text/plain;charset=UTF-8"'));
    expect(untyped).toEqual(refusal('and the request has none'));
    expect(metrics).toMatchObject({ status: 200 });
    expect(JSON.parse((metrics as { body: string }).body)).toHaveProperty('totals');
    expect(logged).toEqual([`${tag}-json`]);
  }, 180_000);

  it('gives the named origin its CORS headers alone, never credentials, and any other origin none', async () => {
    const { stack, sites } = theScene();
    const [named, other] = sites.map((site) => site.origin) as [string, string];
    const corsOf = (answer: Response) => Object.fromEntries([...answer.headers].filter(([name]) => name.startsWith('access-control-')));

    // Act
    const read = await fetch(`${stack.httpEndpoint}/metrics.json`, { headers: { origin: named } });
    const asked = await fetch(`${stack.httpEndpoint}/truths`, {
      method: 'OPTIONS',
      headers: { origin: named, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    const others = [
      await fetch(`${stack.httpEndpoint}/metrics.json`, { headers: { origin: other } }),
      await fetch(`${stack.httpEndpoint}/truths`, {
        method: 'OPTIONS',
        headers: { origin: other, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      }),
    ];

    // Assess
    expect(corsOf(read)).toEqual({ 'access-control-allow-origin': named, 'access-control-expose-headers': 'retry-after' });
    expect(asked.status).toBe(204);
    expect(corsOf(asked)).toEqual({
      'access-control-allow-origin': named,
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'content-type,authorization,x-amz-date,x-amz-security-token,x-amz-content-sha256',
      'access-control-max-age': '600',
    });
    for (const answer of others) expect(corsOf(answer)).toEqual({});
  });

  it('gives a page of any other origin nothing', async () => {
    // Prepare
    const scene = theScene();
    const page = await openPage(scene, scene.sites[1] as OtherSite);
    const tag = `other-${Date.now()}`;

    // Act
    const posted = await tryFromPage(page, scene.stack.httpEndpoint, 'json post', `${tag}-json`);
    const metrics = await tryFromPage(page, scene.stack.httpEndpoint, 'read metrics.json', tag);
    const logged = await rowsOfAfterPartners(scene, [`${tag}-json`]);
    await page.close();

    // Assess
    expect(posted).toEqual({ error: 'TypeError: Failed to fetch' });
    expect(metrics).toEqual({ error: 'TypeError: Failed to fetch' });
    expect(logged).toEqual([]);
  }, 180_000);

  it("runs no function by the Lambda endpoint for the very page it names: API_ALLOWED_ORIGINS is the HTTP API's alone", async () => {
    // Prepare
    const scene = theScene();
    const ids = [`named-invoke-${Date.now()}`];

    // Act
    const { seen, network } = await postFromSite(
      scene,
      scene.sites[0] as OtherSite,
      [{ url: invocationsUrl(scene.stack.lambdaEndpoint, functionName('metric')), mode: 'text/plain' }],
      ids,
    );
    const logged = await rowsOfAfterAControlRun(scene, ids);

    // Assess
    expect(seen).toEqual([unreadable('text/plain')]);
    expect(network.map(({ status, corsError, cors }) => ({ status, corsError, cors }))).toEqual([
      { status: 403, corsError: 'MissingAllowOriginHeader', cors: [] },
    ]);
    expect(logged).toEqual([]);
  }, 180_000);
});
