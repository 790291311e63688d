/**
 * Serverless plugin: native modules built for Lambda, whatever machine packages them.
 *
 * `plot` draws its chart with @napi-rs/canvas, whose binary comes in one package per
 * platform (an optional dependency: npm installs the one for the machine it runs on).
 * serverless-esbuild leaves the modules of custom.esbuild.external out of the bundles
 * and installs them with npm into the zip of each function that requires them. For
 * `sls package` and `sls deploy` this plugin makes npm install them for Lambda's
 * platform instead (Linux, glibc, the functions' architecture) through npm's `os`,
 * `cpu` and `libc` settings, given as npm_config_* variables so that every npm step of
 * the packaging keeps to them (its `npm prune` would otherwise swap the binary back
 * for this machine's); and it fails the packaging if what npm installed is not that
 * build (npm before 10.3 ignores `libc`, before 10.1 `os` and `cpu`).
 *
 * Any other command (`sls offline start`, `invoke local`) installs nothing: the
 * modules stay out of the bundles and load from the project's node_modules, built for
 * this machine, as before.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A platform as npm's install checks name it (package.json's `os`, `cpu` and `libc`). */
export interface NpmPlatform {
  readonly os: string;
  readonly cpu: string;
  readonly libc: string;
}

/** Lambda's Node runtimes are Amazon Linux (glibc); its architectures in npm's words. */
const LAMBDA_CPUS: Record<string, string> = { arm64: 'arm64', x86_64: 'x64' };

/** The platform a function of `architecture` runs on (Lambda's default is x86_64). */
export function lambdaPlatform(architecture = 'x86_64'): NpmPlatform {
  const cpu = LAMBDA_CPUS[architecture];
  if (cpu === undefined)
    throw new Error(`unknown Lambda architecture "${architecture}" (Lambda has ${Object.keys(LAMBDA_CPUS).join(', ')})`);
  return { os: 'linux', cpu, libc: 'glibc' };
}

/** npm's settings, as variables every npm run by this process inherits, that install `platform`'s builds. */
export function npmPlatformEnv(platform: NpmPlatform): Record<string, string> {
  return { npm_config_os: platform.os, npm_config_cpu: platform.cpu, npm_config_libc: platform.libc };
}

interface Manifest {
  readonly name?: string;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
  readonly libc?: readonly string[];
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

function readManifest(packageDir: string): Manifest | undefined {
  const file = join(packageDir, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Manifest) : undefined;
}

/** npm's rule: a list allows what it names, or everything but what it names with a leading `!`. */
function allows(list: readonly string[] | undefined, value: string): boolean {
  if (list === undefined || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  return list.includes(value) || list.every((entry) => entry.startsWith('!'));
}

function fits(manifest: Manifest, platform: NpmPlatform): boolean {
  return allows(manifest.os, platform.os) && allows(manifest.cpu, platform.cpu) && allows(manifest.libc, platform.libc);
}

const describePlatform = (p: NpmPlatform) => `${p.os} ${p.cpu} ${p.libc}`;

/**
 * What is wrong with the builds of `modules` installed in `nodeModules` for
 * `platform`, one line each: a module missing, a module with optional dependencies of
 * which none installed fits the platform, an installed one made for another platform.
 * Empty when the install is right.
 */
export function checkInstalledBuilds(nodeModules: string, modules: readonly string[], platform: NpmPlatform): string[] {
  const problems: string[] = [];
  for (const module of modules) {
    const manifest = readManifest(join(nodeModules, module));
    if (manifest === undefined) {
      problems.push(`${module} is not installed in ${nodeModules}`);
      continue;
    }
    const optional = Object.keys(manifest.optionalDependencies ?? {});
    const installed = optional.flatMap((name) => {
      const build = readManifest(join(nodeModules, name));
      return build === undefined ? [] : [{ name, build }];
    });
    const foreign = installed.filter(({ build }) => !fits(build, platform)).map(({ name }) => name);
    if (foreign.length > 0)
      problems.push(`${module}: builds for another platform than ${describePlatform(platform)} were installed: ${foreign.join(', ')}`);
    if (optional.length > 0 && !installed.some(({ build }) => fits(build, platform))) {
      problems.push(`${module}: none of its builds for ${describePlatform(platform)} was installed`);
    }
  }
  return problems;
}

interface EsbuildOptions {
  external?: string[];
  exclude?: string[] | string;
}

interface ServerlessLike {
  processedInput: { commands: string[] };
  service: {
    provider: { architecture?: string };
    functions?: Record<string, { architecture?: string }>;
    custom?: { esbuild?: EsbuildOptions };
  };
  pluginManager: { getPlugins(): object[] };
}

/** The commands that build zips for Lambda (`deploy function` too). */
const PACKAGING_COMMANDS = new Set(['package', 'deploy']);

/** The one architecture of the service's functions: one install serves them all. */
function serviceArchitecture(service: ServerlessLike['service']): string | undefined {
  const architectures = new Set(Object.values(service.functions ?? {}).map((fn) => fn.architecture ?? service.provider.architecture));
  if (architectures.size > 1) {
    throw new Error(`the functions run on ${[...architectures].join(' and ')}: one install of the native modules serves one architecture`);
  }
  return [...architectures][0] ?? service.provider.architecture;
}

export class NativeModulesPlugin {
  readonly hooks: Record<string, () => Promise<void>> = {};

  constructor(serverless: ServerlessLike) {
    const esbuild = serverless.service.custom?.esbuild ?? {};
    const exclude = typeof esbuild.exclude === 'string' ? [esbuild.exclude] : (esbuild.exclude ?? []);
    const natives = (esbuild.external ?? []).filter((module) => !exclude.includes(module));
    if (natives.length === 0) return;
    if (!PACKAGING_COMMANDS.has(serverless.processedInput.commands[0] ?? '')) {
      // Excluded modules stay out of the bundles and are not installed.
      esbuild.exclude = [...exclude, ...natives];
      return;
    }
    const platform = lambdaPlatform(serviceArchitecture(serverless.service));
    Object.assign(process.env, npmPlatformEnv(platform));
    // After serverless-esbuild's hook on the same event (it comes first in `plugins`), while its build folder is there.
    const check = async () => {
      const esbuildPlugin = serverless.pluginManager.getPlugins().find((plugin) => plugin.constructor.name === 'EsbuildServerlessPlugin') as
        | { buildDirPath?: string }
        | undefined;
      if (esbuildPlugin?.buildDirPath === undefined) throw new Error('serverless-esbuild is not loaded before this plugin');
      const problems = checkInstalledBuilds(join(esbuildPlugin.buildDirPath, 'node_modules'), natives, platform);
      if (problems.length > 0) {
        throw new Error(
          `the native modules were not installed for Lambda (${describePlatform(platform)}): ${problems.join('; ')}. ` +
            'They are installed with npm --os, --cpu and --libc: use npm 10.3 or later, and the npm packager.',
        );
      }
    };
    this.hooks = { 'before:package:createDeploymentArtifacts': check, 'before:deploy:function:packageFunction': check };
  }
}
