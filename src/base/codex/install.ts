// Puts the pinned Codex CLI on the runner: the user's own binary, the tool cache, or the platform build from npm.
import { HttpClient } from '@actions/http-client';
import * as tc from '@actions/tool-cache';
import { execa, ExecaError } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { log } from '../log.js';

/** The codex version the action is tested against; keep equal to the devDependency @openai/codex. */
export const CODEX_VERSION = '0.169.0';

/** Codex could not be found, downloaded, verified or run; the message says which and what to do. */
export class CodexInstallError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodexInstallError';
  }
}

export interface InstalledCodex {
  /** Absolute path of the codex executable. */
  path: string;
  /** What `codex --version` printed, without the `codex-cli ` prefix. */
  version: string;
  /** True when no download happened (tool-cache hit); false for a fresh install or a user-given binary. */
  fromCache: boolean;
}

// The platform builds @openai/codex publishes (its optionalDependencies), keyed by `${platform}-${arch}`.
// win32-arm64 is published upstream too, so it is supported here even though hosted runners rarely use it.
const PLATFORM_BUILDS: Readonly<Record<string, string>> = {
  'linux-x64': 'x86_64-unknown-linux-musl',
  'linux-arm64': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
  'win32-x64': 'x86_64-pc-windows-msvc',
  'win32-arm64': 'aarch64-pc-windows-msvc',
};

const DEFAULT_REGISTRY = 'https://registry.npmjs.org';
// An exact version: tool-cache treats anything else as a range, and the value goes into a URL and a path.
const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const VERSION_OUTPUT = /codex-cli\s+(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/;
// The first run of a ~300 MB binary from a cold disk can be slow; a hang past this is a broken binary.
const VERSION_TIMEOUT_MS = 60_000;

/** The npm version suffix and Rust target triple of the codex build for a platform. */
export function platformPackage(
  platform: string = process.platform,
  arch: string = process.arch,
): { suffix: string; triple: string } {
  const suffix = `${platform}-${arch}`;
  const triple = PLATFORM_BUILDS[suffix];
  if (!triple) {
    throw new CodexInstallError(
      `codex has no build for this runner (${platform}/${arch}); builds exist for ` +
        `${Object.keys(PLATFORM_BUILDS).join(', ')}. Use one of those runners, or install codex yourself ` +
        `and pass its path as 'codex-path'.`,
    );
  }
  return { suffix, triple };
}

/** Finds or installs codex and checks that it runs and reports the wanted version. */
export async function installCodex(opts: {
  version?: string;
  codexPath?: string;
  registry?: string;
}): Promise<InstalledCodex> {
  const version = opts.version ?? CODEX_VERSION;

  if (opts.codexPath) {
    // The user chose this binary: a different version is their call, but one that does not run is not usable.
    const got = await codexVersionOf(opts.codexPath, `'codex-path' ${opts.codexPath}`);
    if (got !== version) {
      log.warning(
        `The codex at 'codex-path' (${opts.codexPath}) is ${got}, but this action is tested with ${version}; ` +
          `continuing with it.`,
      );
    }
    log.info(`Using codex ${got} at ${opts.codexPath} (from 'codex-path')`);
    return { path: opts.codexPath, version: got, fromCache: false };
  }

  if (!EXACT_VERSION.test(version)) {
    throw new CodexInstallError(
      `'codex-version' is '${version}', which is not an exact version: give one like ${CODEX_VERSION}.`,
    );
  }
  const { suffix, triple } = platformPackage();
  const binaryName = process.platform === 'win32' ? 'codex.exe' : 'codex';
  const arch = process.arch;

  const cached = tc.find('codex', version, arch);
  if (cached) {
    const path = join(cached, 'bin', binaryName);
    log.info(`Using cached codex ${version} at ${path}`);
    const got = await codexVersionOf(path, `the cached codex at ${path}`);
    expectVersion(version, got, `the cached codex at ${path}`, ` Delete ${cached} so it is downloaded again.`);
    return { path, version: got, fromCache: true };
  }

  const registry = registryBase(opts.registry);
  log.info(`Downloading codex ${version} (${suffix}) from ${registry} …`);
  const dist = await fetchDist(registry, version, suffix);

  let tarball: string | undefined;
  let extracted: string | undefined;
  try {
    log.debug(`Downloading ${dist.tarball}`);
    try {
      tarball = await tc.downloadTool(dist.tarball);
    } catch (error) {
      throw new CodexInstallError(
        `Could not download codex ${version} (${suffix}) from ${dist.tarball}: ${messageOf(error)}. ` +
          `Check that the runner can reach ${registry}.`,
        { cause: error },
      );
    }
    await verifyIntegrity(tarball, dist.integrity, dist.tarball);
    log.debug(`Integrity of ${dist.tarball} verified`);

    extracted = await tc.extractTar(tarball);
    // The whole vendor/<triple> folder is kept, not only bin/: the binary finds its sandbox helper (bwrap),
    // ripgrep and other resources in codex-resources/ and codex-path/ next to bin/, as codex-package.json says.
    const vendorDir = join(extracted, 'package', 'vendor', triple);
    const binary = join(vendorDir, 'bin', binaryName);
    if (!existsSync(binary)) {
      throw new CodexInstallError(
        `The codex ${version} (${suffix}) package from ${dist.tarball} has no package/vendor/${triple}/bin/${binaryName}; ` +
          `its layout changed. Pin another 'codex-version' or pass a binary as 'codex-path'.`,
      );
    }
    // npm tarballs usually keep the mode bits, but a repacking mirror may not.
    await chmod(binary, 0o755);

    // Checked before caching so a wrong binary never lands in a (possibly persistent) tool cache.
    const got = await codexVersionOf(binary, `the downloaded codex ${version} (${suffix})`);
    expectVersion(version, got, `the codex downloaded from ${dist.tarball}`, '');

    const toolDir = await tc.cacheDir(vendorDir, 'codex', version, arch);
    const path = join(toolDir, 'bin', binaryName);
    log.info(`Installed codex ${got} at ${path}`);
    return { path, version: got, fromCache: false };
  } finally {
    // tool-cache leaves its downloads and extractions in RUNNER_TEMP; the extraction alone is ~400 MB.
    await Promise.all(
      [tarball, extracted].map((p) => (p ? rm(p, { recursive: true, force: true }) : undefined)),
    );
  }
}

/** Runs `<path> --version` and returns the version from its "codex-cli X.Y.Z" line. */
export async function codexVersionOf(path: string, what = `codex at ${path}`): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await execa(path, ['--version'], { timeout: VERSION_TIMEOUT_MS, stdin: 'ignore' }));
  } catch (error) {
    throw new CodexInstallError(
      `Could not run ${what} (\`${path} --version\`): ${messageOf(error)}. ` +
        `Check that the file exists, is executable and is built for this runner.`,
      { cause: error },
    );
  }
  const match = VERSION_OUTPUT.exec(stdout);
  if (!match?.[1]) {
    throw new CodexInstallError(
      `${what} does not look like codex: \`${path} --version\` printed ${JSON.stringify(stdout.slice(0, 200))}, ` +
        `not "codex-cli X.Y.Z".`,
    );
  }
  return match[1];
}

