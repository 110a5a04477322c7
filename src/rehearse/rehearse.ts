import { keccak256, toUtf8Bytes, Wallet, type JsonRpcProvider } from "ethers";
import { headOf } from "../rpc/reads";
import type { RehearsalClockProvider } from "./clock";
import { keeperRevertDecoder } from "../protocols/revert-decoder";
import { act, type ActResult } from "../keeper/act";
import { observeProtocol } from "../keeper/observe";
import type { Logger } from "../log/logger";
import type { Plan, PlannedAction, PolicyConfig } from "../policy";
import type { ProtocolAdapter } from "../protocols/adapter";
import { marketLabels, type ProtocolSnapshot } from "../domain/protocol-state";
import { buildAdapter, type AdapterSpec } from "../protocols/factory";
import { inMemoryObserverMemory } from "../keeper/memory";
import { NO_OBSERVER_METRICS } from "../keeper/ports";
import { breakingShock, computeMetrics, runScenario, stressGrid, type ValueAtRiskReport } from "../risk";
import { currentValueAtRisk, type ValueAtRiskSettings } from "../policy/value-at-risk";
import { describeAction, describeReason } from "../policy/describe";
import { inProcessTransport } from "./executor";
import { DEFAULT_GOVERNANCE_PROFILE, governanceProfile, type GovernanceProfileName } from "../steward/profiles";
import { REPLICA_GOVERNANCE_PROFILE } from "../replica/aave-v3-ethereum";
import { installSteward, type InstalledSteward, type RehearsalTarget } from "./install";
import { totalSteps, type Scenario } from "./scenario";
import { ScenarioWorld, type StepEffects } from "./world";

export interface RehearsalOptions {
  provider: RehearsalClockProvider;
  chainId: bigint;
  targets: RehearsalTarget[];
  scenario: Scenario;
  policies: Record<string, PolicyConfig>;
  logger: Logger;
  /** Called after every step of every pass: a progress bar's feed. */
  onStep?: (pass: PassName, step: number, steps: number) => void;
  /** What the rehearsed protocol replicates, when it is a replica: what is real and what is synthetic. */
  replica?: ReplicaProvenance;
  /** Where the fork was taken (undefined: the embedded chain). */
  fork?: { url: string; block: number };
  /** The governance profile the installed stewards are bounded by (default: see `rehearsalProfile`). */
  profile?: GovernanceProfileName;
}

export type PassName = "counterfactual" | "keeper";

/** How a pass treats what the policy plans: the rehearsal's two passes, and the scorecard's baselines. */
export interface PassMode {
  /** Send actions through the steward; false: observe and plan only (the counterfactual). */
  act: boolean;
  /** A baseline's own actions in place of the policy's (the naive bot), from the snapshot and the policy's plan. */
  actionsOf?: (snapshot: ProtocolSnapshot, plan: Plan) => PlannedAction[];
}

/** What a pass needs of the rehearsal: the chain, the scenario and each protocol's policy. */
export type PassOptions = Pick<RehearsalOptions, "provider" | "chainId" | "scenario" | "policies" | "logger"> & {
  onStep?: (step: number, steps: number) => void;
};

export interface MarketObservation {
  market: string;
  level: string;
  svr: number | null;
  bufferUsd: number;
  breakingShockDown: number | null;
  breakingShockUp: number | null;
}

export interface ProtocolObservation {
  protocol: string;
  block: number;
  /** The observed block's time: the scenario's clock. */
  timestamp: number;
  status: "planned" | "skipped";
  skipReason?: string;
  svr: number | null;
  bufferUsd: number;
  /** Bad debt measured on-chain, USD: the reference protocol's ledger; Aave's debt left on accounts with no collateral. */
  badDebtUsd: number;
  /** Whether the protocol keeps a bad-debt ledger (a lending market's bad debt is only what liquidation would leave). */
  recordsBadDebt: boolean;
  /** What liquidating every position now would leave unpaid (the risk engine's no-shock cascade), USD. */
  shortfallNowUsd: number;
  insuranceFundUsd: number;
  /** Value at Risk's p99 shortfall (after the insurance fund) at this step, from the plan; null when none was computed. */
  valueAtRiskP99ShortfallUsd: number | null;
  markets: MarketObservation[];
}

