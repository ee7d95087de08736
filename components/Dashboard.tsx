/** The dashboard's root component: draws the frame from props; keys go back through `onKey`. */
import { Box, Text, Transform, useInput, useStdin, type Key } from 'ink';
import { useEffect, useRef, type ReactElement } from 'react';
import { styledLine } from './ansi.js';
import { frameLines } from './frame.js';
import type { DashboardView } from './view-model.js';

/** Ink's key, plus F10 and F1 (which Ink reports as unnamed keys). */
export type DashboardKey = Partial<Key> & { f10?: boolean; f1?: boolean };

export interface DashboardProps {
  view: DashboardView;
  onKey: (input: string, key: DashboardKey) => void;
  /** False when stdin cannot be put into raw mode (not a terminal): no key handling. */
  keys: boolean;
}

/** F10's escape sequences (xterm, and the kitty keyboard protocol). */
const F10 = new Set(['\x1b[21~', '\x1b[21;1~', '\x1b[21u']);
/** F1's (xterm/VT100, rxvt, the Linux console, the kitty keyboard protocol). */
const F1 = new Set(['\x1bOP', '\x1b[11~', '\x1b[[A', '\x1b[P', '\x1b[1P', '\x1b[1;1P']);

function KeyInput({ onKey }: { onKey: DashboardProps['onKey'] }): null {
  // The key a raw sequence below stood for: Ink's own event for the same bytes is not a second key.
  const handled = useRef(false);
  // Ink marks every Escape as meta, a lone one too: meta says nothing about Escape here.
  useInput((input, key) => {
    if (handled.current) return;
    onKey(input, key.escape ? { ...key, meta: false } : key);
  });
  // Ink parses F10 and F1 but gives them no flag, and reports two ESC bytes in one read as one
  // Escape: read those from the raw input events.
  const { internal_eventEmitter: events } = useStdin() as unknown as { internal_eventEmitter?: NodeJS.EventEmitter };
  useEffect(() => {
    const raw = (data: string | Buffer) => {
      const s = String(data);
      const key: DashboardKey | null = F10.has(s) ? { f10: true } : F1.has(s) ? { f1: true } : s === '\x1b\x1b' ? { escape: true } : null;
      if (!key) return;
      onKey('', key);
      // Both listeners hear the same bytes in one emit: Ink's turn, before or after this one, is skipped.
      if (!key.escape) {
        handled.current = true;
        setImmediate(() => (handled.current = false));
      }
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
