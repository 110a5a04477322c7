/**
 * Job data is JSON in Redis: bigints travel as {"$bigint": "…"} and come back as bigints.
 * Only plain data goes in — never keys, URLs or signers (the executor holds those in memory).
 */
export function encodeJobData<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? { $bigint: v.toString() } : v)));
}

export function decodeJobData<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value), (_k, v) => (v && typeof v === "object" && typeof v.$bigint === "string" && Object.keys(v).length === 1 ? BigInt(v.$bigint) : v)) as T;
}
