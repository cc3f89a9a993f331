// `node scripts/wasm.js`: assemble src/model/kernels.wat (WebAssembly text, the source) into
// src/model/kernels.wasm.ts (its bytes as base64, what the trainer loads), with wabt.
// The generated file is committed, so neither install nor build needs wabt;
// test/model/sign-kernels.test.ts checks that it matches the text.
// Usage: node scripts/wasm.js [--check]   (--check: exit 1 if the committed bytes are stale)
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assembleKernels, generatedModule } from './wasm-assemble.js';

const wat = fileURLToPath(new URL('../src/model/kernels.wat', import.meta.url));
const out = fileURLToPath(new URL('../src/model/kernels.wasm.ts', import.meta.url));
const text = generatedModule(await assembleKernels(readFileSync(wat, 'utf8')));
if (process.argv.includes('--check')) {
  if (readFileSync(out, 'utf8') !== text) {
    process.stderr.write(`${out} is stale: run node scripts/wasm.js\n`);
    process.exit(1);
  }
} else {
  writeFileSync(out + '.tmp', text);
  renameSync(out + '.tmp', out);
}
