import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The 10-minute soak starts first, so the rest of the suite runs beside it instead of after it. */
class SoakFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const soak = sorted.filter((f) => f.moduleId.endsWith('soak.test.ts'));
    return [...soak, ...sorted.filter((f) => !soak.includes(f))];
  }
}

// Tests start real processes (the CLI, the demo generator, a fake nvidia-smi) on a 2-vCPU machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
    sequence: { sequencer: SoakFirst },
  },
});
