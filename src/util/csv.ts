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
  // A column name given twice would let the last one silently win: refuse, naming both columns.
  const uniqueColumns = (header: string[]): string[] => {
    header.forEach((name, i) => {
      const first = header.indexOf(name);
      if (first < i) throw new BitscaleError(`columns ${first + 1} and ${i + 1} are both named '${name}'; rename one`, { file, line: 1, field: name });
    });
    return header;
  };
  try {
    records = parse(text, { columns: uniqueColumns, skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (err) {
    if (err instanceof BitscaleError) throw err;
    const m = err as { lines?: number; message?: string };
    throw new BitscaleError(`not valid CSV: ${String(m.message).split('\n')[0]}`, { file, line: m.lines });
  }
  const columns = records.length > 0 ? Object.keys(records[0].record) : uniqueColumns((text.replace(/^\uFEFF/, '').split('\n')[0] ?? '').split(',').map((c) => c.trim()));
  return { columns, rows: records.map(({ record, info }) => ({ record, line: info.lines })) };
}
