/**
 * `bitscale report`: read runs/, the claims file and the templates; analyse; render the markdown
 * (Handlebars, one partial per section) and the charts (SVG); swap them in together (one rename
 * of the output folder, see writeDirectoryAtomic). The
 * same inputs give byte-identical outputs: no timestamps, sorted inputs, fixed bootstrap seeds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { analysisGroupKey, listRunLogFiles, loadRunTable, byCodePoint } from '../runs/table.js';
import type { RunRecord } from '../runs/types.js';
import { assertDirectoryOwned, writeDirectoryAtomic, writeFileAtomic, type DirectoryOwnership } from '../util/atomic.js';
import { BitscaleError } from '../util/errors.js';
import { readTextFile } from '../util/files.js';
import { snakeCaseKeys, stableStringify } from '../util/json.js';
import { VERSION } from '../version.js';
import { analyseRuns, localBacktests, mainSuiteInput, otherGroupAnalyses, rankRecommended, reportFamilies, recommendedCore, recommendedSuite, type AnalysisOptions, type ReportAnalysis } from './analysis.js';
import { withoutLog, type GroupFitter } from './group-fitter.js';
import { startReportThreads, type ReportThreads } from './threads.js';
import { fitGroupsByKey, fittedGroupKeys, type GroupFits } from '../fit/suite.js';
import type { TopLevelSpec } from 'vega-lite';
import { renderAhead, type ChartRenderer } from './chart-renderer.js';
import { checkClaims, parseClaimsFile, type ClaimCheck } from './claims.js';
import { buildView, type ChartFile, type ReportData } from './view.js';
import { nextRunsGrid } from './next-runs.js';
import { compileTemplate, createTemplateEnv } from './templates.js';

export interface BuildReportOptions {
  runsDir: string;
  outDir: string;
  templatesDir: string;
  claimsFile: string;
  analysis?: AnalysisOptions;
  /** Also write SCALING_REPORT.html, the interactive page. */
  html?: boolean;
  onWarning?: (message: string) => void;
  /** Fit and render on this thread only, no worker threads (the outputs are the same). */
  inProcess?: boolean;
  /** Worker threads started earlier (./threads.ts), which the report then owns and closes; by default it starts its own. */
  threads?: ReportThreads;
}

export interface BuiltReport {
  reportPath: string;
  /** reports/report.json: the data the report was rendered from. */
  dataPath: string;
  chartPaths: string[];
  /** The interactive page, when asked for. */
  htmlPath: string | null;
  /** Each chart's path, alt text and vega-lite spec (what the SVG and the page are drawn from). */
  charts: ChartFile[];
  /** What the templates rendered (and report.json holds). */
  data: ReportData;
  analysis: ReportAnalysis;
  claims: ClaimCheck[];
  inputsHash: string;
}

/** sha256 over every input's relative path and bytes, in a fixed order. */
export function hashInputs(files: { name: string; path: string }[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => byCodePoint(a.name, b.name))) {
    h.update(`${f.name}\0`);
    h.update(readFileSync(f.path));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Markdown-safe strings: a `|` would end a table cell and a newline a table row. */
function markdownSafe(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
  if (Array.isArray(value)) return value.map(markdownSafe);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markdownSafe(v)]));
  return value;
}

function loadTemplates(dir: string): { main: HandlebarsTemplateDelegate; files: { name: string; path: string }[] } {
  const hb = createTemplateEnv();
  const mainPath = join(dir, 'report.md.hbs');
  if (!existsSync(mainPath)) throw new BitscaleError('missing the report template', { file: mainPath });
  const partialsDir = join(dir, 'partials');
  const files = [{ name: 'templates/report.md.hbs', path: mainPath }];
  for (const name of existsSync(partialsDir) ? readdirSync(partialsDir).filter((n) => n.endsWith('.hbs')).sort(byCodePoint) : []) {
    const path = join(partialsDir, name);
    hb.registerPartial(name.replace(/\.hbs$/, ''), compileTemplate(hb, readTextFile(path)));
    files.push({ name: `templates/partials/${name}`, path });
  }
  const main = compileTemplate(hb, readTextFile(mainPath));
  return { main, files };
}

