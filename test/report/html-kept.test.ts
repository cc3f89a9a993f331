import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../../src/report/build.js';

const root = new URL('../../', import.meta.url).pathname;

test('a plain report into a folder that has SCALING_REPORT.html rewrites the page with the rest, rather than dropping it in the swap', async () => {
  const runsDir = mkdtempSync(join(tmpdir(), 'bitscale-html-runs-'));
  cpSync(join(root, 'runs/seed'), join(runsDir, 'seed'), { recursive: true });
  const outDir = mkdtempSync(join(tmpdir(), 'bitscale-html-kept-'));
  const common = { runsDir, outDir, templatesDir: join(root, 'templates'), claimsFile: join(root, 'claims/seed-report.json'), analysis: { bootstrap: 50, candidateBootstrap: 20 }, inProcess: true };
  const plainFirst = await buildReport(common);
  assert.equal(plainFirst.htmlPath, null, 'no page until one is asked for');
  assert.equal(existsSync(join(outDir, 'SCALING_REPORT.html')), false);
  const withHtml = await buildReport({ ...common, html: true });
  const page = readFileSync(withHtml.htmlPath!, 'utf8');
  const plain = await buildReport(common);
  assert.equal(plain.htmlPath, join(outDir, 'SCALING_REPORT.html'));
  assert.ok(statSync(plain.htmlPath!).isFile());
  // Same inputs, same page: rewritten, not a stale copy of something else.
  assert.equal(readFileSync(plain.htmlPath!, 'utf8'), page);
});
