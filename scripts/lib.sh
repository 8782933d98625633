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
    ensure_apt_packages git procps
}
