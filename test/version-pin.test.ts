// The Codex pin lives in one place: a bump touches CODEX_VERSION and the @openai/codex devDependency only.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CODEX_VERSION } from '../src/base/codex/install.js';

// Where the pinned version may be written out: the constant itself and npm's own files.
const ALLOWED = new Set(['src/base/codex/install.ts', 'package.json', 'package-lock.json']);
// Built, installed or generated trees are not written by hand.
const SKIPPED = new Set(['node_modules', 'dist', '.git', 'coverage']);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIPPED.has(name)) return [];
    const path = dir === '.' ? name : join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('no file but install.ts and package.json repeats the pinned codex version', () => {
  const repeating = filesUnder('.').filter((path) => !ALLOWED.has(path) && readFileSync(path, 'utf8').includes(CODEX_VERSION));
  expect(repeating).toEqual([]);
});
