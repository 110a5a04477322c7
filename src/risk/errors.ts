/** A snapshot the risk engine refuses: `field` names the offending value, e.g. `positions[12].size`. */
export class SnapshotValidationError extends Error {
  override readonly name = "SnapshotValidationError";
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly value?: unknown,
  ) {
    super(`${field}: ${reason}${value === undefined ? "" : ` (got ${String(value)})`}`);
  }
}

/** Inputs to a computation (shocks, series, options) that make no sense. */
export class RiskInputError extends Error {
  override readonly name = "RiskInputError";
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