function expectVersion(expected: string, got: string, what: string, advice: string): void {
  if (got !== expected) {
    throw new CodexInstallError(`Expected codex ${expected}, but ${what} reports ${got}.${advice}`);
  }
}

function registryBase(explicit: string | undefined): string {
  const base =
    explicit || process.env.npm_config_registry || process.env.NPM_CONFIG_REGISTRY || DEFAULT_REGISTRY;
  return base.replace(/\/+$/, '');
}

// Only the fields this installer reads; the rest of the version document is free to change.
const VersionDocument = z.object({
  dist: z.object({
    tarball: z.url(),
    integrity: z.string().min(1),
  }),
});
type Dist = z.infer<typeof VersionDocument>['dist'];

/** Reads the npm version document of `@openai/codex@<version>-<suffix>` (the platform build). */
async function fetchDist(registry: string, version: string, suffix: string): Promise<Dist> {
  const url = `${registry}/@openai%2fcodex/${version}-${suffix}`;
  log.debug(`Fetching ${url}`);
  // http-client, like tc.downloadTool, honours the runner's proxy settings.
  const client = new HttpClient('codex-ci-action');
  let status: number | undefined;
  let body: string;
  try {
    const response = await client.get(url, { accept: 'application/json' });
    status = response.message.statusCode;
    body = await response.readBody();
  } catch (error) {
    throw new CodexInstallError(
      `Could not reach the npm registry ${registry} (${url}): ${messageOf(error)}. ` +
        `Check the runner's network, or set npm_config_registry to a registry it can reach.`,
      { cause: error },
    );
  } finally {
    client.dispose();
  }
  if (status === 404) {
    throw new CodexInstallError(`codex ${version} has no build for ${suffix} in ${registry}: check 'codex-version'.`);
  }
  if (status !== 200) {
    throw new CodexInstallError(
      `The npm registry ${registry} answered HTTP ${status} for ${url}: ${body.slice(0, 200)}. ` +
        `If it needs credentials or is down, point npm_config_registry at one that works.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new CodexInstallError(`The npm registry ${registry} sent something other than JSON for ${url}.`, {
      cause: error,
    });
  }
  const parsed = VersionDocument.safeParse(json);
  if (!parsed.success) {
    throw new CodexInstallError(
      `The npm registry ${registry} sent a version document for ${url} without a usable dist.tarball and ` +
        `dist.integrity (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}).`,
    );
  }
  return parsed.data.dist;
}

/** Checks the file against the sha512 entries of an SRI string; throws (and deletes nothing) on mismatch. */
async function verifyIntegrity(file: string, integrity: string, source: string): Promise<void> {
  // SRI: space-separated `<algo>-<base64>[?options]`. Only sha512 is trusted; sha1 alone is not enough.
  const expected = integrity
    .trim()
    .split(/\s+/)
    .filter((entry) => entry.startsWith('sha512-'))
    .map((entry) => entry.slice('sha512-'.length).split('?')[0]);
  if (expected.length === 0) {
    throw new CodexInstallError(
      `The registry publishes no sha512 integrity for ${source} (got '${integrity}'), so the download cannot ` +
        `be verified; use a registry that serves dist.integrity, or pass a binary as 'codex-path'.`,
    );
  }
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const actual = hash.digest('base64');
  if (!expected.includes(actual)) {
    throw new CodexInstallError(
      `The download of ${source} does not match its published integrity (expected sha512-${expected[0]}, ` +
        `got sha512-${actual}): it was corrupted or altered on the way. Re-run the job; if it persists, ` +
        `check the registry or proxy in between.`,
    );
  }
}

function messageOf(error: unknown): string {
  if (error instanceof ExecaError) return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}
