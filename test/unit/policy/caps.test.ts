import { expect } from "chai";
import { MIN_CAP_CUT, planCapCut } from "../../../src/policy/caps";
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
