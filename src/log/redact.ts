/**
 * Removes secrets from anything that is about to be logged or shown: registered secret
 * values (keys, RPC URLs read from the environment), anything shaped like a private key,
 * and the credential-bearing parts of URLs.
 */
export class Redactor {
  /** secret → what is printed instead (a URL keeps its host, so operators still know which RPC). */
  private readonly secrets = new Map<string, string>();

  /** Registers values that must never be printed; short values are refused to avoid masking noise. */
  register(...values: (string | undefined)[]): this {
    for (const v of values) {
      if (!v || v.length < 8) continue;
      this.secrets.set(v, /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? redactUrl(v) : "[REDACTED]");
      // A key may also be printed without its 0x prefix.
      if (/^0x[0-9a-fA-F]{64}$/.test(v)) this.secrets.set(v.slice(2), "[REDACTED]");
    }
    return this;
  }

  /** `hex32Allowed`: the text is known to be a hash (a field named txHash, evidenceHash…), not a key. */
  redact(text: string, hex32Allowed = false): string {
    let out = text;
    for (const [secret, replacement] of this.secrets) out = out.split(secret).join(replacement);
    return redactPatterns(out, hex32Allowed);
  }

  /** Deep copy of a log record with every string redacted. */
  redactValue<T>(value: T, seen = new WeakSet<object>()): T {
    if (typeof value === "string") return this.redact(value) as T;
    if (typeof value === "bigint") return value.toString() as T;
    if (value === null || typeof value !== "object") return value;
    if (seen.has(value as object)) return "[Circular]" as T;
    seen.add(value as object);
    if (value instanceof Error) {
      return { name: value.name, message: this.redact(value.message), stack: value.stack && this.redact(value.stack) } as T;
    }
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v, seen)) as T;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = typeof v === "string" ? this.redact(v, HASH_FIELD.test(k) && !SECRET_FIELD.test(k)) : this.redactValue(v, seen);
    }
    return out as T;
  }
}

const PRIVATE_KEY = /\b(0x)?[0-9a-fA-F]{64}\b/g;
// Hashes (tx hashes, evidence hashes, keys) are also 32 bytes: keep those that are labelled as such.
const HASH_CONTEXT = /(hash|evidence|digest|root|topic|idempotencyKey|actionKey|jobId)["']?\s*[:=]\s*["']?$/i;
const HASH_FIELD = /(hash|evidence|digest|root|topic|idempotencyKey|actionKey|jobId|hashes)$/i;
const SECRET_FIELD = /(private|secret|mnemonic|password|auth)/i;

function redactPatterns(text: string, hex32Allowed = false): string {
  let out = hex32Allowed
    ? text
    : text.replace(PRIVATE_KEY, (match, _p, offset: number, whole: string) => {
        const before = whole.slice(Math.max(0, offset - 24), offset);
        return HASH_CONTEXT.test(before) ? match : "[REDACTED_KEY]";
      });
  out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/"'@]+@)?([^\s/"'?#]+)([^\s"']*)/gi, (_m, scheme, _cred, host, rest) => `${scheme}${host}${rest ? redactUrlRest(rest) : ""}`);
  return out;
}

/** Keeps a URL's host (what an operator needs to recognise it) and drops paths and queries that may hold API keys. */
function redactUrlRest(rest: string): string {
  if (rest === "/" || rest === "") return rest;
  return "/[REDACTED]";
}

/** Redacts a URL for error messages: `https://eth.example/v2/abc123` → `https://eth.example/[REDACTED]`. */
export function redactUrl(url: string): string {
  return redactPatterns(url, true);
}
