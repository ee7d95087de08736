/**
 * External power meters: the addresses, what each device answers (fakes that follow each device's
 * documented API: test/fakes/servers/meter-server.ts, test/fakes/bin/ipmitool), and a real run that
 * measures the wall beside the (simulated) GPU, with an unreachable meter among them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meterCommand, parseMeter } from '../../../probes/meter/meter-spec.js';
import { parseDcmiPowerReading, parseShellyGen1, parseShellyGen2, parseTasmotaStatus8, parseWattsLine } from '../../../probes/meter/meter-parse.js';
import { BUSY_W, IDLE_W, startMeterServer, type MeterServer } from '../../fakes/servers/meter-server.js';
import { FAKE_BIN, freePort, GENERATOR, spawnCli, tempDir } from '../../helpers/gen.js';

describe('meter addresses', () => {
  it('shelly, shelly1, tasmota, ipmi and a command; anything else is refused with the forms it takes', () => {
    expect(parseMeter('shelly://192.168.1.20')).toMatchObject({
      kind: 'shelly',
      host: '192.168.1.20',
      port: 80,
      channel: 0,
      id: 'meter:shelly:192.168.1.20:80/0',
    });
    expect(parseMeter('shelly1://plug.local:8080/1')).toMatchObject({ kind: 'shelly1', port: 8080, channel: 1 });
    expect(parseMeter('tasmota://10.0.0.5')).toMatchObject({ kind: 'tasmota', scope: 'whole system at the wall (Tasmota plug)' });
    expect(parseMeter('ipmi:')).toMatchObject({ kind: 'ipmi', scope: 'server PSU input (IPMI DCMI)' });
    expect(meterCommand('my-meter --watts', 'UPS output')).toMatchObject({ kind: 'cmd', scope: 'UPS output' });
    for (const bad of ['http://x', 'shelly://', 'shelly://a b', 'tasmota://x/1', 'shelly://x:99999', 'shelly://x/../../etc'])
      expect(() => parseMeter(bad), bad).toThrow(/expected shelly:|not a port|no channel/);
  });
});

describe('meter answers', () => {
  it('Shelly Gen2 Switch.GetStatus: apower W and aenergy.total Wh (a counter fine enough: 3.6 J a step)', () => {
    expect(parseShellyGen2({ id: 0, apower: 8.9, aenergy: { total: 6.532 } })).toEqual({ powerWatts: 8.9, energyJoules: 6.532 * 3600 });
    expect(parseShellyGen2({ id: 0, output: true })).toEqual({ invalid: 'this switch has no power metering (no apower)' });
    expect(() => parseShellyGen2([1, 2])).toThrow();
  });
  it('Shelly Gen1 /meter: power, and is_valid false is no reading; Tasmota Status 8: ENERGY.Power', () => {
    expect(parseShellyGen1({ power: 41.5, is_valid: true, total: 3 })).toEqual({ powerWatts: 41.5 });
    expect(parseShellyGen1({ power: 0, is_valid: false }).invalid).toMatch(/not valid/);
    expect(parseTasmotaStatus8({ StatusSNS: { ENERGY: { Power: 11, Total: 0.003 } } })).toEqual({ powerWatts: 11 });
    expect(() => parseTasmotaStatus8({ StatusSNS: { DS18B20: {} } })).toThrow(/ENERGY/);
    expect(parseTasmotaStatus8({ StatusSNS: { ENERGY: { Power: -5 } } })).toEqual({}); // not a reading, not 0
  });
  it('ipmitool dcmi power reading, a deactivated reading, and --meter-cmd lines', () => {
    expect(
      parseDcmiPowerReading('    Instantaneous power reading:                   220 Watts\n    Power reading state is:                   activated\n'),
    ).toEqual({ powerWatts: 220 });
    expect(
      parseDcmiPowerReading('    Instantaneous power reading:                     0 Watts\n    Power reading state is:                   deactivated\n')
        .invalid,
    ).toMatch(/deactivated/);
    expect(() => parseDcmiPowerReading('Error: No response')).toThrow(/Instantaneous/);
    expect([
      parseWattsLine('231.5'),
      parseWattsLine('231.5 W'),
      parseWattsLine(' 12 watts'),
      parseWattsLine('n/a'),
      parseWattsLine('1e9'),
      parseWattsLine('-3'),
    ]).toEqual([231.5, 231.5, 12, null, null, null]);
  });
});

describe('genwatt run with meters beside the GPU', () => {
  let server: MeterServer;
  const dir = tempDir();
  const activity = join(dir, 'activity');
  beforeAll(async () => {
    writeFileSync(activity, `idle ${Date.now()}\n`);
    server = await startMeterServer(activity);
  });
  afterAll(() => server.close());

  it('each meter: per-image joules and net of its own idle, labelled with what it measures, never in the GPU figure; an unreachable one is a gap, never 0', async () => {
    const dead = await freePort();
    const out = join(dir, 'img');
    const rec = join(dir, 'r.json');
    // a meter command: the wall as a script sees it (the same load model as the plug: 60 W idle, 260 W busy)
    const cmd = `${process.execPath} -e "const f=require('fs');setInterval(()=>{let p='idle';try{p=f.readFileSync('${activity}','utf8').split(' ')[0]}catch{}console.log(p==='idle'?${IDLE_W}:${BUSY_W})},200)"`;
    const p = `127.0.0.1:${server.port}`;
    const r = await spawnCli(
      [
        'run',
        '--probe',
        'simulated',
        '--idle',
        '2.5',
        '--plain',
        '--record',
        rec,
        '--out',
        out,
        '--meter',
        `shelly://${p}`,
        '--meter',
        `shelly1://${p}`,
        '--meter',
        `tasmota://${p}`,
        '--meter',
        'ipmi:',
        '--meter',
        `tasmota://127.0.0.1:${dead}`,
        '--meter-cmd',
        cmd,
        '--meter-scope',
        'whole system at the wall (script)',
        '--',
        process.execPath,
        GENERATOR,
        '--out',
        out,
        '--count',
        '5',
        '--seconds',
        // 2 s images: a meter read once a second through a command (the fake ipmitool is a Node
        // process, ~1 s to start on a loaded machine) still has readings inside every window
        '2',
      ],
      { GENWATT_SIM_ACTIVITY: activity, PATH: `${FAKE_BIN}:${process.env.PATH}` },
    );
    expect(r.code, r.out + r.err).toBe(0);
    const s = JSON.parse(readFileSync(rec, 'utf8')) as {
      devices: { id: string; meter?: boolean; powerScope?: string }[];
      rows: {
        warmup: boolean;
        joules: number;
        seconds: number;
        meters: { deviceId: string; scope: string; joules: number | null; netJoules: number | null; note?: string }[];
      }[];
      summary: { meters: { deviceId: string; scope: string; idleWatts: number | null; joulesPerImage: { mean: number | null; netMean: number | null } }[] };
      gaps: { deviceId: string; reason: string }[];
    };
    const meters = s.devices.filter((d) => d.meter);
    expect(meters.map((d) => d.powerScope)).toEqual([
      'whole system at the wall (Shelly plug)',
      'whole system at the wall (Shelly plug)',
      'whole system at the wall (Tasmota plug)',
      'server PSU input (IPMI DCMI)',
      'whole system at the wall (Tasmota plug)',
      'whole system at the wall (script)',
    ]);
    const steady = s.rows.filter((x) => !x.warmup);
    expect(steady.length).toBe(4);
    const deadId = `meter:tasmota:127.0.0.1:${dead}`;
    for (const row of steady) {
      expect(row.meters.length).toBe(6);
      for (const m of row.meters) {
        if (m.deviceId === deadId) {
          expect(m.joules, 'an unreachable meter is unknown, never 0').toBeNull();
          continue;
        }
        const [busy, idle] = m.deviceId === 'meter:ipmi' ? [420, 180] : [BUSY_W, IDLE_W];
        // the window is all busy (load, compute, save): busy watts x seconds, and net of the meter's idle
        expect(m.joules! / (busy * row.seconds), `${m.deviceId} gross`).toBeGreaterThan(0.85);
        expect(m.joules! / (busy * row.seconds), `${m.deviceId} gross`).toBeLessThan(1.1);
        expect(m.netJoules! / ((busy - idle) * row.seconds), `${m.deviceId} net`).toBeGreaterThan(0.8);
        expect(m.netJoules! / ((busy - idle) * row.seconds), `${m.deviceId} net`).toBeLessThan(1.15);
      }
      // the GPU's own figure is the simulated GPU's, not a meter's
      expect(row.meters.every((m) => m.joules === null || Math.abs(m.joules - row.joules) > 1)).toBe(true);
    }
    const shelly = s.summary.meters.find((m) => m.deviceId === `meter:shelly:${p}/0`)!;
    expect(shelly.scope).toBe('whole system at the wall (Shelly plug)');
    expect(shelly.idleWatts).toBeCloseTo(IDLE_W, 0);
    expect(s.summary.meters.find((m) => m.deviceId === deadId)!.joulesPerImage.mean).toBeNull();
    expect(s.gaps.some((g) => g.deviceId === deadId && /not answering/.test(g.reason))).toBe(true);
    // the printed summary names each meter's scope and says it is not GPU energy
    expect(r.out + r.err).toMatch(
      /meter +whole system at the wall \(Shelly plug\): mean [\d.]+ J\/image +net of its idle [\d.]+ J +idle 60\.\d+ W .*not GPU energy/,
    );
    // each plain image line names the meters' joules and what they measure
    expect(r.out).toMatch(/image 3 .* meter [\d.]+ J \(whole system at the wall \(Shelly plug\)\) .*meter n\/a \(whole system at the wall \(Tasmota plug\)\)/);
    // the report reads the same rows back
    const rep = await spawnCli(['report', rec]);
    expect(rep.out).toMatch(/meter +server PSU input \(IPMI DCMI\): mean/);
  });
});
