/**
 * Secrets never reach a recording (nor the screen, through the same text): applied where records
 * enter a session (measure/session-core.ts), to the command line, tags, notes and the generator's
 * captured output. Redacted, as `***`:
 * - the value of a secret-looking flag: a name containing key, token, secret, password, passwd,
 *   auth or credential, and `--ngrok` (`--api-key VALUE`, `--hf-token=VALUE`);
 * - `NAME=value` where NAME looks like that (`token=…`, `HF_TOKEN=…`, `api_key: …` in output);
 * - the password of a URL (`https://user:***@host`);
 * - well-known token shapes (`sk-…`, `hf_…`, `ghp_…`, `github_pat_…`, `xox?-…`, `AKIA…`);
 * - anywhere, the value of an environment variable whose name contains TOKEN, KEY, SECRET,
 *   PASSWORD or AUTH (values of 6 characters or more), as genwatt's environment has it;
 * - anywhere, every value redacted once (4 characters or more): `--api-key VALUE` in the command
 *   line is redacted too where the generator prints its own arguments.
 */

export const REDACTED = '***';

const SECRET_NAME = /(key|token|secret|passw(or)?d|auth|credential|ngrok)/i;
const ENV_SECRET_NAME = /(TOKEN|KEY|SECRET|PASSWORD|AUTH)/i;
const TOKEN_SHAPES =
  /\b(sk-[A-Za-z0-9_-]{16,}|sk-proj-[A-Za-z0-9_-]{16,}|hf_[A-Za-z0-9]{20,}|ghp_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})\b/g;
/** `name=value` / `name: value` with a secret-looking name (value up to whitespace, comma, quote or `&`). */
const NAME_VALUE = /\b([A-Za-z0-9_.-]*(?:key|token|secret|passw(?:or)?d|auth|credential|ngrok)[A-Za-z0-9_.-]*)(\s*[=:]\s*)("?)([^\s"',&;]+)/gi;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):([^\s@/]+)@/gi;

export interface Redactor {
  /** Any free text: output lines, notes, tag values. */
  text(s: string): string;
  /** A command line: flag values, `NAME=value` words, URLs, token shapes, environment secrets. */
  argv(argv: readonly string[]): string[];
  tags(tags: Record<string, string>): Record<string, string>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A redactor for genwatt's environment (the values of its secret-named variables are never written). */
export function makeRedactor(env: NodeJS.ProcessEnv = process.env): Redactor {
  const values = Object.entries(env)
    .filter(([k, v]) => ENV_SECRET_NAME.test(k) && typeof v === 'string' && v.length >= 6)
    .map(([, v]) => v as string)
    .sort((a, b) => b.length - a.length);
  // Every value redacted once is redacted everywhere after (longest first, so a value inside another goes with it).
  const known = new Set(values);
  let knownPattern: RegExp | null = null;
  const learn = (v: string | undefined): void => {
    if (v === undefined || v.length < 4 || v === REDACTED || known.has(v)) return;
    known.add(v);
    knownPattern = null;
  };
  const pattern = (): RegExp | null => {
    if (knownPattern === null && known.size)
      knownPattern = new RegExp(
        [...known]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join('|'),
        'g',
      );
    return knownPattern;
  };
  const text = (s: string): string => {
    let out = s;
    const p = pattern();
    if (p) out = out.replace(p, REDACTED);
    out = out.replace(URL_PASSWORD, (_m, head: string, pw: string) => (learn(pw), `${head}:${REDACTED}@`));
    out = out.replace(TOKEN_SHAPES, (m) => (learn(m), REDACTED));
    out = out.replace(NAME_VALUE, (_m, name: string, sep: string, q: string, v: string) => (learn(v), `${name}${sep}${q}${REDACTED}`));
    return out;
  };
  const argv = (a: readonly string[]): string[] => {
    const out: string[] = [];
    for (let i = 0; i < a.length; i++) {
      const w = a[i];
      const flag = /^(--?[A-Za-z0-9][\w-]*)(=(.*))?$/s.exec(w);
      if (flag && SECRET_NAME.test(flag[1])) {
        if (flag[2] !== undefined) {
          learn(flag[3]);
          out.push(`${flag[1]}=${REDACTED}`);
        } else {
          out.push(w);
          if (i + 1 < a.length && !a[i + 1].startsWith('-')) {
            learn(a[i + 1]);
            out.push(REDACTED);
            i++;
          }
        }
        continue;
      }
      out.push(text(w));
    }
    return out;
  };
  const tags = (t: Record<string, string>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(t)) {
      const secret = SECRET_NAME.test(k) && !/^(server|watched)-images$/.test(k);
      if (secret) learn(v);
      out[k] = secret ? REDACTED : text(v);
    }
    return out;
  };
  return { text, argv, tags };
}
