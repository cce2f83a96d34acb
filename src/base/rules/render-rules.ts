// The nested rules as a prompt shows them (each file under its path and folder, fenced) and as a summary lists them.
import { fence } from '../text/fence.js';
import { RULES_TOTAL_MAX_BYTES, type RuleFile, type RuleText, type ShownRules } from './nested-rules.js';
import { MAX_RULE_FILES } from './rule-reader.js';

/** A size as people read it: "32 KiB", "976.6 KiB". */
export function kib(bytes: number): string {
  const k = bytes / 1024;
  return `${Number.isInteger(k) ? k : k.toFixed(1)} KiB`;
}

/** What a cut says, in the prompt and the summary alike. */
export function cutNote(r: RuleText): string {
  return `cut short: the first ${kib(Buffer.byteLength(r.text))} of its ${kib(r.bytes)}`;
}

const names = (files: readonly RuleFile[]) => files.map((f) => `\`${f.path}\``).join(', ');

/** The rules files under `### path (for folder/)` headings, outermost first, then what applies but is not shown. */
export function ruleBlocks(rules: ShownRules): string {
  const blocks = rules.shown.map((r) => `### ${r.file.path} (for \`${r.file.folder}/\`)${r.cut ? `, ${cutNote(r)}` : ''}\n${fence(r.text)}`);
  if (rules.leftOut.length > 0) {
    blocks.push(`Also applying, but not shown (the nested rules of one prompt are bounded at ${kib(RULES_TOTAL_MAX_BYTES)} together): ${names(rules.leftOut)}.`);
  }
  if (rules.unread.length > 0) {
    blocks.push(`Also applying, but not read (at most ${MAX_RULE_FILES} rules files are read per pull request): ${names(rules.unread)}.`);
  }
  return blocks.join('\n\n');
}
