// Keeps the run's secrets out of everything the action posts or commits.

/** A secret was found in something about to be committed; the commit is refused. */
export class SecretLeakError extends Error {
  constructor(where: string) {
    super(`Refused to commit: ${where} contains one of this run's secrets (an API key or token). Nothing was pushed.`);
    this.name = 'SecretLeakError';
  }
}

/** The forms a secret can take in text: raw, and base64 (as in `http.extraheader` basic auth). */
export function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    forms.add(secret);
    forms.add(Buffer.from(secret).toString('base64'));
    forms.add(Buffer.from(`x-access-token:${secret}`).toString('base64'));
  }
  return [...forms];
}

interface SecretMatcher {
  /** Every form of every secret in one alternation, longest first (so a secret inside another is not cut in two). */
  pattern: RegExp;
  /** Length of the longest form: a match can span at most this many characters. */
  longest: number;
}

// The secrets of a run are one array for the whole run: its matcher is built once.
const matchers = new WeakMap<readonly string[], SecretMatcher | null>();

function matcherOf(secrets: readonly string[]): SecretMatcher | null {
  let matcher = matchers.get(secrets);
  if (matcher === undefined) {
    const forms = secretForms(secrets).sort((a, b) => b.length - a.length);
    matcher =
      forms.length === 0
        ? null
        : { pattern: new RegExp(forms.map(escapeRegExp).join('|'), 'g'), longest: forms[0]!.length };
    matchers.set(secrets, matcher);
  }
  return matcher;
}

/** Replaces every form of every secret with `***`, in one pass over `text` (one copy, whatever the number of forms). */
export function redact(text: string, secrets: readonly string[]): string {
  const matcher = matcherOf(secrets);
  return matcher ? text.replace(matcher.pattern, '***') : text;
}

/** True when `text` carries any form of any secret. */
export function containsSecret(text: string, secrets: readonly string[]): boolean {
  const matcher = matcherOf(secrets);
  if (!matcher) return false;
  matcher.pattern.lastIndex = 0;
  const found = matcher.pattern.test(text);
  matcher.pattern.lastIndex = 0;
  return found;
}

/**
 * Redacts a text that arrives in pieces (a streamed log) without holding it whole: each piece is redacted and
 * handed back at once, except its last few characters, which could be the start of a secret the next piece ends.
 */
export class StreamRedactor {
  private readonly matcher: SecretMatcher | null;
  private pending = '';

  constructor(secrets: readonly string[]) {
    this.matcher = matcherOf(secrets);
  }

  /** Redacts `piece` (with what was held back); returns the part that is final. */
  push(piece: string): string {
    if (!this.matcher) return piece;
    const text = this.pending + piece;
    const { pattern, longest } = this.matcher;
    // A match that starts before `safe` lies wholly in `text`; one that starts after may go on in the next piece.
    let safe = Math.max(0, text.length - (longest - 1));
    let out = '';
    let from = 0;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      if (m.index >= safe) break;
      out += text.slice(from, m.index) + '***';
      from = m.index + m[0].length;
      safe = Math.max(safe, from);
    }
    pattern.lastIndex = 0;
    out += text.slice(from, safe);
    this.pending = text.slice(safe);
    return out;
  }

  /** The rest, redacted: call once at the end. */
  end(): string {
    const rest = this.matcher ? this.pending.replace(this.matcher.pattern, '***') : this.pending;
    this.pending = '';
    return rest;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
