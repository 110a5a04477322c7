#!/usr/bin/env bash
# The keeper as it ships: a copy of the tracked tree, installed from the lockfile, compiled, then
# pruned to production dependencies, with its sources, contracts and Hardhat artifacts removed.
# `svr-keeper run` and `status` from that copy's dist/ must start and work (the run and status
# integration tests, pointed at it through SVR_KEEPER_CLI). Proves that nothing at run time reads
# artifacts/ or a dev dependency (@aave/core-v3, hardhat).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/svr-keeper-prod.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$work")
cd "$work"
npm ci --no-audit --no-fund --loglevel=error
npm run build:js --silent
npm prune --omit=dev --no-audit --no-fund --loglevel=error
for dev in hardhat @aave/core-v3 typechain ts-node; do
  if [ -e "node_modules/$dev" ]; then echo "check-production: $dev is still installed after the prune"; exit 1; fi
done
rm -rf src test contracts artifacts cache
node dist/cli/main.js --help >/dev/null

cd "$root"
SVR_KEEPER_CLI="$work/dist/cli/main.js" npx hardhat test test/integration/service/run.test.ts test/integration/cli/status.test.ts
