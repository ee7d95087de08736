/**
 * External power meters named on the command line (pure): `--meter shelly://HOST[:PORT][/CHANNEL]`
 * (Gen2+ RPC; `shelly1://` for a Gen1 device), `--meter tasmota://HOST[:PORT]`, `--meter ipmi:` (the
 * local BMC through `ipmitool dcmi power reading`), and `--meter-cmd CMD` (a command that prints
 * watts, one reading a line). Each says what its figure covers, so no screen mixes it with a GPU's.
 */
export type MeterKind = 'shelly' | 'shelly1' | 'tasmota' | 'ipmi' | 'cmd';

export interface MeterSpec {
  kind: MeterKind;
  /** Host and port of an HTTP meter. */
  host?: string;
  port?: number;
  /** Shelly switch / meter channel. */
  channel?: number;
  /** `--meter-cmd`'s command line. */
  command?: string;
  /** What the figure covers (`whole system at the wall`, `server PSU input`). */
  scope: string;
  /** A stable id for recordings: `meter:shelly:192.168.1.20:80/0`. */
  id: string;
  /** As the user wrote it, for messages. */
  text: string;
}

export class MeterSpecError extends Error {}

const SCOPES: Record<Exclude<MeterKind, 'cmd'>, string> = {
  shelly: 'whole system at the wall (Shelly plug)',
  shelly1: 'whole system at the wall (Shelly plug)',
  tasmota: 'whole system at the wall (Tasmota plug)',
  ipmi: 'server PSU input (IPMI DCMI)',
};

export function parseMeter(text: string): MeterSpec {
  const t = text.trim();
  if (t.length > 300) throw new MeterSpecError(`--meter: too long (${t.length} characters)`);
  if (/^ipmi:(\/\/)?(local)?$/i.test(t)) return { kind: 'ipmi', scope: SCOPES.ipmi, id: 'meter:ipmi', text: t };
  const m = /^(shelly1?|tasmota):\/\/([A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:]{2,45}\])(?::(\d{1,5}))?(?:\/(\d{1,2}))?\/?$/.exec(t);
  if (!m)
    throw new MeterSpecError(
      `--meter ${JSON.stringify(t)}: expected shelly://HOST[:PORT][/CHANNEL], shelly1://HOST[:PORT][/CHANNEL], tasmota://HOST[:PORT] or ipmi:`,
    );
  const kind = m[1] as 'shelly' | 'shelly1' | 'tasmota';
  const port = m[3] === undefined ? 80 : Number(m[3]);
  if (port < 1 || port > 65535) throw new MeterSpecError(`--meter ${JSON.stringify(t)}: port ${port} is not a port`);
  const channel = m[4] === undefined ? 0 : Number(m[4]);
  if (kind === 'tasmota' && m[4] !== undefined) throw new MeterSpecError(`--meter ${JSON.stringify(t)}: a Tasmota plug has no channel in its address`);
  const host = m[2];
  const spec: MeterSpec = { kind, host, port, scope: SCOPES[kind], id: `meter:${kind}:${host}:${port}${kind === 'tasmota' ? '' : `/${channel}`}`, text: t };
  if (kind !== 'tasmota') spec.channel = channel;
  return spec;
}

export function meterCommand(command: string, scope?: string): MeterSpec {
  const c = command.trim();
  if (!c) throw new MeterSpecError('--meter-cmd: empty command');
  if (c.length > 2000) throw new MeterSpecError('--meter-cmd: longer than 2000 characters');
  const s = scope?.trim() || 'as measured by --meter-cmd';
  if (s.length > 120) throw new MeterSpecError('--meter-scope: longer than 120 characters');
  return { kind: 'cmd', command: c, scope: s, id: 'meter:cmd', text: c };
}
