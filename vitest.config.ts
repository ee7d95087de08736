import { defineConfig } from 'vitest/config';

// Tests start real processes (the CLI, the demo generator, a fake nvidia-smi) on a 2-vCPU machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
  },
});
