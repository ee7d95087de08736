/**
 * genwatt.1 from the help texts the CLI prints, so the man page cannot drift from `--help`
 * (scripts/man-page.mjs writes it; a test regenerates it and compares).
 */

export interface HelpText {
  /** '' for the top level, else the command's name. */
  command: string;
  text: string;
}

/** Text as roff takes it literally: backslashes escaped, a leading `.` or `'` guarded, non-ASCII as \[uXXXX]. */
export function roffLiteral(line: string): string {
  const s = line.replace(/\\/g, '\\e').replace(/[^\t -~]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
  return /^[.']/.test(s) ? `\\&${s}` : s;
}

const block = (text: string) => ['.nf', ...text.trimEnd().split('\n').map(roffLiteral), '.fi'];

const TAIL = `.SH FILES
.TP
.B ./genwatt.config.json, $XDG_CONFIG_HOME/genwatt/config.json
Launcher presets (JSON with comments); \\fBgenwatt init\\fR writes an example.
.TP
.B ./genwatt-sessions/
Where runs are recorded by default: a \\fI.jsonl\\fR journal while running, a \\fI.json\\fR session when it ends.
.SH ENVIRONMENT
.TP
.B NO_COLOR
No colours in the dashboard.
.TP
.B LANG, LC_ALL
A locale that is not UTF-8 gives ASCII output everywhere.
.TP
.B GENWATT_API_AUTH
user:password for a Forge/A1111 server started with --api-auth (never recorded).
.SH EXIT STATUS
0 ok; 1 error (a failed run, an unreadable file); 2 bad usage; 126/127 the command is not executable /
not found; 130 an interrupted run; 70 an internal error (a bug: please report it); else the
generator's own exit code.
.SH SEE ALSO
nvidia-smi(1), amd-smi(1), tegrastats(1), powermetrics(1)
`;

export function manPage(helps: readonly HelpText[], version: string, date: string): string {
  const top = helps.find((h) => h.command === '');
  const lines = [
    `.TH GENWATT 1 "${date}" "genwatt ${version}" "User Commands"`,
    '.SH NAME',
    'genwatt \\- what one generated image costs on this box: seconds, joules, watts, VRAM',
    '.SH SYNOPSIS',
    '.B genwatt',
    '[\\fIcommand\\fR] [\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    ...(top ? block(top.text) : []),
    '.SH COMMANDS',
  ];
  for (const h of helps)
    if (h.command) {
      lines.push(`.SS ${roffLiteral(h.command)}`);
      lines.push(...block(h.text));
    }
  return `${lines.join('\n')}\n${TAIL}`;
}
