/**
 * Conversions at the adapter boundary: on-chain integers become floats for the risk engine,
 * and nothing float ever travels the other way without explicit rounding (see policy).
 */

/**
 * bigint with `decimals` → the float nearest to its exact decimal value, parsed from the decimal
 * string (as Number(formatUnits(…)) would, without ethers' FixedNumber: a snapshot converts tens
 * of thousands of these per observation).
 */
export function toFloat(value: bigint, decimals: number): number {
  if (decimals === 0) return Number(value);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, "0");
  const n = Number(`${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`);
  return negative ? -n : n;
}

/** Market ids are bytes32 on-chain and readable text off-chain ("ETH-USD"). */
export function marketIdToText(id: string): string {
  const hex = id.startsWith("0x") ? id.slice(2) : id;
  const bytes = Buffer.from(hex, "hex");
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString("utf8");
}

export function textToMarketId(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > 31) throw new RangeError(`market id "${text}" is longer than 31 bytes`);
  return "0x" + Buffer.concat([bytes, Buffer.alloc(32 - bytes.length)]).toString("hex");
}
