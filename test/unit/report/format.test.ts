import { expect } from "chai";
import { renderAssessment } from "../../../src/cli/commands/status";
import { assess } from "../../../src/keeper/assess";
import { marketName, paramValue } from "../../../src/report/format";
import { fragileBook, onchain } from "../policy/fixtures";

describe("report parameters", () => {
  it("print open-interest caps in USD, not as 18-decimal integers", () => {
    expect(paramValue("LONG_CAP", "60000000000000000000000000")).to.equal("$60.00M");
    expect(paramValue("SHORT_CAP", "1500000000000000000000")).to.equal("$1.5k");
    expect(paramValue("MMR", "500")).to.equal("500 bps");
    expect(paramValue("SUPPLY_CAP", "2000000")).to.equal("2000000");
    expect(paramValue("LONG_CAP", "—")).to.equal("—");
  });
});

describe("market names in terminal tables", () => {
  it("put a reserve's symbol first and keep a short address beside it, or the id alone without a label", () => {
    expect(marketName("0xD8a5a9b31c3C0232E196d518E89Fd8bF83AcAd43", "WETH")).to.equal("WETH (0xD8a5…Ad43)");
    expect(marketName("0xD8a5a9b31c3C0232E196d518E89Fd8bF83AcAd43")).to.equal("0xD8a5a9b31c3C0232E196d518E89Fd8bF83AcAd43");
    expect(marketName("ETH-USD", "ETH-USD")).to.equal("ETH-USD");
  });

  it("reach `status` from the adapter's label", () => {
    const snapshot = onchain(fragileBook());
    const labelled = { ...snapshot, markets: snapshot.markets.map((m) => ({ ...m, label: "Ether perpetual" })) };
    expect(renderAssessment(assess(labelled))).to.include("Ether perpetual (ETH-USD)");
    expect(renderAssessment(assess(snapshot))).to.not.include("(ETH-USD)");
  });
});
