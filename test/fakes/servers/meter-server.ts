/**
 * Fake smart plugs on loopback, answering as each device's documented API does:
 *
 * - Shelly Gen2+ (https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch, `Switch.GetStatus`): `GET
 *   /rpc/Switch.GetStatus?id=0` → `{id, source, output, apower, voltage, current, aenergy: {total,
 *   by_minute, minute_ts}, temperature: {tC, tF}}`; an unknown id → 404 with the RPC error object.
 * - Shelly Gen1 (https://shelly-api-docs.shelly.cloud/gen1/, `/meter/{index}`): `GET /meter/0` → `{power, overpower,
 *   is_valid, timestamp, counters, total}` (total in Watt-minutes).
 * - Tasmota (https://tasmota.github.io/docs/Commands/, `Status 8`; the HTTP form `cm?cmnd=`): `GET /cm?cmnd=Status%208`
 *   → `{StatusSNS: {Time, ENERGY: {TotalStartTime, Total, Yesterday, Today, Power, ApparentPower,
 *   ReactivePower, Factor, Voltage, Current}}}` (Total kWh, Power W).
 *
 * The plug's load is a PC whose GPU follows the simulated GPU's activity file (the demo generator's
 * phases): `IDLE_W` while idle, `BUSY_W` while it loads, computes or saves. Its energy is integrated
 * here from that power, as the plug's own counter would.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson } from './server-util.js';

export const IDLE_W = 60;
export const BUSY_W = 260;

export interface MeterServer {
  port: number;
  requests: string[];
  /** Stop answering (a plug unplugged from the network): requests hang up. */
  silence(on: boolean): void;
  close(): Promise<void>;
}

export function startMeterServer(activityFile: string): Promise<MeterServer> {
  let joules = 0;
  let lastMs = Date.now();
  let silent = false;
  const power = () => {
    let phase = 'idle';
    try {
      phase = readFileSync(activityFile, 'utf8').split(' ')[0] ?? 'idle';
    } catch {
      // no generator yet: idle
    }
    return phase === 'idle' ? IDLE_W : BUSY_W;
  };
  const now = () => {
    const t = Date.now();
    const w = power();
    joules += (w * (t - lastMs)) / 1000;
    lastMs = t;
    return w;
  };
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (silent) return req.socket.destroy();
    const u = new URL(req.url ?? '/', 'http://x');
    const w = now();
    if (u.pathname === '/rpc/Switch.GetStatus') {
      if (u.searchParams.get('id') !== '0') return sendJson(res, 404, { code: 404, message: `Component not found: switch:${u.searchParams.get('id')}` });
      return sendJson(res, 200, {
        id: 0,
        source: 'init',
        output: true,
        apower: w,
        voltage: 231.4,
        current: Number((w / 231.4).toFixed(3)),
        aenergy: { total: Number((joules / 3600).toFixed(3)), by_minute: [0, 0, 0], minute_ts: Math.floor(Date.now() / 1000) },
        temperature: { tC: 41.2, tF: 106.2 },
      });
    }
    if (u.pathname === '/meter/0')
      return sendJson(res, 200, {
        power: w,
        overpower: 0,
        is_valid: true,
        timestamp: Math.floor(Date.now() / 1000),
        counters: [0, 0, 0],
        total: Math.floor(joules / 60),
      });
    if (u.pathname === '/cm' && u.searchParams.get('cmnd') === 'Status 8')
      return sendJson(res, 200, {
        StatusSNS: {
          Time: new Date().toISOString().slice(0, 19),
          ENERGY: {
            TotalStartTime: '2026-01-01T00:00:00',
            Total: Number((joules / 3.6e6).toFixed(3)),
            Yesterday: 0,
            Today: Number((joules / 3.6e6).toFixed(3)),
            Power: w,
            ApparentPower: w,
            ReactivePower: 0,
            Factor: 1,
            Voltage: 231,
            Current: Number((w / 231).toFixed(3)),
          },
        },
      });
    sendJson(res, 404, { error: 'not found' });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        requests,
        silence: (on) => (silent = on),
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
