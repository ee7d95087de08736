/** Sessions rendered in one of the report formats (table, csv, md, html, json). */
import type { CompareOptions } from './compare.js';
import type { LoadedSession } from '../session/reader.js';
import type { TextLayout } from './report-text.js';
import { jsonGuard } from '../text/output-guard.js';

export const REPORT_FORMATS = ['table', 'csv', 'md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export async function renderReport(sessions: readonly LoadedSession[], format: string, opts: CompareOptions, layout: TextLayout = {}): Promise<string> {
  switch (format) {
    case 'json': {
      const { reportJson } = await import('./report-text.js');
      return jsonGuard(JSON.stringify(reportJson(sessions, opts), null, 2)) + '\n';
    }
    case 'csv': {
      const [{ comparisonRow }, { comparisonCsv }, { groupSessions }, { groupsCsv }] = await Promise.all([
        import('./compare.js'),
        import('./formats.js'),
        import('./report-text.js'),
        import('./group-output.js'),
      ]);
      const rows = sessions.map((s) => comparisonRow(s, opts));
      // Grouped: a row per configuration and one per run beneath it (`run` column); --no-group: per session.
      return opts.groupBy === null ? comparisonCsv(rows) : groupsCsv(groupSessions(sessions, rows, opts), opts);
    }
    case 'md': {
      const [{ comparisonRow }, { comparisonMarkdown }, { groupSessions }, { groupsMarkdown }] = await Promise.all([
        import('./compare.js'),
        import('./formats.js'),
        import('./report-text.js'),
        import('./group-output.js'),
      ]);
      const rows = sessions.map((s) => comparisonRow(s, opts));
      const perSession = comparisonMarkdown(rows);
      return opts.groupBy === null || sessions.length < 2
        ? perSession
        : `## Configurations\n\n${groupsMarkdown(groupSessions(sessions, rows, opts), opts.startTempMarginC)}\n## Sessions\n\n${perSession}`;
    }
    case 'html':
      return (await import('./html.js')).reportHtml(sessions, opts);
    default:
      return (await import('./report-text.js')).reportText(sessions, opts, layout);
  }
}
