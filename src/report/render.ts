/** Sessions rendered in one of the report formats (table, csv, md, html, json). */
import type { CompareOptions } from './compare.js';
import type { LoadedSession } from '../session/reader.js';

export const REPORT_FORMATS = ['table', 'csv', 'md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export async function renderReport(sessions: readonly LoadedSession[], format: string, opts: CompareOptions): Promise<string> {
  switch (format) {
    case 'json': {
      const { reportJson } = await import('./report-text.js');
      return JSON.stringify(reportJson(sessions, opts), null, 2) + '\n';
    }
    case 'csv': {
      const [{ comparisonRow }, { comparisonCsv }] = await Promise.all([import('./compare.js'), import('./formats.js')]);
      return comparisonCsv(sessions.map((s) => comparisonRow(s, opts)));
    }
    case 'md': {
      const [{ comparisonRow }, { comparisonMarkdown }] = await Promise.all([import('./compare.js'), import('./formats.js')]);
      return comparisonMarkdown(sessions.map((s) => comparisonRow(s, opts)));
    }
    case 'html':
      return (await import('./html.js')).reportHtml(sessions, opts);
    default:
      return (await import('./report-text.js')).reportText(sessions, opts);
  }
}
