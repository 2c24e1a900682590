#!/usr/bin/env bash
# Runs the whole FrancisBeacon test suite: one build, every test project, one totals line.
#
#   bash tests/run.sh
#
# - Starts a throwaway PostgreSQL on loopback for the PostgreSQL tests (tests/postgres.sh) unless
#   FRANCISBEACON_TEST_POSTGRES already names a server; stops it again at the end.
# - Builds the solution once, then runs `dotnet test --no-build` on it with TRX results, the tracker script's node
#   tests, and tests/consumer-smoke.sh (pack, `dotnet new web`, install from a local feed, run, send hits, read back).
# - Ends with exactly one line "N passed, N failed, N skipped" read from the TRX files, and exits non-zero when a
#   test failed, the build failed, the test run broke, or no test ran.
# - The browser tests (tests/FrancisBeacon.Browser.Tests) drive Debian's Chromium at /usr/bin/chromium through
#   Playwright; install it with 'apt-get install -y chromium' (.ci/run does). Without it they skip locally.
# With CI=true, tests that need PostgreSQL or Chromium fail instead of skipping.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

configuration=${CONFIGURATION:-Debug}
results=$(mktemp -d "${TMPDIR:-/tmp}/francisbeacon-results.XXXXXX")

if [ -f tests/postgres.sh ]; then
  # shellcheck source=tests/postgres.sh
  source tests/postgres.sh start
  trap 'bash "$root/tests/postgres.sh" stop; rm -rf "$results"' EXIT
else
  trap 'rm -rf "$results"' EXIT
fi

echo "== build ($configuration)"
if ! dotnet build FrancisBeacon.sln -c "$configuration" -nologo -v minimal; then
  echo "build failed"
  trap - EXIT
  [ -f tests/postgres.sh ] && bash tests/postgres.sh stop
  rm -rf "$results"
  echo "0 passed, 1 failed"
  exit 1
fi

[ -x /usr/bin/chromium ] || echo "note: /usr/bin/chromium is missing, so the browser tests skip (or fail with CI=true)"

echo "== test"
dotnet test FrancisBeacon.sln -c "$configuration" --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results"
test_exit=$?

passed=0; failed=0; skipped=0; total=0
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  t=$(get total); p=$(get passed); f=$(get failed); e=$(get error); to=$(get timeout); a=$(get aborted)
  ne=$(get notExecuted)
  # xunit v3's TRX logger leaves the notExecuted counter at 0 for skipped tests and marks each one
  # outcome="NotExecuted" instead: count those results so that a skip is never hidden from the totals line.
  nr=$(grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$trx" | wc -l)
  [ "$nr" -gt "$ne" ] && ne=$nr
  total=$((total + t)); passed=$((passed + p)); failed=$((failed + f + e + to + a)); skipped=$((skipped + ne))
done

echo "== tracker script (node --test)"
if command -v node >/dev/null 2>&1; then
  node_out=$(node --test --test-reporter=tap tests/tracker/*.test.mjs 2>&1)
  node_exit=$?
  printf '%s\n' "$node_out" | grep -E '^# (tests|pass|fail|skipped)' || true
  np=$(printf '%s\n' "$node_out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -n 1)
  nf=$(printf '%s\n' "$node_out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -n 1)
  ns=$(printf '%s\n' "$node_out" | sed -n 's/^# skipped \([0-9]*\)$/\1/p' | tail -n 1)
  passed=$((passed + ${np:-0})); failed=$((failed + ${nf:-0})); skipped=$((skipped + ${ns:-0})); total=$((total + ${np:-0} + ${nf:-0}))
  if [ "$node_exit" -ne 0 ] && [ "${nf:-0}" -eq 0 ]; then
    printf '%s\n' "$node_out" | tail -n 30
    echo "node --test exited with $node_exit"; failed=$((failed + 1))
  fi
elif [ "${CI:-}" = "true" ]; then
  echo "node is not installed: the tracker tests cannot run (CI=true)"; failed=$((failed + 1))
else
  echo "node is not installed: skipping the tracker tests"; skipped=$((skipped + 1))
fi

echo "== consumer smoke test (packages from a local feed in a new app)"
if CONFIGURATION="$configuration" bash tests/consumer-smoke.sh; then
  passed=$((passed + 1)); total=$((total + 1))
else
  echo "consumer smoke test FAILED"; failed=$((failed + 1)); total=$((total + 1))
fi

status=0
if [ "$test_exit" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $test_exit although no test failed: counting the run as failed"
  failed=$((failed + 1)); status=1
fi
if [ "${#trx_files[@]}" -eq 0 ] || [ "$total" -eq 0 ]; then
  echo "no test ran"
  status=1
fi
if [ "$failed" -gt 0 ]; then
  status=1
fi

# Name every failed test with the start of its message near the end of the output, where a reader of only the
# log's tail (CI keeps the last part) finds it; the full output and stack traces are further up.
if [ "$failed" -gt 0 ] && [ "${#trx_files[@]}" -gt 0 ]; then
  echo "== failed tests"
  awk '
    /<UnitTestResult / && /outcome="(Failed|Error|Timeout|Aborted)"/ {
      match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); gsub(/&quot;/, "\"", name); gsub(/&amp;/, "\\&", name); print "FAILED " name; want = 1; next }
    want && /<Message>/ { inmsg = 1; lines = 0; sub(/.*<Message>/, "") }
    inmsg {
      end = sub(/<\/Message>.*/, "")
      gsub(/&lt;/, "<"); gsub(/&gt;/, ">"); gsub(/&quot;/, "\""); gsub(/&apos;/, "\047"); gsub(/&amp;/, "\\&")
      if (lines < 12) print "    " $0
      lines++
      if (end) { inmsg = 0; want = 0 } }
  ' "${trx_files[@]}"
fi

# Stop PostgreSQL now, so that the totals are the very last line.
trap - EXIT
[ -f tests/postgres.sh ] && bash tests/postgres.sh stop
rm -rf "$results"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
