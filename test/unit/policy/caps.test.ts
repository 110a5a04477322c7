import { expect } from "chai";
import { MIN_CAP_CUT, planCapCut, planCapRelax } from "../../../src/policy/caps";
import type { ParamBounds } from "../../../src/domain/protocol-state";

const usd = (v: number) => BigInt(v) * 10n ** 18n;
const bounds: ParamBounds = { min: usd(1), max: usd(1_000), mode: "relative", maxTighten: 5000n, maxLoosen: 1000n, tightenDelay: 60n, loosenDelay: 3600n, lastUpdate: 0n };

describe("open-interest cap cuts", () => {
  it("cuts each side toward its open interest, no further than the steward's step", () => {
    const d = planCapCut({ longCap: usd(100), shortCap: usd(100) }, { long: usd(70), short: usd(20) }, { LONG_CAP: bounds, SHORT_CAP: bounds }, 1_000);
    expect(d).to.deep.include({ status: "change", longCap: usd(70), shortCap: usd(50) });
  });

  it(`leaves a cap alone when open interest is within ${MIN_CAP_CUT * 100} % of it: no transaction per block chasing price drift`, () => {
    const d = planCapCut({ longCap: usd(100), shortCap: usd(100) }, { long: usd(96), short: usd(100) }, { LONG_CAP: bounds, SHORT_CAP: bounds }, 1_000);
    expect(d.status).to.equal("none");
    const one = planCapCut({ longCap: usd(100), shortCap: usd(100) }, { long: usd(96), short: usd(80) }, { LONG_CAP: bounds, SHORT_CAP: bounds }, 1_000);
    expect(one).to.deep.include({ status: "change", longCap: usd(100), shortCap: usd(80) });
  });
});

describe("open-interest caps given back after a recovery", () => {
  it("loosens each side one step toward the baseline, never past it, and leaves a side already there", () => {
    const d = planCapRelax({ longCap: usd(100), shortCap: usd(195) }, { longCap: usd(200), shortCap: usd(200) }, { LONG_CAP: bounds, SHORT_CAP: bounds }, 1_000);
    expect(d).to.deep.include({ status: "change", longCap: usd(110), shortCap: usd(200) });
    const done = planCapRelax({ longCap: usd(200), shortCap: usd(300) }, { longCap: usd(200), shortCap: usd(200) }, { LONG_CAP: bounds, SHORT_CAP: bounds }, 1_000);
    expect(done.status, "a cap above the baseline (governance raised it) is not the keeper's to lower here").to.equal("none");
  });

  it("waits out the steward's loosening delay per side, and does nothing without bounds", () => {
    const recent = { ...bounds, lastUpdate: 900n };
    const d = planCapRelax({ longCap: usd(100), shortCap: usd(100) }, { longCap: usd(200), shortCap: usd(200) }, { LONG_CAP: recent, SHORT_CAP: bounds }, 1_000);
    expect(d).to.deep.include({ status: "change", longCap: usd(100), shortCap: usd(110) });
    expect(planCapRelax({ longCap: usd(100), shortCap: usd(100) }, { longCap: usd(200), shortCap: usd(200) }, {}, 1_000).status).to.equal("none");
  });

  it("stays within the steward's range", () => {
    const capped = { ...bounds, max: usd(105) };
    const d = planCapRelax({ longCap: usd(100), shortCap: usd(100) }, { longCap: usd(200), shortCap: usd(200) }, { LONG_CAP: capped, SHORT_CAP: capped }, 1_000);
    expect(d).to.deep.include({ status: "change", longCap: usd(105), shortCap: usd(105) });
  });
});
