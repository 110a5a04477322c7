/** Nothing is deployed where the config says a contract is. */
export class NoContractError extends Error {
  override readonly name = "NoContractError";
  constructor(
    readonly role: string,
    readonly address: string,
    readonly chainId: bigint,
  ) {
    super(`no contract at ${address} (${role}) on chain ${chainId}: check the address in the config`);
  }
}

/** An oracle answer the keeper must not act on (non-positive). */
export class OracleAnswerError extends Error {
  override readonly name = "OracleAnswerError";
  constructor(
    readonly market: string,
    readonly feed: string,
    readonly answer: bigint,
  ) {
    super(`oracle of ${market} (${feed}) answers ${answer}: a price must be positive`);
  }
}

export class UnsupportedActionError extends Error {
  override readonly name = "UnsupportedActionError";
  constructor(
    readonly adapter: string,
    readonly kind: string,
  ) {
    super(`the ${adapter} adapter cannot build a "${kind}" action`);
  }
}

export class UnknownMarketError extends Error {
  override readonly name = "UnknownMarketError";
  constructor(
    readonly protocol: string,
    readonly market: string,
  ) {
    super(`protocol ${protocol} has no market "${market}"`);
  }
}
