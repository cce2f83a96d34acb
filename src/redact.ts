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

/** Replaces every form of every secret with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const form of secretForms(secrets)) out = out.split(form).join('***');
  return out;
}

/** True when `text` carries any form of any secret. */
export function containsSecret(text: string, secrets: readonly string[]): boolean {
  return secretForms(secrets).some((form) => text.includes(form));
}
