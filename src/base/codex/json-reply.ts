// A turn's final message read as the JSON its output schema asked for: models sometimes wrap it in a ``` fence anyway.

/** The JSON value of a reply, or what is wrong with it in words the model can act on when asked again. */
export function readJsonReply(text: string | null): { ok: true; json: unknown } | { ok: false; error: string } {
  if (text === null || text.trim() === '') return { ok: false, error: 'The reply was empty.' };
  const unfenced = text.trim().replace(/^```(?:json)?\s*\n?([\s\S]*?)\n?\s*```$/, '$1');
  try {
    return { ok: true, json: JSON.parse(unfenced) as unknown };
  } catch (error) {
    return { ok: false, error: `The reply is not valid JSON (${(error as Error).message}).` };
  }
}
