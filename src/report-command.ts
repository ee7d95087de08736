/** `genwatt report`: reads the sessions, renders the chosen format, writes stdout or --out (atomically). */
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CompareOptions } from './report-compare.js';
import { readSession, type LoadedSession } from './session-reader.js';

export interface ReportArgs extends CompareOptions {
  files: string[];
  format: string;
  out?: string;
}

export async function renderReport(sessions: readonly LoadedSession[], format: string, opts: CompareOptions): Promise<string> {
  switch (format) {
    case 'json': {
      const { reportJson } = await import('./report.js');
      return JSON.stringify(reportJson(sessions, opts), null, 2) + '\n';
    }
    case 'csv': {
      const [{ comparisonRow }, { comparisonCsv }] = await Promise.all([import('./report-compare.js'), import('./report-formats.js')]);
      return comparisonCsv(sessions.map((s) => comparisonRow(s, opts)));
    }
    case 'md': {
      const [{ comparisonRow }, { comparisonMarkdown }] = await Promise.all([import('./report-compare.js'), import('./report-formats.js')]);
      return comparisonMarkdown(sessions.map((s) => comparisonRow(s, opts)));
    }
    case 'html':
      return (await import('./report-html.js')).reportHtml(sessions, opts);
    default:
      return (await import('./report.js')).reportText(sessions, opts);
  }
}

export async function writeReport(a: ReportArgs): Promise<{ usage: string } | { written: string | null }> {
  for (const [k, v] of [['--price-kwh', a.priceKwh], ['--gco2-kwh', a.gco2Kwh]] as const) if (v !== undefined && !(Number.isFinite(v) && v >= 0)) return { usage: `${k} must be a number, 0 or more, got ${v}` };
  const sessions: LoadedSession[] = [];
  for (const f of a.files) sessions.push(await readSession(f));
  const text = await renderReport(sessions, a.format, { priceKwh: a.priceKwh, gco2Kwh: a.gco2Kwh });
  if (!a.out) {
    process.stdout.write(text);
    return { written: null };
  }
  const out = resolve(a.out);
  const tmp = join(dirname(out), `.${process.pid}-${Date.now()}.report.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, out);
  process.stderr.write(`genwatt: report written to ${out}\n`);
  return { written: out };
}
