/** "genwatt moniter": the command the user most likely meant, by edit distance. */
export const COMMAND_NAMES = ['demo', 'run', 'watch', 'monitor', 'replay', 'plan', 'init', 'probe', 'serve', 'report', 'completion'] as const;

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** The closest command to `word` (at most 2 edits, bounded input), or null. */
export function didYouMean(word: string | undefined): string | null {
  if (!word || word.startsWith('-') || word.length > 32) return null;
  let best: string | null = null;
  let bestD = 3;
  for (const c of COMMAND_NAMES) {
    const dist = distance(word.toLowerCase(), c);
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  return best && best !== word ? best : null;
}
