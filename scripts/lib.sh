# Shared helpers for the project's scripts. Source it; do not run it.

# Puts the Swift toolchain on PATH (it lives in /opt/swift on the project's machines).
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    if ! command -v swift >/dev/null 2>&1; then
        echo "error: the Swift 6 toolchain is not installed (expected 'swift' on PATH or in /opt/swift)" >&2
        exit 1
    fi
}

# Installs the Debian packages given as arguments that are not installed yet.
ensure_apt_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The packages the build and the tests use.
ensure_build_dependencies() {
    ensure_swift
    # pkg-config finds the C libraries for the build: libxlsxwriter (.xlsx exports and
    # common.FileIO), libcurl (common.Notify's SMTP) and libssh2 (common.Ssh).
    ensure_apt_packages git procps pkg-config libxlsxwriter-dev libcurl4-openssl-dev libssh2-1-dev
}

# The browser libraries the web UI serves from /usr/share/javascript (CodeMirror for code
# editors, Chart.js for the dashboard); the pages work without them, less richly.
ensure_web_libraries() {
    ensure_apt_packages libjs-codemirror libjs-chart.js
}

# What custom modules run on: python3 for the seed's Python modules (their introspection too).
ensure_module_runtime() {
    ensure_apt_packages python3
}

# The servers the integration modules' tests start on 127.0.0.1 (they start and stop them
# themselves): OpenSSH's sshd, and httpbin, gunicorn and aiosmtpd from PyPI in a virtual
# environment under .build (pinned versions). Exports WORKFLOW_TEST_VENV for the tests.
TEST_PYTHON_PACKAGES="httpbin==0.10.4 gunicorn==27.0.1 aiosmtpd==1.4.6 werkzeug==3.1.9 flask==3.1.3"
ensure_integration_test_servers() {
    # The tests run their own sshd. When this script is what installs openssh-server, the
    # system's ssh service that Debian starts with it is stopped and disabled again, so the
    # machine does not begin accepting SSH logins (the test user's among them) on port 22.
    local had_sshd=1
    dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -q "install ok installed" || had_sshd=0
    ensure_apt_packages openssh-server openssl python3 python3-venv
    if [ "$had_sshd" -eq 0 ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo systemctl disable --now ssh.service >/dev/null 2>&1 || true
    fi
    local venv="${WORKFLOW_TEST_VENV:-$PWD/.build/test-venv}"
    local stamp="$venv/.workflow-packages"
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$TEST_PYTHON_PACKAGES" ]; then
        echo "==> preparing the test servers' Python environment in $venv"
        rm -rf "$venv"
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check $TEST_PYTHON_PACKAGES
        echo "$TEST_PYTHON_PACKAGES" >"$stamp"
    fi
    export WORKFLOW_TEST_VENV="$venv"
    ensure_ssh_test_user
}

# common.Ssh's password tests log in to a throwaway sshd as a real local account (sshd checks
# system accounts). As root: creates `workflow-ssh-test` and gives it a fresh random password,
# kept in a root-only file that the tests read. No password is ever stored in the repository.
TEST_SSH_USER=workflow-ssh-test
TEST_SSH_PASSWORD_FILE=/var/lib/workflow-ssh-test/password
ensure_ssh_test_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    id "$TEST_SSH_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$TEST_SSH_USER"
    install -d -m 700 "$(dirname "$TEST_SSH_PASSWORD_FILE")"
    (umask 077 && openssl rand -hex 24 >"$TEST_SSH_PASSWORD_FILE")
    echo "$TEST_SSH_USER:$(cat "$TEST_SSH_PASSWORD_FILE")" | chpasswd
}

# The throwaway PostgreSQL the store's tests use: loopback only, on a fixed port.
TEST_POSTGRES_PORT=55432
TEST_POSTGRES_PREFIX="${TMPDIR:-/tmp}/workflow-test-postgres."

# Runs a command line as the `postgres` user when we are root (PostgreSQL refuses to run as
# root), or as ourselves otherwise.
_as_postgres_user() {
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -s /bin/sh -c "$1"
    else
        sh -c "$1"
    fi
}

