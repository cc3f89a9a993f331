/**
 * JSON with object keys sorted at every depth, so that the same data always gives the same bytes.
 * Arrays keep their order. Non-finite numbers become null (as JSON.stringify does).
 */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeysDeep(value), null, indent);
}

export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeysDeep(v);
    }
    return out;
  }
  return value;
}

/**
 * camelCase keys → snake_case at every depth ("valBpc" → "val_bpc", "stepAdjustment" →
 * "step_adjustment"), the project's rule for --json. Only a lower-case letter followed by an
 * upper-case one is split, so parameter names (A, B, E, Linf, alpha) and run ids keep their
 * spelling. Arrays keep their order; values are not touched.
 */
export function snakeCaseKeys<T>(value: T): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[snakeCase(k)] = snakeCaseKeys(v);
    return out;
  }
  return value;
}

export function snakeCase(key: string): string {
  return key.replace(/([a-z])([A-Z])/g, (_, a: string, b: string) => `${a}_${b.toLowerCase()}`);
}
