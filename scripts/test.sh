#!/usr/bin/env bash
# Run every pulldoctor test, installing what the tests need first. `.ci/run` calls exactly this.
#
# What it installs (only when missing): cargo-nextest (crates.io); the `aws` CLI and moto
# (PyPI awscli, moto[server]) used by the fixture generators; Debian's docker-registry, skopeo,
# podman, apache2-utils, openssl, iproute2 and iptables for the real-registry check, and
# dnsmasq-base and tinyproxy-bin (the programs without their services) for the probe lab;
# chromium, tmux and npm (Debian) and the npm packages of tests/browser for the HTML and TUI tests.
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

# watch: cfn-lint checks the CloudFormation `pulldoctor alarms` writes; kubernetes-validate checks
# the manifests in deploy/ against the Kubernetes OpenAPI schemas.
if ! command -v cfn-lint >/dev/null || ! python3 -c 'import kubernetes_validate' >/dev/null 2>&1; then
    log "installing cfn-lint and kubernetes-validate"
    python3 -m pip install --quiet --disable-pip-version-check cfn-lint kubernetes-validate
fi

need_apt=()
for tool in docker-registry:docker-registry skopeo:skopeo podman:podman htpasswd:apache2-utils openssl:openssl ip:iproute2 iptables:iptables \
    dnsmasq:dnsmasq-base tinyproxy:tinyproxy-bin; do
    command -v "${tool%%:*}" >/dev/null || need_apt+=("${tool#*:}")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    log "installing ${need_apt[*]} (Debian)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# The HTML report is tested in Debian's chromium through playwright-core (npm; it downloads no
# browser) and the TUI end to end in tmux.
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v tmux >/dev/null || need_apt+=(tmux)
command -v npm >/dev/null || need_apt+=(npm)
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

log "the library crates build alone, without chrono's clock (no library may read the time)"
# Built together with the binary, chrono's features unify and Utc::now() compiles everywhere;
# alone (every member but the edge crates: the binary, pulldoctor-live, pulldoctor-probe, the bench,
# the TUI)
# it must not be used.
mapfile -t libraries < <(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
edge = {"pulldoctor", "pulldoctor-live", "pulldoctor-probe", "pulldoctor-bench", "pulldoctor-tui"}
for package in json.load(sys.stdin)["packages"]:
    if package["name"] not in edge:
        print("-p"); print(package["name"])')
cargo check --quiet --lib "${libraries[@]}"

log "documentation tests"
cargo test --workspace --all-features --doc --quiet

log "fixture generators: rebuild one scenario with the real aws CLI against moto, expect identical files"
python3 fixtures/gen/net/generate.py net-route-no-route
if ! git diff --quiet -- fixtures/scenarios/net-route-no-route 2>/dev/null; then
    git --no-pager diff --stat -- fixtures/scenarios/net-route-no-route
    echo "scripts/test.sh: regenerating net-route-no-route changed it: the generator and the committed fixture disagree" >&2
    exit 1
fi

log "must-gather and expired-events fixtures: regenerated from the seed, expect identical files"
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check PyYAML
python3 fixtures/gen/must_gather/generate.py
if ! git diff --quiet -- fixtures/must-gather examples/rosa-ecr-events-expired 2>/dev/null; then
    git --no-pager diff --stat -- fixtures/must-gather examples/rosa-ecr-events-expired
    echo "scripts/test.sh: regenerating the must-gather fixtures changed them: the generator and the committed files disagree" >&2
    exit 1
fi

log "real registries: docker-registry + skopeo on loopback and in network namespaces"
cargo build --quiet --all-features --bin pulldoctor
# Wherever cargo puts it: CARGO_TARGET_DIR, build.target-dir or ./target.
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
scripts/registry-check.sh "$target_dir/debug/pulldoctor"

log "the probe: real DNS, registries, proxies, IMDS and ECR (moto) in network namespaces"
scripts/probe-lab.sh "$target_dir/debug/pulldoctor"

log "the HTML report in a real browser: chromium (headless, no network), axe-core"
(cd tests/browser && npm ci --no-audit --no-fund --silent && PULLDOCTOR="$target_dir/debug/pulldoctor" npm test --silent)

log "the agent's ServiceMonitor and PrometheusRule against the prometheus-operator CRD schemas"
(cd tests/manifests && npm ci --no-audit --no-fund --silent && npm test --silent)

# Last, so its summary is the run's closing line.
log "unit, property, scenario and CLI tests"
cargo nextest run --workspace --all-features --no-fail-fast --failure-output final
