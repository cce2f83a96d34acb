// Fails when the committed dist/ differs from a fresh build of src/ (the action runs dist/index.js, the CLI
// dist/cli/index.js).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every file under `dir`, as paths relative to it. */
const files = (dir, prefix = '') =>
  readdirSync(join(dir, prefix)).flatMap((name) => (statSync(join(dir, prefix, name)).isDirectory() ? files(dir, join(prefix, name)) : [join(prefix, name)]));

const fresh = mkdtempSync(join(tmpdir(), 'dist-'));
try {
  execFileSync('npx', ['ncc', 'build', 'src/action/index.ts', '-o', fresh, '--license', 'licenses.txt', '--quiet'], { stdio: 'inherit' });
  execFileSync('npx', ['ncc', 'build', 'src/cli/index.ts', '-o', join(fresh, 'cli'), '--license', 'licenses.txt', '--quiet'], { stdio: 'inherit' });
  const names = new Set([...files('dist'), ...files(fresh)]);
  const stale = [...names].filter((name) => {
    try {
      return !readFileSync(join('dist', name)).equals(readFileSync(join(fresh, name)));
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(`dist/ is stale (${stale.join(', ')} differ from a fresh build). Run \`npm run build\` and commit dist/.`);
    process.exit(1);
  }
  console.log('dist/ matches a fresh build of src/.');
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
