/** Telling a web page's request from the Lambda endpoint's own clients by the headers a browser adds. */
import { describe, expect, it } from 'vitest';
import { sentByAWebPage } from '../../../../../infra/local/offline/webPageRequests.js';

describe('sentByAWebPage', () => {
  it.each([
    { what: 'a cross-origin request', headers: { origin: 'https://example.com', 'sec-fetch-site': 'cross-site' } },
    { what: 'a POST of the same site', headers: { origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-site' } },
    { what: 'a page of an opaque origin', headers: { origin: 'null' } },
    { what: 'an Origin, even empty', headers: { origin: '' } },
  ])('names the Origin header of $what', ({ headers }) => {
    expect(sentByAWebPage(headers)).toBe('it carries an Origin header');
  });

  it.each(['cross-site', 'same-site', 'Cross-Site', 'anything else'])('names a Sec-Fetch-Site of %s without an Origin', (site) => {
    expect(sentByAWebPage({ 'sec-fetch-site': site })).toBe('its Sec-Fetch-Site is neither none nor same-origin');
  });

  it('names a Sec-Fetch-Site sent twice when either is another origin', () => {
    expect(sentByAWebPage({ 'sec-fetch-site': ['none', 'cross-site'] })).toBe('its Sec-Fetch-Site is neither none nor same-origin');
  });

  it.each([
    { what: 'the SDK or the AWS CLI', headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 …' } },
    { what: "Node's fetch", headers: { 'sec-fetch-mode': 'cors' } },
    { what: 'a navigation the user typed', headers: { 'sec-fetch-site': 'none' } },
    { what: "a page of the server's own origin", headers: { 'sec-fetch-site': 'same-origin' } },
  ])('lets $what through', ({ headers }) => {
    expect(sentByAWebPage(headers)).toBeUndefined();
  });
});
