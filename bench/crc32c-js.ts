/**
 * Plain-JavaScript CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), written for the bench as
 * the baseline beside the native implementation Brook uses: a one-table byte-at-a-time version and
 * a slicing-by-8 version (eight 256-entry tables, 8 bytes per step).
 */

const POLY = 0x82f63b78;

function makeTables(): Uint32Array[] {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1]!;
    const cur = new Uint32Array(256);
    for (let n = 0; n < 256; n++) cur[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    tables.push(cur);
  }
  return tables;
}

const T = makeTables();
const T0 = T[0]!;
const T1 = T[1]!;
const T2 = T[2]!;
const T3 = T[3]!;
const T4 = T[4]!;
const T5 = T[5]!;
const T6 = T[6]!;
const T7 = T[7]!;

/** Byte-at-a-time table CRC-32C. */
export function crc32cTable(buf: Uint8Array, initial = 0): number {
  let crc = ~initial;
  for (let i = 0; i < buf.length; i++) crc = T0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** Slicing-by-8 CRC-32C. */
export function crc32cSlicing8(buf: Uint8Array, initial = 0): number {
  let crc = ~initial;
  let i = 0;
  const end8 = buf.length - (buf.length & 7);
  while (i < end8) {
    const a = (crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
    crc =
      T7[a & 0xff]! ^
      T6[(a >>> 8) & 0xff]! ^
      T5[(a >>> 16) & 0xff]! ^
      T4[a >>> 24]! ^
      T3[buf[i + 4]!]! ^
      T2[buf[i + 5]!]! ^
      T1[buf[i + 6]!]! ^
      T0[buf[i + 7]!]!;
    i += 8;
  }
  for (; i < buf.length; i++) crc = T0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
