// The repository's files a failure's log names: "src/a.ts:12:5", "/home/runner/work/r/r/src/a.ts", "src/a.ts(12,5)",
// "./pkg/b.py". Pure: the log and the commit's file list in, the files out, in the order the log first names them.

/** More files than this and the log is naming everything (a stack through the whole repository), not the failure. */
export const MAX_POINTED_FILES = 20;

// Runs of characters a path is written with; ':', '(' and spaces end one, so a line or column number never sticks.
const PATH_LIKE = /[\w@+\-.\\/]+/g;

/**
 * The files of `files` (paths from the repository's root) the text names, at most MAX_POINTED_FILES. A name is
 * taken as written, from the root; relative to `prefix` (the working folder, e.g. "pkg/", as a test runner started
 * there prints it); and, for an absolute path, by its longest tail that is a file of the repository.
 */
export function pointedFiles(text: string, files: ReadonlySet<string>, prefix = ''): string[] {
  const found = new Set<string>();
  for (const [match] of text.matchAll(PATH_LIKE)) {
    if (found.size >= MAX_POINTED_FILES) break;
    const name = match.replaceAll('\\', '/').replace(/^(\.\/)+/, '').replace(/[./]+$/, '');
    if (!name.includes('.') && !name.includes('/')) continue;
    const hit = candidates(name, prefix).find((c) => files.has(c));
    if (hit) found.add(hit);
  }
  return [...found];
}

// The name under the working folder first (what a runner started there prints), then as written, then its tails.
function candidates(name: string, prefix: string): string[] {
  const out = prefix ? [`${prefix}${name}`, name] : [name];
  for (let slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) out.push(name.slice(slash + 1));
  return out;
}
