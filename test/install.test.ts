// installCodex against a loopback npm registry, a real tool cache in temp folders and the real pinned binary.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFakeRegistry, type FakeRegistry } from './support/fake-registry.js';

type InstallModule = typeof import('../src/base/codex/install.js');
type ToolCache = typeof import('@actions/tool-cache');

// Shell-script stand-ins for codex cannot run on Windows.
const describeUnix = process.platform === 'win32' ? describe.skip : describe;

// Every version below derives from CODEX_VERSION, so bumping the pin touches only install.ts and package.json.
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pinned = () => install.CODEX_VERSION;
/** A version next to the pin that is not the pin: `part` 2 moves the patch number, 1 the minor one. */
const beside = (part: 1 | 2, by: number) => {
  const numbers = pinned().split('.').map(Number);
  numbers[part] = numbers[part]! + by;
  if (part === 1) numbers[2] = 0;
  return numbers.join('.');
};

let install: InstallModule;
let tc: ToolCache;
let registry: FakeRegistry;
let root: string;
let toolCache: string;
let runnerTemp: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'install-test-'));
  toolCache = join(root, 'tool-cache');
  runnerTemp = join(root, 'temp');
  process.env.RUNNER_TOOL_CACHE = toolCache;
  process.env.RUNNER_TEMP = runnerTemp;
  // Imported only now: some @actions/tool-cache versions read RUNNER_TOOL_CACHE / RUNNER_TEMP at load time.
  install = await import('../src/base/codex/install.js');
  tc = await import('@actions/tool-cache');
  registry = await startFakeRegistry();
});

afterAll(async () => {
  await registry?.close();
  process.env = savedEnv;
  if (root) await rm(root, { recursive: true, force: true });
});

describe('platformPackage', () => {
  it.each([
    ['linux', 'x64', 'linux-x64', 'x86_64-unknown-linux-musl'],
    ['linux', 'arm64', 'linux-arm64', 'aarch64-unknown-linux-musl'],
    ['darwin', 'arm64', 'darwin-arm64', 'aarch64-apple-darwin'],
    ['darwin', 'x64', 'darwin-x64', 'x86_64-apple-darwin'],
    ['win32', 'x64', 'win32-x64', 'x86_64-pc-windows-msvc'],
  ])('%s/%s -> %s', (platform, arch, suffix, triple) => {
    expect(install.platformPackage(platform, arch)).toEqual({ suffix, triple });
  });

  it('names the platform and the supported list for anything else', () => {
    expect(() => install.platformPackage('freebsd', 'x64')).toThrow(install.CodexInstallError);
    expect(() => install.platformPackage('linux', 'ia32')).toThrow(/linux\/ia32.*linux-x64, linux-arm64/);
  });
});