const REPORT_FILE = 'SCALING_REPORT.md';
const HTML_FILE = 'SCALING_REPORT.html';
/** §5's candidates as a sweep grid (src/report/next-runs.ts). */
const NEXT_RUNS_FILE = 'next-runs.json';
/** The report's data, every number it shows, for notebooks (docs/report-json.md). */
export const REPORT_JSON_FILE = 'report.json';

/**
 * The output folder holds only what the report writes (the markdown, report.json, next-runs.json, the page with
 * --html and charts/*.svg): it is replaced as a whole, so a folder holding anything else is
 * refused rather than emptied.
 */
export const REPORT_OUTPUT: DirectoryOwnership = {
  allowed: (rel, isDir) => ((rel === REPORT_FILE || rel === REPORT_JSON_FILE || rel === NEXT_RUNS_FILE || rel === HTML_FILE) && !isDir) || (rel === 'charts' && isDir) || (/^charts\/[^/]+\.svg$/.test(rel) && !isDir),
  describe: `${REPORT_FILE}, ${REPORT_JSON_FILE}, ${NEXT_RUNS_FILE}, ${HTML_FILE} and charts/*.svg`,
};

export async function buildReport(options: BuildReportOptions): Promise<BuiltReport> {
  // Started first (or, by `bitscale report`, before this module loaded): one thread loads vega
  // while this one reads the runs; another fits the groups other than the recommended config's
  // while this one fits that group and, once free, shares the worker's joint-law refits
  // (./refit-helper.ts).
  const threads = options.threads ?? startReportThreads({ inProcess: options.inProcess });
  try {
    assertDirectoryOwned(options.outDir, REPORT_OUTPUT);
    return await buildWith(options, threads.renderer, threads.fitter);
  } finally {
    await threads.close();
  }
}

/**
 * The main suite's group fits: the recommended dataset's, made here at once, and the others', made
 * in the fitter's thread (`away`, to be awaited).
 */
function fitMainGroups(runs: RunRecord[], recommendedDataset: string, analysis: AnalysisOptions | undefined, fitter: GroupFitter): { here: Map<string, GroupFits>; away: Promise<Map<string, GroupFits>>; awayCount: number } {
  const { mainRuns, suiteOptions } = mainSuiteInput(runs, analysis);
  const keys = fittedGroupKeys(mainRuns, suiteOptions);
  const local = new Set(mainRuns.filter((r) => r.dataset === recommendedDataset).map(analysisGroupKey));
  const remote = keys.filter((k) => !local.has(k));
  const away = remote.length ? fitter.call({ runs: mainRuns.map(withoutLog), options: suiteOptions, keys: remote }) : Promise.resolve(new Map<string, GroupFits>());
  // Awaited by the caller; should it fail first (a template), the fits' outcome is no longer wanted.
  away.catch(() => {});
  return { here: fitGroupsByKey(mainRuns, suiteOptions, keys.filter((k) => local.has(k))), away, awayCount: remote.length };
}

/**
 * The chart specs of the first view, or none where it cannot be built (from laws it lacks): it is
 * only a head start, and the report itself is built from every fit, which says what is wrong.
 * With other datasets fitted away, a chart of every dataset's laws is bound to change: left out.
 */
function firstViewCharts(build: () => ChartFile[], othersAway: boolean): TopLevelSpec[] {
  try {
    return build()
      .filter((c) => !(othersAway && c.everyDataset))
      .map((c) => c.spec);
  } catch {
    return [];
  }
}

/** The report's data as JSON: snake_case keys, as every JSON bitscale writes, sorted at every depth; raw numbers. */
export function reportJson(data: ReportData): string {
  return `${stableStringify(snakeCaseKeys(data))}\n`;
}

