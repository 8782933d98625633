#!/usr/bin/env bash
# Builds the engine benchmark in release mode and prints its figures; exits 1 when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_swift
swift run -c release workflow-bench --check "$@"
