/** Why JSON.parse refused a text, in words that never quote the text (Node's message can: a file's content must not travel into an error). */
export function jsonProblem(err: unknown): string {
  const m = /position (\d+)/.exec((err as Error)?.message ?? '');
  return m ? `invalid JSON at position ${m[1]}` : 'invalid JSON';
}
