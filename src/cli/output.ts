import { stableStringify } from '../util/json.js';

/** Colour only on a terminal and only when NO_COLOR is unset (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

export function bold(text: string): string {
  return useColor() ? `\x1b[1m${text}\x1b[22m` : text;
}

export function yellow(text: string, stream: NodeJS.WriteStream = process.stderr): string {
  return useColor(stream) ? `\x1b[33m${text}\x1b[39m` : text;
}

/**
 * Print a command's result: JSON (sorted keys, nothing else) on stdout with --json, the human
 * rendering otherwise. Warnings always go to stderr so that stdout stays machine-readable.
 */
export function emit(options: { json?: boolean }, json: unknown, human: () => string): void {
  if (options.json) process.stdout.write(`${stableStringify(json)}\n`);
  else process.stdout.write(`${human()}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`${yellow('warning:')} ${message}\n`);
}
