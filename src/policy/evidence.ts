import { createHash } from "node:crypto";
import { keccak_256 } from "@noble/hashes/sha3";
import type { Snapshot } from "../risk/snapshot";

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

/** keccak256 of UTF-8 text, as 0x-hex bytes32 (the same digest Solidity's keccak256 gives). */
export function keccakText(text: string): string {
  return hex(keccak_256(new TextEncoder().encode(text)));
}

/**
 * Canonical JSON: object keys sorted, bigints as decimal strings, numbers in JavaScript's shortest
 * round-trip form, no whitespace. Anyone with the same inputs gets the same bytes, in any language
 * that follows these rules.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} canonically`);
    return JSON.stringify(value);
  }
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * Digest of the book: positions sorted by id, each encoded canonically, hashed as one JSON array
 * with SHA-256 ("sha256:0x…"). Not keccak: a 10,000-position book is a megabyte of JSON, which
 * keccak in JavaScript takes ~60 ms to hash and the runtime's native SHA-256 ~3 ms; the evidence
 * hash that goes on-chain is still keccak, over the small encoding that carries this digest.
 * The bytes are canonicalJson's for the array of rows [id, account, market, side, size, entry,
 * collateral], written row by row and streamed to the hash: the generic encoder's per-value
 * recursion was the service's largest cost per observation on a 10,000-position book.
 */
export function positionsDigest(s: Snapshot): string {
  const rows = s.positions.map((p) => ({ id: p.id ?? `${p.account}:${p.market}`, p })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hash = createHash("sha256");
  let chunk = "[";
  for (let i = 0; i < rows.length; i++) {
    const { id, p } = rows[i];
    chunk += `${i ? "," : ""}[${JSON.stringify(id)},${JSON.stringify(p.account.toLowerCase())},${JSON.stringify(p.market)},${finite(p.side)},${finite(p.size)},${finite(p.entryPrice)},${finite(p.collateral)}]`;
    if (chunk.length >= 1 << 16) {
      hash.update(chunk, "utf8");
      chunk = "";
    }
  }
  return `sha256:0x${hash.update(`${chunk}]`, "utf8").digest("hex")}`;
}

/** A number as canonicalJson writes it (JSON's shortest round-trip form), refusing what it refuses. */
function finite(x: number): string {
  if (!Number.isFinite(x)) throw new TypeError(`cannot encode ${x} canonically`);
  return JSON.stringify(x);
}

/** What a decision was made on: enough for anyone to recompute it from the chain. */
export interface EvidenceInputs {
  protocol: string;
  modelVersion: string;
  block: { number: number; hash: string; timestamp: number };
  /** Market → oracle answer as read on-chain (integer, with its decimals). */
  prices: Record<string, { answer: bigint; decimals: number }>;
  /** Market → parameter → on-chain value. */
  params: Record<string, Record<string, bigint>>;
  positionsDigest: string;
  positionCount: number;
  /** Digest of the policy in force (its canonical JSON). */
  policyDigest: string;
}

export interface Evidence {
  encoding: string;
  hash: string;
}

export function evidenceOf(inputs: EvidenceInputs): Evidence {
  const encoding = canonicalJson(inputs);
  return { encoding, hash: keccakText(encoding) };
}

/**
 * The idempotency key of an action: the same protocol, market, action, target value and observation
 * epoch give the same key, so a decision re-derived by another keeper process is recognised by the
 * steward as the same one and executes once.
 */
export function idempotencyKey(protocol: string, market: string, kind: string, target: unknown, epoch: number): string {
  return keccakText(canonicalJson({ protocol, market, kind, target, epoch }));
}
