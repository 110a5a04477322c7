import type { Provider } from "ethers";

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

const GWEI = 10n ** 9n;

/**
 * EIP-1559 fees from eth_feeHistory: the median priority fee of recent blocks (at least 1 gwei),
 * and twice the next base fee as headroom for a few full blocks, never above `cap`.
 */
export async function estimateFees(provider: Provider & { send(method: string, params: unknown[]): Promise<unknown> }, cap: bigint, urgentTip = false): Promise<Fees> {
  const history = (await provider.send("eth_feeHistory", ["0x5", "latest", [50]])) as { baseFeePerGas: string[]; reward?: string[][] };
  const nextBase = BigInt(history.baseFeePerGas[history.baseFeePerGas.length - 1]);
  const rewards = (history.reward ?? []).map((r) => BigInt(r[0] ?? "0")).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let tip = rewards.length ? rewards[Math.floor(rewards.length / 2)] : GWEI;
  if (tip < GWEI) tip = GWEI;
  if (urgentTip) tip *= 2n;
  let maxFee = nextBase * 2n + tip;
  if (maxFee > cap) maxFee = cap;
  if (tip > maxFee) tip = maxFee;
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
}

/**
 * Fees for a replacement: nodes accept one only if both fees rise by at least 10 %; bump by 12.5 %
 * (rounded up) so rounding never lands on the edge. Null when the cap leaves no room for a valid bump.
 */
export function bumpFees(f: Fees, cap: bigint): Fees | null {
  const up = (x: bigint) => (x * 1125n + 999n) / 1000n;
  const maxFee = up(f.maxFeePerGas);
  const tip = up(f.maxPriorityFeePerGas);
  if (maxFee > cap) {
    // A capped bump is valid only if it still clears the 10 % rule.
    const capped = cap;
    if (capped * 10n < f.maxFeePerGas * 11n) return null;
    return { maxFeePerGas: capped, maxPriorityFeePerGas: tip > capped ? capped : tip };
  }
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
}
