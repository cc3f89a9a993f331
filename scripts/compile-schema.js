// `npm run schema`: compile schema/run-log.schema.json, once, into the validator the run-log reader
// uses (src/runs/run-log-validator.generated.js, ajv's standalone code). Compiling at run time
// cost every command about 0.2–0.35 s here (loading ajv, then generating the code); the compiled
// module loads in about 8 ms. `--check` writes nothing and exits 1 when the file is not what the
// schema compiles to (test/runs/schema.test.ts runs it), so an edited schema cannot be forgotten.
//
// verbose: each error carries the failing value and its schema, which the reader's messages name.
// unicode: false measures minLength/maxLength in UTF-16 units, so the module needs nothing from
// ajv at run time (ajv 8's ESM output would `require` its code-point counter). The only length
// limits are run_id's (ASCII by its pattern) and "non-empty", where the two counts agree.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SCHEMA = 'schema/run-log.schema.json';
const VALIDATOR = 'src/runs/run-log-validator.generated.js';

/** The validator module's text, as compiled from the schema file now. */
function compiledValidator() {
  const ajv = new Ajv2020({ discriminator: true, verbose: true, unicode: false, logger: false, code: { source: true, esm: true } });
  const validate = ajv.compile(JSON.parse(readFileSync(root + SCHEMA, 'utf8')));
  return `// Generated from ${SCHEMA} by scripts/compile-schema.js (npm run schema); do not edit.\n${standaloneCode.default(ajv, validate)}\n`;
}

const code = compiledValidator();
if (process.argv.includes('--check')) {
  const current = existsSync(root + VALIDATOR) && readFileSync(root + VALIDATOR, 'utf8') === code;
  if (!current) {
    console.error(`${VALIDATOR} is not what ${SCHEMA} compiles to; run npm run schema`);
    process.exit(1);
  }
} else {
  writeFileSync(root + VALIDATOR, code);
  console.log(`wrote ${VALIDATOR}`);
}
