import { expect } from "chai";
import { paramValue } from "../../../src/report/format";

describe("report parameters", () => {
  it("print open-interest caps in USD, not as 18-decimal integers", () => {
    expect(paramValue("LONG_CAP", "60000000000000000000000000")).to.equal("$60.00M");
    expect(paramValue("SHORT_CAP", "1500000000000000000000")).to.equal("$1.5k");
    expect(paramValue("MMR", "500")).to.equal("500 bps");
    expect(paramValue("SUPPLY_CAP", "2000000")).to.equal("2000000");
    expect(paramValue("LONG_CAP", "—")).to.equal("—");
  });
});
