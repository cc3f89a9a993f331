/**
 * Table-driven reflected CRC-32s: CRC-32C (Castagnoli, TFRecord framing) and CRC-32 (IEEE,
 * the W&B `.wandb` chunk framing). Check values over "123456789": CRC-32C 0xE3069283,
 * CRC-32 0xCBF43926.
 */

function makeTable(reflectedPoly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPoly : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CASTAGNOLI = makeTable(0x82f63b78);
const IEEE = makeTable(0xedb88320);

function crcWith(table: Uint32Array, data: Uint8Array, seed: number): number {
  let c = ~seed >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32c(data: Uint8Array): number {
  return crcWith(CASTAGNOLI, data, 0);
}

/** CRC-32 (IEEE, as zlib.crc32); `seed` continues an earlier CRC over preceding bytes. */
export function crc32(data: Uint8Array, seed = 0): number {
  return crcWith(IEEE, data, seed);
}

/** TFRecord's masked CRC: rotate right by 15 bits and add 0xa282ead8 (mod 2³²). */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
