import { expect } from "chai";
import { rehearsalProfile } from "../../../src/rehearse/rehearse";

describe("the governance profile a rehearsal runs under", () => {
  it("is aave-production for the mainnet replica, as its governance installs Aave's production stewards", () => {
    expect(rehearsalProfile(undefined, true)).to.deep.equal({ name: "aave-production", chosenBy: "replica default" });
  });

  it("is permissive for the embedded chain and forks when none is asked for", () => {
    expect(rehearsalProfile(undefined, false)).to.deep.equal({ name: "permissive", chosenBy: "default" });
  });

  it("is the one --profile asks for, replica or not", () => {
    expect(rehearsalProfile("permissive", true)).to.deep.equal({ name: "permissive", chosenBy: "--profile" });
    expect(rehearsalProfile("aave-production", false)).to.deep.equal({ name: "aave-production", chosenBy: "--profile" });
  });
});
