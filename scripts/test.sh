#!/usr/bin/env bash
# npm test: type-check, build dist/, lint and format check, make sure the reference Sigsum
# tools are installed (cached after the first run), then run every unit and
# end-to-end test. Outside CI, tests that need the reference tools are
# skipped if they cannot be installed; in CI (CI=true) they fail instead.
set -uo pipefail
cd "$(dirname "$0")/.."

node_modules/.bin/tsc --noEmit -p . || exit 1
# The command the end-to-end tests run is the compiled one (bin/sigsum-log.js -> dist/).
node_modules/.bin/tsc -p tsconfig.build.json || exit 1
node_modules/.bin/eslint . || exit 1
node_modules/.bin/prettier --check --log-level warn . || { echo "prettier: run npm run format" >&2; exit 1; }

if [[ -z ${SIGSUM_TOOLS_BIN:-} ]]; then
  if bin=$(bash scripts/install-sigsum-tools.sh 2>/tmp/sigsum-tools-install.$$.log); then
    export SIGSUM_TOOLS_BIN=$bin
  else
    echo "warning: could not install the reference Sigsum tools (see /tmp/sigsum-tools-install.$$.log)" >&2
    [[ -n ${CI:-} ]] && exit 1
  fi
  rm -f /tmp/sigsum-tools-install.$$.log
fi

exec node --import tsx --test --test-timeout=300000 test/unit/*.test.ts test/e2e/*.test.ts "$@"
