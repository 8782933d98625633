#!/usr/bin/env bash
# Sets up WorkFlow and starts the server on the embedded SQLite database (./var/workflow.db):
# installs what is missing, builds `workflow` in release mode, stores the example workflow, and
# runs `workflow serve` in the foreground (Ctrl-C stops it). Extra arguments go to `serve`,
# e.g. `scripts/start.sh --host 0.0.0.0`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_build_dependencies
ensure_web_libraries
ensure_module_runtime

echo "==> building workflow (release)"
swift build -c release --product workflow
bin="$(swift build -c release --show-bin-path)/workflow"

echo "==> storing examples/hello.json as the workflow 'hello' (database: ./var/workflow.db)"
"$bin" flow import examples/hello.json --name hello --replace

echo "==> starting the server (Ctrl-C stops it)"
echo "    first start: the password of the user 'admin' is printed below and kept in var/initial-admin-password"
echo "    the web UI: http://127.0.0.1:5002/ (sign in as admin)"
echo "    then: $bin apikey create mykey   and   curl -H \"X-Api-Key: KEY\" http://127.0.0.1:5001/flow"
exec "$bin" serve "$@"
