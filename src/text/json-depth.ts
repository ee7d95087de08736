/**
 * How deep a JSON text nests, found by a scan that skips strings, before anything parses it: a
 * 10 000-deep document parses, but then overflows the stack of whatever walks it (a validator,
 * JSON.stringify). genwatt's own records nest a few levels.
 */

/** Deepest nesting genwatt reads (its session documents nest at most 6 levels). */
export const MAX_JSON_DEPTH = 64;

/** True when `text` opens more than `max` arrays or objects inside one another. */
export function nestsDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}
