/** A SYNTHETIC run table of model families for the compare and plan --arch tests. */
import { join } from 'node:path';
import { sampleHeader } from '../helpers.js';
import { countParams } from '../../src/arch/bitlm.js';
import { writeRunLog } from '../../src/runs/log.js';

/** The synthetic run table: each family a ladder of 4 shapes × 3 budgets (bs 16, T 128) from the shared law at its m. */
export function writeFamilies(dir: string, families: { arch: string; m: number; dffRatio: number; purpose?: string; lr?: number; dataset?: string; prefix: string }[]): void {
  for (const f of families)
    for (const d of [32, 64, 96, 160])
      for (const steps of [250, 500, 1000]) {
        const dFf = d * f.dffRatio;
        const config = { d, layers: 2, heads: 2, d_ff: dFf, seq_len: 128, vocab: 128 };
        const params = countParams({ d, layers: 2, dFf, vocab: 128 });
        const tokens = steps * 16 * 128;
        const loss = 1.5 + 30 * Math.pow(f.m * params, -0.3) + 40 * Math.pow(tokens, -0.3);
        const id = `${f.prefix}-d${d}-s${steps}`;
        writeRunLog(join(dir, 'fam', `${id}.jsonl`), {
          header: {
            ...sampleHeader({ run_id: id, arch: f.arch, config, params, batch_size: 16, seq_len: 128, planned_steps: steps, lr: { peak: f.lr ?? 3e-3, schedule: 'cosine', warmup_steps: 25, final: 0 }, dataset: { name: f.dataset ?? 'brown', bytes: 1000, sha256: null, token_unit: 'byte' } }),
            ...(f.purpose ? { purpose: f.purpose } : {}),
          },
          steps: [],
          evals: [{ type: 'eval', step: steps, tokens, val_bpc: loss }],
          summary: { type: 'summary', status: 'completed', steps, tokens, final_val_bpc: loss, wall_s: null },
        });
      }
}

