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

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", e - s }'; }

clean=$(seconds env CARGO_TARGET_DIR="$target" cargo build --workspace)
echo "clean build of the workspace:       ${clean} s"
clients=$(seconds env CARGO_TARGET_DIR="$target" cargo build -p otp-client -p otp-client-blocking)
echo "no-op build of both clients:        ${clients} s"
# One line: a field's description.
sed -i 's/description: How many more codes the user may enter./description: How many more codes the user may still enter./' "$spec"
rebuild=$(seconds env CARGO_TARGET_DIR="$target" cargo build -p otp-client -p otp-client-blocking)
echo "rebuild after a one-line spec change: ${rebuild} s (goal: <= 20 s)"
