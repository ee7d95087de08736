/** The process behind a local server, by its listening port, on the real /proc with a real server process. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isLocalHost, listeningInodes, serverPid } from '../../../src/measure/listening-pid.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT } from '../../helpers/gen.js';

describe.skipIf(process.platform !== 'linux')('the server behind a port', () => {
  it('a real HTTP server process is found by its port; a free port, a remote host or a bad URL give null', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['-e', `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1', () => console.log('up'))`],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    try {
      await new Promise((r) => child.stdout!.once('data', r));
      expect(await serverPid(`http://127.0.0.1:${port}/`)).toBe(child.pid);
      expect(await serverPid(`http://localhost:${port}`)).toBe(child.pid);
      expect(await serverPid(`http://192.0.2.7:${port}`)).toBeNull(); // TEST-NET-1: never this machine
      expect(await serverPid('not a url')).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect(await serverPid(`http://127.0.0.1:${port}/`)).toBeNull();
  });

  it('/proc/net/tcp as captured here (fixtures/proc): the one LISTEN socket (port 0x07E8) by its inode; other ports none; garbage skipped', () => {
    const text = readFileSync(join(ROOT, 'fixtures/proc/net-tcp_linux-6.18.44.txt'), 'latin1');
    expect(listeningInodes(text, 0x07e8)).toEqual(['1148']);
    expect(listeningInodes(text, 8188)).toEqual([]);
    expect(listeningInodes(`${text}garbage\n   9: 0100007F\n`, 0x07e8)).toEqual(['1148']);
    const six = readFileSync(join(ROOT, 'fixtures/proc/net-tcp6_linux-6.18.44.txt'), 'latin1');
    expect(listeningInodes(six, 0x07e8)).toEqual([]); // the header alone
    expect(isLocalHost('127.0.0.1') && isLocalHost('[::1]') && isLocalHost('localhost')).toBe(true);
    expect(isLocalHost('comfy.example.org')).toBe(false);
  });
});
