/** What a measured session tells its listeners (the CLI's plain output, the dashboard, a plan). */
import type { Gap, Reading } from '../../probes/types.js';
import type { BackendProgress } from '../backends/backend-types.js';
import type { ImageRow } from '../energy/image-rows.js';
import type { ImageEvent } from '../images/batches.js';
import type { LogLine, Note } from '../session/types.js';
import type { SessionResult } from './session-result.js';

export type SessionState = 'detecting' | 'idle-baseline' | 'running' | 'stopping' | 'done';

export interface MeasureSessionEvents {
  state: [s: SessionState];
  reading: [r: Reading];
  gap: [g: Gap];
  note: [n: Note];
  image: [ev: ImageEvent];
  rows: [rows: ImageRow[]];
  log: [l: LogLine];
  waiting: [dir: string];
  tags: [tags: Record<string, string>];
  progress: [p: BackendProgress];
  gpus: [ids: string[]];
  end: [result: SessionResult];
}