export interface RehearsalAction {
  step: number;
  protocol: string;
  market: string;
  kind: string;
  description: string;
  urgency: string;
  reason: string;
  /** The policy's own account of the decision (for a margin raise: the danger and the cost–benefit figures). */
  note: string;
  idempotencyKey: string;
  evidenceHash: string;
  /** What happened to it: "included", "reverted", "dropped: …"; "not sent" in the counterfactual. */
  outcome: string;
  txHash?: string;
  block?: number;
  gasUsed?: number;
}

export interface StepRecord {
  step: number;
  effects: StepEffects;
  protocols: ProtocolObservation[];
}

export interface PassRecord {
  pass: string;
  steps: StepRecord[];
  actions: RehearsalAction[];
  /** Warnings to governance the policy raised (a fragile book it did not force positions out of). */
  warnings: { step: number; protocol: string; market: string; message: string }[];
  /** Totals at the end of the pass. */
  final: {
    badDebtUsd: number;
    shortfallNowUsd: number;
    liquidations: number;
    liquidatedNotionalUsd: number;
    /** Every account liquidated during the pass, once each. */
    liquidatedAccounts: string[];
    liquidationFeesUsd: number;
    opened: number;
    refused: number;
    refusedNotionalUsd: number;
    /** The same per protocol: bad debt measured on-chain at the end, liquidations over the pass. */
    protocols: ProtocolOutcome[];
  };
}

export interface ProtocolOutcome {
  protocol: string;
  liquidations: number;
  /** Reference protocol: notional closed; Aave: debt repaid by liquidators (USD). */
  liquidatedNotionalUsd: number;
  badDebtUsd: number;
}

export interface ProtocolPicture {
  protocol: string;
  svr: number | null;
  bufferUsd: number;
  breakingShockDown: number | null;
  breakingShockUp: number | null;
  /** Stress curve: protocol-wide move → shortfall, svr after. */
  stress: { delta: number; svr: number | null; shortfallUsd: number; liquidatedUsd: number }[];
  /** Value at Risk under the protocol's policy settings (its model is synthetic, stated in the report); absent when disabled. */
  valueAtRisk?: ValueAtRiskReport;
  params: Record<string, Record<string, string>>;
  /** Market id → what a person calls it (a reserve's symbol), where the adapter knows. */
  labels: Record<string, string>;
}

export interface RehearsalReport {
  scenario: { name: string; description: string; steps: number; secondsPerStep: number; seed: number };
  chain: { chainId: string; fork?: { url: string; block: number }; startBlock: number };
  keeper: string;
  /** The governance profile every steward of this rehearsal was bounded by. */
  governanceProfile: { name: GovernanceProfileName; description: string; chosenBy: ProfileChoice };
  stewards: { protocol: string; steward: string; governance: string }[];
  thresholds: Record<string, { svr: PolicyConfig["defaults"]["svr"] }>;
  before: ProtocolPicture[];
  after: ProtocolPicture[];
  counterfactual: PassRecord;
  keeperRun: PassRecord;
  wallMs: number;
  replica?: ReplicaProvenance;
}

export interface ReplicaProvenance {
  name: string;
  /** The real configuration it is built from. */
  source: string;
  reserves: number;
  borrowers: number;
  /** The synthetic book's distribution, said to be synthetic. */
  book: string;
  /** Where the replica cannot say what the source says. */
  differences: string[];
}

/** Why a rehearsal ran under its profile: asked for, the replica's own, or the rehearsals' default. */
export type ProfileChoice = "--profile" | "replica default" | "default";

/**
 * The profile a rehearsal runs under: the one asked for; else a replica's stewards are installed as
 * its governance installs them in production (the issue requires the replica to run under
 * `aave-production`); else the default (`permissive`).
 */
export function rehearsalProfile(asked: GovernanceProfileName | undefined, replica: boolean): { name: GovernanceProfileName; chosenBy: ProfileChoice } {
  if (asked !== undefined) return { name: asked, chosenBy: "--profile" };
  return replica ? { name: REPLICA_GOVERNANCE_PROFILE, chosenBy: "replica default" } : { name: DEFAULT_GOVERNANCE_PROFILE, chosenBy: "default" };
}

