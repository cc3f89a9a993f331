/**
 * TFRecord framing, as TensorBoard event files use it. Each record:
 *   u64 LE length · u32 LE masked CRC-32C of the 8 length bytes · data · u32 LE masked CRC-32C of data.
 * A record cut short at the end of the file (a live or crashed writer) ends the read with a
 * warning; a checksum that fails anywhere before the last record is corruption, an error naming
 * the file and the byte offset of the record.
 */
import { BitscaleError } from '../../util/errors.js';
import { crc32c, maskCrc } from './crc.js';

export interface TFRecord {
  /** Byte offset of the record's length field in the file. */
  offset: number;
  data: Uint8Array;
}

const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;

/** Bytes to read records from: a whole buffer, or a file read a piece at a time (util/files.ts). */
export interface ByteSource {
  size: number;
  /** `n` bytes from `pos` (fewer at the end). The view is valid until the next call. */
  read(pos: number, n: number): Uint8Array;
}

/** A buffer as a ByteSource. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (pos, n) => bytes.subarray(pos, pos + n) };
}

/** Are the bytes from `pos` to the end all zero (a preallocated, never written tail)? */
export function zeroFrom(src: ByteSource, pos: number): boolean {
  for (let p = pos; p < src.size; p += 1 << 20) if (!src.read(p, 1 << 20).every((b) => b === 0)) return false;
  return true;
}

/** Every complete record of a TFRecord file's bytes. `file` names the file in errors and warnings. */
export function readTFRecords(bytes: Uint8Array, file: string, onWarning?: (message: string) => void): TFRecord[] {
  return [...eachTFRecord(bufferSource(bytes), file, onWarning)].map((r) => ({ offset: r.offset, data: new Uint8Array(r.data) }));
}

/**
 * The records one at a time, so that a large file is neither read whole nor held as objects at
 * once. Each record's `data` is valid until the next one is asked for.
 */
export function* eachTFRecord(src: ByteSource, file: string, onWarning?: (message: string) => void): Generator<TFRecord> {
  let offset = 0;
  const torn = (what: string) => onWarning?.(`${file}: skipped a truncated last record at byte ${offset} (${what}; the writer was probably still running or was killed)`);
  while (offset < src.size) {
    if (src.size - offset < HEADER_BYTES) {
      torn(`${src.size - offset} bytes, shorter than a record header`);
      break;
    }
    const head = src.read(offset, HEADER_BYTES);
    const headView = new DataView(head.buffer, head.byteOffset, HEADER_BYTES);
    if (maskCrc(crc32c(head.subarray(0, 8))) !== headView.getUint32(8, true)) {
      if (zeroFrom(src, offset)) {
        torn('zero-filled');
        break;
      }
      throw new BitscaleError(`corrupt TFRecord: length checksum mismatch at byte ${offset}`, { file });
    }
    const length = Number(headView.getBigUint64(0, true));
    const end = offset + HEADER_BYTES + length + FOOTER_BYTES;
    if (end > src.size) {
      torn(`needs ${length} data bytes, ${Math.max(0, src.size - offset - HEADER_BYTES)} present`);
      break;
    }
    const body = src.read(offset + HEADER_BYTES, length + FOOTER_BYTES);
    const data = body.subarray(0, length);
    if (maskCrc(crc32c(data)) !== new DataView(body.buffer, body.byteOffset + length, FOOTER_BYTES).getUint32(0, true)) {
      if (end === src.size) {
        torn('data checksum mismatch in the last record');
        break;
      }
      throw new BitscaleError(`corrupt TFRecord: data checksum mismatch in the record at byte ${offset}`, { file });
    }
    yield { offset, data };
    offset = end;
  }
}

/** One framed record (the writer's side, used to build test fixtures and by anyone exporting). */
export function frameTFRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + data.length + FOOTER_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskCrc(crc32c(out.subarray(0, 8))), true);
  out.set(data, HEADER_BYTES);
  view.setUint32(HEADER_BYTES + data.length, maskCrc(crc32c(data)), true);
  return out;
}
