#!/usr/bin/env bash
# Build cost: a clean build of the workspace, then the rebuild of both clients after a
# one-line change of the spec (build.rs regeneration plus recompiling both clients).
# Uses a target directory of its own, so it measures a really clean build.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(mktemp -d)
spec=openapi/otp-handler.yaml
backup=$(mktemp)
cp "$spec" "$backup"
trap 'cp "$backup" "$spec"; rm -rf "$target" "$backup"' EXIT

# The seconds a command took; a command that fails stops the script (`x=$(seconds …)`).
seconds() {
  local s e
  s=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
  e=$(date +%s.%N)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", e - s }'
}

# `scripts/build-cost.sh crates` runs only the side-by-side cold builds of the crates below.
if [ "${1:-}" != crates ]; then
clean=$(seconds env CARGO_TARGET_DIR="$target" cargo build --workspace)
echo "clean build of the workspace:       ${clean} s"
# With `generate`, as the workspace builds them: the spec's change is generated at build time
# (without it, the build would stop until `cargo xtask generate`).
both=(-p otp-client -p otp-client-blocking --features otp-client/generate)
clients=$(seconds env CARGO_TARGET_DIR="$target" cargo build "${both[@]}")
echo "no-op build of both clients:        ${clients} s"
# One line: a field's description.
sed -i 's/description: How many more codes the user may enter./description: How many more codes the user may still enter./' "$spec"
rebuild=$(seconds env CARGO_TARGET_DIR="$target" cargo build "${both[@]}")
echo "rebuild after a one-line spec change: ${rebuild} s (goal: <= 20 s)"
# The spec as committed again: the crates below build otp-client from its prebuilt code,
# which refuses an edited spec.
cp "$backup" "$spec"
fi

# The price of the client, for a user: the cold build of a crate that depends on otp-client
# alone (its default features: the prebuilt code, no generator), with `phone` too, and with
# `generate` (progenitor at build time, as when regenerating from a newer spec), beside one
# that depends on what the generated client itself uses (reqwest with the same features,
# serde, serde_json, uuid), each in a target directory of its own, with the workspace's lock
# file.
crate() {
  local dir=$1 deps=$2
  mkdir -p "$dir/src"
  printf '[package]\nname = "cost"\nversion = "0.1.0"\nedition = "2024"\n[dependencies]\n%s\ntokio = { version = "1", features = ["macros", "rt-multi-thread"] }\n[workspace]\n' "$deps" >"$dir/Cargo.toml"
  echo 'fn main() {}' >"$dir/src/main.rs"
  cp Cargo.lock "$dir/"
}
work=$(mktemp -d)
crate "$work/client" "otp-client = { path = \"$PWD/otp-client\" }"
crate "$work/phone" "otp-client = { path = \"$PWD/otp-client\", features = [\"phone\"] }"
crate "$work/generate" "otp-client = { path = \"$PWD/otp-client\", features = [\"generate\"] }"
crate "$work/bare" 'reqwest = { version = "0.13.4", default-features = false, features = ["json", "query", "http2", "charset", "rustls"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
uuid = { version = "1", features = ["serde", "v4"] }'
# Each from its own folder, as a user builds it: not under this checkout's .cargo/config.toml,
# whose dev profile would leave out the debug info a user's build compiles.
bare=$(cd "$work/bare" && seconds env CARGO_TARGET_DIR="$work/bare/target" cargo build)
ratio() { awk -v c="$1" -v b="$bare" 'BEGIN { printf "%.2f", c / b }'; }
echo "cold build, reqwest + serde:        ${bare} s"
for variant in client phone generate; do
  took=$(cd "$work/$variant" && seconds env CARGO_TARGET_DIR="$work/$variant/target" cargo build)
  case $variant in
    client) what="otp-client (default features)" ;;
    phone) what="otp-client + phone" ;;
    generate) what="otp-client + generate (and so chrono, regress)" ;;
  esac
  echo "cold build, $what: ${took} s ($(ratio "$took")x)"
done
if [ "${1:-}" = crates ]; then rm -rf "$work"; exit 0; fi
install=$(seconds cargo install --path otp-cli --locked --root "$work/install" --target-dir "$work/install-target")
echo "cargo install --path otp-cli --locked: ${install} s, otp is $(stat -c %s "$work/install/bin/otp") bytes"
rm -rf "$work"
