import { Contract, Wallet, type JsonRpcSigner } from "ethers";
import { aaveAbi, ourAbi } from "../abi";
import type { Logger } from "../log/logger";
import type { PolicyConfig } from "../policy";
import type { ProtocolAdapter } from "../protocols/adapter";
import { textToMarketId } from "../protocols/units";
import { computeMetrics } from "../risk";
import { headOf } from "../rpc/reads";
import type { RehearsalClockProvider } from "../rehearse/clock";
import { governanceProfile, type GovernanceProfileName } from "../steward/profiles";
import { impersonate, installSteward, type InstalledSteward, type RehearsalTarget } from "../rehearse/install";
import { adapterFor, playPass, REHEARSAL_KEEPER_KEY, type PassRecord } from "../rehearse/rehearse";
import { totalSteps } from "../rehearse/scenario";
import { ScenarioWorld } from "../rehearse/world";
import { naiveActions } from "./naive";
import { acrossSeeds, scoreScenario, summarize, type EvaluateSummary, type ScenarioScore, type SeedSpread, type StrategyName } from "./scorecard";
import type { SuiteScenario } from "./seeds";

export interface EvaluateOptions {
  provider: RehearsalClockProvider;
  chainId: bigint;
  targets: RehearsalTarget[];
  policies: Record<string, PolicyConfig>;
  /** The suite, with its noise-seed variants when several seeds are asked for (see acrossNoiseSeeds). */
  scenarios: SuiteScenario[];
  profile: GovernanceProfileName;
  /** Which strategies to play, in any order; static needs keeper (it sets the keeper's end state). */
  strategies: StrategyName[];
  logger: Logger;
  onStep?: (scenario: string, strategy: StrategyName, step: number, steps: number) => void;
  fork?: { url: string; block: number };
}

export interface Scorecard {
  profile: { name: string; description: string };
  chain: { chainId: string; fork?: { url: string; block: number } };
  /** What the figures stand on: real parts and synthetic parts, said plainly. */
  provenance: { real: string[]; synthetic: string[] };
  /** One score per play: a scenario, or with several noise seeds each of its variants. */
  scenarios: ScenarioScore[];
  /** With several noise seeds: each suite scenario's spread over them (the summary is on their means). */
  acrossSeeds?: SeedSpread[];
  passes: Record<string, Partial<Record<StrategyName, PassRecord>>>;
  summary: EvaluateSummary;
}

/** The scorecard's verdicts over its plays: the summary, and the spread over noise seeds when there are several. */
export function verdicts(scores: ScenarioScore[], profile: string, strategies: StrategyName[], wallMs: number): Pick<Scorecard, "acrossSeeds" | "summary"> {
  const spread = acrossSeeds(scores);
  return { ...(spread.length ? { acrossSeeds: spread } : {}), summary: summarize(scores, profile, strategies, wallMs) };
}

/** Parameters governance sets once for the static strategy: protocol → market → name → value. */
type EndParams = Record<string, Record<string, Record<string, bigint>>>;

/** The order strategies are played in: static needs the keeper's end state. */
const PLAY_ORDER: StrategyName[] = ["none", "keeper", "static", "naive"];

/**
 * Plays every scenario under each strategy from one chain state: stewards installed once, then
 * for every scenario and strategy the chain is reverted to the same snapshot. none observes only;
 * keeper is the real policy acting through the steward; static has governance set, before step 0,
 * the parameters the keeper ended with and then observes only; naive tightens every lever by the
 * steward's maximum step whenever a market reads at act or worse.
 */
