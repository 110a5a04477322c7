/**
 * A deliberately naive account cascade: every round walks every open account object, looks each
 * leg's price up by asset id and judges it by its family's rule, with the same liquidation and
 * settlement rules as the engine. It checks the columnar engine, and the benchmark times it.
 */
import { aaveLiquidation, openVenue, type Account, type ShockVector, type Snapshot } from "../../../src/risk";

export interface NaiveAccountResult {
  rounds: number;
  liquidatedNotional: number;
  liquidatedPositions: number;
  deficit: number;
  shortfall: number;
  finalPrices: Record<string, number>;
}

interface Leg {
  kind: "collateral" | "debt" | "perp";
  asset: string;
  amount: number;
  weight: number;
  bps: number;
  bonus: number;
  fee: number;
  side: number;
  entry: number;
  basis: number;
}

export function naiveAccountScenario(s: Snapshot, shocks: ShockVector): NaiveAccountResult {
  const price = new Map(s.assets.map((a) => [a.id, a.price * (1 + (shocks[a.id] ?? 0))]));
  const venues = new Map(s.assets.map((a) => [a.id, openVenue(a.liquidity, price.get(a.id)!, a.price)]));
  const haircut = new Map(s.assets.map((a) => [a.id, a.haircut]));
  const markets = new Map(s.markets.map((m) => [m.id, { ...m, basis: m.mark / s.assets.find((a) => a.id === m.asset)!.price }]));
  const reserves = new Map((s.lending?.reserves ?? []).map((r) => [r.asset, r]));
  const categories = new Map((s.lending?.eModeCategories ?? []).map((c) => [c.id, c]));
  const perp = (market: string, side: number, size: number, entry: number): Leg => {
    const m = markets.get(market)!;
    return { kind: "perp", asset: m.asset, amount: size, weight: m.mmr, bps: 0, bonus: m.liquidationFee, fee: 0, side, entry, basis: m.basis };
  };
  const books: { aave: boolean; legs: Leg[]; open: boolean }[] = [
    ...s.positions.map((p) => ({
      aave: false,
      open: true,
      legs: [{ kind: "collateral" as const, asset: "", amount: p.collateral, weight: 1, bps: 0, bonus: 0, fee: 0, side: 0, entry: 0, basis: 1 }, perp(p.market, p.side, p.size, p.entryPrice)],
    })),
    ...(s.accounts ?? []).map((a: Account) => {
      if (a.family === "crossMarginPerp") {
        return {
          aave: false,
          open: true,
          legs: [
            ...a.collateral.map((c): Leg => ({
              kind: "collateral",
              asset: c.asset,
              amount: c.amount,
              weight: 1 - (c.haircut ?? haircut.get(c.asset)!),
              bps: 0,
              bonus: 0,
              fee: 0,
              side: 0,
              entry: 0,
              basis: 1,
            })),
            ...(a.positions ?? []).map((q) => perp(q.market, q.side, q.size, q.entryPrice)),
          ],
        };
      }
      const cat = a.eModeCategory ? categories.get(a.eModeCategory) : undefined;
      return {
        aave: true,
        open: true,
        legs: [
          ...a.collateral.map((c): Leg => {
            const r = reserves.get(c.asset)!;
            const inCat = cat !== undefined && r.eModeCategory === cat.id;
            const lt = r.liquidationThreshold === 0 ? 0 : inCat ? cat.liquidationThreshold : r.liquidationThreshold;
            return {
              kind: "collateral",
              asset: c.asset,
              amount: c.amount,
              weight: lt,
              bps: Math.round(lt * 10_000),
              bonus: inCat ? cat.liquidationBonus : r.liquidationBonus,
              fee: r.protocolFee,
              side: 0,
              entry: 0,
              basis: 1,
            };
          }),
          ...(a.debts ?? []).map((d): Leg => ({ kind: "debt", asset: d.asset, amount: d.amount, weight: 1, bps: 0, bonus: 0, fee: 0, side: 0, entry: 0, basis: 1 })),
        ],
      };
    }),
  ];
  const px = (asset: string) => (asset === "" ? 1 : price.get(asset)!);
  const healthOf = (b: (typeof books)[number]): number => {
    if (b.aave) {
      let c = 0;
      let w = 0;
      let d = 0;
      for (const l of b.legs) {
        if (l.amount === 0) continue;
        if (l.kind === "debt") d += l.amount * px(l.asset);
        else if (l.bps > 0) {
          c += l.amount * px(l.asset);
          w += l.amount * px(l.asset) * l.bps;
        }
      }
      if (!(d > 0)) return Infinity;
      if (!(c > 0)) return 0;
      return (c * Math.floor(w / c + 1e-9)) / 10_000 / d;
    }
    let eq = 0;
    let mt = 0;
    for (const l of b.legs) {
      if (l.kind === "perp") {
        const mark = px(l.asset) * l.basis;
        eq += l.side * l.amount * (mark - l.entry);
        mt += l.weight * l.amount * mark;
      } else eq += l.amount * px(l.asset) * l.weight;
    }
    return mt > 0 ? eq / mt : Infinity;
  };

  let rounds = 0;
  let liquidatedNotional = 0;
  let liquidatedPositions = 0;
  let deficit = 0;
  for (;;) {
    const hit: { b: (typeof books)[number]; hf: number }[] = [];
    for (const b of books) {
      if (!b.open) continue;
      const hf = healthOf(b);
      if (hf < 1) hit.push({ b, hf });
    }
    if (hit.length === 0) break;
    rounds++;
    const net = new Map<string, number>();
    const add = (a: string, x: number) => net.set(a, (net.get(a) ?? 0) + x);
    const closing: (typeof books)[number][] = [];
    for (const { b, hf } of hit) {
      if (!b.aave) {
        for (const l of b.legs) {
          if (l.kind === "perp") {
            add(l.asset, l.side * l.amount);
            liquidatedNotional += l.amount * px(l.asset) * l.basis;
            liquidatedPositions++;
          } else if (l.asset !== "" && l.amount > 0) add(l.asset, l.amount);
        }
        closing.push(b);
        b.open = false;
        continue;
      }
      const colls = b.legs.filter((l) => l.kind === "collateral" && l.bps > 0 && l.amount * px(l.asset) > 0);
      const debts = b.legs.filter((l) => l.kind === "debt" && l.amount * px(l.asset) > 0);
      const coll = colls.reduce<Leg | null>((best, l) => (best === null || l.amount * px(l.asset) > best.amount * px(best.asset) ? l : best), null);
      const debt = debts.reduce<Leg | null>((best, l) => (best === null || l.amount * px(l.asset) > best.amount * px(best.asset) ? l : best), null)!;
      if (coll === null) {
        for (const d of debts) {
          deficit += d.amount * px(d.asset);
          d.amount = 0;
        }
        b.open = false;
        continue;
      }
      const liq = aaveLiquidation({
        healthFactor: hf,
        debtAmount: debt.amount,
        debtPrice: px(debt.asset),
        collateralAmount: coll.amount,
        collateralPrice: px(coll.asset),
        bonus: coll.bonus,
        protocolFee: coll.fee,
      });
      coll.amount = liq.collateralTaken >= coll.amount ? 0 : coll.amount - liq.collateralTaken;
      debt.amount = liq.debtCovered >= debt.amount ? 0 : debt.amount - liq.debtCovered;
      add(coll.asset, liq.collateralToLiquidator);
      add(debt.asset, -liq.debtCovered);
      liquidatedNotional += liq.debtCovered * px(debt.asset);
      liquidatedPositions++;
      const debtLeft = b.legs.some((l) => l.kind === "debt" && l.amount > 0);
      const collLeft = b.legs.some((l) => l.kind === "collateral" && l.bps > 0 && l.amount > 0);
      if (debtLeft && !collLeft) {
        for (const l of b.legs) {
          if (l.kind !== "debt") continue;
          deficit += l.amount * px(l.asset);
          l.amount = 0;
        }
      }
      if (!debtLeft || !collLeft) b.open = false;
    }
    const exec = new Map<string, { sell: number; buy: number; after: number }>();
    for (const [asset, x] of net) {
      const f = venues.get(asset)!.trade(x);
      const u = x !== 0 ? f.unfilled / Math.abs(x) : 0;
      exec.set(asset, { sell: x > 0 ? f.avgPrice * (1 - u) : f.avgPrice, buy: x < 0 ? f.avgPrice * (1 - u) + f.newPrice * u : f.avgPrice, after: f.newPrice });
    }
    for (const b of closing) {
      let equity = 0;
      let fees = 0;
      for (const l of b.legs) {
        if (l.kind === "perp") {
          const e = (l.side === 1 ? exec.get(l.asset)!.sell : exec.get(l.asset)!.buy) * l.basis;
          equity += l.side * l.amount * (e - l.entry);
          fees += l.bonus * l.amount * e;
        } else if (l.kind === "collateral") equity += l.asset === "" ? l.amount : l.amount * exec.get(l.asset)!.sell;
      }
      deficit += Math.max(0, fees - equity);
    }
    for (const [asset, e] of exec) price.set(asset, e.after);
  }
  return { rounds, liquidatedNotional, liquidatedPositions, deficit, shortfall: Math.max(0, deficit - s.insuranceFund), finalPrices: Object.fromEntries(price) };
}
