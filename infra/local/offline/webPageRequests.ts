/**
 * Whether a request was sent by a web page, pure: what serverless-offline's Lambda
 * endpoint refuses (lambdaEndpoint.ts).
 *
 * A browser marks what a page sends: `Origin` on every cross-origin request and on
 * every POST whatever its mode (`null` when the page's origin is opaque, as a sandboxed
 * frame's), and `Sec-Fetch-Site` on every request (Chromium, Firefox, Safari 16.4+).
 * The endpoint's own clients are not browsers and send neither: the AWS CLI, the SDK's
 * InvokeCommand (infra/local/toolbox/invoke.ts, and through it the event source, the tools,
 * the tests and the bench), and Node's fetch (which sends `Sec-Fetch-Mode` only).
 */

/** Request headers as Node's HTTP parser gives them: lowercase names. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** `Sec-Fetch-Site` values with no other site involved: the user's own navigation, or a page of the server itself. */
const NO_OTHER_SITE = new Set(['none', 'same-origin']);

/** Why the request is a web page's (which header says so), or undefined when it is not. */
export function sentByAWebPage(headers: RequestHeaders): string | undefined {
  if (headers.origin !== undefined) return 'it carries an Origin header';
  const site = headers['sec-fetch-site'];
  const sites = (Array.isArray(site) ? site : [site]).filter((value) => value !== undefined);
  if (sites.some((value) => !NO_OTHER_SITE.has(value.trim().toLowerCase()))) return 'its Sec-Fetch-Site is neither none nor same-origin';
  return undefined;
}
