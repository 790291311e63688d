/**
 * Bundles substitute this for `cross-fetch` (quickchart-js's dependency): Node 18+
 * has fetch built in, and cross-fetch's node-fetch drags ~300 KB of URL parsing
 * into the plot bundle. Wired by `alias` in serverless.yml's esbuild settings.
 */
export default globalThis.fetch;
export const { Headers, Request, Response } = globalThis;
