/**
 * What each meter answers, parsed (pure, bounded; every figure checked finite and in range, absent
 * when the device does not give it, never 0 for unknown):
 *
 * - Shelly Gen2+ `GET /rpc/Switch.GetStatus?id=N` (Shelly API docs, "Switch" component, GetStatus):
 *   `apower` (W, instantaneous active power), `aenergy.total` (Wh, accumulated since boot).
 * - Shelly Gen1 `GET /meter/N` (Shelly Gen1 API docs, "/meter/{index}"): `power` (W), `is_valid`,
 *   `total` (Watt-minutes): too coarse a step (60 J) to stand as an energy counter for images: unused.
 * - Tasmota `GET /cm?cmnd=Status%208` (Tasmota docs, Commands: Status 8 = sensor status):
 *   `StatusSNS.ENERGY.Power` (W), `.Total` (kWh, printed to 3 decimals: 3.6 kJ steps): unused.
 * - `ipmitool dcmi power reading` (ipmitool(1), DCMI Get Power Reading): "Instantaneous power
 *   reading: N Watts" and "Power reading state is: activated".
 * - `--meter-cmd`: one reading a line, watts, optionally followed by `W`.
 */
export interface MeterAnswer {
  powerWatts?: number;
  /** Cumulative energy, J, where the meter has a counter fine enough for one image's window. */
  energyJoules?: number;
  /** Why the answer carries no power (the device said its reading is not valid). */
  invalid?: string;
}

const MAX_WATTS = 100_000;
const watts = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_WATTS ? v : undefined);

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function parseShellyGen2(body: unknown): MeterAnswer {
  const o = obj(body);
  if (!o) throw new Error('not a Switch.GetStatus object');
  const a: MeterAnswer = {};
  const p = watts(o.apower);
  if (p !== undefined) a.powerWatts = p;
  const total = obj(o.aenergy)?.total;
  if (typeof total === 'number' && Number.isFinite(total) && total >= 0 && total < 1e12) a.energyJoules = total * 3600;
  if (p === undefined && !('apower' in o)) a.invalid = 'this switch has no power metering (no apower)';
  return a;
}

export function parseShellyGen1(body: unknown): MeterAnswer {
  const o = obj(body);
  if (!o) throw new Error('not a /meter object');
  if (o.is_valid === false) return { invalid: 'the meter says its reading is not valid (is_valid: false)' };
  const p = watts(o.power);
  return p === undefined ? {} : { powerWatts: p };
}

export function parseTasmotaStatus8(body: unknown): MeterAnswer {
  const energy = obj(obj(obj(body)?.StatusSNS)?.ENERGY);
  if (!energy) throw new Error('no StatusSNS.ENERGY in the Status 8 answer (is this an energy-monitoring plug?)');
  const p = watts(energy.Power);
  return p === undefined ? {} : { powerWatts: p };
}

export function parseDcmiPowerReading(text: string): MeterAnswer {
  if (/Power reading state is:\s*deactivated/i.test(text)) return { invalid: 'the BMC says power reading is deactivated' };
  const m = /Instantaneous power reading:\s*(\d{1,6}(?:\.\d+)?)\s*Watts/i.exec(text.slice(0, 4096));
  if (!m) throw new Error('no "Instantaneous power reading" line in ipmitool dcmi power reading');
  const p = watts(Number(m[1]));
  return p === undefined ? {} : { powerWatts: p };
}

/** A `--meter-cmd` line: `231.5` or `231.5 W`; anything else is not a reading (null). */
export function parseWattsLine(line: string): number | null {
  const m = /^\s*(\d{1,6}(?:\.\d{1,6})?)\s*(?:W|watts?)?\s*$/i.exec(line.slice(0, 200));
  if (!m) return null;
  return watts(Number(m[1])) ?? null;
}
