/**
 * Gas of each keeper entry point through the RiskSteward and the AaveRiskSteward against the same change made by a
 * direct risk-admin call: a table, then the same figures as JSON on the last line.
 * Run: npx hardhat run scripts/gas-report.ts (or npx ts-node --transpile-only scripts/gas-report.ts)
 */
import { measureStewardGas } from "./bench/steward-gas";

async function main(): Promise<void> {
  const rows = await measureStewardGas();
  console.log(`${"entry point".padEnd(24)} ${"direct".padStart(8)} ${"steward".padStart(8)} ${"overhead".padStart(9)}`);
  for (const r of rows) console.log(`${r.entry.padEnd(24)} ${String(r.direct).padStart(8)} ${String(r.steward).padStart(8)} ${String(r.overhead).padStart(9)}`);
  console.log(JSON.stringify(Object.fromEntries(rows.map((r) => [r.entry, { direct: r.direct, steward: r.steward, overhead: r.overhead }]))));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
