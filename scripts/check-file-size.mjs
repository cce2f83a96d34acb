// Lint: a source file over 300 lines must say in its first two lines why it is one file ("one file: …").
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LIMIT = 300;
const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
const offenders = walk('src')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ f, lines: readFileSync(f, 'utf8').split('\n') }))
  .filter(({ lines }) => lines.length > LIMIT && !lines.slice(0, 2).join(' ').includes('One file:') && !lines.slice(0, 2).join(' ').includes('one file:'))
  .map(({ f, lines }) => `${f}: ${lines.length} lines, and its first comment does not say why it is one file ("one file: …")`);
if (offenders.length > 0) {
  console.error(offenders.join('\n'));
  process.exit(1);
}
