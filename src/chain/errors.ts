/** The nonce lock for a signing key could not be taken in time (another process holds it). */
export class NonceLockTimeoutError extends Error {
  override readonly name = "NonceLockTimeoutError";
  constructor(
    readonly address: string,
    readonly waitedMs: number,
  ) {
    super(`could not take the nonce lock of ${address} within ${waitedMs} ms`);
  }
}

/** The relay refused or failed a request. */
export class RelayError extends Error {
  override readonly name = "RelayError";
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}