async function buildWith(options: BuildReportOptions, renderer: ChartRenderer, fitter: GroupFitter): Promise<BuiltReport> {
  const runs = loadRunTable(options.runsDir, { onWarning: options.onWarning });
  if (runs.length === 0) throw new BitscaleError('no run logs with a val_bpc', { file: options.runsDir });
  const claimsText = readTextFile(options.claimsFile);
  let claimsRaw: unknown;
  try {
    claimsRaw = JSON.parse(claimsText);
  } catch (err) {
    throw new BitscaleError(`cannot read the claims file: ${(err as Error).message.split('\n')[0]}`, { file: options.claimsFile });
  }
  const claimsFile = parseClaimsFile(claimsRaw, options.claimsFile);
  // The worker starts on the other groups first. While it fits them this thread fits the
  // recommended config's group, analyses that config from its dataset's laws alone and draws a
  // first view, whose charts the chart worker renders at once; then it ranks §5's candidates, runs
  // the backtests and helps with the worker's joint-law refits (./refit-helper.ts), which are
  // shared out as each thread comes free.
  const rec = claimsFile.recommended;
  const { here, away, awayCount } = fitMainGroups(runs, rec.dataset, options.analysis, fitter);
  const recSuite = recommendedSuite(runs, rec, { ...options.analysis, precomputed: here });
  const core = recommendedCore(recSuite, runs, rec, options.analysis);
  const otherGroups = otherGroupAnalyses(runs, options.analysis);
  const families = reportFamilies(runs, rec);
  const runFiles = listRunLogFiles(options.runsDir).map((p) => ({ name: `runs/${relative(options.runsDir, p).split(sep).join('/')}`, path: p }));
  const templates = loadTemplates(options.templatesDir);
  const inputsHash = hashInputs([...runFiles, { name: 'claims', path: options.claimsFile }, ...templates.files]);
  const meta = { version: VERSION, inputsHash: inputsHash.slice(0, 16), runFiles: runFiles.length };
  // The first view lacks the other groups' laws, §5's ranking and the backtests (made after it, so
  // that the chart worker starts sooner); a chart any of them changes is rendered at the end.
  const renderAll = renderAhead(renderer, firstViewCharts(() => {
    const unranked = { ...core, nextRuns: [], nextRunsBaseline: null, planTellApart: null };
    const first = analyseRuns(runs, rec, { ...options.analysis, suite: recSuite, recommended: unranked, otherGroups, backtests: [], families });
    return buildView(first, checkClaims(claimsFile, first), meta).charts;
  }, awayCount > 0));
  const recommended = { ...core, ...rankRecommended(core, recSuite, runs, rec, options.analysis) };
  const parts = { recommended, otherGroups, families, backtests: localBacktests(mainSuiteInput(runs, options.analysis).mainRuns) };

  const precomputed = new Map([...here, ...(await away)]);
  const analysis = analyseRuns(runs, rec, { ...options.analysis, precomputed, ...parts });
  const claims = checkClaims(claimsFile, analysis);
  const { view, charts } = buildView(analysis, claims, meta);

  const markdown = templates.main(markdownSafe(view)).replace(/\n{3,}/g, '\n\n').replace(/\s+$/, '\n');
  // The report and its charts change together or not at all: all of them are rendered into a
  // staging folder beside the output folder, which then replaces it in one rename. A page an
  // earlier `report --html` wrote is rewritten too, not dropped by the swap.
  const html = options.html === true || existsSync(join(options.outDir, HTML_FILE));
  await writeDirectoryAtomic(
    options.outDir,
    async (staging) => {
      const svgs = await renderAll(charts.map((c) => c.spec));
      charts.forEach((c, i) => writeFileAtomic(join(staging, c.path), svgs[i]));
      writeFileAtomic(join(staging, REPORT_FILE), markdown);
      writeFileAtomic(join(staging, REPORT_JSON_FILE), reportJson(view));
      writeFileAtomic(join(staging, NEXT_RUNS_FILE), `${JSON.stringify(nextRunsGrid(analysis), null, 2)}\n`);
      if (html) {
        // Loaded only when asked for: marked and the browser builds are not needed otherwise.
        const { renderHtml } = await import('./html.js');
        writeFileAtomic(join(staging, HTML_FILE), renderHtml({ title: /^# (.*)$/m.exec(markdown)?.[1] ?? 'Scaling report', markdown, charts }));
      }
    },
    REPORT_OUTPUT,
  );
  return { reportPath: join(options.outDir, REPORT_FILE), dataPath: join(options.outDir, REPORT_JSON_FILE), data: view, chartPaths: charts.map((c) => join(options.outDir, c.path)), htmlPath: html ? join(options.outDir, HTML_FILE) : null, charts, analysis, claims, inputsHash };
}
