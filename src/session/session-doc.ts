/** A session document from its header and what the session measured: the one place a document is assembled. */
import type { HeaderRecord, SessionDoc } from './types.js';

/** What a document adds to its header. Samples and gaps default to none (filled by the readers that keep them). */
export type DocBody = Pick<SessionDoc, 'endedAt' | 'complete' | 'idle' | 'images' | 'rows' | 'summary' | 'logs' | 'notes'> &
  Partial<Pick<SessionDoc, 'samples' | 'gaps'>>;

export function docOfHeader(h: HeaderRecord, body: DocBody): SessionDoc {
  return {
    schema: h.schema,
    schemaVersion: h.schemaVersion,
    genwatt: h.genwatt,
    startedAt: h.startedAt,
    endedAt: body.endedAt,
    complete: body.complete,
    host: h.host,
    devices: h.devices,
    probes: h.probes,
    options: h.options,
    run: h.run,
    idle: body.idle,
    samples: body.samples ?? [],
    gaps: body.gaps ?? [],
    images: body.images,
    rows: body.rows,
    summary: body.summary,
    logs: body.logs,
    notes: body.notes,
  };
}
