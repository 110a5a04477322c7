import { Interface, type ErrorDescription } from "ethers";

/** A revert, named: a custom error with its arguments, Error(string), Panic(code), or raw data. */
export type DecodedRevert =
  | { kind: "custom"; name: string; args: Record<string, unknown>; signature: string; data: string }
  | { kind: "message"; message: string; data: string }
  | { kind: "panic"; code: bigint; data: string }
  | { kind: "unknown"; data: string };

/** Solidity's Panic(uint256) codes, named (gmx-synthetics' utils/error.ts keeps the same map). */
export const PANIC_REASONS: Readonly<Record<number, string>> = {
  0x00: "generic compiler panic",
  0x01: "assert(false)",
  0x11: "arithmetic underflow or overflow",
  0x12: "division or modulo by zero",
  0x21: "enum value out of range",
  0x22: "corrupt storage byte array",
  0x31: "pop() on an empty array",
  0x32: "array index out of bounds",
  0x41: "too much memory allocated",
  0x51: "call to an uninitialized function",
};

const STANDARD = new Interface(["error Error(string)", "error Panic(uint256)"]);

/** One decoder for every revert the keeper meets: give it the interfaces of the contracts it calls. */
export class RevertDecoder {
  constructor(private readonly interfaces: Interface[]) {}

  decode(data: string | null | undefined): DecodedRevert {
    const hex = data ?? "0x";
    if (hex.length < 10) return { kind: "unknown", data: hex };
    const std = safeParse(STANDARD, hex);
    if (std?.name === "Error") return { kind: "message", message: String(std.args[0]), data: hex };
    if (std?.name === "Panic") return { kind: "panic", code: std.args[0] as bigint, data: hex };
    for (const iface of this.interfaces) {
      const e = safeParse(iface, hex);
      if (e) {
        const args: Record<string, unknown> = {};
        e.fragment.inputs.forEach((input, i) => (args[input.name || String(i)] = e.args[i]));
        return { kind: "custom", name: e.name, args, signature: e.signature, data: hex };
      }
    }
    return { kind: "unknown", data: hex };
  }

  /** One line for logs and operators: `StepTooLarge(market=0x…, param=0x…, oldValue=500, …)`. */
  describe(r: DecodedRevert): string {
    switch (r.kind) {
      case "custom":
        return `${r.name}(${Object.entries(r.args)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(", ")})`;
      case "message":
        return `Error("${r.message}")`;
      case "panic":
        return `Panic(0x${r.code.toString(16)}: ${PANIC_REASONS[Number(r.code)] ?? "unknown panic code"})`;
      case "unknown":
        return r.data === "0x" ? "reverted without data" : `unknown error ${r.data.slice(0, 10)}`;
    }
  }
}

function safeParse(iface: Interface, data: string): ErrorDescription | null {
  try {
    return iface.parseError(data);
  } catch {
    return null;
  }
}

/** Digs the revert data out of an ethers error (it sits in different places per provider). */
export function revertDataOf(e: unknown): string | undefined {
  const err = e as { data?: unknown; info?: { error?: { data?: unknown } }; error?: { data?: unknown } };
  for (const candidate of [err?.data, err?.info?.error?.data, err?.error?.data]) {
    if (typeof candidate === "string" && candidate.startsWith("0x")) return candidate;
    const nested = (candidate as { data?: unknown } | undefined)?.data;
    if (typeof nested === "string" && nested.startsWith("0x")) return nested;
  }
  return undefined;
}
