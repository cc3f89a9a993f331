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

/** Every complete record of a TFRecord file's bytes. `file` names the file in errors and warnings. */
export function readTFRecords(bytes: Uint8Array, file: string, onWarning?: (message: string) => void): TFRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: TFRecord[] = [];
  let offset = 0;
  const torn = (what: string) => onWarning?.(`${file}: skipped a truncated last record at byte ${offset} (${what}; the writer was probably still running or was killed)`);
  while (offset < bytes.length) {
    if (bytes.length - offset < HEADER_BYTES) {
      torn(`${bytes.length - offset} bytes, shorter than a record header`);
      break;
    }
    const lengthBytes = bytes.subarray(offset, offset + 8);
    if (maskCrc(crc32c(lengthBytes)) !== view.getUint32(offset + 8, true)) {
      if (bytes.subarray(offset).every((b) => b === 0)) {
        torn('zero-filled');
        break;
      }
      throw new BitscaleError(`corrupt TFRecord: length checksum mismatch at byte ${offset}`, { file });
    }
    const length = Number(view.getBigUint64(offset, true));
    const end = offset + HEADER_BYTES + length + FOOTER_BYTES;
    if (end > bytes.length) {
      torn(`needs ${length} data bytes, ${Math.max(0, bytes.length - offset - HEADER_BYTES)} present`);
      break;
    }
    const data = bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
    if (maskCrc(crc32c(data)) !== view.getUint32(offset + HEADER_BYTES + length, true)) {
      if (end === bytes.length) {
        torn('data checksum mismatch in the last record');
        break;
      }
      throw new BitscaleError(`corrupt TFRecord: data checksum mismatch in the record at byte ${offset}`, { file });
    }
    records.push({ offset, data });
    offset = end;
  }
  return records;
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
