/**
 * Errors a user can act on: they name the file, the line and the field. The CLI prints
 * `error.message` as one line on stderr and exits non-zero.
 */
export interface ErrorLocation {
  file?: string;
  line?: number;
  field?: string;
}

export class BitscaleError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;
  /** The message without its location. */
  readonly problem: string;

  constructor(problem: string, where: ErrorLocation = {}) {
    super(formatLocated(problem, where));
    this.problem = problem;
    this.name = 'BitscaleError';
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
  }
}

/** "runs/a.jsonl:3: field 'val_bpc': is NaN" — location first, so editors can jump to it. */
export function formatLocated(problem: string, where: ErrorLocation): string {
  // A file name with a newline or another control character is quoted, so the message stays one line.
  const file = where.file && /[\u0000-\u001f\u007f]/.test(where.file) ? JSON.stringify(where.file) : where.file;
  const place = file ? `${file}${where.line !== undefined ? `:${where.line}` : ''}: ` : '';
  const field = where.field ? `field '${where.field}': ` : '';
  return `${place}${field}${problem}`;
}