it('pins CODEX_VERSION to the exact @openai/codex devDependency', async () => {
  const pkg = JSON.parse(await readFile(resolve('package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  expect(pkg.devDependencies['@openai/codex']).toMatch(/^\d+\.\d+\.\d+$/);
  expect(install.CODEX_VERSION).toBe(pkg.devDependencies['@openai/codex']);
});

describeUnix('installCodex from the registry', () => {
  const host = () => install.platformPackage();

  it('downloads, verifies, caches and runs the platform build', async () => {
    const { suffix, triple } = host();
    await registry.publish({ npmVersion: `${pinned()}-${suffix}`, triple, versionOutput: `codex-cli ${pinned()}` });
    const before = registry.requests.length;

    const result = await install.installCodex({ registry: registry.url });

    expect(result).toEqual({
      path: join(toolCache, 'codex', pinned(), process.arch, 'bin', 'codex'),
      version: pinned(),
      fromCache: false,
    });
    const seen = registry.requests.slice(before);
    expect(seen).toEqual([`/@openai/codex/${pinned()}-${suffix}`, `/@openai/codex/-/codex-${pinned()}-${suffix}.tgz`]);
    // The binary runs from the cache and its resources came along with it.
    expect(await install.codexVersionOf(result.path)).toBe(pinned());
    expect(existsSync(join(toolCache, 'codex', pinned(), process.arch, 'codex-resources', 'bwrap'))).toBe(true);
    // Download and extraction were removed from RUNNER_TEMP.
    expect(await readdir(runnerTemp)).toEqual([]);
  });

  it('uses the tool cache on the second call without touching the network', async () => {
    const before = registry.requests.length;
    const started = performance.now();
    const result = await install.installCodex({ registry: registry.url });
    const elapsed = performance.now() - started;

    expect(result.fromCache).toBe(true);
    expect(result.version).toBe(pinned());
    expect(result.path).toBe(join(toolCache, 'codex', pinned(), process.arch, 'bin', 'codex'));
    expect(registry.requests.length).toBe(before);
    process.stderr.write(`cache-hit installCodex took ${elapsed.toFixed(1)} ms\n`);
  });

  it('refuses a tarball that does not match its integrity and caches nothing', async () => {
    const { suffix, triple } = host();
    await registry.publish({
      npmVersion: `${beside(2, 1)}-${suffix}`,
      triple,
      versionOutput: `codex-cli ${beside(2, 1)}`,
      integrity: `sha512-${Buffer.alloc(64).toString('base64')}`,
    });

    const attempt = install.installCodex({ registry: registry.url, version: beside(2, 1) });

    await expect(attempt).rejects.toThrow(install.CodexInstallError);
    await expect(attempt).rejects.toThrow(/does not match its published integrity/);
    expect(tc.find('codex', beside(2, 1), process.arch)).toBe('');
    expect(existsSync(join(toolCache, 'codex', beside(2, 1)))).toBe(false);
    expect(await readdir(runnerTemp)).toEqual([]);
  });

  it('says which version has no build when the registry answers 404', async () => {
    const { suffix } = host();
    const before = registry.requests.length;

    const attempt = install.installCodex({ registry: registry.url, version: '0.999.0' });

    await expect(attempt).rejects.toThrow(
      `codex 0.999.0 has no build for ${suffix} in ${registry.url}: check 'codex-version'`,
    );
    // Only the version document was asked for.
    expect(registry.requests.slice(before)).toEqual([`/@openai/codex/0.999.0-${suffix}`]);
  });

  it('rejects a downloaded binary that reports another version, before caching it', async () => {
    const { suffix, triple } = host();
    await registry.publish({ npmVersion: `${beside(1, 1)}-${suffix}`, triple, versionOutput: `codex-cli ${pinned()}` });

    const attempt = install.installCodex({ registry: registry.url, version: beside(1, 1) });

    await expect(attempt).rejects.toThrow(install.CodexInstallError);
    await expect(attempt).rejects.toThrow(new RegExp(`Expected codex ${escape(beside(1, 1))}, but .* reports ${escape(pinned())}`));
    expect(tc.find('codex', beside(1, 1), process.arch)).toBe('');
    expect(await readdir(runnerTemp)).toEqual([]);
  });

  it('falls back to npm_config_registry and trims its trailing slash', async () => {
    const { suffix, triple } = host();
    await registry.publish({ npmVersion: `${beside(2, 2)}-${suffix}`, triple, versionOutput: `codex-cli ${beside(2, 2)}` });
    const before = registry.requests.length;
    const saved = process.env.npm_config_registry;
    // `npm test` itself sets npm_config_registry, so it is overridden here rather than assumed unset.
    process.env.npm_config_registry = `${registry.url}/`;
    try {
      const result = await install.installCodex({ version: beside(2, 2) });
      expect(result).toMatchObject({ version: beside(2, 2), fromCache: false });
    } finally {
      if (saved === undefined) delete process.env.npm_config_registry;
      else process.env.npm_config_registry = saved;
    }
    expect(registry.requests.slice(before)[0]).toBe(`/@openai/codex/${beside(2, 2)}-${suffix}`);
  });

  it('rejects a version that is not exact, before asking the registry', async () => {
    const before = registry.requests.length;
    await expect(install.installCodex({ registry: registry.url, version: 'latest' })).rejects.toThrow(
      /'codex-version' is 'latest', which is not an exact version/,
    );
    expect(registry.requests.length).toBe(before);
  });
});

describe('installCodex with codexPath', () => {
  it('uses the real pinned binary as given, without any request', async () => {
    const { suffix, triple } = install.platformPackage();
    const exe = process.platform === 'win32' ? 'codex.exe' : 'codex';
    const real = resolve('node_modules', '@openai', `codex-${suffix}`, 'vendor', triple, 'bin', exe);
    const before = registry.requests.length;

    const started = performance.now();
    const result = await install.installCodex({ codexPath: real, registry: registry.url });
    const elapsed = performance.now() - started;

    expect(result).toEqual({ path: real, version: install.CODEX_VERSION, fromCache: false });
    expect(registry.requests.length).toBe(before);
    process.stderr.write(`codexPath (real binary) installCodex took ${elapsed.toFixed(1)} ms\n`);
  });

  it('fails clearly when the binary does not exist', async () => {
    const missing = join(root, 'no-such-dir', 'codex');
    const attempt = install.installCodex({ codexPath: missing });
    await expect(attempt).rejects.toThrow(install.CodexInstallError);
    await expect(attempt).rejects.toThrow(`Could not run 'codex-path' ${missing}`);
  });

  (process.platform === 'win32' ? it.skip : it)('only warns when the given binary is another version', async () => {
    const fake = join(root, 'other-codex');
    await writeFile(fake, '#!/bin/sh\necho codex-cli 0.150.0\n', { mode: 0o755 });
    // core.warning writes a `::warning::` command to stdout; capture it (jest's global `jest` is absent under ESM).
    const written: string[] = [];
    const realWrite = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      const result = await install.installCodex({ codexPath: fake });
      expect(result).toEqual({ path: fake, version: '0.150.0', fromCache: false });
    } finally {
      process.stdout.write = realWrite;
    }
    expect(written.join('')).toMatch(new RegExp(`::warning::.*0\\.150\\.0.*tested with ${escape(pinned())}`));
  });
});
