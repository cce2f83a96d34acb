// What a user pins: the license package.json declares, one action name in every example, a release that moves the major tag.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { createRepo, type TestRepo } from './support/git-repo.js';

const readme = readFileSync('README.md', 'utf8');

test('LICENSE is the MIT license package.json declares', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { license: string };
  expect(pkg.license).toBe('MIT');
  expect(readFileSync('LICENSE', 'utf8')).toMatch(/^MIT License\n/);
});

test('every README example uses this action under the one marked placeholder name, pinned to the major tag', () => {
  const uses = [...readme.matchAll(/uses: (\S+\/codex-ci-action\S*)/g)].map((m) => m[1]);
  expect(uses.length).toBeGreaterThan(0);
  expect(new Set(uses)).toEqual(new Set(['OWNER/codex-ci-action@v1']));
  expect(readme).toContain('**Placeholder name.** `OWNER/codex-ci-action`');
});

const SCRIPT = resolve('scripts/release.mjs');

describe('scripts/release.mjs on a real repository with a bare origin', () => {
  let repo: TestRepo;
  const release = (...args: string[]) => execa('node', [SCRIPT, ...args], { cwd: repo.dir, reject: false });
  const originTag = async (name: string) => (await execa('git', ['rev-parse', `refs/tags/${name}^{commit}`], { cwd: repo.origin })).stdout;
  const commitAndTag = async (tag: string) => {
    await writeFile(join(repo.dir, 'package.json'), JSON.stringify({ version: tag.slice(1) }));
    await repo.git('commit', '--quiet', '--all', '-m', tag);
    await repo.git('tag', tag);
    await repo.git('push', '--quiet', 'origin', 'main', tag);
    return repo.git('rev-parse', 'HEAD');
  };

  beforeEach(async () => {
    repo = await createRepo({ 'package.json': '{"version":"0.0.0"}' });
  });
  afterEach(() => repo.cleanup());

  test('check accepts a tag of main that names the package version, and refuses the others', async () => {
    const sha = await commitAndTag('v1.0.0');
    expect((await release('check', 'v1.0.0', sha)).exitCode).toBe(0);

    const mismatch = await release('check', 'v1.0.1', sha);
    expect(mismatch.exitCode).toBe(1);
    expect(mismatch.stderr).toContain('Tag v1.0.1 does not match package.json version 1.0.0');

    await repo.git('checkout', '--quiet', '-b', 'side');
    await repo.git('commit', '--quiet', '--allow-empty', '-m', 'off main');
    const offMain = await release('check', 'v1.0.0', await repo.git('rev-parse', 'HEAD'));
    expect(offMain.exitCode).toBe(1);
    expect(offMain.stderr).toContain('is not on origin/main');
  });

  test('move-major points v1 at the newest 1.x release and leaves it there for an older patch', async () => {
    const first = await commitAndTag('v1.0.0');
    expect((await release('move-major', 'v1.0.0', first)).exitCode).toBe(0);
    expect(await originTag('v1')).toBe(first);

    const second = await commitAndTag('v1.1.0');
    expect((await release('move-major', 'v1.1.0', second)).stdout).toBe(`Moved v1 to ${second} (v1.1.0).`);
    expect(await originTag('v1')).toBe(second);

    // A patch of the 1.0 line, tagged after 1.1.0, must not pull v1 back.
    await repo.git('checkout', '--quiet', '-b', 'release-1.0', 'v1.0.0');
    const patch = await commitAndTag('v1.0.1');
    const result = await release('move-major', 'v1.0.1', patch);
    expect(result.stdout).toBe('v1 stays where it is: v1.1.0 is newer than v1.0.1.');
    expect(await originTag('v1')).toBe(second);
  });
});
