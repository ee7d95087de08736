/**
 * The recorder as a listener: every record a session emits (`record` event) is written to its
 * journal, urgent ones (images, the end) flushed at once. The session never calls the recorder.
 */
import type { EventEmitter } from 'node:events';
import { Recorder } from './recorder.js';
import type { SessionRecord } from './types.js';

/** Subscribes `recorder` to `session`'s records; returns the unsubscribe function. */
export function recordTo(session: EventEmitter, recorder: Recorder): () => void {
  const on = (rec: SessionRecord, urgent: boolean) => recorder.write(rec, urgent);
  session.on('record', on);
  return () => session.off('record', on);
}

/** A recorder for `file` subscribed to `session`, its write troubles said through `note`. */
export function recorderFor(session: EventEmitter, file: string, note: (message: string) => void): Recorder {
  const recorder = new Recorder(file, {
    onWriteError: (err) =>
      note(err ? `cannot write ${recorder.file}: ${err.message}; records are kept in memory and retried` : `writing ${recorder.file} works again`),
    onNote: note,
  });
  recordTo(session, recorder);
  return recorder;
}
