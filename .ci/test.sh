#!/usr/bin/env bash
# Sets up what is missing and runs every test; ends with one line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh --tests

echo "== docker-compose.yml"
docker-compose -f docker-compose.yml config -q

echo "== tests"
results=".artifacts/test-results"
rm -rf "$results"
status=0
dotnet test RtmpGateway.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" \
  -- RunConfiguration.TestSessionTimeout=1500000 || status=$?

# Add up the TRX counters of every test project.
passed=0; failed=0; skipped=0; total=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$trx")
  get() { echo "$line" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total=$((total + $(get total)))
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get total) - $(get executed)))
done
# Name what failed, with its message, just above the last line: a CI log is often kept as its tail.
if [ "$failed" -gt 0 ]; then
  echo "== failed tests"
  node .ci/failed-tests.js "$results"/*.trx || true
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$total" -eq 0 ]; then
  echo "no tests ran" >&2
  exit 1
fi
exit $status
