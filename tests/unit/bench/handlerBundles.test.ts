/** bench/handlerBundles.ts: handlers bundled as serverless.yml's esbuild settings say. */
import { describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../../bench/handlerBundles.js';
import { PROJECT_DIR } from '../../../infra/local/toolbox/localDefaults.js';

/** custom.esbuild as `sls print` gives it (serverless.yml, plus what the packaging plugin adds to exclude). */
const SETTINGS = {
  bundle: true,
  minify: true,
  sourcemap: false,
  target: 'node20',
  platform: 'node' as const,
  mainFields: ['module', 'main'],
  format: 'cjs' as const,
  exclude: ['dejavu-fonts-ttf', '@napi-rs/canvas'],
  external: ['@napi-rs/canvas'],
  loader: { '.csv': 'text', '.html': 'text', '.client.js': 'text', '.umd.min.js': 'text' },
  alias: { 'cross-fetch': './functions/commons/platform/globalFetch.ts' },
};

describe('esbuildOptions', () => {
  it("keeps serverless.yml's bundling, loaders and aliases, and leaves out what it excludes or installs", () => {
    const options = esbuildOptions(SETTINGS, ['/p/functions/plot.ts'], '/p/.esbuild-x');

    expect(options).toMatchObject({
      absWorkingDir: PROJECT_DIR,
      entryPoints: ['/p/functions/plot.ts'],
      outdir: '/p/.esbuild-x',
      bundle: true,
      minify: true,
      target: 'node20',
      platform: 'node',
      format: 'cjs',
      mainFields: ['module', 'main'],
      loader: SETTINGS.loader,
      alias: SETTINGS.alias,
    });
    expect(options.external).toEqual(['dejavu-fonts-ttf', '@napi-rs/canvas']);
  });

  it('bundles to CommonJS for node when the settings say little', () => {
    const options = esbuildOptions({}, [], '/out');

    expect(options).toMatchObject({ bundle: true, minify: false, platform: 'node', format: 'cjs', external: [], loader: {} });
    expect(options).not.toHaveProperty('mainFields');
  });
});