export async function evaluate(opts: EvaluateOptions): Promise<Scorecard> {
  const started = Date.now();
  const { provider } = opts;
  if (opts.strategies.includes("static") && !opts.strategies.includes("keeper")) throw new Error("strategy static needs keeper: it sets the parameters the keeper ends with");
  const keeper = new Wallet(REHEARSAL_KEEPER_KEY, provider);
  const profile = governanceProfile(opts.profile);
  const installed: InstalledSteward[] = [];
  for (const t of opts.targets) installed.push(await installSteward(provider, t, keeper.address, profile.name));
  const adapters = installed.map((i) => adapterFor(provider, opts.chainId, i));
  const addresses = await reserveAddresses(provider, opts.targets);
  let base = await provider.send("evm_snapshot", []);

  const scores: ScenarioScore[] = [];
  const passes: Scorecard["passes"] = {};
  for (const scenario of opts.scenarios) {
    const t0 = Date.now();
    await provider.send("evm_revert", [base]);
    base = await provider.send("evm_snapshot", []);
    provider.startStepAt(0);
    const world = await ScenarioWorld.open(provider, scenario, installed);
    const startOpenInterestUsd = (await Promise.all(adapters.map(async (a) => computeMetrics((await a.readSnapshot(await headOf(provider))).risk).protocol.notionalOpenInterest))).reduce(
      (s, v) => s + v,
      0,
    );
    let start = await provider.send("evm_snapshot", []);
    const played: { strategy: StrategyName; record: PassRecord; governance?: { actions: number; gasUsed: number } }[] = [];
    let endParams: EndParams = {};
    for (const strategy of PLAY_ORDER.filter((s) => opts.strategies.includes(s))) {
      if (played.length) {
        await provider.send("evm_revert", [start]);
        start = await provider.send("evm_snapshot", []);
      }
      const passOpts = { ...opts, scenario, onStep: (s: number, n: number) => opts.onStep?.(scenario.name, strategy, s, n) };
      let governance: { actions: number; gasUsed: number } | undefined;
      if (strategy === "static") {
        provider.startStepAt(0);
        governance = await setOnce(provider, installed, adapters, endParams);
      }
      const mode = strategy === "keeper" ? { act: true } : strategy === "naive" ? { act: true, actionsOf: naiveFor(opts.policies, addresses) } : { act: false };
      const record = await playPass(strategy, mode, passOpts, world, adapters, keeper);
      if (strategy === "keeper") endParams = await readGoverned(provider, adapters);
      played.push({ strategy, record, governance });
      opts.logger.info("evaluate pass", { scenario: scenario.name, strategy, badDebtUsd: record.final.badDebtUsd, liquidations: record.final.liquidations });
    }
    passes[scenario.name] = Object.fromEntries(played.map((p) => [p.strategy, p.record]));
    scores.push(
      scoreScenario(
        { name: scenario.name, description: scenario.description, steps: totalSteps(scenario), secondsPerStep: scenario.secondsPerStep, seed: scenario.seed, variantOf: scenario.variantOf },
        startOpenInterestUsd,
        played,
        Date.now() - t0,
      ),
    );
  }
  await provider.send("evm_revert", [base]);
  return {
    profile: { name: profile.name, description: profile.description },
    chain: { chainId: opts.chainId.toString(), fork: opts.fork },
    provenance: provenanceOf(opts),
    scenarios: scores,
    passes,
    ...verdicts(scores, profile.name, opts.strategies, Date.now() - started),
  };
}

function naiveFor(policies: Record<string, PolicyConfig>, addresses: Record<string, Record<string, string>>) {
  return (snapshot: Parameters<typeof naiveActions>[0], plan: Parameters<typeof naiveActions>[1]) =>
    naiveActions(snapshot, plan, policies[snapshot.risk.protocol], (market) => addresses[snapshot.risk.protocol]?.[market] ?? market);
}

/** Aave names a reserve by its symbol in snapshots and by its asset address in the steward's calls. */
async function reserveAddresses(provider: RehearsalClockProvider, targets: RehearsalTarget[]): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const t of targets) {
    if (t.kind !== "aaveV3") continue;
    const data = new Contract(t.dataProvider, aaveAbi("AaveProtocolDataProvider"), provider);
    out[t.id] = Object.fromEntries(((await data.getAllReservesTokens()) as { symbol: string; tokenAddress: string }[]).map((r) => [r.symbol, r.tokenAddress]));
  }
  return out;
}

/** Every parameter the steward governs, as the keeper left it. */
async function readGoverned(provider: RehearsalClockProvider, adapters: ProtocolAdapter[]): Promise<EndParams> {
  const out: EndParams = {};
  const head = await headOf(provider);
  for (const a of adapters) {
    const snap = await a.readSnapshot(head);
    out[a.protocolId] = Object.fromEntries(snap.markets.map((m) => [m.id, Object.fromEntries(Object.entries(m.params).filter(([k]) => snap.steward.bounds[m.id]?.[k] !== undefined))]));
  }
  return out;
}

/**
 * The static strategy's one governance change: every governed parameter the keeper ended with,
 * set directly by governance (impersonated) before the scenario starts. Returns the transactions it took.
 */
