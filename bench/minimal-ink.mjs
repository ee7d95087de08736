// The baseline for genwatt's time-to-first-frame: the smallest Ink app, rendering one line.
import { render, Text } from 'ink';
import { createElement } from 'react';

const app = render(createElement(Text, null, 'hello from ink'));
setTimeout(() => {
  app.unmount();
  process.exit(0);
}, 300);
