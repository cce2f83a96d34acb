// Which AGENTS.md files apply to a path, the way the pinned Codex picks them (test/agents-md-contract.test.ts): one file
// per folder from the repository root down to the path's folder, AGENTS.override.md in place of AGENTS.md, root first
// and the closest last (it wins where they disagree). Pure: the listing comes in, the choice goes out.

export const AGENTS_FILE = 'AGENTS.md';
/** Codex reads it instead of its folder's AGENTS.md (even a blank one takes the folder's place). */
export const OVERRIDE_FILE = 'AGENTS.override.md';

/** Each nested file is cut here: Codex's own project_doc_max_bytes default, and the root AGENTS.md's bound. */
export const RULE_FILE_MAX_BYTES = 32 * 1024;
/** All the nested files one prompt shows, together: room for two whole files on top of the root's. */
export const RULES_TOTAL_MAX_BYTES = 64 * 1024;

/** A regular file of a tree listing. */
export interface TreeFile {
  path: string;
  /** Its blob id, what it is read back by. */
  sha: string;
  size: number;
}

/** The rules file that governs one folder (and everything below it). */
export interface RuleFile extends TreeFile {
  /** The folder it governs, '' for the root. */
  folder: string;
}

/** The rules file of each folder that has one, by folder. */
export type RuleIndex = ReadonlyMap<string, RuleFile>;

/** The folder a path is in ('' for the root). */
export function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The folders from the root ('') down to the path's own folder, outermost first. */
export function foldersOn(path: string): string[] {
  const parts = path.split('/').slice(0, -1);
  return ['', ...parts.map((_, i) => parts.slice(0, i + 1).join('/'))];
}

/** Picks each folder's rules file from a listing: AGENTS.override.md where there is one, else AGENTS.md. */
export function indexRules(files: Iterable<TreeFile>): Map<string, RuleFile> {
  const index = new Map<string, RuleFile>();
  for (const file of files) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    if (name !== OVERRIDE_FILE && name !== AGENTS_FILE) continue;
    const folder = folderOf(file.path);
    if (name === AGENTS_FILE && index.get(folder)?.path.endsWith(OVERRIDE_FILE)) continue;
    index.set(folder, { ...file, folder });
  }
  return index;
}

/** The nested rules files that apply to `path`, outermost first; the root's is left out (the conventions carry it). */
export function rulesOn(path: string, index: RuleIndex): RuleFile[] {
  return foldersOn(path).flatMap((folder) => {
    const rule = folder === '' ? undefined : index.get(folder);
    return rule ? [rule] : [];
  });
}

/**
 * The nested rules files that apply to any of `paths`, each once, a folder's before its subfolders' (a path sorts
 * before the paths it is a prefix of), so every file still reads root side first and closest last.
 */
export function rulesOnAny(paths: Iterable<string>, index: RuleIndex): RuleFile[] {
  const byPath = new Map<string, RuleFile>();
  for (const path of paths) for (const rule of rulesOn(path, index)) byPath.set(rule.path, rule);
  return [...byPath.values()].sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
}

/** The same string for paths under the same nested rules: what the chunker keeps together. */
export function ruleKey(path: string, index: RuleIndex): string {
  return rulesOn(path, index)
    .map((r) => r.path)
    .join('\n');
}

/** A rules file's text as it is shown: cut to RULE_FILE_MAX_BYTES. */
export interface RuleText {
  file: RuleFile;
  text: string;
  /** The file's whole size in bytes. */
  bytes: number;
  /** The text is shorter than the file. */
  cut: boolean;
}

/** What one prompt shows of the nested rules of its paths, and what it could not. */
export interface ShownRules {
  /** Outermost first, each at most RULE_FILE_MAX_BYTES and all within RULES_TOTAL_MAX_BYTES. */
  shown: RuleText[];
  /** Files that apply but did not fit in RULES_TOTAL_MAX_BYTES after the ones shown. */
  leftOut: RuleFile[];
  /** Files that apply but were not read (more files applied than a run reads). */
  unread: RuleFile[];
}

export const NO_RULES: ShownRules = { shown: [], leftOut: [], unread: [] };

/**
 * The nested rules of `paths` within RULES_TOTAL_MAX_BYTES, outermost first as Codex walks them: the file that
 * passes the bound is cut, and the ones after it are left out. A blank file says nothing, as in Codex.
 */
export function rulesFor(paths: Iterable<string>, index: RuleIndex, texts: ReadonlyMap<string, RuleText>): ShownRules {
  const out: ShownRules = { shown: [], leftOut: [], unread: [] };
  let room = RULES_TOTAL_MAX_BYTES;
  for (const file of rulesOnAny(paths, index)) {
    const read = texts.get(file.path);
    if (!read) {
      out.unread.push(file);
      continue;
    }
    if (read.text.trim() === '') continue;
    if (room <= 0) {
      out.leftOut.push(file);
      continue;
    }
    const bytes = Buffer.from(read.text);
    if (bytes.length <= room) {
      out.shown.push(read);
      room -= bytes.length;
    } else {
      out.shown.push({ ...read, text: cutUtf8(bytes, room), cut: true });
      room = 0;
    }
  }
  return out;
}

/** The first `max` bytes of `bytes` as text, without a character split in two at the end. */
export function cutUtf8(bytes: Buffer, max: number): string {
  if (bytes.length <= max) return bytes.toString('utf8');
  let end = max;
  // Back up over continuation bytes (10xxxxxx) to the start of the character the cut would split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
