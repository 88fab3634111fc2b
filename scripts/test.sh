#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (warnings are errors), native tests, the exported
# definitions imported into a real RabbitMQ (tests/real_rabbitmq.sh), browser unit
# tests (wasm-bindgen-test in headless Chromium), the release build, and end-to-end tests of the
# built app in headless Chromium. Installs what is missing first. Prints a summary; exits non-zero
# if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser || { echo "setup failed"; exit 1; }
source scripts/env.sh

logs=target/test-logs
mkdir -p "$logs"
results=()
passed=0
failed=0

# stage NAME COMMAND...: runs it, keeps its log, counts the tests it reports.
stage() {
  local name=$1; shift
  printf '\n\033[1m==> %s\033[0m  (%s)\n' "$name" "$*"
  local log="$logs/$name.log"
  "$@" 2>&1 | tee "$log"
  local code=${PIPESTATUS[0]}
  # cargo test: "test result: ok. N passed; M failed"; node --test: "# pass N" / "# fail M".
  local p f
  p=$( { grep -oE '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}'; } )
  f=$( { grep -oE '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}'; } )
  p=$((p + $(grep -oE '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  f=$((f + $(grep -oE '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$code" -eq 0 ]; then
    if [ "$p" -gt 0 ]; then results+=("  ok    $name ($p tests)"); else results+=("  ok    $name"); fi
  else
    results+=("  FAIL  $name (exit $code, log: $log)")
    [ "$f" -eq 0 ] && failed=$((failed + 1))
  fi
}

stage fmt cargo fmt --check
stage clippy-native cargo clippy --all-targets --locked -- -D warnings
stage clippy-wasm cargo clippy --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
stage native-tests cargo test --locked
stage real-rabbitmq tests/real_rabbitmq.sh
stage browser-unit-tests cargo test --locked --target wasm32-unknown-unknown -p brokerlab --test browser
stage release-build trunk build --release
stage e2e node --test tests/e2e/

echo
echo "Summary"
printf '%s\n' "${results[@]}"
echo "Screenshots: target/e2e/*.png"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
