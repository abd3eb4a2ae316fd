#!/usr/bin/env bash
# Run every pulldoctor test, installing what the tests need first. `.ci/run` calls exactly this.
#
# What it installs (only when missing): cargo-nextest (crates.io); the `aws` CLI and moto
# (PyPI awscli, moto[server]) used by the fixture generators and the AWS-facing tests.
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

# Snapshots are reviewed, never rewritten by a test run.
export INSTA_UPDATE=no
export CARGO_TERM_COLOR=never

log "unit, property, scenario and CLI tests"
cargo nextest run --workspace --no-fail-fast --failure-output final

log "documentation tests"
cargo test --workspace --doc --quiet

log "formatting"
cargo fmt --all -- --check
