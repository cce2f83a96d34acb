// The README documents the contract: every input and output of action.yml is in its tables.
import { readFile } from 'node:fs/promises';

test('README lists every input and output of action.yml', async () => {
  const action = await readFile('action.yml', 'utf8');
  const readme = await readFile('README.md', 'utf8');
  const section = (name: string) => action.split(`\n${name}:\n`)[1]!.split(/\n\S/)[0]!;
  const names = (text: string) => [...text.matchAll(/^ {2}([a-z][a-z-]*):$/gm)].map((m) => m[1]!);
  const inputs = names(section('inputs'));
  const outputs = names(section('outputs'));
  expect(inputs.length).toBeGreaterThan(30);
  expect(outputs.length).toBe(18);
  for (const name of [...inputs, ...outputs]) expect({ name, documented: readme.includes(`| \`${name}\` |`) }).toEqual({ name, documented: true });
});
