import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Contract } from "ethers";
import { paramId } from "../../src/embedded/reference-system";
import { mulberry32 } from "../../src/util/prng";
import { base, openPosition, referenceFixture, setPrice, usd } from "./fixtures";

/**
 * Many random keeper, stranger, guardian and governance calls against the steward, checked against
 * a model of its rules: whatever the sequence, no parameter leaves [min, max], moves more than its
 * step (relative or absolute) for that direction, or changes twice within that direction's delay;
 * a stale expectation, an expired action or a frozen steward changes nothing; deleveraging never
 * exceeds the per-call cap or the rolling budget; strangers and the guardian loosen nothing. The
 * primary keeper and an allowlisted one take turns.
 * The model also predicts which calls must fail, so a steward that refuses too much fails too.
 */
describe("RiskSteward invariants (seeded random sequences)", () => {
  const SEED = Number(process.env.STEWARD_SEED ?? 20261124);
  const CALLS = 400;

  interface Param {
    name: "IMR" | "MMR" | "LONG_CAP" | "SHORT_CAP";
    relative: boolean;
    min: bigint;
    max: bigint;
    maxTighten: bigint;
    maxLoosen: bigint;
    tightenDelay: number;
    loosenDelay: number;
    tightenIsIncrease: boolean;
    value: bigint;
    lastUpdate: number;
  }

  it(`holds over ${CALLS} calls, both step modes, compare-and-set, expiry, the rolling budget and the guardian (seed ${SEED})`, async () => {
    const f = await loadFixture(referenceFixture);
    const rand = mulberry32(SEED);
    const steward = f.steward.connect(f.keeper) as unknown as Contract;
    const stranger = f.steward.connect(f.stranger) as unknown as Contract;
    const guardian = f.steward.connect(f.traders[5]) as unknown as Contract;
    await (await f.steward.setGuardian(await f.traders[5].getAddress())).wait();
    // The primary keeper (immutable) and an allowlisted one act alike.
    const allowlisted = f.steward.connect(f.traders[4]) as unknown as Contract;
    await (await f.steward.setKeeper(await f.traders[4].getAddress(), true)).wait();
    const m = f.eth;

    // Margins: IMR by absolute bps, MMR relative; caps: LONG absolute (USD), SHORT relative.
    const spec = (name: Param["name"], relative: boolean, min: bigint, max: bigint, tighten: bigint, loosen: bigint, up: boolean): Param => ({
      name,
      relative,
      min,
      max,
      maxTighten: tighten,
      maxLoosen: loosen,
      tightenDelay: 60,
      loosenDelay: 3600,
      tightenIsIncrease: up,
      value: 0n,
      lastUpdate: 0,
    });
    const params: Record<string, Param> = {
      IMR: spec("IMR", false, 500n, 5000n, 150n, 50n, true),
      MMR: spec("MMR", true, 250n, 4000n, 3000n, 1000n, true),
      LONG_CAP: spec("LONG_CAP", false, usd(1_000_000), usd(120_000_000), usd(20_000_000), usd(5_000_000), false),
      SHORT_CAP: spec("SHORT_CAP", true, usd(1_000_000), usd(120_000_000), 5000n, 1000n, false),
    };
    for (const p of Object.values(params)) {
      const b = {
        min: p.min,
        max: p.max,
        maxTighten: p.maxTighten,
        maxLoosen: p.maxLoosen,
        tightenDelay: p.tightenDelay,
        loosenDelay: p.loosenDelay,
        tightenIsIncrease: p.tightenIsIncrease,
        relative: p.relative,
      };
      await (await f.steward.setBounds(m.id, paramId(p.name), b)).wait();
    }
    [params.IMR.value, params.MMR.value] = await f.perps.marginRatios(m.id);
    [params.LONG_CAP.value, params.SHORT_CAP.value] = await f.perps.openInterestCaps(m.id);

    // Deleverage: $1M a call, $1.5M an hour; four winners at $3,500.
    const budget = { perCall: 1_000_000n, size: 1_500_000n, window: 3600n, available: 1_500_000n, last: 0n };
    await (await f.steward.setDeleverageLimits(m.id, { maxPerCallUsd: budget.perCall, budgetUsd: budget.size, window: budget.window })).wait();
    budget.last = BigInt(await time.latest());
    const sizes = new Map<bigint, bigint>();
    for (let i = 0; i < 4; i++) sizes.set(await openPosition(f, f.traders[i], m, true, "800", "400000"), base(800));
    await setPrice(m, 3500);
    const price = usd(3500);
    let frozen = false;

    /** Would the steward accept moving p to v at time now? (Unchanged values are skipped by the steward.) */
    const allowed = (p: Param, v: bigint, now: number): boolean => {
      if (v === p.value) return true;
      if (v === 0n || v < p.min || v > p.max) return false;
      const tightening = v > p.value === p.tightenIsIncrease;
      const step = tightening ? p.maxTighten : p.maxLoosen;
      const delta = v > p.value ? v - p.value : p.value - v;
      if (p.relative ? delta * 10_000n > step * p.value : delta > step) return false;
      const delay = tightening ? p.tightenDelay : p.loosenDelay;
      return p.lastUpdate === 0 || now >= p.lastUpdate + delay;
    };
    const jitter = (v: bigint, spreadBps: number) => {
      const bps = Math.round((rand() * 2 - 1) * spreadBps);
      const out = (v * BigInt(10_000 + bps)) / 10_000n;
      return out < 0n ? 0n : out;
    };
    const refilled = (now: bigint) => {
      const r = budget.available + (budget.size * (now - budget.last)) / budget.window;
      return r > budget.size ? budget.size : r;
    };

    const counts = { accepted: 0, refused: 0, stale: 0, expired: 0, frozen: 0, deleveraged: 0, overBudget: 0 };
    let lastAccepted: (() => Promise<unknown>) | undefined;
    for (let i = 0; i < CALLS; i++) {
      const roll = rand();
      if (roll < 0.1) {
        await time.increase(Math.floor(rand() * 2 * 3600));
        await setPrice(m, 3500); // the feed's heartbeat is an hour
        continue;
      }
      const now = (await time.latest()) + 1; // the next block's timestamp
      const expiredTag = rand() < 0.08;
      const keeper = i % 2 === 0 ? steward : allowlisted; // alternate, leaving the seeded sequence as it was
      const tag = { key: ethers.id(`inv:${SEED}:${i}`), evidenceHash: ethers.ZeroHash, validUntil: expiredTag ? now - 1 : now + 60 };
      if (roll < 0.14) {
        await expect(stranger.updateMarginRatios(m.id, { imrBps: params.IMR.value, mmrBps: params.MMR.value }, { imrBps: jitter(params.IMR.value, 3000), mmrBps: params.MMR.value }, tag)).to.be
          .reverted;
        await expect(guardian.unfreeze()).to.be.reverted;
        continue;
      }
      if (roll < 0.17) {
        // The guardian freezes; governance lifts it later. Neither the guardian nor a stranger can lift it.
        if (!frozen) await (await guardian.freeze()).wait();
        else await (await f.steward.unfreeze()).wait();
        frozen = !frozen;
        continue;
      }
      if (roll < 0.2 && lastAccepted) {
        // A replay of the last accepted action: refused by construction unless the values came back.
        await lastAccepted().then(
          () => expect.fail("a replay landed"),
          () => undefined,
        );
        counts.refused++;
        continue;
      }
      if (roll < 0.4) {
        // Deleverage one winner by a random slice, sometimes with a stale expected size.
        const ids = [...sizes.keys()].filter((id) => sizes.get(id)! > 0n);
        if (!ids.length) continue;
        const id = ids[Math.floor(rand() * ids.length)];
        const size = sizes.get(id)!;
        const delta = (size * BigInt(1 + Math.floor(rand() * 40))) / 100n || size;
        const staleSize = rand() < 0.15;
        const expectedSize = staleSize ? size + base(1) : size;
        const notional = (delta * price + 10n ** 36n - 1n) / 10n ** 36n;
        const available = refilled(BigInt(now));
        const ok = !frozen && !expiredTag && !staleSize && notional <= budget.perCall && notional <= available;
        const call = keeper.deleverage(m.id, [{ positionId: id, expectedSize, sizeDelta: delta }], tag);
        if (ok) {
          await (await call).wait();
          sizes.set(id, size - delta);
          budget.available = available - notional;
          budget.last = BigInt(now);
          counts.deleveraged++;
        } else {
          await expect(call).to.be.reverted;
          if (notional > available) counts.overBudget++;
        }
        const [, onchainLeft] = await f.steward.deleverageLimits(m.id);
        expect(onchainLeft, "the budget the chain reports is the model's").to.equal(refilled(BigInt(await time.latest())));
        continue;
      }
      const margins = roll < 0.7;
      const [a, b] = margins ? [params.IMR, params.MMR] : [params.LONG_CAP, params.SHORT_CAP];
      const va = rand() < 0.05 ? 0n : jitter(a.value, margins ? 2500 : 6000);
      const vb = rand() < 0.5 ? b.value : jitter(b.value, 6000);
      const stale = rand() < 0.12;
      const ea = stale ? a.value + 1n : a.value;
      const marginsCoherent = !margins || (vb < va && vb > 100n && va <= 10_000n); // protocol: liqFee < mmr < imr ≤ 100%
      const expectOk = !frozen && !expiredTag && !stale && (va !== ea || vb !== b.value) && allowed(a, va, now) && allowed(b, vb, now) && marginsCoherent;
      const send = () =>
        margins
          ? keeper.updateMarginRatios(m.id, { imrBps: ea, mmrBps: b.value }, { imrBps: va, mmrBps: vb }, tag)
          : keeper.updateOpenInterestCaps(m.id, { longCap: ea, shortCap: b.value }, { longCap: va, shortCap: vb }, tag);
      if (expectOk) {
        await (await send()).wait();
        for (const [p, v] of [
          [a, va],
          [b, vb],
        ] as const) {
          if (v !== p.value) {
            p.value = v;
            p.lastUpdate = now;
          }
        }
        lastAccepted = send;
        counts.accepted++;
      } else {
        await expect(send()).to.be.reverted;
        counts.refused++;
        if (stale) counts.stale++;
        if (expiredTag) counts.expired++;
        if (frozen) counts.frozen++;
      }
      // The chain agrees with the model, and the model never leaves the bounds.
      expect(await f.perps.marginRatios(m.id)).to.deep.equal([params.IMR.value, params.MMR.value]);
      expect(await f.perps.openInterestCaps(m.id)).to.deep.equal([params.LONG_CAP.value, params.SHORT_CAP.value]);
      for (const p of Object.values(params)) expect(p.value >= p.min && p.value <= p.max, `${p.name} within bounds`).to.equal(true);
      for (const [id, size] of sizes) expect((await f.perps.positionOf(id).catch(() => ({ size: 0n }))).size).to.equal(size);
    }
    expect(counts.accepted, "the sequence exercised accepted updates").to.be.greaterThan(15);
    expect(counts.refused, "the sequence exercised refusals").to.be.greaterThan(50);
    for (const k of ["stale", "expired", "frozen", "deleveraged", "overBudget"] as const) expect(counts[k], `the sequence exercised ${k}`).to.be.greaterThan(0);

    // Only governance can unfreeze or move bounds.
    if (!frozen) await (await guardian.freeze()).wait();
    await expect(steward.unfreeze()).to.be.reverted;
    await expect(guardian.unfreeze()).to.be.reverted;
    const loose = { min: 1, max: 9999, maxTighten: 10_000, maxLoosen: 10_000, tightenDelay: 0, loosenDelay: 0, tightenIsIncrease: true, relative: true };
    await expect(guardian.setBounds(m.id, paramId("IMR"), loose)).to.be.reverted;
    await expect(steward.setBounds(m.id, paramId("IMR"), loose)).to.be.reverted;
  });
});
