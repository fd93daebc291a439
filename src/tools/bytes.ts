/**
 * Byte counts in binary units, shared by the CLI's tables and the console's pages (the console UI
 * bundles this file too, so it stays free of Node and DOM APIs). Each front end picks its own
 * number of decimals.
 */
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** `bytes` scaled by 1024 until below 1024 (or in TiB): the value and its unit. */
export function scaleBytes(bytes: number): { value: number; unit: (typeof UNITS)[number] } {
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < UNITS.length - 1) {
    value /= 1024;
    i++;
  }
  return { value, unit: UNITS[i]! };
}
