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

// CommonJS, loaded with require() rather than `import` for the reason given in ./charts.ts. Only
// Handlebars' runtime (about 10 ms to load against 27 ms for the whole package): the compiler is
// loaded only to compile a template the build did not precompile.
const require = createRequire(import.meta.url);
const Handlebars: typeof import('handlebars') = require('handlebars/runtime');

export type HandlebarsEnv = ReturnType<typeof Handlebars.create>;

/** The report's compile options: output is markdown (no HTML escaping); a missing field renders empty. */
export const TEMPLATE_OPTIONS = { noEscape: true, strict: false };

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

/** A new Handlebars environment (partials are registered per report). */
export function createTemplateEnv(): HandlebarsEnv {
  return Handlebars.create();
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
