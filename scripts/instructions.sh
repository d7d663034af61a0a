#!/usr/bin/env bash
# Instructions per call (every party together), counted by callgrind: for each of getStatus
# and checkCode, the SDK beside raw reqwest, and their ratio; then a browser's getStatus
# through otp-widget and through a bare axum + reqwest proxy, the cost each adds to the
# direct call, and their ratio (and again without the widget's per-IP request limit); then
# the same two proxies in actix-web (otp-widget through its actix mount).
#
# Each mount is counted in a build of its own, as its applications are built: the SDK and
# the axum proxies without actix-web (whose crates turn on tracing's `log` feature for the
# whole build, and so make every span of the client's cost more), the actix proxies with it.
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${CALLS:-2000}
out=target/release/examples
cargo build -q --release -p otp-benches --example instructions --no-default-features
cp "$out/instructions" "$out/instructions-without-actix"
cargo build -q --release -p otp-benches --example instructions
count() {
  CALLS=$calls valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_call() { echo $(( ($(count "$1") - none) / calls )); }

bin=$out/instructions-without-actix
none=$(count none)
for pair in "getStatus:sdk:raw" "checkCode:sdk-check:raw-check"; do
  IFS=: read -r op sdk raw <<<"$pair"
  s=$(per_call "$sdk")
  r=$(per_call "$raw")
  awk -v op="$op" -v s="$s" -v r="$r" 'BEGIN { printf "%-10s sdk %7d  raw reqwest %7d  ratio %.3f\n", op, s, r, s / r }'
done
d=$(per_call browser-direct)
b=$(per_call browser-bare)
w=$(per_call browser-widget)
u=$(per_call browser-widget-unlimited)
awk -v d="$d" -v b="$b" -v w="$w" 'BEGIN { printf "axum      direct %7d  bare proxy +%d  otp-widget +%d  ratio %.3f\n", d, b - d, w - d, (w - d) / (b - d) }'
awk -v d="$d" -v b="$b" -v u="$u" 'BEGIN { printf "          without its per-IP limit: otp-widget +%d  ratio %.3f\n", u - d, (u - d) / (b - d) }'

bin=$out/instructions
none=$(count none)
d=$(per_call browser-direct)
b=$(per_call browser-actix-bare)
w=$(per_call browser-actix-widget)
awk -v d="$d" -v b="$b" -v w="$w" 'BEGIN { printf "actix     direct %7d  bare proxy +%d  otp-widget (actix mount) +%d  ratio %.3f\n", d, b - d, w - d, (w - d) / (b - d) }'
