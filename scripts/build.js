// `npm run build` (and `npm ci`, through the `prepare` script): bundle src/ into plain JavaScript
// in dist/ with esbuild, so that the CLI starts without transpiling TypeScript.
//
// - Only our sources are bundled; every package from node_modules stays an import (they are
//   installed anyway, and a new dependency needs no change here).
// - ES modules with code splitting: a module that `src/` imports with `await import()` (the report,
//   the fitters, the trainer) becomes its own chunk, loaded only by the command that needs it.
// - All files land flat in dist/, one level below the package root like src/version.ts, so
//   `new URL('..', import.meta.url)` is the package root in the bundle as in the sources.
// - Files are written to a temporary name and renamed, the manifest last; files of an earlier
//   build that this one did not write are removed.
//
// Usage: node scripts/build.js [--or-warn] [package-root]   (default: the folder above this script)
// --or-warn (the `prepare` script): a failed build is a warning, not a failed `npm ci`; the CLI
// then runs the sources and says so at every start.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_DIR, MANIFEST, describeInputs } from '../bin/build-check.js';

const require = createRequire(import.meta.url);
/** Must equal TEMPLATE_OPTIONS in src/report/templates.ts (which ignores the file otherwise; test/build.test.ts checks). */
const TEMPLATE_OPTIONS = { noEscape: true, strict: true };
const PRECOMPILED_FILE = 'templates.cjs';

const args = process.argv.slice(2);
const orWarn = args.includes('--or-warn');
const root = resolve(args.find((a) => a !== '--or-warn') ?? fileURLToPath(new URL('..', import.meta.url)));
const outdir = join(root, DIST_DIR);

try {
  await buildInto(outdir);
} catch (err) {
  if (!orWarn) throw err;
  process.stderr.write(`warning: the build into ${DIST_DIR}/ failed (${String(err instanceof Error ? err.message : err).split('\n')[0]}); bitscale will run its sources through tsx\n`);
}

async function buildInto(outdir) {
  const { build } = await import('esbuild');
  // Recorded before bundling: an edit made while esbuild runs makes the build stale, never silently current.
  const inputs = describeInputs(root);

  const result = await build({
    absWorkingDir: root,
    // The CLI, and each worker thread's entry (started through src/util/worker-script.ts):
    // the training workers' (src/train/workers.ts), the chart renderer's (src/report/chart-renderer.ts)
    // and the report's group fitter's (src/report/group-fitter.ts).
    entryPoints: { cli: 'src/cli.ts', 'worker-entry': 'src/train/worker-entry.ts', 'chart-worker': 'src/report/chart-worker.ts', 'fit-worker': 'src/report/fit-worker.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunk-[hash]',
    sourcemap: 'linked',
    write: false,
    logLevel: 'warning',
  });

  mkdirSync(outdir, { recursive: true });
  const written = new Set([MANIFEST]);
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
    written.add(basename(file.path));
  }
  // The report's templates, precompiled (src/report/templates.ts takes one only where its text,
  // by sha256, and the compile options are the ones compiled here).
  const templatesFile = precompileTemplates(join(root, 'templates'));
  writeFileSync(join(outdir, `${PRECOMPILED_FILE}.${process.pid}.tmp`), templatesFile);
  renameSync(join(outdir, `${PRECOMPILED_FILE}.${process.pid}.tmp`), join(outdir, PRECOMPILED_FILE));
  written.add(PRECOMPILED_FILE);
  const manifestPath = join(outdir, MANIFEST);
  writeFileSync(`${manifestPath}.${process.pid}.tmp`, `${JSON.stringify({ inputs }, null, 1)}\n`);
  renameSync(`${manifestPath}.${process.pid}.tmp`, manifestPath);
  for (const name of readdirSync(outdir)) if (!written.has(name) && !name.endsWith('.tmp')) rmSync(join(outdir, name), { force: true });
}

/** A CommonJS module of every .hbs below `dir`, precompiled by Handlebars, keyed by the sha256 of its text. */
function precompileTemplates(dir) {
  const Handlebars = require('handlebars');
  const specs = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.hbs')) {
        const text = readFileSync(p, 'utf8');
        specs.push(`${JSON.stringify(createHash('sha256').update(text).digest('hex'))}: ${Handlebars.precompile(text, { ...TEMPLATE_OPTIONS })}`);
      }
    }
  };
  walk(dir);
  return `// Precompiled by scripts/build.js from templates/: do not edit.\nmodule.exports = { options: ${JSON.stringify(TEMPLATE_OPTIONS)}, specs: {\n${specs.join(',\n')}\n} };\n`;
}
