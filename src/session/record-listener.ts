/**
 * The recorder as a listener: every record a session emits (`record` event) is written to its
 * journal, urgent ones (images, the end) flushed at once. The session never calls the recorder.
 */
import type { EventEmitter } from 'node:events';
import type { Recorder } from './recorder.js';
import type { SessionRecord } from './types.js';

/** Subscribes `recorder` to `session`'s records; returns the unsubscribe function. */
export function recordTo(session: EventEmitter, recorder: Recorder): () => void {
  const on = (rec: SessionRecord, urgent: boolean) => recorder.write(rec, urgent);
  session.on('record', on);
  return () => session.off('record', on);
}
