/** Plain-text rendering for the terminal: aligned tables and human numbers. */

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: "left" | "right";
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => ((columns[i].align ?? "right") === "left" ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ");
  const out = [line(columns.map((c) => c.header)), widths.map((w) => "─".repeat(w)).join("  "), ...cells.map(line)];
  return out.join("\n");
}

/** $1.23M, $45.6k, $789 — what a risk desk reads at a glance. */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const sign = value < 0 ? "-" : "";
  const v = Math.abs(value);
  if (v >= 1e9) return `${sign}$${(v / 1e9).toFixed(2)}B`;
  if (v >= 1e6) return `${sign}$${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${sign}$${(v / 1e3).toFixed(1)}k`;
  return `${sign}$${v.toFixed(0)}`;
}

export function ratio(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toFixed(digits);
}

export function percent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${(value * 100).toFixed(digits)}%`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

/**
 * A market as a reader names it: its label (a reserve's symbol) with the id shortened beside it, so
 * "WETH (0xC02a…6Cc2)" reads at a glance and still tells two reserves of one symbol apart; the id alone without a label.
 */
export function marketName(id: string, label?: string): string {
  if (!label || label === id) return id;
  return /^0x[0-9a-fA-F]{40}$/.test(id) ? `${label} (${id.slice(0, 6)}…${id.slice(-4)})` : `${label} (${id})`;
}

/** JSON that survives bigints (as decimal strings). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/**
 * A steward parameter as a reader wants it: open-interest caps (18-decimal USD on-chain) in USD,
 * margins and thresholds in basis points, anything else (token-unit caps) as stored.
 */
export function paramValue(param: string, raw: string): string {
  if (raw === "—" || !/^[0-9]+$/.test(raw)) return raw;
  if (param === "LONG_CAP" || param === "SHORT_CAP") return usd(Number(BigInt(raw) / 10n ** 12n) / 1e6);
  if (["IMR", "MMR", "LTV", "LIQ_THRESHOLD", "LIQ_BONUS"].includes(param)) return `${raw} bps`;
  return raw;
}
