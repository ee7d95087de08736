import { defineConfig } from 'vitest/config';

// Tests start real processes (the CLI, the demo generator, a fake nvidia-smi) and wait on events,
// never on the machine's speed, so files run side by side even on a 2-vCPU machine: three at once,
// as the suite mostly waits (a full run used 379 CPU s in 439 s on two vCPUs with two workers).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
    maxWorkers: 3,
  },
});
