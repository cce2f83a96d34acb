// The files a runner gives a step to write to: the job summary and the outputs. @actions/core finds them through
// process.env (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT) whatever environment the action was given, so tests set them there.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Runs `body` with empty summary and output files in `dir`; answers what it wrote there. process.env is restored. */
export async function withStepFiles(dir: string, body: () => Promise<void>): Promise<{ summary: string; outputs: string }> {
  const files = { GITHUB_STEP_SUMMARY: join(dir, 'summary'), GITHUB_OUTPUT: join(dir, 'output') };
  const saved = { GITHUB_STEP_SUMMARY: process.env.GITHUB_STEP_SUMMARY, GITHUB_OUTPUT: process.env.GITHUB_OUTPUT };
  for (const [name, path] of Object.entries(files)) {
    await writeFile(path, '');
    process.env[name] = path;
  }
  try {
    await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  return { summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'), outputs: await readFile(files.GITHUB_OUTPUT, 'utf8') };
}
