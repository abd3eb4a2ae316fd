#!/usr/bin/env bash
# Run every pulldoctor test, installing what the tests need first. `.ci/run` calls exactly this.
#
# What it installs (only when missing): cargo-nextest (crates.io); the `aws` CLI and moto
# (PyPI awscli, moto[server]) used by the fixture generators; Debian's docker-registry, skopeo,
# apache2-utils, openssl, iproute2 and iptables for the real-registry check.
# Whatever it starts (a moto server, network namespaces) it stops again, even on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\n==> %s\n' "$*"; }

command -v cargo >/dev/null || { echo "scripts/test.sh: cargo is required" >&2; exit 2; }
if ! cargo nextest --version >/dev/null 2>&1; then
    log "installing cargo-nextest"
    cargo install --locked cargo-nextest
fi
if ! python3 -c 'import moto, awscli' >/dev/null 2>&1 || ! command -v aws >/dev/null || ! command -v moto_server >/dev/null; then
    log "installing the aws CLI and moto"
    python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' awscli
fi

need_apt=()
for tool in docker-registry:docker-registry skopeo:skopeo htpasswd:apache2-utils openssl:openssl ip:iproute2 iptables:iptables; do
    command -v "${tool%%:*}" >/dev/null || need_apt+=("${tool#*:}")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    log "installing ${need_apt[*]} (Debian)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# Snapshots are reviewed, never rewritten by a test run.
export INSTA_UPDATE=no
export CARGO_TERM_COLOR=never

log "formatting"
cargo fmt --all -- --check

log "documentation tests"
cargo test --workspace --all-features --doc --quiet

log "fixture generators: rebuild one scenario with the real aws CLI against moto, expect identical files"
python3 fixtures/gen/net/generate.py net-route-no-route
if ! git diff --quiet -- fixtures/scenarios/net-route-no-route 2>/dev/null; then
    git --no-pager diff --stat -- fixtures/scenarios/net-route-no-route
    echo "scripts/test.sh: regenerating net-route-no-route changed it: the generator and the committed fixture disagree" >&2
    exit 1
fi

log "real registries: docker-registry + skopeo on loopback and in network namespaces"
cargo build --quiet --all-features --bin pulldoctor
scripts/registry-check.sh target/debug/pulldoctor

# Last, so its summary is the run's closing line.
log "unit, property, scenario and CLI tests"
cargo nextest run --workspace --all-features --no-fail-fast --failure-output final
