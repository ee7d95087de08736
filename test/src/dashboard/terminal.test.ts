import { describe, expect, it } from 'vitest';
import { inCi, plainReason, useAscii, useColor, utf8Locale } from '../../../src/dashboard/terminal.js';

const tty = { stdinTTY: true, stdoutTTY: true, env: { TERM: 'xterm-256color' } };

describe('dashboard or plain', () => {
  it('terminals on both ends and no CI: the dashboard', () => {
    expect(plainReason(tty)).toBeNull();
  });
  it('piped stdout, piped stdin, --plain, CI, TERM=dumb or unset: plain, with the reason', () => {
    expect(plainReason({ ...tty, stdoutTTY: false })).toMatch(/stdout/);
    expect(plainReason({ ...tty, stdinTTY: false })).toMatch(/stdin/);
    expect(plainReason({ ...tty, plain: true })).toBe('--plain');
    expect(plainReason({ ...tty, env: { TERM: 'xterm', CI: 'true' } })).toMatch(/CI/);
    expect(plainReason({ ...tty, env: { TERM: 'dumb' } })).toMatch(/dumb/);
    expect(plainReason({ ...tty, env: {} })).toMatch(/TERM/);
  });
  it('CI covers the rule Ink uses (CI=false and CI=0 are not CI; CI_* and CONTINUOUS_INTEGRATION are)', () => {
    expect(inCi({ CI: 'false' })).toBe(false);
    expect(inCi({ CI: '0' })).toBe(false);
    expect(inCi({ CI: '' })).toBe(true);
    expect(inCi({ CI_JOB_ID: '5' })).toBe(true);
    expect(inCi({ CONTINUOUS_INTEGRATION: '1' })).toBe(true);
    // Ink would still think this is CI (CONTINUOUS_INTEGRATION), so genwatt must too
    expect(inCi({ CI: 'false', CONTINUOUS_INTEGRATION: '1' })).toBe(true);
    expect(inCi({})).toBe(false);
  });
});

describe('colors and characters', () => {
  it('NO_COLOR (non-empty) or --no-color turn colors off', () => {
    expect(useColor({}, undefined)).toBe(true);
    expect(useColor({ NO_COLOR: '1' }, undefined)).toBe(false);
    expect(useColor({ NO_COLOR: '' }, undefined)).toBe(true);
    expect(useColor({}, false)).toBe(false);
  });
  it('UTF-8 locale → Unicode; C/POSIX/unset or --ascii → ASCII; LC_ALL wins over LANG', () => {
    expect(utf8Locale({ LANG: 'en_US.UTF-8' })).toBe(true);
    expect(utf8Locale({ LANG: 'C.utf8' })).toBe(true);
    expect(utf8Locale({ LANG: 'C' })).toBe(false);
    expect(utf8Locale({})).toBe(false);
    expect(utf8Locale({ LANG: 'en_US.UTF-8', LC_ALL: 'POSIX' })).toBe(false);
    expect(useAscii({ LANG: 'en_US.UTF-8' }, undefined)).toBe(false);
    expect(useAscii({ LANG: 'en_US.UTF-8' }, true)).toBe(true);
    expect(useAscii({ LANG: 'C' }, undefined)).toBe(true);
    expect(useAscii({ LANG: 'C' }, false)).toBe(false);
  });
});