/** A fresh keeper key, the same on every run so that a rehearsal replays byte for byte. */
export const REHEARSAL_KEEPER_KEY = keccak256(toUtf8Bytes("svr-keeper rehearsal keeper (never funded outside a rehearsal chain)"));

/**
 * The rehearsal: install a steward in front of each protocol, then play the scenario twice from
 * the same chain state — once observing and planning without acting (the counterfactual), once
 * acting through the steward exactly as `svr-keeper run` does — and report both.
 */
export async function rehearse(opts: RehearsalOptions): Promise<RehearsalReport> {
  const started = Date.now();
  const { provider, scenario } = opts;
  const keeper = new Wallet(REHEARSAL_KEEPER_KEY, provider);
  const installed: InstalledSteward[] = [];
  const choice = rehearsalProfile(opts.profile, opts.replica !== undefined);
  const profile = governanceProfile(choice.name);
  for (const t of opts.targets) installed.push(await installSteward(provider, t, keeper.address, profile.name));
  const world = await ScenarioWorld.open(provider, scenario, installed);
  const adapters = installed.map((i) => adapterFor(provider, opts.chainId, i));
  const startBlock = await headOf(provider);
  const varSettings = (a: ProtocolAdapter) => opts.policies[a.protocolId].valueAtRisk;
  const before = await Promise.all(adapters.map(async (a) => picture(await a.readSnapshot(startBlock), varSettings(a))));

  const base = await provider.send("evm_snapshot", []);
  const counterfactual = await playPass("counterfactual", { act: false }, { ...opts, onStep: (s, n) => opts.onStep?.("counterfactual", s, n) }, world, adapters, keeper);
  await provider.send("evm_revert", [base]);
  const keeperRun = await playPass("keeper", { act: true }, { ...opts, onStep: (s, n) => opts.onStep?.("keeper", s, n) }, world, adapters, keeper);
  const endBlock = await headOf(provider);
  const after = await Promise.all(adapters.map(async (a) => picture(await a.readSnapshot(endBlock), varSettings(a))));

  return {
    scenario: { name: scenario.name, description: scenario.description, steps: totalSteps(scenario), secondsPerStep: scenario.secondsPerStep, seed: scenario.seed },
    chain: { chainId: opts.chainId.toString(), fork: opts.fork, startBlock },
    keeper: keeper.address,
    governanceProfile: { name: profile.name, description: profile.description, chosenBy: choice.chosenBy },
    stewards: installed.map((i) => ({ protocol: i.target.id, steward: i.steward, governance: i.governance })),
    thresholds: Object.fromEntries(opts.targets.map((t) => [t.id, { svr: opts.policies[t.id].defaults.svr }])),
    before,
    after,
    counterfactual,
    keeperRun,
    wallMs: Date.now() - started,
    replica: opts.replica,
  };
}

export function adapterFor(provider: JsonRpcProvider, chainId: bigint, i: InstalledSteward): ProtocolAdapter {
  const t = i.target;
  const common = { protocolId: t.id, chainId, steward: i.steward, multicall: t.multicall };
  const spec: AdapterSpec =
    t.kind === "reference"
      ? { kind: "reference", ...common, perps: t.perps, pools: t.pools }
      : { kind: "aaveV3", ...common, addressesProvider: t.addressesProvider, dataProvider: t.dataProvider, accounts: t.accounts };
  return buildAdapter(spec, provider);
}

/** Remembers the last snapshot the observer read, so the record shows exactly what was decided on. */
class RecordingAdapter implements ProtocolAdapter {
  last?: ProtocolSnapshot;
  constructor(private readonly inner: ProtocolAdapter) {}
  get protocolId() {
    return this.inner.protocolId;
  }
  get chainId() {
    return this.inner.chainId;
  }
  async readSnapshot(block: number): Promise<ProtocolSnapshot> {
    this.last = await this.inner.readSnapshot(block);
    return this.last;
  }
  buildAction(...args: Parameters<ProtocolAdapter["buildAction"]>) {
    return this.inner.buildAction(...args);
  }
  readParams(...args: Parameters<ProtocolAdapter["readParams"]>) {
    return this.inner.readParams(...args);
  }
}

