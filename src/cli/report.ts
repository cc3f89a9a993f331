import type { Command } from 'commander';
import { emit, warn } from './output.js';
import { formatInterval, formatLoss } from '../util/format.js';
import { RESAMPLES, numberOption } from '../util/numbers.js';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../version.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('regenerate reports/SCALING_REPORT.md and its charts from the run logs (the main job)')
    .option('--out <dir>', 'output folder (the report and charts/)', 'reports')
    .option('--claims <file>', 'the hand-written report\'s claims and recommended config (default: the one bitscale ships)')
    .option('--templates <dir>', 'Handlebars templates, report.md.hbs and partials/ (default: the ones bitscale ships)')
    .option('--bootstrap <n>', 'bootstrap resamples for the fits, 0 (none) to 1M', numberOption('bootstrap', RESAMPLES), 1000)
    .option('--borrow-gains', 'let predictions borrow step gains from other datasets (same loss unit) where their own has too few doublings; every borrowed number says so')
    .option('--html', 'also write SCALING_REPORT.html: the report as one self-contained interactive page (no network needed to view it); once written, later reports keep it current')
    .option('--json', 'machine-readable summary on stdout')
    .addHelpText('after', '\nExamples:\n  bitscale report            # reads runs/, writes reports/SCALING_REPORT.md and reports/charts/*.svg\n  bitscale report --html     # the same, plus reports/SCALING_REPORT.html (interactive charts, sortable tables)')
    .action(async (opts, cmd: Command) => {
      // The worker threads first: they load vega and the fitters while this thread loads the report.
      const threads = (await import('../report/threads.js')).startReportThreads();
      let buildReport: typeof import('../report/build.js').buildReport;
      try {
        ({ buildReport } = await import('../report/build.js'));
      } catch (err) {
        await threads.close();
        throw err;
      }
      const runsDir: string = cmd.optsWithGlobals().runs;
      const built = await buildReport({
        threads,
        runsDir,
        outDir: opts.out,
        templatesDir: opts.templates ?? join(PACKAGE_ROOT, 'templates'),
        claimsFile: opts.claims ?? join(PACKAGE_ROOT, 'claims', 'seed-report.json'),
        analysis: { bootstrap: opts.bootstrap, borrowGains: opts.borrowGains === true },
        html: opts.html === true,
        onWarning: warn,
      });
      const h = built.analysis.headline;
      const disagree = built.claims.filter((c) => c.agrees === false).map((c) => c.claim.id);
      emit(
        opts,
        {
          report: built.reportPath,
          html: built.htmlPath,
          charts: built.chartPaths,
          inputs_sha256: built.inputsHash,
          runs: built.analysis.runs.length,
          headline: { params: h.query.params, steps: h.query.steps, batch_size: h.query.batchSize, dataset: h.query.dataset, val_bpc: h.valBpc, interval: h.interval, method: h.method, borrowing: h.borrowing },
          claims: {
            total: built.claims.length,
            agree: built.claims.filter((c) => c.agrees === true).length,
            disagree,
            checks: built.claims.map((c) => ({ id: c.claim.id, verdict: c.verdict, value: c.value, evidence: { kind: c.evidence.kind, dof: c.evidence.dof, text: c.evidence.text } })),
          },
          other_groups: built.analysis.otherGroups.map((g) => ({ dataset: g.dataset, arch: g.arch, loss_unit: g.lossUnit, runs: g.runs.length, joint: g.suite.joint[0]?.fit ? { params: g.suite.joint[0].fit.params, intervals: g.suite.joint[0].fit.intervals, determination: g.suite.joint[0].fit.determination } : null })),
        },
        () =>
          [
            `wrote ${built.reportPath}${built.htmlPath ? `, ${built.htmlPath}` : ''} and ${built.chartPaths.length} charts from ${built.analysis.runs.length} runs`,
            `headline: ${formatLoss(h.valBpc)} ${h.lossUnit} ${formatInterval(h.interval)} — ${h.method}`,
            `claims: ${built.claims.filter((c) => c.agrees === true).length} of ${built.claims.length} agree; disagree: ${disagree.join(', ') || 'none'}`,
          ].join('\n'),
      );
    });
}
