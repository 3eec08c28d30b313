#!/usr/bin/env bash
# Fuzzes every response reader, config/request builder, the whole call state machine and
# the reading of a caller's UserSig
# (fuzz/fuzz_targets) for FUZZ_SECONDS each, growing the committed corpus in fuzz/corpus,
# and prints executions per target. A crash stops the run with its input in fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_EACH=${FUZZ_SECONDS:-60}
log() { printf '[fuzz] %s\n' "$*" >&2; }

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

declare -A MAX_LEN=([response]=8192 [config_request]=4096 [job]=16384 [user_sig]=4096)
summary=()
for target in response config_request job user_sig; do
  log "${target}: ${SECONDS_EACH} s"
  out=$(mktemp)
  cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len="${MAX_LEN[$target]}" -timeout=10 2>&1 | tee "$out" | grep -E '^(==|#[0-9]+ +(INITED|DONE))' >&2 || true
  status=${PIPESTATUS[0]}
  runs=$(grep -oE '^Done [0-9]+ runs' "$out" | grep -oE '[0-9]+' || echo 0)
  rm -f "$out"
  if [ "$status" -ne 0 ]; then
    log "${target} FAILED: see fuzz/artifacts/${target}/"
    exit 1
  fi
  cargo +nightly fuzz cmin "$target" "corpus/$target" >/dev/null 2>&1
  summary+=("$(printf '%-15s %12s executions  %5s corpus entries' "$target" "$runs" "$(ls "corpus/$target" | wc -l)")")
done
printf '%s\n' "${summary[@]}"