/**
 * One pass of the scenario from the chain's current state: every step the world moves, then each
 * protocol is observed and planned for exactly as `svr-keeper run` does, and — when the mode acts —
 * the planned actions go through the steward.
 */
export async function playPass(pass: string, mode: PassMode, opts: PassOptions, world: ScenarioWorld, adapters: ProtocolAdapter[], keeper: Wallet): Promise<PassRecord> {
  const { provider, scenario, logger } = opts;
  const steps = totalSteps(scenario);
  world.reset();
  provider.startStepAt(0); // the chain was reverted under the previous pass's clock
  const memory = inMemoryObserverMemory();
  const decoder = keeperRevertDecoder();
  const transport = inProcessTransport(provider, keeper, opts.chainId);
  const recording = adapters.map((a) => new RecordingAdapter(a));
  const records: StepRecord[] = [];
  const actions: RehearsalAction[] = [];
  const warnings: PassRecord["warnings"] = [];
  await provider.send("evm_setAutomine", [true]);
  const t0 = Number((await provider.send("eth_getBlockByNumber", ["latest", false])).timestamp);

  for (let step = 0; step <= steps; step++) {
    // The scenario's clock: each step starts secondsPerStep after the previous one.
    provider.startStepAt(t0 + step * scenario.secondsPerStep);
    const effects = await world.play(step);
    const protocols: ProtocolObservation[] = [];
    for (const adapter of recording) {
      const result = await observeProtocol({ adapter, provider, policy: opts.policies[adapter.protocolId], memory, metrics: NO_OBSERVER_METRICS, alert: () => undefined, logger, maxPriceJump: 0.5 });
      const plan = result.status === "planned" ? result.plan : undefined;
      protocols.push(observation(adapter.last!, result.status, result.status === "skipped" ? result.reason : undefined, plan?.markets, plan?.valueAtRisk));
      if (result.status !== "planned") continue;
      for (const w of result.plan.warnings) warnings.push({ step, protocol: adapter.protocolId, market: w.market, message: w.message });
      const actionsToTake = mode.actionsOf ? mode.actionsOf(adapter.last!, result.plan) : result.plan.actions;
      for (const planned of actionsToTake) {
        const base: RehearsalAction = {
          step,
          protocol: adapter.protocolId,
          market: planned.action.market,
          kind: planned.action.kind,
          description: describeAction(planned.action),
          urgency: planned.urgency,
          reason: describeReason(planned.reason),
          note: planned.note,
          idempotencyKey: planned.provenance.idempotencyKey,
          evidenceHash: planned.provenance.evidenceHash,
          outcome: "not sent",
        };
        if (!mode.act) {
          actions.push(base);
          continue;
        }
        const done = await act({ provider, adapter, decoder, from: keeper.address, publicTransport: transport, confirmations: 1 }, planned);
        actions.push({ ...base, ...recordOf(done) });
        logger.info("rehearsal action", { protocol: adapter.protocolId, market: planned.action.market, step, outcome: actions[actions.length - 1].outcome });
      }
    }
    records.push({ step, effects, protocols });
    opts.onStep?.(step, steps);
  }
  const last = records[records.length - 1];
  const sum = (f: (e: StepEffects) => number) => records.reduce((s, r) => s + f(r.effects), 0);
  return {
    pass,
    steps: records,
    actions,
    warnings,
    final: {
      badDebtUsd: last.protocols.reduce((s, p) => s + p.badDebtUsd, 0),
      shortfallNowUsd: last.protocols.reduce((s, p) => s + p.shortfallNowUsd, 0),
      liquidations: sum((e) => e.liquidations),
      liquidatedNotionalUsd: sum((e) => e.liquidatedNotionalUsd),
      liquidatedAccounts: [...new Set(records.flatMap((r) => r.effects.liquidatedAccounts))],
      liquidationFeesUsd: sum((e) => e.liquidationFeesUsd),
      opened: sum((e) => e.opened),
      refused: sum((e) => e.refused),
      refusedNotionalUsd: sum((e) => e.refusedNotionalUsd),
      protocols: last.protocols.map((p) => ({
        protocol: p.protocol,
        liquidations: sum((e) => e.byProtocol[p.protocol]?.liquidations ?? 0),
        liquidatedNotionalUsd: sum((e) => e.byProtocol[p.protocol]?.liquidatedNotionalUsd ?? 0),
        badDebtUsd: p.badDebtUsd,
      })),
    },
  };
}

