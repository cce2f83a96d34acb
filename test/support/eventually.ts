// Waiting on a condition inside a fake's handler, to hold an answer until something else has happened.

/**
 * Resolves true as soon as `condition()` holds, false if it still does not after `limitMs` (the limit only keeps a
 * test whose order is wrong from hanging; tests assert the boolean, never a duration).
 */
export async function eventually(condition: () => boolean, limitMs: number): Promise<boolean> {
  for (const end = Date.now() + limitMs; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (condition()) return true;
  }
  return condition();
}
