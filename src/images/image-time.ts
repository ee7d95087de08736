/**
 * Where an image lands on genwatt's timeline. The file's time is the wall clock's; it is placed by
 * the file's age, within the time genwatt has known the file (a clock step between the write and
 * now, or a writer on another clock, cannot put it before the image or after genwatt saw it). Far
 * outside that span the file time says nothing: the image is placed when genwatt saw the file.
 */
import { wallTimeOnTimeline } from '../../probes/timeline.js';

/** How long before its first file event an image's content may have been written (a write, then a rename). */
const MTIME_BEFORE_SEEN_MS = 5000;
/** A file time this far outside the span genwatt knew the file is not used (clock steps; another clock). */
const FILE_TIME_SLACK_MS = 2000;

/** The image's time on the timeline; `offMs` is how far the file time was from the span (0: trusted as is). */
export function imageTime(mtimeMs: number, nowMs: number, firstSeenMs: number): { tMs: number; trusted: boolean; offMs: number } {
  const placed = wallTimeOnTimeline(mtimeMs, nowMs, firstSeenMs - MTIME_BEFORE_SEEN_MS);
  const trusted = placed.offMs <= FILE_TIME_SLACK_MS;
  return { tMs: trusted ? placed.tMs : nowMs, trusted, offMs: placed.offMs };
}
