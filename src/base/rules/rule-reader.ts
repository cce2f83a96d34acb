// The nested rules of one run, read through a RuleTree once each: a commit's listing once, each rules file once, however
// many chunks, pull requests or prompts need them. What could not be looked at is said, never silently skipped.
import { foldersOn, indexRules, rulesOnAny, RULE_FILE_MAX_BYTES, type RuleFile, type RuleIndex, type RuleText, type TreeFile } from './nested-rules.js';
import type { Listing, RuleTree } from './rule-tree.js';

/** At most this many rules files are read for one pull request (or one fix): on GitHub each is one request. */
export const MAX_RULE_FILES = 40;
/** When GitHub cuts a commit's listing short, at most this many folders are listed one by one instead. */
export const MAX_LISTED_FOLDERS = 60;

/** The rules files that govern the folders of some paths, and what could not be looked at. */
export interface FoundRules {
  index: RuleIndex;
  notes: string[];
}

export class RuleReader {
  private readonly listings = new Map<string, Promise<Listing | undefined>>();
  private readonly texts = new Map<string, Promise<RuleText>>();

  constructor(private readonly tree: RuleTree) {}

  /** Every regular file of `ref`, listed once (start it early; later calls share the answer). */
  files(ref: string): Promise<Listing | undefined> {
    let listing = this.listings.get(ref);
    if (!listing) {
      listing = this.tree.listAll(ref);
      listing.catch(() => {}); // awaited by whoever needs it
      this.listings.set(ref, listing);
    }
    return listing;
  }

  /**
   * The rules file of every folder `paths` are in or below, at `ref`. From the one listing when it is whole; when it was
   * cut short (GitHub lists at most 100,000 entries), each folder on the paths' way is listed on its own, at most
   * MAX_LISTED_FOLDERS of them, the folders of the most paths first.
   */
  async find(ref: string, paths: readonly string[]): Promise<FoundRules> {
    const listing = await this.files(ref);
    if (!listing) return { index: new Map(), notes: [`The tree of ${ref.slice(0, 12)} could not be read, so no nested AGENTS.md was used.`] };
    if (listing.complete) return { index: indexRules(listing.files), notes: [] };
    const counts = new Map<string, number>();
    for (const path of paths) for (const folder of foldersOn(path).slice(1)) counts.set(folder, (counts.get(folder) ?? 0) + 1);
    const folders = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : 1));
    const listed = folders.slice(0, MAX_LISTED_FOLDERS);
    const files: TreeFile[] = await this.tree.listIn(ref, listed);
    const notes = [
      `GitHub's listing of ${ref.slice(0, 12)} was cut short (too many files), so nested AGENTS.md were looked for in the ` +
        `${listed.length} folder(s) of the changed files one by one` +
        (folders.length > listed.length ? `; ${folders.length - listed.length} more folder(s) were not looked at.` : '.'),
    ];
    return { index: indexRules(files), notes };
  }

  /**
   * Reads the rules files that apply to `paths`, each at most RULE_FILE_MAX_BYTES, once over the reader's life; at most
   * MAX_RULE_FILES of them, those that apply to the most paths first (the rest are reported as not read).
   */
  async readFor(paths: readonly string[], index: RuleIndex): Promise<Map<string, RuleText>> {
    const wanted = rulesOnAny(paths, index);
    const reach = new Map<string, number>();
    for (const path of paths) for (const rule of rulesOnAny([path], index)) reach.set(rule.path, (reach.get(rule.path) ?? 0) + 1);
    const chosen = [...wanted].sort((a, b) => reach.get(b.path)! - reach.get(a.path)!).slice(0, MAX_RULE_FILES);
    const read = await Promise.all(chosen.map((file) => this.read(file)));
    return new Map(read.map((r) => [r.file.path, r]));
  }

  private read(file: RuleFile): Promise<RuleText> {
    const key = `${file.sha}\0${file.path}`;
    let text = this.texts.get(key);
    if (!text) {
      text = this.tree.read(file, RULE_FILE_MAX_BYTES).then(({ text, bytes }) => ({ file, text, bytes, cut: bytes > RULE_FILE_MAX_BYTES }));
      this.texts.set(key, text);
    }
    return text;
  }
}
