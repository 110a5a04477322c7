import type { Plan, PlannedAction, PolicyConfig } from "../policy";
import { idempotencyKey, marketPolicy } from "../policy";
import type { ParamBounds, ProtocolSnapshot } from "../domain/protocol-state";
import { minShock } from "../risk";
import { tightenLimit } from "../policy/units";

/**
 * The naive bot, the scorecard's strawman: whenever a market reads at the act level or worse —
 * svr below act, or a breaking shock below act, on this one observation, with no confirmation,
 * no hysteresis, no forecast — it tightens every lever the steward governs by the steward's
 * maximum step, as soon as the steward's delay allows. It never relaxes and never deleverages.
 * Pure: the same snapshot and plan give the same actions. `addressOf` names a market as the
 * steward's call does (an Aave reserve by its asset address).
 */
export function naiveActions(snapshot: ProtocolSnapshot, plan: Plan, config: PolicyConfig, addressOf: (market: string) => string = (m) => m): PlannedAction[] {
  const out: PlannedAction[] = [];
  const now = BigInt(snapshot.block.timestamp);
  const epoch = Math.floor(snapshot.block.timestamp / config.epochSeconds);
  for (const report of plan.markets) {
    const policy = marketPolicy(config, report.market);
    const shock = minShock(report.breakingShock);
    const svrBreach = report.svr !== null && report.svr < policy.svr.act;
    const shockBreach = shock !== null && shock < policy.breakingShock.act;
    if (!svrBreach && !shockBreach) continue;
    const onchain = snapshot.markets.find((m) => m.id === report.market);
    const bounds = snapshot.steward.bounds[report.market] ?? {};
    if (!onchain || snapshot.steward.frozen) continue;
    const p = onchain.params;
    // Every parameter the steward lets it tighten now, by the most it may.
    const next = (name: string, tightenIsIncrease: boolean): bigint | undefined => {
      const b: ParamBounds | undefined = bounds[name];
      const v = p[name];
      if (b === undefined || v === undefined || b.lastUpdate + b.tightenDelay > now) return undefined;
      const t = tightenLimit(v, b, tightenIsIncrease); // the steward's step, relative or absolute, within [min, max]
      return t === v ? undefined : t;
    };
    const reason: PlannedAction["reason"] = svrBreach
      ? { metric: "svr", level: "act", observed: report.svr, threshold: policy.svr.act }
      : { metric: "breakingShock", level: "act", observed: shock, threshold: policy.breakingShock.act };
    const planned = (action: PlannedAction["action"], target: unknown): PlannedAction => ({
      action,
      urgency: "act",
      reason,
      expected: { metric: "svr", before: report.svr, after: null },
      note: "naive: every lever by the steward's maximum step",
      provenance: {
        idempotencyKey: idempotencyKey(snapshot.risk.protocol, report.market, `naive-${action.kind}`, target, epoch),
        evidenceHash: plan.evidence.hash,
        validUntil: BigInt(Number(now) + policy.urgentValiditySeconds),
      },
    });
    if (p.IMR !== undefined && p.MMR !== undefined) {
      const imr = next("IMR", true);
      const mmr = next("MMR", true);
      if (imr !== undefined || mmr !== undefined) {
        const imrBps = imr ?? p.IMR;
        const mmrBps = mmr ?? p.MMR;
        // The protocol wants IMR above MMR: a capped IMR holds the MMR below it.
        if (imrBps > mmrBps) out.push(planned({ kind: "setMarginRatios", market: report.market, imrBps, mmrBps, expected: { imrBps: p.IMR, mmrBps: p.MMR } }, [imrBps, mmrBps]));
      }
      const longCap = next("LONG_CAP", false);
      const shortCap = next("SHORT_CAP", false);
      if (longCap !== undefined || shortCap !== undefined) {
        const caps = { longCap: longCap ?? p.LONG_CAP, shortCap: shortCap ?? p.SHORT_CAP };
        out.push(planned({ kind: "setOpenInterestCaps", market: report.market, ...caps, expected: { longCap: p.LONG_CAP, shortCap: p.SHORT_CAP } }, [caps.longCap, caps.shortCap]));
      }
    }
    if (p.LTV !== undefined && p.LIQ_THRESHOLD !== undefined && p.LIQ_BONUS !== undefined) {
      const ltv = next("LTV", false);
      const lt = next("LIQ_THRESHOLD", false);
      if (ltv !== undefined || lt !== undefined) {
        const ltvBps = ltv ?? p.LTV;
        const liquidationThresholdBps = lt ?? p.LIQ_THRESHOLD;
        if (ltvBps <= liquidationThresholdBps)
          out.push(
            planned(
              {
                kind: "setReserveRisk",
                market: addressOf(report.market),
                ltvBps,
                liquidationThresholdBps,
                liquidationBonusBps: p.LIQ_BONUS,
                expected: { ltvBps: p.LTV, liquidationThresholdBps: p.LIQ_THRESHOLD, liquidationBonusBps: p.LIQ_BONUS },
              },
              [ltvBps, liquidationThresholdBps],
            ),
          );
      }
      const supplyCap = next("SUPPLY_CAP", false);
      const borrowCap = next("BORROW_CAP", false);
      if (supplyCap !== undefined || borrowCap !== undefined) {
        const caps = { supplyCap: supplyCap ?? p.SUPPLY_CAP, borrowCap: borrowCap ?? p.BORROW_CAP };
        out.push(planned({ kind: "setReserveCaps", market: addressOf(report.market), ...caps, expected: { supplyCap: p.SUPPLY_CAP, borrowCap: p.BORROW_CAP } }, [caps.supplyCap, caps.borrowCap]));
      }
    }
  }
  return out;
}