/** How an action ended, as the rehearsal records it. */
function recordOf(r: ActResult): Pick<RehearsalAction, "outcome" | "txHash" | "block" | "gasUsed"> {
  switch (r.status) {
    case "alreadyExecuted":
    case "dropped":
      return { outcome: `${r.status}: ${r.reason}` };
    case "included":
    case "reverted":
      return { outcome: r.status, txHash: r.txHash, block: r.blockNumber, gasUsed: Number(r.gasUsed) };
    default:
      return { outcome: r.status };
  }
}

function observation(
  snap: ProtocolSnapshot,
  status: "planned" | "skipped",
  skipReason: string | undefined,
  reports: { market: string; level: string; breakingShock: { down: number | null; up: number | null } }[] | undefined,
  valueAtRisk: ValueAtRiskReport | undefined,
): ProtocolObservation {
  const metrics = computeMetrics(snap.risk);
  return {
    protocol: snap.risk.protocol,
    block: snap.block.number,
    timestamp: snap.block.timestamp,
    status,
    skipReason,
    svr: metrics.protocol.svr,
    bufferUsd: metrics.protocol.systemicBuffer,
    badDebtUsd: onchainBadDebt(snap),
    recordsBadDebt: snap.recordedBadDebtUsd !== undefined,
    shortfallNowUsd: runScenario(snap.risk, {}).shortfall,
    insuranceFundUsd: snap.risk.insuranceFund,
    valueAtRiskP99ShortfallUsd: valueAtRisk?.protocols.find((p) => p.protocol === snap.risk.protocol)?.shortfall.p99 ?? null,
    markets: snap.risk.markets.map((m) => {
      const r = reports?.find((x) => x.market === m.id);
      return {
        market: m.id,
        level: r?.level ?? "unknown",
        svr: metrics.markets[m.id]?.svr ?? null,
        bufferUsd: metrics.markets[m.id]?.systemicBuffer ?? 0,
        breakingShockDown: r?.breakingShock.down ?? null,
        breakingShockUp: r?.breakingShock.up ?? null,
      };
    }),
  };
}

/** Bad debt measured on-chain by the adapter: the reference protocol's ledger; for Aave, debt on accounts left with no collateral. */
function onchainBadDebt(snap: ProtocolSnapshot): number {
  return snap.recordedBadDebtUsd ?? 0;
}

function picture(snap: ProtocolSnapshot, valueAtRisk: ValueAtRiskSettings): ProtocolPicture {
  const metrics = computeMetrics(snap.risk);
  const grid = stressGrid(snap.risk, { from: -0.5, to: 0.5, step: 0.025 });
  const bs = breakingShock(snap.risk);
  return {
    protocol: snap.risk.protocol,
    svr: metrics.protocol.svr,
    bufferUsd: metrics.protocol.systemicBuffer,
    breakingShockDown: bs.down,
    breakingShockUp: bs.up,
    stress: grid.map((g) => ({ delta: g.delta, svr: g.svr, shortfallUsd: g.shortfall, liquidatedUsd: g.liquidatedNotional })),
    valueAtRisk: currentValueAtRisk(snap.risk, valueAtRisk, undefined)?.report,
    // Only what the steward governs: a lending market's params also carry balances that accrue every block.
    params: Object.fromEntries(
      snap.markets.map((m) => [
        m.id,
        Object.fromEntries(
          Object.entries(m.params)
            .filter(([k]) => snap.steward.bounds[m.id]?.[k] !== undefined)
            .map(([k, v]) => [k, v.toString()]),
        ),
      ]),
    ),
    labels: marketLabels(snap.markets),
  };
}