async function setOnce(provider: RehearsalClockProvider, installed: InstalledSteward[], adapters: ProtocolAdapter[], end: EndParams): Promise<{ actions: number; gasUsed: number }> {
  let actions = 0;
  let gasUsed = 0;
  const send = async (signer: JsonRpcSigner, c: Contract, method: string, args: unknown[]) => {
    const receipt = await (await (c.connect(signer) as Contract)[method](...args)).wait();
    return Number(receipt.gasUsed);
  };
  for (const [i, inst] of installed.entries()) {
    const target = inst.target;
    const now = await adapters[i].readSnapshot(await headOf(provider));
    const gov = await impersonate(provider, inst.governance);
    const wanted = end[target.id] ?? {};
    const changed = now.markets.filter((m) => Object.entries(wanted[m.id] ?? {}).some(([k, v]) => m.params[k] !== v));
    if (!changed.length) continue;
    if (target.kind === "reference") {
      const perps = new Contract(target.perps, ourAbi("ReferencePerps"), provider);
      // Governance owns the protocol; the steward is its risk admin: lend the role to governance for the change.
      gasUsed += await send(gov, perps, "setRiskAdmin", [inst.governance]);
      for (const m of changed) {
        const w = wanted[m.id];
        if (w.IMR !== m.params.IMR || w.MMR !== m.params.MMR) {
          gasUsed += await send(gov, perps, "setMarginRatios", [textToMarketId(m.id), w.IMR, w.MMR]);
          actions++;
        }
        if (w.LONG_CAP !== m.params.LONG_CAP || w.SHORT_CAP !== m.params.SHORT_CAP) {
          gasUsed += await send(gov, perps, "setOpenInterestCaps", [textToMarketId(m.id), w.LONG_CAP, w.SHORT_CAP]);
          actions++;
        }
      }
      gasUsed += await send(gov, perps, "setRiskAdmin", [inst.steward]);
    } else {
      const addresses = new Contract(target.addressesProvider, aaveAbi("PoolAddressesProvider"), provider);
      const configurator = new Contract(await addresses.getPoolConfigurator(), aaveAbi("PoolConfigurator"), provider);
      const data = new Contract(target.dataProvider, aaveAbi("AaveProtocolDataProvider"), provider);
      const assetOf = new Map<string, string>(((await data.getAllReservesTokens()) as { symbol: string; tokenAddress: string }[]).map((r) => [r.symbol, r.tokenAddress]));
      for (const m of changed) {
        const w = wanted[m.id];
        const asset = assetOf.get(m.id) ?? m.id;
        if (w.LTV !== m.params.LTV || w.LIQ_THRESHOLD !== m.params.LIQ_THRESHOLD) {
          gasUsed += await send(gov, configurator, "configureReserveAsCollateral", [asset, w.LTV, w.LIQ_THRESHOLD, w.LIQ_BONUS ?? m.params.LIQ_BONUS]);
          actions++;
        }
        if (w.SUPPLY_CAP !== m.params.SUPPLY_CAP) {
          gasUsed += await send(gov, configurator, "setSupplyCap", [asset, w.SUPPLY_CAP]);
          actions++;
        }
        if (w.BORROW_CAP !== m.params.BORROW_CAP) {
          gasUsed += await send(gov, configurator, "setBorrowCap", [asset, w.BORROW_CAP]);
          actions++;
        }
      }
    }
  }
  return { actions, gasUsed };
}

function provenanceOf(opts: EvaluateOptions): Scorecard["provenance"] {
  const kinds = new Set(opts.targets.map((t) => t.kind));
  const real = [
    opts.fork ? `chain state forked at block ${opts.fork.block}` : "contract bytecode executed by Hardhat's EVM on an embedded chain",
    ...(kinds.has("reference") ? ["the reference perps protocol and its RiskSteward (this repository's contracts)"] : []),
    ...(kinds.has("aaveV3") ? ["Aave V3 (bytecode from @aave/core-v3) behind an AaveRiskSteward"] : []),
    "every keeper and naive action: simulated, signed, mined and gas-metered through the steward",
  ];
  const synthetic = [
    ...(opts.fork ? [] : ["the positions book (seeded) and the Aave lenders and borrowers"]),
    "price paths (the scenario files: a factor path with betas and seeded noise, or an explicit price path; those shaped after real events say which figures they follow)",
    "spot pools and their liquidity, traders opening positions, liquidators who take every position under maintenance each step",
    `governance bounds: profile ${opts.profile}`,
  ];
  return { real, synthetic };
}
