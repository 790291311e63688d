'use strict';
/**
 * How `npm run plot|dlq|alerts|ingest|reference|scenario|train|bench` start (package.json:
 * `node infra/tools/launch.cjs <entry.ts> [args]`): the entry and the project files it
 * imports, bundled by esbuild into one CommonJS file cached in
 * node_modules/.cache/ml-monitor/cli/, then loaded by plain `require` and its exported
 * `main()` called. No tsx at start-up: it loads its hooks and passes every module
 * through them, most of a second before the tool says anything, even `--help`.
 *
 * Never stale: the cache holds, beside each bundle, the text of every file it was built
 * from (the sources as esbuild read them, package.json, tsconfig.json, esbuild's version
 * and this file). A run uses the bundle only while each of them is byte for byte the
 * same, else builds again first (~0.3 s): the first run after a clone, an edit, a pull or
 * a checkout. Nothing to run by hand, nothing committed. Where no bundle can be had (the
 * cache cannot be written), the entry runs through tsx as before.
 *
 * Plain JavaScript: it runs before anything could compile TypeScript.
 */
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { extname, join, relative, resolve } = require('node:path');

const PROJECT_DIR = resolve(__dirname, '../..');
const CACHE_ROOT = join(PROJECT_DIR, 'node_modules/.cache/ml-monitor/cli');
/** What shapes a bundle besides its sources: module resolution, the bundler, this file. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'node_modules/esbuild/package.json', 'infra/tools/launch.cjs'];
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };

/**
 * The cache folder of one entry (a path relative to the project).
 * @param {string} entry
 */
function cacheDirOf(entry, cacheRoot = CACHE_ROOT) {
  return join(cacheRoot, entry.replace(/\.[cm]?ts$/, '').replace(/[^A-Za-z0-9._-]+/g, '-'));
}

/**
 * The cached bundle's path when every file it was built from is as it was then, else
 * undefined. The manifest holds their text (no hash: node:crypto would cost more start-up
 * than the comparison), and is one file, so never half of one build and half of another.
 * @param {string} cacheDir
 * @param {string} [projectDir]
 * @returns {string | undefined}
 */
function freshBundle(cacheDir, projectDir = PROJECT_DIR) {
  try {
    /** @type {{ inputs: { path: string, latin1: string }[], bundle: string }} */
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8'));
    const unchanged = manifest.inputs.every((input) => readFileSync(resolve(projectDir, input.path), 'latin1') === input.latin1);
    return unchanged ? join(cacheDir, manifest.bundle) : undefined;
  } catch {
    // No manifest yet, or a file it lists is gone: build.
    return undefined;
  }
}

/** @param {string} path @param {string | Uint8Array} contents */
function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

/**
 * Bundles `entry` (packages stay in node_modules, loaded by plain require) into `cacheDir`
 * beside its manifest, and returns the bundle's path. The manifest keeps each source's
 * bytes as esbuild read them, so an edit made during the build makes the next run build
 * again. Each module keeps its own `__dirname` and `__filename` (PROJECT_DIR and the
 * like are computed from them).
 * @param {string} entry
 * @param {string} cacheDir
 * @param {string} [projectDir]
 * @returns {Promise<string>}
 */
