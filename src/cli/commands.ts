import { Option, type Command } from 'commander';
import { register as registerRuns } from './runs.js';
import { register as registerFit } from './fit.js';
import { register as registerEstimate } from './estimate.js';
import { register as registerTrain } from './train.js';
import { register as registerSweep } from './sweep.js';
import { register as registerReport } from './report.js';
import { register as registerPlan } from './plan.js';
import { register as registerCompare } from './compare.js';
import { register as registerTaskRunner } from './task-runner.js';
import { warn } from './output.js';

/** Every command, in the order `bitscale --help` lists them. */
export function registerCommands(program: Command): void {
  registerReport(program);
  registerRuns(program);
  registerFit(program);
  registerEstimate(program);
  registerPlan(program);
  registerCompare(program);
  registerTrain(program);
  registerSweep(program);
  registerTaskRunner(program);
  for (const cmd of program.commands) addRenamedFlags(cmd);
}

/**
 * Flags renamed to the one vocabulary (docs/cli.md, "One vocabulary"): a flag is the JSON key with
 * `_` written `-` (`--batch-size` ↔ batch_size). The old spelling is accepted for one release, hidden
 * from --help, with a warning.
 */
export const RENAMED_FLAGS: readonly (readonly [old: string, current: string])[] = [
  ['bs', 'batch-size'],
  ['seq', 'seq-len'],
  ['dff', 'd-ff'],
  ['sweep-bs', 'sweep-batch-size'],
];

const attribute = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * For each renamed flag a command has under either name: the current one shown in --help, the old
 * one hidden; whichever is given, both attributes hold the value (so code that still reads the old
 * name works), and the old spelling warns.
 */
export function addRenamedFlags(cmd: Command): void {
  for (const [old, current] of RENAMED_FLAGS) {
    const oldOption = cmd.options.find((o) => o.long === `--${old}`);
    const currentOption = cmd.options.find((o) => o.long === `--${current}`);
    const base = currentOption ?? oldOption;
    if (!base) continue;
    const copy = (long: string) => {
      const o = new Option(base.flags.replace(base.long!, `--${long}`), base.description);
      if (base.parseArg) o.argParser(base.parseArg);
      if (base.defaultValue !== undefined) o.default(base.defaultValue, base.defaultValueDescription);
      return o;
    };
    if (!currentOption) cmd.addOption(copy(current));
    if (oldOption) oldOption.hideHelp();
    else cmd.addOption(copy(old).hideHelp());
    const [oldKey, currentKey] = [attribute(old), attribute(current)];
    cmd.hook('preAction', (_, action) => {
      if (action.getOptionValueSource(oldKey) === 'cli') {
        warn(`--${old} is renamed --${current} (the old name works for this release only)`);
        action.setOptionValueWithSource(currentKey, action.getOptionValue(oldKey), 'cli');
      } else action.setOptionValueWithSource(oldKey, action.getOptionValue(currentKey), action.getOptionValueSource(currentKey) ?? 'default');
    });
  }
}
