import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { paramId } from "../../src/embedded/reference-system";
import { parameterRule } from "../../src/steward/profiles";
import { mulberry32 } from "../../src/util/prng";
import { referenceFixture } from "./fixtures";

/**
 * Many random keeper and stranger calls against the steward, checked against a model of its rules:
 * whatever the sequence, no parameter leaves [min, max], moves more than its step for that
 * direction, or changes twice within that direction's delay; strangers change nothing.
 * The model also predicts which calls must fail, so a steward that refuses too much fails too.
 */
describe("RiskSteward invariants (seeded random sequences)", () => {
  const SEED = Number(process.env.STEWARD_SEED ?? 20261124);
  const CALLS = 500;

  interface Param {
    name: "IMR" | "MMR" | "LONG_CAP" | "SHORT_CAP";
    min: bigint;
    max: bigint;
    tightenIsIncrease: boolean;
    value: bigint;
    lastUpdate: number;
  }

  it(`holds over ${CALLS} calls (seed ${SEED})`, async () => {
    const f = await loadFixture(referenceFixture);
    const rand = mulberry32(SEED);
    const steward = f.steward.connect(f.keeper);
    const stranger = f.steward.connect(f.stranger);
    const m = f.eth;
    const params: Record<string, Param> = {};
    for (const name of ["IMR", "MMR", "LONG_CAP", "SHORT_CAP"] as const) {
      const [b] = await f.steward.getBounds(m.id, paramId(name));
      params[name] = { name, min: b.min, max: b.max, tightenIsIncrease: b.tightenIsIncrease, value: 0n, lastUpdate: 0 };
    }
    [params.IMR.value, params.MMR.value] = await f.perps.marginRatios(m.id);
    [params.LONG_CAP.value, params.SHORT_CAP.value] = await f.perps.openInterestCaps(m.id);
    const rule = (p: Param) => parameterRule("permissive", p.name);

    /** Would the steward accept moving p to v at time now? (Unchanged values are skipped by the steward.) */
    const allowed = (p: Param, v: bigint, now: number): boolean => {
      if (v === p.value) return true;
      if (v === 0n || v < p.min || v > p.max) return false;
      const tightening = v > p.value === p.tightenIsIncrease;
      const r = rule(p);
      const step = BigInt(tightening ? r.tighten.maxStep : r.loosen.maxStep);
      const delta = v > p.value ? v - p.value : p.value - v;
      if (delta * 10_000n > step * p.value) return false;
      const delay = tightening ? r.tighten.minDelaySeconds : r.loosen.minDelaySeconds;
      return p.lastUpdate === 0 || now >= p.lastUpdate + delay;
    };
    const jitter = (v: bigint, spreadBps: number) => {
      const bps = Math.round((rand() * 2 - 1) * spreadBps);
      const out = (v * BigInt(10_000 + bps)) / 10_000n;
      return out < 0n ? 0n : out;
    };

    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < CALLS; i++) {
      const roll = rand();
      if (roll < 0.15) {
        await time.increase(Math.floor(rand() * 8 * 3600));
        continue;
      }
      const key = ethers.id(`inv:${SEED}:${i}:${roll < 0.2 ? 0 : i}`); // some keys repeat on purpose
      const now = (await time.latest()) + 1; // the next block's timestamp
      if (roll < 0.25) {
        await expect(stranger.updateMarginRatios(m.id, jitter(params.IMR.value, 3000), params.MMR.value, key, ethers.ZeroHash)).to.be.reverted;
        continue;
      }
      const margins = roll < 0.65;
      const [a, b] = margins ? [params.IMR, params.MMR] : [params.LONG_CAP, params.SHORT_CAP];
      const va = rand() < 0.1 ? 0n : jitter(a.value, 8000);
      const vb = rand() < 0.5 ? b.value : jitter(b.value, 8000);
      const keyUsed = await f.steward.executed(key);
      const marginsCoherent = !margins || (vb < va && vb > 100n && va <= 10_000n); // protocol: liqFee < mmr < imr ≤ 100%
      const expectOk =
        !keyUsed && (va !== a.value || vb !== b.value) && allowed(a, va, now) && allowed(b, vb, now) && marginsCoherent;
      const call = margins
        ? steward.updateMarginRatios(m.id, va, vb, key, ethers.ZeroHash)
        : steward.updateOpenInterestCaps(m.id, va, vb, key, ethers.ZeroHash);
      if (expectOk) {
        await (await call).wait();
        for (const [p, v] of [[a, va], [b, vb]] as const) {
          if (v !== p.value) {
            p.value = v;
            p.lastUpdate = now;
          }
        }
        accepted++;
      } else {
        await expect(call).to.be.reverted;
        refused++;
      }
      // The chain agrees with the model, and the model never leaves the bounds.
      expect(await f.perps.marginRatios(m.id)).to.deep.equal([params.IMR.value, params.MMR.value]);
      expect(await f.perps.openInterestCaps(m.id)).to.deep.equal([params.LONG_CAP.value, params.SHORT_CAP.value]);
      for (const p of Object.values(params)) expect(p.value >= p.min && p.value <= p.max, `${p.name} within bounds`).to.equal(true);
    }
    expect(accepted, "the sequence exercised accepted updates").to.be.greaterThan(20);
    expect(refused, "the sequence exercised refusals").to.be.greaterThan(50);

    // Only governance can unfreeze or move bounds.
    await (await f.steward.freeze()).wait();
    await expect(steward.unfreeze()).to.be.reverted;
    await expect(steward.setBounds(m.id, paramId("IMR"), { min: 1, max: 2, maxTightenBps: 1, maxLoosenBps: 1, tightenDelay: 0, loosenDelay: 0, tightenIsIncrease: true })).to.be.reverted;
  });
});
