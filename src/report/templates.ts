/**
 * Handlebars templates for the report, compiled once per process. Compiling the report's templates
 * takes Handlebars about a tenth of a second, so the build (scripts/build.js) precompiles the
 * shipped ones into dist/templates.cjs, keyed by the sha256 of each template's text and the compile
 * options. A template whose text and options match an entry is taken from there; any other (an
 * edited template, `report --templates DIR`, a run from the sources) is compiled here. Either way
 * it is the same template, so the report is the same bytes.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { formatCount, formatGiB, formatInteger, formatMiB, formatNoun, formatInterval, formatLearningRate, formatLoss, formatNumber, formatPercent, formatRange, formatShape, formatSigned, formatSignedPercent, formatSteps } from '../util/format.js';

// CommonJS, loaded with require() rather than `import` for the reason given in ./charts.ts. Only
// Handlebars' runtime (about 10 ms to load against 27 ms for the whole package): the compiler is
// loaded only to compile a template the build did not precompile.
const require = createRequire(import.meta.url);
const Handlebars: typeof import('handlebars') = require('handlebars/runtime');

export type HandlebarsEnv = ReturnType<typeof Handlebars.create>;

/** The report's compile options: output is markdown (no HTML escaping); a template naming a field the data lacks throws (strict), so a renamed field fails the build rather than printing nothing. */
export const TEMPLATE_OPTIONS = { noEscape: true, strict: true };

/** The build's precompiled templates (the file scripts/build.js writes beside the bundle's chunks). */
export const PRECOMPILED_FILE = 'templates.cjs';

interface Precompiled {
  options: unknown;
  /** sha256 of a template's text → Handlebars.precompile's template spec. */
  specs: Record<string, TemplateSpecification>;
}

let precompiled: Precompiled | null | undefined;

function loadPrecompiled(): Precompiled | null {
  if (precompiled === undefined) {
    try {
      const file = require(`./${PRECOMPILED_FILE}`) as Precompiled;
      precompiled = JSON.stringify(file.options) === JSON.stringify(TEMPLATE_OPTIONS) ? file : null;
    } catch {
      precompiled = null;
    }
  }
  return precompiled;
}

export function templateKey(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

/**
 * The formatting helpers the report's templates call, each one function of src/util/format.ts:
 * `{{loss x}}` 1.407, `{{loss x 4}}` 1.4072, `{{count n}}` 46.4M, `{{integer n}}` 46,399,488,
 * `{{stepCount n}}` 15K, `{{num x 4}}` 0.3412 (exponential beyond [1e-3, 1e4)), `{{fixed x 2}}` 1.25,
 * `{{signed x}}` +0.012, `{{pct f 0}}` 12%, `{{signedPct f}}` −11%, `{{interval i}}` [1.392, 1.422]
 * (80%) or `{{interval i 4 level=false}}` [1.3921, 1.4222], `{{lossRange r}}` 1.375–1.422, `{{gib b}}` 1.50 GiB, `{{mib b}}` 704.50 MiB, `{{rate x}}` 6e-4, `{{list ids}}` a, b (`{{list w "; "}}` a; b), `{{noun n "run"}}` 1 run, 3 runs, `{{shapeText c}}`
 * d=2048, L=16, H=16, d_ff=1024. `suffix=" h"` follows a value, not a null. No field of the report data may share a helper's name (a
 * `{{name}}` without arguments calls the helper: test/report/report-json.test.ts checks). A null value prints `missing=` (default "—"). A value the data
 * lacks (undefined: a misspelt or renamed field, which strict mode does not catch in a helper's
 * arguments) throws, naming the helper and the template line.
 */
export const FORMAT_HELPERS: Record<string, (value: any, arg: any, hash: { level?: boolean }) => string> = {
  loss: (v: number, d = 3) => formatLoss(v, d),
  count: (v: number, d = 1) => formatCount(v, d),
  integer: (v: number) => formatInteger(v),
  stepCount: (v: number) => formatSteps(v),
  num: (v: number, d = 3) => formatNumber(v, d),
  fixed: (v: number, d = 0) => v.toFixed(d),
  signed: (v: number, d = 3) => formatSigned(v, d),
  pct: (v: number, d = 1) => formatPercent(v, d),
  signedPct: (v: number, d = 0) => formatSignedPercent(v, d),
  interval: (v: { lo: number; hi: number; level?: number }, d = 3, hash) => formatInterval(v, d, { level: hash.level }),
  lossRange: (v: { lo: number; hi: number }, d = 3) => formatRange(v.lo, v.hi, d),
  gib: (v: number, d = 2) => formatGiB(v, d),
  mib: (v: number, d = 2) => formatMiB(v, d),
  rate: (v: number) => formatLearningRate(v),
  list: (v: string[], separator = ', ') => v.join(separator),
  noun: (n: number, singular: string) => formatNoun(n, singular),
  shapeText: (v: { d: number; layers: number; heads: number; dFf: number }) => formatShape(v, { separator: ', ' }),
};

interface HelperOptions {
  name: string;
  hash: { missing?: string; suffix?: string; level?: boolean };
  loc?: { start: { line: number; column: number } };
}

export function registerFormatHelpers(hb: HandlebarsEnv): void {
  for (const [name, format] of Object.entries(FORMAT_HELPERS)) {
    hb.registerHelper(name, (...args: unknown[]) => {
      const options = args.pop() as HelperOptions;
      const [value, digits] = args;
      if (value === undefined) throw new Error(`template helper {{${name}}} got no value (a field the report data lacks)${options.loc ? ` at line ${options.loc.start.line}` : ''}`);
      if (value === null) return options.hash.missing ?? '—';
      return `${format(value, digits, options.hash)}${options.hash.suffix ?? ''}`;
    });
  }
}

/** A new Handlebars environment with the formatting helpers (partials are registered per report). */
export function createTemplateEnv(): HandlebarsEnv {
  const hb = Handlebars.create();
  registerFormatHelpers(hb);
  return hb;
}

/**
 * `source` as a template of `hb`: the build's precompiled copy when there is one for this text,
 * else precompiled now, exactly as the build does it (the spec Handlebars.precompile writes, as
 * JavaScript, is what dist/templates.cjs holds).
 */
export function compileTemplate(hb: HandlebarsEnv, source: string): HandlebarsTemplateDelegate {
  const spec = loadPrecompiled()?.specs[templateKey(source)];
  if (spec) return hb.template(spec);
  const compiler: typeof import('handlebars') = require('handlebars');
  // A copy of the options: Handlebars adds its defaults to the object it is given.
  const code = compiler.precompile(source, { ...TEMPLATE_OPTIONS });
  return hb.template(new Function(`return ${code};`)() as TemplateSpecification);
}
