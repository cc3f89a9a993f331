/**
 * The GPU catalog (src/estimate/hardware.json): usable memory, dense bf16 / fp32 TFLOP/s and
 * bandwidth, each figure with its source in the JSON. Pure lookups; the JSON is bundled with the
 * module, not read at run time.
 */
import catalog from './hardware.json' with { type: 'json' };
import { BitscaleError } from '../util/errors.js';

const GIB = 2 ** 30;

export interface GpuSpec {
  id: string;
  name: string;
  aliases: string[];
  memoryGb: number;
  /** Device memory as PyTorch reports its total capacity, in bytes. */
  capacityBytes: number;
  /** capacityBytes less the runtime reserve (CUDA context, library workspaces): what tensors may use. */
  usableBytes: number;
  bf16Flops: number;
  fp32Flops: number;
  bandwidthBytesPerS: number;
  sources: Record<string, string>;
}

/** Bytes the CUDA runtime holds outside the allocator (catalog's runtime_reserve_gib). */
export const RUNTIME_RESERVE_BYTES = catalog.runtime_reserve_gib.value * GIB;

/** Every GPU in the catalog, in catalog order. */
export const GPUS: readonly GpuSpec[] = catalog.gpus.map((g) => ({
  id: g.id,
  name: g.name,
  aliases: g.aliases,
  memoryGb: g.memory_gb,
  capacityBytes: g.capacity_gib * GIB,
  usableBytes: g.capacity_gib * GIB - RUNTIME_RESERVE_BYTES,
  bf16Flops: g.bf16_tflops * 1e12,
  fp32Flops: g.fp32_tflops * 1e12,
  bandwidthBytesPerS: g.bandwidth_gbs * 1e9,
  sources: g.sources,
}));

function normalizeGpuName(name: string): string {
  return name.toLowerCase().replace(/^nvidia\s+/, '').replace(/geforce\s+/, '').replace(/[\s_]+/g, '-');
}

/**
 * The catalog entry for an id ("a100-40gb") or a name as run logs write it ("A100 40GB"), or null.
 * Matching ignores case, spaces vs dashes and an "NVIDIA"/"GeForce" prefix.
 */
export function findGpu(idOrName: string): GpuSpec | null {
  const key = normalizeGpuName(idOrName);
  return GPUS.find((g) => g.id === key || g.aliases.some((a) => normalizeGpuName(a) === key)) ?? null;
}

/**
 * Like findGpu, for a GPU a user typed: an unknown one is a BitscaleError listing the known ids, and
 * a family name that several catalog entries share ("a100": 40GB or 80GB) is refused as ambiguous,
 * though a run log's bare "A100" still reads as the 40GB (findGpu).
 */
export function requireGpu(idOrName: string): GpuSpec {
  const key = normalizeGpuName(idOrName);
  const family = GPUS.filter((g) => g.id.startsWith(`${key}-`));
  if (family.length > 1) throw new BitscaleError(`'${idOrName}' is ambiguous: ${family.map((g) => `${g.id} (${g.memoryGb} GB)`).join(' or ')}`, { field: 'gpu' });
  const gpu = findGpu(idOrName);
  if (!gpu) throw new BitscaleError(`unknown GPU '${idOrName}' (known: ${GPUS.map((g) => g.id).join(', ')})`, { field: 'gpu' });
  return gpu;
}
