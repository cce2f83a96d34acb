// A Markdown code fence around text that may itself hold backticks (prompts, comments, summaries).

/** Wraps text in a code fence longer than any run of backticks inside it. */
export function fence(text: string, lang = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${lang}\n${text}\n${ticks}`;
}
