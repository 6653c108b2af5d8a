#!/usr/bin/env bash
# The one test command (`npm test`, as the README says): installs what a fresh Debian machine
# lacks (Chromium, Firefox ESR, coturn, Janus, iproute2, nftables, conntrack, openssl, the npm
# packages), then lints, checks the generated docs, tests the server in Node, builds and runs the
# whole suite in both browsers against a real PeerServer (and a real Janus), then calls across a
# simulated internet (network namespaces, which need root).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
[ -x /usr/bin/turnserver ] || missing+=(coturn)
[ -x /usr/bin/janus ] || missing+=(janus)
command -v ip >/dev/null || missing+=(iproute2)
command -v nft >/dev/null || missing+=(nftables)
command -v openssl >/dev/null || missing+=(openssl)
command -v conntrack >/dev/null || missing+=(conntrack)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Install from the lockfile when node_modules is missing or older than it. `npm install`, not
# `npm ci`: npm 11 leaves other platforms' optional packages (rollup's native builds) out of a
# lockfile it writes, and `npm ci` then refuses that lockfile as out of sync.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi

npm run lint
npm run check:docs
# The build, and the CDN bundle's size budget (pages in the other browser load that bundle).
npm run build
npm run check:size
# In Node: the npm start server's limits, health, drain and timeouts, with real PeerJS-protocol
# sockets; its Janus and the proxy to it; and the npm package as built (exports, types, .js
# imports, side effects).
npm run test:server

log=$(mktemp)
status=0
npx web-test-runner --config web-test-runner.config.mjs 2>&1 | tee "$log" || status=$?
# One plain closing line for whoever reads the log: the totals over both browsers.
passed=0
failed=0
while read -r p f; do
  passed=$((passed + p))
  failed=$((failed + f))
done < <(grep -aE '^(Chrome|Firefox|Chromium)[^|]*\|.*\| [0-9]+ passed, [0-9]+ failed' "$log" |
  awk -F'|' '{ split($NF, a, " "); browser=$1; last[browser]=a[1] " " a[3] } END { for (b in last) print last[b] }')
# A runner that stopped before the end (an uncaught exception in a plugin) leaves progress lines
# with no failure in them: count it as one, so the summary does not read as a pass.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "web-test-runner stopped before the end (exit status $status)"
  failed=1
fi
# The simulated internet: namespaces, NATs and `npm start` (test/net/). One file at a time: they
# build the same namespaces.
net_log=$(mktemp)
if [ "$(id -u)" -ne 0 ]; then
  echo "The network tests (test/net/) need root: ip netns, nftables." | tee "$net_log"
  status=1
else
  npm run test:net 2>&1 | tee "$net_log" || status=1
fi
net_passed=$(grep -aE '^# pass [0-9]+' "$net_log" | tail -1 | awk '{print $3}')
net_failed=$(grep -aE '^# fail [0-9]+' "$net_log" | tail -1 | awk '{print $3}')
passed=$((passed + ${net_passed:-0}))
failed=$((failed + ${net_failed:-1}))
# The runner prints a failure where its file ends, far from the log's tail: again here, with
# the convergence figures, so that the tail alone says what failed.
if [ "$failed" -gt 0 ]; then
  echo "Failures again (the first 300 lines):"
  tr '\r' '\n' < "$log" | grep -a -B3 -A30 "❌" | head -300 || true
fi
tr '\r' '\n' < "$log" | grep -aE -A14 "simultaneous joins: |frozen holder: " | grep -avE "^(--|$| *🚧|.*Lit is in dev mode)" || true
# The network figures, and any network failure, again at the end.
grep -aE "^# ((none|cone|symmetric) ×|frames again|dropped as lost|poor |b receives|frames [0-9]+ s into|plain HTTP|ten through the SFU)|^not ok" "$net_log" || true
rm -f "$log" "$net_log"
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
