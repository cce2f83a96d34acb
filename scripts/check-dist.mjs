// Fails when the committed dist/ differs from a fresh build of src/ (the action runs dist/index.js).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const fresh = mkdtempSync(join(tmpdir(), 'dist-'));
try {
  execFileSync('npx', ['ncc', 'build', 'src/action/index.ts', '-o', fresh, '--license', 'licenses.txt', '--quiet'], { stdio: 'inherit' });
  const names = new Set([...readdirSync('dist'), ...readdirSync(fresh)]);
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