# The folder of PostgreSQL's server programs: version 15 (Debian 12's) when present, else the newest.
_postgres_bin_dir() {
    if [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
        echo /usr/lib/postgresql/15/bin
        return
    fi
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Stops test servers that an earlier run left behind (a killed script never ran its trap):
# only servers whose data folder carries our prefix, found through their postmaster.pid.
_stop_leftover_test_postgres() {
    local bin="$1" pidfile dir
    for pidfile in "$TEST_POSTGRES_PREFIX"*/data/postmaster.pid; do
        [ -f "$pidfile" ] || continue
        dir="$(dirname "$(dirname "$pidfile")")"
        echo "==> stopping a leftover test PostgreSQL in $dir"
        _as_postgres_user "'$bin/pg_ctl' -D '$dir/data' -m immediate -w stop" >/dev/null 2>&1 || true
        rm -rf "$dir"
    done
    for dir in "$TEST_POSTGRES_PREFIX"*; do
        [ -d "$dir" ] && [ ! -f "$dir/data/postmaster.pid" ] && rm -rf "$dir"
    done
    return 0
}

# Stops the server start_test_postgres started and removes its folder.
stop_test_postgres() {
    [ -n "${TEST_POSTGRES_DIR:-}" ] || return 0
    if [ -f "$TEST_POSTGRES_DIR/data/postmaster.pid" ]; then
        _as_postgres_user "'$TEST_POSTGRES_BIN/pg_ctl' -D '$TEST_POSTGRES_DIR/data' -m fast -w stop" >/dev/null 2>&1 || true
    fi
    rm -rf "$TEST_POSTGRES_DIR"
    TEST_POSTGRES_DIR=""
}

# Starts a throwaway PostgreSQL on 127.0.0.1:$TEST_POSTGRES_PORT in a fresh temporary folder
# (trust authentication, user postgres), exports WORKFLOW_TEST_POSTGRES_URL, and stops it and
# removes the folder when the calling script exits. Installs Debian's `postgresql` if missing.
start_test_postgres() {
    ensure_apt_packages postgresql
    TEST_POSTGRES_BIN="$(_postgres_bin_dir)"
    if [ -z "$TEST_POSTGRES_BIN" ] || [ ! -x "$TEST_POSTGRES_BIN/pg_ctl" ]; then
        echo "error: PostgreSQL's server programs are not in /usr/lib/postgresql/*/bin" >&2
        exit 1
    fi
    _stop_leftover_test_postgres "$TEST_POSTGRES_BIN"
    if "$TEST_POSTGRES_BIN/pg_isready" -q -h 127.0.0.1 -p "$TEST_POSTGRES_PORT" >/dev/null 2>&1; then
        echo "error: something else already listens on 127.0.0.1:$TEST_POSTGRES_PORT; stop it and try again" >&2
        exit 1
    fi

    TEST_POSTGRES_DIR="$(mktemp -d "${TEST_POSTGRES_PREFIX}XXXXXX")"
    trap 'stop_test_postgres' EXIT
    trap 'exit 130' INT TERM
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$TEST_POSTGRES_DIR"

    echo "==> starting a throwaway PostgreSQL on 127.0.0.1:$TEST_POSTGRES_PORT"
    _as_postgres_user "'$TEST_POSTGRES_BIN/initdb' -D '$TEST_POSTGRES_DIR/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" \
        >"$TEST_POSTGRES_DIR/initdb.log" 2>&1 || { cat "$TEST_POSTGRES_DIR/initdb.log" >&2; exit 1; }
    # Durability settings are off: the server lives for one test run.
    _as_postgres_user "'$TEST_POSTGRES_BIN/pg_ctl' -D '$TEST_POSTGRES_DIR/data' -l '$TEST_POSTGRES_DIR/server.log' -w -t 60 \
        -o \"-p $TEST_POSTGRES_PORT -k '$TEST_POSTGRES_DIR' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" \
        >/dev/null || { cat "$TEST_POSTGRES_DIR/server.log" >&2; exit 1; }
    local tries=0
    until "$TEST_POSTGRES_BIN/pg_isready" -q -h 127.0.0.1 -p "$TEST_POSTGRES_PORT"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 60 ]; then
            echo "error: the test PostgreSQL did not become ready; its log:" >&2
            cat "$TEST_POSTGRES_DIR/server.log" >&2
            exit 1
        fi
        sleep 0.5
    done
    export WORKFLOW_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$TEST_POSTGRES_PORT/postgres"
}
