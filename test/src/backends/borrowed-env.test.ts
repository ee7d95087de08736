import { afterEach, describe, expect, it } from 'vitest';
import { borrowEnv, childEnvOverrides } from '../../../src/backends/borrowed-env.js';
import { startChild } from '../../../src/backends/run-controller.js';

const KEY = 'GENWATT_TEST_BORROWED';
afterEach(() => {
  delete process.env[KEY];
});

describe('borrowed environment', () => {
  it('a variable genwatt sets on itself is not passed to a child started meanwhile, and is restored', async () => {
    const restore = borrowEnv(KEY, 'production');
    expect(process.env[KEY]).toBe('production');
    expect(childEnvOverrides()).toEqual({ [KEY]: undefined });
    const lines: string[] = [];
    const child = await startChild(['sh', '-c', `echo "[\${${KEY}-unset}]"`], { onLine: (_s, l) => lines.push(l) });
    await child.done;
    expect(lines).toEqual(['[unset]']);
    restore();
    expect(KEY in process.env).toBe(false);
    expect(childEnvOverrides()).toEqual({});
  });

  it("the user's own value comes back", () => {
    process.env[KEY] = 'development';
    const restore = borrowEnv(KEY, 'production');
    expect(childEnvOverrides()).toEqual({ [KEY]: 'development' });
    restore();
    expect(process.env[KEY]).toBe('development');
  });
});