async function buildBundle(entry, cacheDir, projectDir = PROJECT_DIR) {
  const esbuild = require('esbuild');
  /** @type {Map<string, Buffer>} */
  const sources = new Map();
  /** @type {import('esbuild').Plugin} */
  const recordSources = {
    name: 'record-sources',
    setup(builder) {
      builder.onLoad({ filter: /.*/, namespace: 'file' }, ({ path }) => {
        const loader = LOADERS[/** @type {keyof typeof LOADERS} */ (extname(path))];
        if (loader === undefined) throw new Error(`launch.cjs cannot bundle ${path}: no loader for its extension`);
        const bytes = readFileSync(path);
        sources.set(relative(projectDir, path), bytes);
        if (loader === 'json' || !/\b__(dirname|filename)\b/.test(bytes.toString('latin1'))) return { contents: bytes, loader };
        const own = `var __filename = ${JSON.stringify(path)}; var __dirname = ${JSON.stringify(resolve(path, '..'))};\n`;
        return { contents: own + bytes.toString('utf8'), loader };
      });
    },
  };
  /** @type {import('esbuild').Plugin} */
  const packagesExternalButZod = {
    name: 'packages-external-but-zod',
    setup(builder) {
      builder.onResolve({ filter: /^[^./]/ }, ({ path }) =>
        path === 'zod' || path.startsWith('zod/') ? undefined : { path, external: true },
      );
    },
  };
  let code;
  try {
    const result = await esbuild.build({
      absWorkingDir: projectDir,
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      // Packages load from node_modules by plain require, all but zod: its CommonJS build
      // is the whole library (~0.1 s to load), bundled it is the few checks the settings use.
      plugins: [packagesExternalButZod, recordSources],
      mainFields: ['module', 'main'],
      banner: { js: `// ${entry}, bundled by infra/tools/launch.cjs; rebuilt when a file it was built from changes.` },
      write: false,
      logLevel: 'silent',
    });
    code = /** @type {{ contents: Uint8Array }} */ (result.outputFiles[0]).contents;
  } finally {
    await esbuild.stop();
  }
  const paths = [...new Set([...sources.keys(), ...BUILD_INPUTS])].sort();
  const manifest = {
    inputs: paths.map((path) => ({ path, latin1: (sources.get(path) ?? readFileSync(join(projectDir, path))).toString('latin1') })),
    // A new name each build: a run that read the old manifest still finds its bundle.
    bundle: `bundle-${Date.now().toString(36)}-${process.pid}.cjs`,
  };
  mkdirSync(cacheDir, { recursive: true });
  writeAtomically(join(cacheDir, manifest.bundle), code);
  // The manifest last: until it is in place, runs see the old build or none.
  writeAtomically(join(cacheDir, 'manifest.json'), JSON.stringify(manifest));
  for (const name of readdirSync(cacheDir)) {
    if (/^bundle-.*\.cjs$/.test(name) && name !== manifest.bundle) rmSync(join(cacheDir, name), { force: true });
  }
  return join(cacheDir, manifest.bundle);
}

/**
 * The module's exports, or undefined when the bundle vanished since its manifest was read
 * (a concurrent run rebuilt it).
 * @param {string} path
 * @returns {{ main?: (args: string[]) => unknown } | undefined}
 */
function load(path) {
  try {
    return require(path);
  } catch (error) {
    if (/** @type {{ code?: string }} */ (error).code === 'MODULE_NOT_FOUND' && String(error).includes(path)) return undefined;
    throw error;
  }
}

/**
 * Runs `entry`'s exported main with `args`, from a fresh bundle (built when needed), or
 * as `node --import tsx <entry>` when no bundle can be had.
 * @param {string} entry
 * @param {string[]} args
 */
async function launch(entry, args) {
  const cacheDir = cacheDirOf(entry);
  let loaded;
  // A run that builds at the same time as another may find its bundle replaced by the other's: then it takes that one.
  for (let attempt = 0; loaded === undefined && attempt < 3; attempt++) {
    const cached = freshBundle(cacheDir);
    loaded = cached === undefined ? undefined : load(cached);
    if (loaded !== undefined) break;
    try {
      loaded = load(await buildBundle(entry, cacheDir));
    } catch (error) {
      process.stderr.write(`launch: no bundle of ${entry} (${String(error).split('\n')[0]}); running it through tsx\n`);
      const child = require('node:child_process').spawnSync(process.execPath, [...process.execArgv, '--import', 'tsx', entry, ...args], {
        cwd: PROJECT_DIR,
        stdio: 'inherit',
      });
      process.exitCode = child.status ?? 1;
      return;
    }
  }
  const main = loaded?.main;
  if (typeof main !== 'function') throw new Error(`${entry} exports no main()`);
  await main(args);
}

module.exports = { buildBundle, cacheDirOf, freshBundle };

if (require.main === module) {
  const [entry, ...args] = process.argv.slice(2);
  if (entry === undefined) {
    process.stderr.write('usage: node infra/tools/launch.cjs <entry.ts> [args…]\n');
    process.exitCode = 2;
  } else {
    launch(relative(PROJECT_DIR, resolve(PROJECT_DIR, entry)), args).catch((error) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
  }
}
