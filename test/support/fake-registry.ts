// A loopback stand-in for the npm registry that serves codex platform builds the test packs itself.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PublishOptions {
  /** npm version of the platform build, e.g. `<version>-linux-x64`. */
  npmVersion: string;
  /** Rust target triple; the binary goes to package/vendor/<triple>/bin/codex. */
  triple: string;
  /** What the fake binary prints for `--version`, e.g. `codex-cli <version>`. */
  versionOutput: string;
  /** Publish this integrity instead of the tarball's real one (to simulate a corrupted download). */
  integrity?: string;
}

export interface FakeRegistry {
  /** Base URL, no trailing slash. */
  url: string;
  /** Every request path the server saw, decoded, in order. */
  requests: string[];
  /** Packs a fake codex build and serves its version document and tarball. */
  publish(options: PublishOptions): Promise<{ integrity: string }>;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with an ephemeral port; unknown paths answer 404 like npm. */
export async function startFakeRegistry(): Promise<FakeRegistry> {
  const routes = new Map<string, { type: string; body: Buffer }>();
  const requests: string[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'fake-registry-'));

  const server: Server = createServer((req, res) => {
    // npm accepts the scope slash encoded (%2f) or not; decoding makes both hit the same route.
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': route.type, 'content-length': route.body.length }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    async publish({ npmVersion, triple, versionOutput, integrity }) {
      const staging = await mkdtemp(join(scratch, 'pack-'));
      const vendor = join(staging, 'package', 'vendor', triple);
      await mkdir(join(vendor, 'bin'), { recursive: true });
      await mkdir(join(vendor, 'codex-resources'), { recursive: true });
      await writeFile(
        join(staging, 'package', 'package.json'),
        JSON.stringify({ name: '@openai/codex', version: npmVersion }),
      );
      // Mode 0644 on purpose: the installer must make the binary executable itself.
      await writeFile(join(vendor, 'bin', 'codex'), `#!/bin/sh\necho '${versionOutput}'\n`);
      await chmod(join(vendor, 'bin', 'codex'), 0o644);
      await writeFile(join(vendor, 'codex-resources', 'bwrap'), 'sandbox helper stand-in\n');
      const tgz = join(staging, 'package.tgz');
      await execa('tar', ['-czf', tgz, '-C', staging, 'package']);
      const body = await readFile(tgz);
      const realIntegrity = `sha512-${createHash('sha512').update(body).digest('base64')}`;

      const tarballPath = `/@openai/codex/-/codex-${npmVersion}.tgz`;
      routes.set(tarballPath, { type: 'application/octet-stream', body });
      const doc = {
        name: '@openai/codex',
        version: npmVersion,
        dist: { tarball: `${url}${tarballPath}`, integrity: integrity ?? realIntegrity, shasum: 'unused' },
      };
      routes.set(`/@openai/codex/${npmVersion}`, {
        type: 'application/json',
        body: Buffer.from(JSON.stringify(doc)),
      });
      return { integrity: realIntegrity };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
