/** A small valid run log's text (one eval at step 100) for ingest tests. */
import { serializeRunLog } from '../../src/runs/log.js';
import { sampleHeader } from '../helpers.js';

export function sampleLogText(runId: string): string {
  return serializeRunLog({
    header: sampleHeader({ run_id: runId }),
    steps: [],
    evals: [{ type: 'eval', step: 100, tokens: 100 * 8 * 32, val_bpc: 3.5 }],
    summary: { type: 'summary', status: 'completed', steps: 100, tokens: 100 * 8 * 32, final_val_bpc: 3.5, wall_s: 10 },
  });
}
