/**
 * genwatt's own symbols in plain ASCII, for a terminal whose locale is not UTF-8 (`LANG=C`), where
 * `±`, `°C` or `★` print as mojibake. Only these symbols: anything else that is not ASCII (a file
 * name, a GPU's name) is data and keeps its bytes.
 */
export const ASCII_SYMBOLS: Readonly<Record<string, string>> = {
  '±': '+-',
  '°': '',
  '×': 'x',
  '★': '*',
  '↳': '->',
  '…': '...',
  '·': '|',
  '↑': '^',
  '↓': 'v',
  '←': '<-',
  '→': '->',
  '–': '-',
  '—': '-',
  '─': '-',
  '²': '2',
  µ: 'u',
  '≤': '<=',
  '≥': '>=',
  '≈': '~',
  '▲': '^',
  '●': '*',
};

const PATTERN = new RegExp(`[${Object.keys(ASCII_SYMBOLS).join('')}]`, 'g');

export function asciiSymbols(s: string): string {
  return s.replace(PATTERN, (c) => ASCII_SYMBOLS[c] ?? c);
}

/** The locale's character set is UTF-8 (LC_ALL, then LC_CTYPE, then LANG; unset means C). */
export function utf8Locale(env: NodeJS.ProcessEnv): boolean {
  const loc = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(loc);
}
