import { parse } from 'csv-parse/sync';
import { BitscaleError } from './errors.js';

export interface CsvTable {
  /** Column names from the header line, in order. */
  columns: string[];
  /** Each data row with the (1-based) line it ends on, for error messages. */
  rows: { record: Record<string, string>; line: number }[];
}

/**
 * A CSV table with a header line (csv-parse): cells trimmed, blank lines skipped, a BOM ignored.
 * A malformed table is a BitscaleError naming the file and line.
 */
export function parseCsvTable(text: string, file: string): CsvTable {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (err) {
    const m = err as { lines?: number; message?: string };
    throw new BitscaleError(`not valid CSV: ${String(m.message).split('\n')[0]}`, { file, line: m.lines });
  }
  const columns = records.length > 0 ? Object.keys(records[0].record) : (text.replace(/^\uFEFF/, '').split('\n')[0] ?? '').split(',').map((c) => c.trim());
  return { columns, rows: records.map(({ record, info }) => ({ record, line: info.lines })) };
}
