#!/usr/bin/env bash
# Real-registry check for the classifier: start Debian's docker-registry on loopback, broken on
# purpose in several ways, provoke each failure with skopeo (containers/image, the library CRI-O
# uses), and check that `pulldoctor classify` files the genuine text under the right class, raw
# and wrapped the way the kubelet wraps it. Everything listens on 127.0.0.1 and is stopped on exit.
#
# Also, against a small image pushed there: a blob deleted from the registry's storage, a
# policy.json that requires signatures or rejects the registry, a registries.conf that blocks it,
# and (with podman, the same containers/image CRI-O uses) short names that cannot be resolved.
#
# Usage: scripts/registry-check.sh PULLDOCTOR_BINARY   (SHOW_TEXT=1 also prints each text)
# Needs: docker-registry, skopeo, podman, openssl, htpasswd (apache2-utils); scripts/test.sh
# installs them.
set -euo pipefail
BIN=${1:?usage: registry-check.sh PULLDOCTOR_BINARY}
WORK=$(mktemp -d /tmp/pulldoctor-registry.XXXXXX)
PIDS=()
NS_CLIENT=pulldoctor-check-client
NS_SERVER=pulldoctor-check-server
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for ns in "$NS_CLIENT" "$NS_SERVER"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start_registry() { # name port [extra yaml]
    local name=$1 port=$2 extra=${3:-}
    mkdir -p "$WORK/$name"
    cat > "$WORK/$name/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $WORK/$name/data
http:
  addr: 127.0.0.1:$port
$extra
EOF
    docker-registry serve "$WORK/$name/config.yml" > "$WORK/$name/log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "registry $name did not start:" >&2
    cat "$WORK/$name/log" >&2
    return 1
}

PLAIN=$(free_port)
start_registry plain "$PLAIN"

AUTH=$(free_port)
htpasswd -Bbc "$WORK/htpasswd" puller correct-horse >/dev/null 2>&1
start_registry auth "$AUTH" "auth:
  htpasswd:
    realm: lab
    path: $WORK/htpasswd"

TLS=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
start_registry tls "$TLS" "  tls:
    certificate: $WORK/cert.pem
    key: $WORK/key.pem"
# (the tls block must sit under http:, which is the last key of the generated config)

CLOSED=$(free_port) # nothing listens here

failures=0
checked=0
check() { # expected-class description skopeo-args...
    local expected=$1 what=$2
    shift 2
    local text
    if [ -n "${NS:-}" ]; then
        text=$(timeout 60 ip netns exec "$NS" skopeo --command-timeout 8s "$@" 2>&1 || true)
    else
        text=$(timeout 60 skopeo --command-timeout 30s "$@" 2>&1 || true)
    fi
    classify_text "$expected" "$what" "$text"
}
check_podman() { # expected-class description registries.conf image: podman pull, storage in $WORK
    local expected=$1 what=$2 conf=$3 image=$4 text
    text=$(CONTAINERS_REGISTRIES_CONF="$conf" timeout 60 podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" \
        --storage-driver vfs pull "$image" </dev/null 2>&1 | grep '^Error' || true)
    classify_text "$expected" "$what" "$text"
}
classify_text() { # expected-class description text: classify it raw and as the kubelet wraps it
    local expected=$1 what=$2 text
    text=$(printf '%s' "$3" | tr '\n' ' ' | sed 's/  */ /g')
    [ -z "${SHOW_TEXT:-}" ] || printf '  text  %s\n' "$text" # SHOW_TEXT=1: the genuine texts, for catalogue/registry-check.toml
    local image="127.0.0.1/demo/app:1.0"
    for message in "$text" "Failed to pull image \"$image\": rpc error: code = Unknown desc = $text"; do
        local got
        got=$("$BIN" classify --format json "$message" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["class"])')
        checked=$((checked + 1))
        if [ "$got" = "$expected" ]; then
            printf '  ok    %-20s %s\n' "$expected" "$what"
        else
            failures=$((failures + 1))
            printf '  FAIL  expected %s, got %s: %s\n        %s\n' "$expected" "$got" "$what" "$message"
        fi
    done
}

echo "real registries on 127.0.0.1 ($PLAIN plain, $AUTH htpasswd, $TLS self-signed TLS), skopeo $(skopeo --version | awk '{print $3}'), podman $(podman --version | awk '{print $3}')"
check image-not-found "tag that was never pushed" inspect --tls-verify=false "docker://127.0.0.1:$PLAIN/demo/app:v9.9.9"
check auth-missing "registry with auth, no credentials" inspect --tls-verify=false "docker://127.0.0.1:$AUTH/demo/app:1.0"
check auth-missing "registry with auth, wrong password (the registry answers as for none)" inspect --tls-verify=false --creds puller:wrong "docker://127.0.0.1:$AUTH/demo/app:1.0"
check image-not-found "right credentials, missing repository" inspect --tls-verify=false --creds puller:correct-horse "docker://127.0.0.1:$AUTH/no/such:1.0"
check tls "self-signed certificate the client does not trust" inspect "docker://127.0.0.1:$TLS/demo/app:1.0"
check tls "plain HTTP registry, client expects HTTPS" inspect "docker://127.0.0.1:$PLAIN/demo/app:1.0"
check connection-refused "stopped registry (nothing listens)" inspect --tls-verify=false "docker://127.0.0.1:$CLOSED/demo/app:1.0"
check invalid-reference "upper-case repository" inspect --tls-verify=false "docker://127.0.0.1:$PLAIN/Demo/App:1.0"

# A one-layer image, written as an OCI layout and pushed to the plain registry.
LAYER=$(python3 - "$WORK/image" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
root = sys.argv[1]
os.makedirs(f"{root}/blobs/sha256")
def blob(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{root}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}
tar = io.BytesIO()
with tarfile.open(fileobj=tar, mode="w") as t:
    payload = b"pulldoctor registry check\n"
    info = tarfile.TarInfo("hello.txt")
    info.size = len(payload)
    t.addfile(info, io.BytesIO(payload))
layer = blob(gzip.compress(tar.getvalue(), mtime=0))
diff_id = "sha256:" + hashlib.sha256(tar.getvalue()).hexdigest()
config = blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode())
manifest = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}]}).encode())
with open(f"{root}/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
        "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]}, f)
with open(f"{root}/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion": "1.0.0"}')
print(layer["digest"].split(":")[1])
PY
)
skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/image:1.0" "docker://127.0.0.1:$PLAIN/demo/app:1.0"
IMAGE="docker://127.0.0.1:$PLAIN/demo/app:1.0"

