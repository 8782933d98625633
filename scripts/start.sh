#!/usr/bin/env bash
# Sets up WorkFlow and starts it. Until the server arrives (the next milestone), this builds the
# `workflow` command, stores the example workflow in the default SQLite database (./var), runs
# it and lists the recorded runs, so a new machine proves the engine and the store end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_build_dependencies

echo "==> building workflow (release)"
swift build -c release --product workflow
bin="$(swift build -c release --show-bin-path)/workflow"

echo "==> storing examples/hello.json as the workflow 'hello' (database: ./var/workflow.db)"
"$bin" flow import examples/hello.json --name hello --replace

echo "==> running it"
"$bin" run hello --var who=WorkFlow

echo "==> recorded runs"
"$bin" runs list --limit 5
echo
echo "The workflow command is at $bin — try: $bin flow list, $bin runs show <id>, $bin --help"
