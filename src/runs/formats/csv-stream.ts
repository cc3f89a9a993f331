/**
 * Trainers' CSV files (Lightning's metrics.csv, W&B exports) read one row at a time, so that a
 * file of any size is never held whole: each physical line is parsed by csv-parse, and a line
 * with an open quote is joined with the next ones until the quote closes. Cells are trimmed,
 * blank lines skipped, a column name given twice refused (the last would silently win), and a
 * last line with no line end dropped with a warning (its last number may be cut short).
 */
import { parse } from 'csv-parse/sync';
import { BitscaleError } from '../../util/errors.js';
import { readLines } from '../../util/files.js';
import { unterminatedLine, type Warn } from './common.js';

export interface CsvRow {
  record: Record<string, string>;
  /** The line the row ends on (1-based). */
  line: number;
}

export interface CsvStream {
  columns: string[];
  rows: Generator<CsvRow>;
}

function cells(text: string, file: string, line: number): string[] {
  // Most rows of a trainer's CSV hold no quote: split them directly (csv-parse for the rest).
  if (!text.includes('"')) return text.split(',').map((c) => c.trim());
  try {
    const [row] = parse(text, { trim: true, relax_column_count: true }) as string[][];
    return row ?? [];
  } catch (err) {
    throw new BitscaleError(`not valid CSV: ${String((err as Error).message).split('\n')[0]}`, { file, line });
  }
}

/**
 * The header of a CSV file and an iterator over its rows. `lastLine: 'keep'` reads a last line
 * without a line end as a row (a table saved by an editor); the default drops it with a warning
 * (a trainer's file, whose writer may have been cut off).
 */
export function readCsvStream(file: string, warn: Warn, options: { lastLine?: 'drop' | 'keep' } = {}): CsvStream {
  const lines = readLines(file);
  // Physical lines joined into records: a quote left open continues on the next line.
  function* records(): Generator<{ text: string; line: number }> {
    let pending = '';
    for (const l of lines) {
      if (!l.terminated && options.lastLine !== 'keep') {
        if ((pending + l.text).trim() !== '') warn?.(unterminatedLine(file, l.line, pending + l.text));
        return;
      }
      pending = pending === '' ? l.text : `${pending}\n${l.text}`;
      if ((pending.match(/"/g)?.length ?? 0) % 2 === 1) continue;
      if (pending.trim() !== '') yield { text: pending, line: l.line };
      pending = '';
    }
    if (pending.trim() !== '') throw new BitscaleError('not valid CSV: a quoted field is not closed before the end of the file', { file });
  }
  const it = records();
  const first = it.next();
  if (first.done) throw new BitscaleError('empty file, expected a CSV header line', { file, line: 1 });
  const columns = cells(first.value.text, file, first.value.line);
  columns.forEach((name, i) => {
    const earlier = columns.indexOf(name);
    if (earlier < i) throw new BitscaleError(`columns ${earlier + 1} and ${i + 1} are both named '${name}'; rename one`, { file, line: first.value.line, field: name });
  });
  function* rows(): Generator<CsvRow> {
    for (const { text, line } of it) {
      const values = cells(text, file, line);
      if (values.length !== columns.length) throw new BitscaleError(`not valid CSV: ${values.length} cells, the header has ${columns.length}`, { file, line });
      const record: Record<string, string> = {};
      columns.forEach((c, i) => (record[c] = values[i]));
      yield { record, line };
    }
  }
  return { columns, rows: rows() };
}
