/** The dashboard's root component: draws the frame from props; keys go back through `onKey`. */
import { Box, Text, Transform, useInput, useStdin, type Key } from 'ink';
import { useEffect, type ReactElement } from 'react';
import { styledLine } from './ansi.js';
import { frameLines } from './frame.js';
import type { DashboardView } from './view-model.js';

/** Ink's key, plus F10 (which Ink reports as an unnamed key). */
export type DashboardKey = Partial<Key> & { f10?: boolean };

export interface DashboardProps {
  view: DashboardView;
  onKey: (input: string, key: DashboardKey) => void;
  /** False when stdin cannot be put into raw mode (not a terminal): no key handling. */
  keys: boolean;
}

/** F10's escape sequences (xterm, and the kitty keyboard protocol). */
const F10 = new Set(['\x1b[21~', '\x1b[21;1~', '\x1b[21u']);

function KeyInput({ onKey }: { onKey: DashboardProps['onKey'] }): null {
  useInput((input, key) => onKey(input, key));
  // Ink parses F10 but gives it no flag: read the raw sequence from the same input events.
  const { internal_eventEmitter: events } = useStdin() as unknown as { internal_eventEmitter?: NodeJS.EventEmitter };
  useEffect(() => {
    const raw = (data: string | Buffer) => {
      if (F10.has(String(data))) onKey('', { f10: true });
    };
    events?.on('input', raw);
    return () => void events?.off('input', raw);
  }, [events, onKey]);
  return null;
}

const placeholders = new Map<string, string>();

/** A blank block of the frame's size; the same string for the same size. */
export function placeholder(width: number, height: number): string {
  const key = `${width}x${height}`;
  let p = placeholders.get(key);
  if (p === undefined) {
    p = Array.from({ length: height }, () => ' '.repeat(width)).join('\n');
    if (placeholders.size > 16) placeholders.clear();
    placeholders.set(key, p);
  }
  return p;
}

export function Dashboard({ view, onKey, keys }: DashboardProps): ReactElement {
  // Lines are already fitted to the width (pure layout). Ink 6 caches the size of every distinct
  // text it lays out, forever (vadimdemedes/ink#986, fixed only in Ink 7, which needs Node 22): a
  // frame that changes 4 times a second grew the heap by ~10 KB/s. So Ink lays out a blank block
  // of the frame's size (one cache entry per terminal size) and <Transform> swaps each of its
  // lines for the real one when the frame is written.
  const lines = frameLines(view).map((l) => styledLine(l, view.color));
  return (
    <Box flexDirection="column" width={view.width}>
      {keys ? <KeyInput onKey={onKey} /> : null}
      <Transform transform={(_line, index) => lines[index] ?? ''}>
        <Text wrap="truncate-end">{placeholder(view.width, Math.max(1, lines.length))}</Text>
      </Transform>
    </Box>
  );
}