printf '{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"127.0.0.1:%s":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s/none.gpg"}]}}}\n' "$PLAIN" "$WORK" > "$WORK/policy-signed.json"
printf '{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"127.0.0.1:%s":[{"type":"reject"}]}}}\n' "$PLAIN" > "$WORK/policy-reject.json"
printf '[[registry]]\nlocation = "127.0.0.1:%s"\nblocked = true\n' "$PLAIN" > "$WORK/registries-blocked.conf"
check policy "policy.json requires a signature the image does not have" --policy "$WORK/policy-signed.json" copy --quiet --src-tls-verify=false "$IMAGE" "dir:$WORK/copy-signed"
check policy "policy.json rejects the registry" --policy "$WORK/policy-reject.json" copy --quiet --src-tls-verify=false "$IMAGE" "dir:$WORK/copy-reject"
check policy "registries.conf blocks the registry" --registries-conf "$WORK/registries-blocked.conf" inspect --tls-verify=false "$IMAGE"

printf 'unqualified-search-registries = []\n' > "$WORK/registries-no-search.conf"
printf 'unqualified-search-registries = ["127.0.0.1:%s", "registry.invalid"]\nshort-name-mode = "enforcing"\n' "$PLAIN" > "$WORK/registries-two-search.conf"
check_podman invalid-reference "short name, registries.conf without unqualified-search registries" "$WORK/registries-no-search.conf" demo/app:1.0
check_podman invalid-reference "short name, two search registries, enforcing mode, no TTY" "$WORK/registries-two-search.conf" demo/app:1.0

# Last, as it breaks the image: delete its layer from the registry's storage.
rm "$WORK/plain/data/docker/registry/v2/blobs/sha256/${LAYER:0:2}/$LAYER/data"
check image-not-found "a layer deleted from the registry's storage" copy --quiet --src-tls-verify=false "$IMAGE" "dir:$WORK/copy-broken"

# Network faults inside two namespaces we create (10.203.0.0/24 exists only between them):
# dropped packets, as a security group or a missing route in AWS would drop them.
if ip netns add "$NS_CLIENT" 2>/dev/null && ip netns add "$NS_SERVER" 2>/dev/null; then
    ip link add pd-check-c type veth peer name pd-check-s
    ip link set pd-check-c netns "$NS_CLIENT"
    ip link set pd-check-s netns "$NS_SERVER"
    ip -n "$NS_CLIENT" addr add 10.203.0.1/24 dev pd-check-c
    ip -n "$NS_SERVER" addr add 10.203.0.2/24 dev pd-check-s
    for ns in "$NS_CLIENT" "$NS_SERVER"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_CLIENT" link set pd-check-c up
    ip -n "$NS_SERVER" link set pd-check-s up
    mkdir -p "$WORK/ns"
    printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 10.203.0.2:5000\n' "$WORK/ns/data" > "$WORK/ns/config.yml"
    ip netns exec "$NS_SERVER" docker-registry serve "$WORK/ns/config.yml" > "$WORK/ns/log" 2>&1 &
    PIDS+=($!)
    sleep 1
    NS="$NS_CLIENT" check image-not-found "through the namespaces, path open (control)" inspect --tls-verify=false "docker://10.203.0.2:5000/demo/app:v1"
    ip netns exec "$NS_SERVER" iptables -A INPUT -p tcp --dport 5000 -j DROP
    NS="$NS_CLIENT" check network-timeout "packets to the registry dropped" inspect --tls-verify=false "docker://10.203.0.2:5000/demo/app:v1"
else
    echo "  FAIL  cannot create network namespaces here (root and iproute2 are needed)"
    failures=$((failures + 1))
fi

echo "$((checked - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
