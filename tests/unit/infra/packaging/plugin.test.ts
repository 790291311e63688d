/**
 * The native-modules plugin: Lambda's platform for each architecture, npm told to
 * install it when packaging and nothing installed otherwise, and the check of what npm
 * installed. The real packaging is tests/integration/cloudformation.test.ts's.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkInstalledBuilds, lambdaPlatform, NativeModulesPlugin, npmPlatformEnv } from '../../../../infra/packaging/plugin.js';

const ARM64 = lambdaPlatform('arm64');

function serverless(command: string[], options: { architecture?: string; plotArchitecture?: string } = {}) {
  return {
    processedInput: { commands: command },
    service: {
      provider: { architecture: options.architecture },
      functions: { features: {}, plot: { architecture: options.plotArchitecture } },
      custom: { esbuild: { external: ['@napi-rs/canvas'], exclude: ['fonts'] } as { external: string[]; exclude: string[] } },
    },
    pluginManager: { getPlugins: () => [] },
  };
}

/** A node_modules with each package's manifest. */
function nodeModules(manifests: Record<string, Record<string, unknown>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ml-monitor-native-'));
  for (const [name, manifest] of Object.entries(manifests)) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'package.json'), JSON.stringify({ name, ...manifest }));
  }
  return dir;
}

const CANVAS = { optionalDependencies: { '@napi-rs/canvas-linux-arm64-gnu': '1.1.1', '@napi-rs/canvas-linux-x64-gnu': '1.1.1' } };
const build = (cpu: string, libc = 'glibc') => ({ os: ['linux'], cpu: [cpu], libc: [libc] });

describe('lambdaPlatform', () => {
  it("names Lambda's platforms as npm does: Linux, glibc, and the architecture's cpu (x86_64 when unset)", () => {
    expect(lambdaPlatform('arm64')).toEqual({ os: 'linux', cpu: 'arm64', libc: 'glibc' });
    expect(lambdaPlatform('x86_64')).toEqual({ os: 'linux', cpu: 'x64', libc: 'glibc' });
    expect(lambdaPlatform(undefined)).toEqual({ os: 'linux', cpu: 'x64', libc: 'glibc' });
    expect(() => lambdaPlatform('mips')).toThrow('unknown Lambda architecture "mips" (Lambda has arm64, x86_64)');
  });
});

describe('NativeModulesPlugin', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of Object.keys(npmPlatformEnv(ARM64))) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('has every npm step of `sls package` install the Lambda build, and checks it before the zips are used', () => {
    // Prepare
    const sls = serverless(['package'], { architecture: 'arm64' });

    // Act
    const plugin = new NativeModulesPlugin(sls);

    // Assess
    expect(process.env).toMatchObject({ npm_config_os: 'linux', npm_config_cpu: 'arm64', npm_config_libc: 'glibc' });
    expect(sls.service.custom.esbuild.exclude).toEqual(['fonts']);
    expect(Object.keys(plugin.hooks)).toEqual(['before:package:createDeploymentArtifacts', 'before:deploy:function:packageFunction']);
  });

  it.each([[['offline', 'start']], [['invoke', 'local']], [['print']]])(
    'installs nothing for %j: the modules load from the project, built for this machine',
    (command) => {
      // Prepare
      const sls = serverless(command, { architecture: 'arm64' });

      // Act
      const plugin = new NativeModulesPlugin(sls);

      // Assess
      expect(sls.service.custom.esbuild.exclude).toEqual(['fonts', '@napi-rs/canvas']);
      expect(process.env.npm_config_cpu).toBe(saved.npm_config_cpu);
      expect(plugin.hooks).toEqual({});
    },
  );

  it('refuses functions of two architectures: one install serves one', () => {
    expect(() => new NativeModulesPlugin(serverless(['deploy'], { architecture: 'arm64', plotArchitecture: 'x86_64' }))).toThrow(
      'the functions run on arm64 and x86_64: one install of the native modules serves one architecture',
    );
  });
});

describe('checkInstalledBuilds', () => {
  it('accepts the module with its Lambda build alone', () => {
    const dir = nodeModules({ '@napi-rs/canvas': CANVAS, '@napi-rs/canvas-linux-arm64-gnu': build('arm64') });

    expect(checkInstalledBuilds(dir, ['@napi-rs/canvas'], ARM64)).toEqual([]);
  });

  it("names the build for this machine that npm installed instead of Lambda's", () => {
    const dir = nodeModules({ '@napi-rs/canvas': CANVAS, '@napi-rs/canvas-linux-x64-gnu': build('x64') });

    expect(checkInstalledBuilds(dir, ['@napi-rs/canvas'], ARM64)).toEqual([
      '@napi-rs/canvas: builds for another platform than linux arm64 glibc were installed: @napi-rs/canvas-linux-x64-gnu',
      '@napi-rs/canvas: none of its builds for linux arm64 glibc was installed',
    ]);
  });

  it('says so when the module or every build is missing', () => {
    const dir = nodeModules({ '@napi-rs/canvas': CANVAS });

    expect(checkInstalledBuilds(dir, ['@napi-rs/canvas', 'other'], ARM64)).toEqual([
      '@napi-rs/canvas: none of its builds for linux arm64 glibc was installed',
      `other is not installed in ${dir}`,
    ]);
  });
});
