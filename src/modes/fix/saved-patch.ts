// The fix as a patch file under RUNNER_TEMP: what `fix-delivery: patch` delivers, and where a fix that could not be
// delivered survives; plus the bounded view of it the job summary shows.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKey, type FailingRun } from './failing-run.js';
import { fence } from '../../base/text/fence.js';

/** A patch written to disk, and (when uploaded) the workflow artifact holding it. */
export interface SavedPatch {
  path: string;
  /** The patch's text (`git diff --binary`), for the summary's preview. */
  diff: string;
  /** The commit it applies to. */
  baseSha: string;
  artifact?: { name: string; url: string };
  /** Why the artifact upload did not happen or failed (a warning, never a failure). */
  artifactNote?: string;
}

/** Where the patch of `run`'s fix goes: one file per failing run, in RUNNER_TEMP. */
export function patchPath(tempDir: string, run: Pick<FailingRun, 'id' | 'sha'>): string {
  return join(tempDir, `codex-fix-${runKey(run)}.patch`);
}

/** Writes `diff` as the patch of `run`'s fix; returns its path. */
export async function writePatch(tempDir: string, run: Pick<FailingRun, 'id' | 'sha'>, diff: string): Promise<string> {
  const path = patchPath(tempDir, run);
  await writeFile(path, diff);
  return path;
}

// The job summary holds 1 MiB per step; the preview leaves room for the rest and stays readable.
const PREVIEW_BYTES = 30_000;

/** The patch for the summary: a diff block with its head (cut at a line), marked when cut, naming the full file. */
export function patchPreview(patch: SavedPatch, maxBytes = PREVIEW_BYTES): string {
  const total = Buffer.byteLength(patch.diff);
  let shown = patch.diff.replace(/\s+$/, '');
  let cut = false;
  if (Buffer.byteLength(shown) > maxBytes) {
    // A character cut in two decodes as U+FFFD: dropped, like the rest of a cut line.
    shown = Buffer.from(shown).subarray(0, maxBytes).toString('utf8');
    const lastNewline = shown.lastIndexOf('\n');
    shown = lastNewline > 0 ? shown.slice(0, lastNewline) : shown.replace(/\uFFFD+$/, '');
    cut = true;
  }
  const note = cut
    ? `The first ${Buffer.byteLength(shown)} of ${total} bytes; the whole patch is <code>${escapeHtml(patch.path)}</code>`
    : `The patch, <code>${escapeHtml(patch.path)}</code>`;
  // The fence is longer than any backtick run in the diff, so the diff cannot close it.
  return `<details open><summary>${note}</summary>\n\n${fence(shown, 'diff')}\n\n</details>`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
