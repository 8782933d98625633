#!/usr/bin/env bash
# Sets up everything the tests need and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_build_dependencies
# The server's process tests: certificates for the TLS test, curl for HTTPS, libcurl for URLSession.
ensure_apt_packages openssl curl libcurl4
# The web UI's browser libraries, and Chromium with its WebDriver for the browser tests, which
# must run here rather than be skipped.
ensure_web_libraries
ensure_apt_packages chromium chromium-driver
# Custom modules: python3 runs them; the documented shell module example needs jq.
ensure_module_runtime
ensure_apt_packages jq
export WORKFLOW_TEST_REQUIRE_BROWSER=1
# The integration modules' tests start sshd, httpbin and aiosmtpd on 127.0.0.1; here they must run.
ensure_integration_test_servers
export WORKFLOW_TEST_REQUIRE_SERVERS=1

echo "==> building (debug) with tests"
swift build --build-tests

# The store's contract tests run against SQLite and this PostgreSQL (WORKFLOW_TEST_POSTGRES_URL).
start_test_postgres

echo "==> running the test suite"
swift test --skip-build --disable-xctest 2>&1 | tee .build/test-output.txt
