/**
 * Benchmarks: `npm run bench` prints a table per section; `npm run bench -- --json` prints one JSON
 * object with every figure on the last line; `--only <section>` runs one section (risk, accounts,
 * snapshot, service, steward, account-index).
 */
import { benchAccountIndex } from "./bench/account-index";
import { benchAccounts } from "./bench/accounts";
import { benchRisk } from "./bench/risk";
import { benchService } from "./bench/service";
import { benchSnapshot } from "./bench/snapshot";
import { benchStewardGas } from "./bench/steward-gas";

type Section = () => Promise<Record<string, number | string>>;

const sections: Record<string, Section> = {
  risk: benchRisk,
  accounts: benchAccounts,
  snapshot: benchSnapshot,
  service: benchService,
  steward: benchStewardGas,
  "account-index": benchAccountIndex,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const onlyAt = args.indexOf("--only");
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  if (only && !sections[only]) throw new Error(`unknown section "${only}"; sections: ${Object.keys(sections).join(", ")}`);
  const all: Record<string, number | string> = {};
  for (const [name, run] of Object.entries(sections)) {
    if (only && name !== only) continue;
    const figures = await run();
    Object.assign(all, figures);
    if (!json) {
      console.log(`\n${name}`);
      for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(24)} ${v}`);
    }
  }
  if (json) console.log(JSON.stringify(all));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
