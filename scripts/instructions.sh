#!/usr/bin/env bash
# Instructions per call (every party together), counted by callgrind: for each of getStatus
# and checkCode, the SDK beside raw reqwest, and their ratio; then a browser's getStatus
# through otp-widget and through a bare axum + reqwest proxy, the cost each adds to the
# direct call, and their ratio (and again without the widget's per-IP request limit); then
# the same two proxies in actix-web (otp-widget through its actix mount).
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${CALLS:-2000}
cargo build -q --release -p otp-benches --example instructions
bin=target/release/examples/instructions
count() {
  CALLS=$calls valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
none=$(count none)
for pair in "getStatus:sdk:raw" "checkCode:sdk-check:raw-check"; do
  IFS=: read -r op sdk raw <<<"$pair"
  s=$(( ($(count "$sdk") - none) / calls ))
  r=$(( ($(count "$raw") - none) / calls ))
  awk -v op="$op" -v s="$s" -v r="$r" 'BEGIN { printf "%-10s sdk %7d  raw reqwest %7d  ratio %.3f\n", op, s, r, s / r }'
done
d=$(( ($(count browser-direct) - none) / calls ))
b=$(( ($(count browser-bare) - none) / calls ))
w=$(( ($(count browser-widget) - none) / calls ))
u=$(( ($(count browser-widget-unlimited) - none) / calls ))
awk -v d="$d" -v b="$b" -v w="$w" 'BEGIN { printf "proxied   direct %7d  bare proxy +%d  otp-widget +%d  ratio %.3f\n", d, b - d, w - d, (w - d) / (b - d) }'
awk -v d="$d" -v b="$b" -v u="$u" 'BEGIN { printf "          without its per-IP limit: otp-widget +%d  ratio %.3f\n", u - d, (u - d) / (b - d) }'
ab=$(( ($(count browser-actix-bare) - none) / calls ))
aw=$(( ($(count browser-actix-widget) - none) / calls ))
awk -v d="$d" -v b="$ab" -v w="$aw" 'BEGIN { printf "actix     bare proxy +%d  otp-widget (actix mount) +%d  ratio %.3f\n", b - d, w - d, (w - d) / (b - d) }'
