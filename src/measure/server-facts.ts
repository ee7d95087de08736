/** What a generating server says about a run, weighed against the user's tags and the watched folder (pure). */

/** The server's facts win, except over what the user said where the server cannot tell ("unknown"). */
export function serverTags(given: Record<string, string>, userTags: Readonly<Record<string, string>>, note: (m: string) => void): Record<string, string> {
  const t: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) {
    const mine = userTags[k];
    if (mine !== undefined && v === 'unknown') continue;
    if (mine !== undefined && mine !== v) note(`--tag ${k}=${mine} disagrees with the server (${v}): recorded the server's`);
    t[k] = v;
  }
  return t;
}

/** The server's own image count against the watched folder's: the tags to record and a note on a mismatch. */
export function countCheck(kind: string, server: number | null, seen: number, outDir: string | null): { tags: Record<string, string>; note?: string } {
  const where = outDir ?? 'the watched folder';
  // Unknown (a stopped Forge batch) is left out, never written as a number.
  const tags: Record<string, string> = { 'watched-images': String(seen) };
  if (server !== null) tags['server-images'] = String(server);
  if (server === null) return { tags, note: `${kind} cannot say how many images it saved (stopped mid-batch): counted the ${seen} that appeared in ${where}` };
  if (server !== seen)
    return {
      tags,
      note: `${kind} says it made ${server} image${server === 1 ? '' : 's'}, but ${seen} appeared in ${where}${seen < server ? ': is --out the folder the server saves into?' : ''}`,
    };
  return { tags };
}
