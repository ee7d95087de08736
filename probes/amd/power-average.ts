/**
 * What amdgpu's `power1_average` averages over, per generation (pure). The kernel's amdgpu source is
 * the only documentation:
 *
 * - SMU7 parts (Sea Islands and Volcanic Islands: Bonaire, Hawaii, Tonga, Fiji, Polaris 10/11/12,
 *   Vega M): `smu7_get_gpu_power` reads the SMC's package power, which the commit that introduced it
 *   ("drm/amd/pp: Refine get_gpu_power for VI", Rex Zhu) describes as "the average gpu power of
 *   100ms. it is calculated by firmware in real time": a 100 ms boxcar.
 * - Vega and newer (SMU 9/11/13/14) return the metrics table's `AverageSocketPower`, a firmware
 *   filter whose width no kernel source or AMD document states (on the BC-250's SMU it is an
 *   exponential moving average): not known, so not corrected — the figure stays flagged.
 *
 * The generation is decided from the PCI device id (`device/device`), as amdgpu_drv.c's table lists
 * them.
 */

/** PCI device ids of SMU7 boards, amdgpu_drv.c `pciidlist` (CHIP_BONAIRE … CHIP_VEGAM), as [from, to]. */
const SMU7_IDS: readonly (readonly [number, number])[] = [
  [0x6640, 0x6667], // Bonaire
  [0x67a0, 0x67be], // Hawaii
  [0x6920, 0x6939], // Tonga
  [0x7300, 0x730f], // Fiji
  [0x67c0, 0x67df], // Polaris 10
  [0x67e0, 0x67ff], // Polaris 11
  [0x6980, 0x699f], // Polaris 12
  [0x694c, 0x694f], // Vega M
];

/** The width of `power1_average`'s boxcar for this PCI device id (`0x67df`), ms; undefined: not known. */
export function amdPowerAverageMs(pciDeviceId: string | undefined): number | undefined {
  if (!pciDeviceId || !/^0x[0-9a-f]{4}$/i.test(pciDeviceId.trim())) return undefined;
  const id = parseInt(pciDeviceId.trim(), 16);
  return SMU7_IDS.some(([a, b]) => id >= a && id <= b) ? 100 : undefined;
}
