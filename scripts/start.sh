#!/usr/bin/env bash
# Sets up WorkFlow and starts it. Until the server arrives (it is the next milestone), this
# builds the `workflow` command and runs the example workflow, so a new machine proves the
# engine end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_build_dependencies

echo "==> building workflow (release)"
swift build -c release --product workflow
bin="$(swift build -c release --show-bin-path)/workflow"

echo "==> running examples/hello.json"
"$bin" run --file examples/hello.json --var who=WorkFlow
echo
echo "The workflow command is at $bin — try: $bin modules"
