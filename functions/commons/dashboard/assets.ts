/**
 * The page and the files it loads, bundled into the function as text (esbuild's
 * "text" loader in serverless.yml; vite's `?raw` in the tests): Chart.js comes from
 * node_modules, so the page needs nothing from outside the API (no CDN).
 */
import chartJs from '../../../node_modules/chart.js/dist/chart.umd.min.js?raw';
import script from './dashboard.client.js?raw';
import page from './page.html?raw';

export interface Asset {
  readonly body: string;
  readonly contentType: string;
  /** Seconds a browser may keep it: the page and its script change with a deploy, Chart.js with its version. */
  readonly maxAge: number;
}

export const ASSETS: Readonly<Record<string, Asset>> = {
  '': { body: page, contentType: 'text/html; charset=utf-8', maxAge: 0 },
  'dashboard.js': { body: script, contentType: 'text/javascript; charset=utf-8', maxAge: 0 },
  'chart.umd.js': { body: chartJs, contentType: 'text/javascript; charset=utf-8', maxAge: 86_400 },
};
