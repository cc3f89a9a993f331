/**
 * The bitscale command line: parses arguments, calls the library, formats output. Each command
 * lives in src/cli/<name>.ts as a `register(program)` function; heavy modules (the trainer and
 * TensorFlow.js) are imported lazily inside their action so that `--help` and `report` start fast.
 */
import { Command, CommanderError } from 'commander';
import { fsError } from './util/files.js';
import { VERSION } from './version.js';
import { registerCommands } from './cli/commands.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('bitscale')
    .description('Scaling laws, predictions and a scaling report for strict ±1 (1-bit) BitLMv57 language models')
    .version(VERSION)
    .option('--runs <dir>', 'directory holding the run logs', 'runs')
    // One line: commander's first line, with its "(Did you mean --batch-size?)" when it has one.
    .configureOutput({ outputError: (str, write) => write(`bitscale: ${str.trim().split('\n').filter((l, i) => i === 0 || l.startsWith('(Did you mean')).join(' ')} (see --help)\n`) })
    .showSuggestionAfterError(true);
  registerCommands(program);
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    // A raw filesystem error that no command translated still comes out as one line naming its path.
    const e = fsError(err);
    const message = e.message;
    process.stderr.write(`bitscale: ${message.split('\n')[0]}\n`);
    if (process.env.BITSCALE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}
