/** The dashboard's root component: draws the frame from props; keys go back through `onKey`. */
import { Box, Text, useInput, type Key } from 'ink';
import type { ReactElement } from 'react';
import { frameLines } from './frame.js';
import type { Line, Segment, Tone } from './lines.js';
import type { DashboardView } from './view-model.js';

const TONE_COLOR: Record<Tone, string> = {
  title: 'cyan',
  power: 'green',
  vram: 'magenta',
  warn: 'yellow',
  error: 'red',
  ok: 'green',
  rec: 'red',
  dim: 'gray',
  key: 'cyan',
  selected: 'yellow',
  marker: 'yellow',
};

export interface DashboardProps {
  view: DashboardView;
  onKey: (input: string, key: Key) => void;
  /** False when stdin cannot be put into raw mode (not a terminal): no key handling. */
  keys: boolean;
}

function KeyInput({ onKey }: { onKey: DashboardProps['onKey'] }): null {
  useInput((input, key) => onKey(input, key));
  return null;
}

export interface SegmentStyle {
  color?: string;
  bold?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
}

/** Ink text props for a segment: colors only when allowed (NO_COLOR, --no-color); without them, dim and inverse carry the tones that matter. */
export function segmentStyle(s: Segment, color: boolean): SegmentStyle {
  const st: SegmentStyle = {};
  if (s.bold) st.bold = true;
  if (color && s.tone) st.color = TONE_COLOR[s.tone];
  if (!color && s.tone === 'dim') st.dimColor = true;
  if (!color && s.tone === 'selected') st.inverse = true;
  return st;
}

function LineView({ line, color }: { line: Line; color: boolean }): ReactElement {
  if (line.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {line.map((s, i) => (
        <Text key={i} {...segmentStyle(s, color)}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

export function Dashboard({ view, onKey, keys }: DashboardProps): ReactElement {
  const lines = frameLines(view);
  return (
    <Box flexDirection="column" width={view.width}>
      {keys ? <KeyInput onKey={onKey} /> : null}
      {lines.map((l, i) => (
        <LineView key={i} line={l} color={view.color} />
      ))}
    </Box>
  );
}
