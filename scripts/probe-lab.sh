#!/usr/bin/env bash
# The probe against real components. Two network namespaces this script creates and removes:
# pdprobe-client runs `pulldoctor probe --local`; pdprobe-server holds a real DNS server
# (dnsmasq), real registries (Debian's docker-registry with TLS from a test CA and htpasswd
# auth, blobs redirected to a layer store), the layer store (python3 https.server), two real
# forward proxies (tinyproxy, one that allows CONNECT and one that denies it), an IMDSv2
# stand-in and moto's ECR API. Each fault is provoked for real (iptables DROP/REJECT, no route,
# resolver down or refusing, NXDOMAIN, bad certificates, a denying proxy, a wrong password, a
# missing tag, an index without this platform, a blocked layer store, an ECR role without
# permission) and asserted at its step with its class from the probe's JSON. Where the same
# fault can be put to skopeo (containers/image, the library CRI-O uses), `pulldoctor classify`
# must put skopeo's own text in the class the probe named.
#
# Usage: scripts/probe-lab.sh PULLDOCTOR_BINARY
# KEEP_LAB=1 keeps the work directory (certificates, configs, each case's JSON and table) to look at.
# Needs root, iproute2, iptables, docker-registry, skopeo, openssl, htpasswd (apache2-utils),
# dnsmasq (dnsmasq-base), tinyproxy, python3 with moto[server] and boto3; scripts/test.sh
# installs them. Nothing is downloaded: the OCI images are made here.
set -euo pipefail
BIN=$(realpath "${1:?usage: probe-lab.sh PULLDOCTOR_BINARY}")
WORK=$(mktemp -d /tmp/pulldoctor-probe-lab.XXXXXX)
CLIENT=pdprobe-client
SERVER=pdprobe-server
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for ns in "$CLIENT" "$SERVER"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "/etc/netns/$CLIENT" "/etc/netns/$SERVER"; [ -n "${KEEP_LAB:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
started=$(date +%s.%N)

# (background servers are started with `ip netns exec` directly, so that $! is the server itself)
in_server() { ip netns exec "$SERVER" "$@"; }
in_client() { ip netns exec "$CLIENT" "$@"; }
wait_tcp() { # ns address port what
    for _ in $(seq 100); do
        if ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "probe-lab: $4 did not start on $2:$3" >&2
    cat "$WORK"/*.log >&2 2>/dev/null || true
    exit 1
}

# ---- network: client 10.204.0.1, server .2 (DNS, proxies, IMDS, moto), .10 registry, .11 registry
# with an expired certificate, .12 layer store. No default route: 10.250.0.0/16 has no route.
for ns in "$CLIENT" "$SERVER"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add pdp-c type veth peer name pdp-s
ip link set pdp-c netns "$CLIENT"
ip link set pdp-s netns "$SERVER"
ip -n "$CLIENT" addr add 10.204.0.1/24 dev pdp-c
for address in 2 3 10 11 12; do ip -n "$SERVER" addr add "10.204.0.$address/24" dev pdp-s; done
ip -n "$CLIENT" link set pdp-c up
ip -n "$SERVER" link set pdp-s up
# 10.204.0.3 holds no DNS server: the kernel answers port unreachable ("resolver down")
mkdir -p "/etc/netns/$CLIENT"
RESOLV="/etc/netns/$CLIENT/resolv.conf"
resolver() { printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$1" > "$RESOLV"; }
resolver 10.204.0.2
# the proxies resolve registry names themselves, with the same DNS server
mkdir -p "/etc/netns/$SERVER" && printf 'nameserver 10.204.0.2\n' > "/etc/netns/$SERVER/resolv.conf"

# ---- a test CA and certificates (EC keys: quick to make)
ECR=123456789012.dkr.ecr.us-east-1.amazonaws.com
S3=prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com
cd "$WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=pulldoctor lab CA" \
    -keyout ca.key -out ca.pem 2>/dev/null
leaf() { # name days sans...
    local name=$1 days=$2
    shift 2
    local sans
    sans=$(printf 'DNS:%s,' "$@")
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" -keyout "$name.key" -out "$name.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "${sans%,}" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" -extfile "$name.ext" -out "$name.pem" 2>/dev/null
}
leaf registry 2 registry.lab.test "$ECR"
leaf layers 2 layers.lab.test "$S3"
# expired: `openssl ca` sets explicit dates (OpenSSL 3.0's x509 -req cannot)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=expired.lab.test" \
    -addext "subjectAltName=DNS:expired.lab.test" -keyout expired.key -out expired.csr 2>/dev/null
mkdir -p cadb && touch cadb/index.txt && echo 1000 > cadb/serial
cat > ca.cnf <<EOF
[ca]
default_ca = lab
[lab]
database = $WORK/cadb/index.txt
new_certs_dir = $WORK/cadb
serial = $WORK/cadb/serial
default_md = sha256
policy = any
copy_extensions = copy
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
EOF
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem -notext \
    -startdate 20240101000000Z -enddate 20240102000000Z 2>/dev/null
# the runtimes' per-registry CA directories: certs.d/HOST/ca.crt
for host in registry.lab.test other.lab.test expired.lab.test "$ECR"; do
    mkdir -p "certs.d/$host" && cp ca.pem "certs.d/$host/ca.crt"
done
# other.lab.test resolves to the registry, whose certificate does not name it (wrong name)

# ---- DNS: lab.test names answered, unknown lab.test names NXDOMAIN, anything else REFUSED
ip netns exec "$SERVER" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --user=root \
    --listen-address=10.204.0.2 --bind-interfaces --pid-file="$WORK/dnsmasq.pid" --log-facility="$WORK/dnsmasq.log" \
    --local=/lab.test/ \
    --address=/registry.lab.test/10.204.0.10 --address=/other.lab.test/10.204.0.10 \
    --address=/expired.lab.test/10.204.0.11 --address=/layers.lab.test/10.204.0.12 \
    --address=/noroute.lab.test/10.250.0.1 --address=/proxy.lab.test/10.204.0.2 --address=/moto.lab.test/10.204.0.2 \
    --address=/$ECR/10.204.0.10 --address=/$S3/10.204.0.12 &
PIDS+=($!)

# ---- registries: htpasswd users `puller` and ECR's `AWS` (moto's token password)
htpasswd -Bbc htpasswd puller correct-horse >/dev/null 2>&1
htpasswd -Bb htpasswd AWS 123456789012-auth-token >/dev/null 2>&1
registry_config() { # address cert key auth(yes/no) redirect(yes/no)
    printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n' "$WORK"
    if [ "$5" = yes ]; then
        printf 'middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: https://layers.lab.test/\n'
    fi
    if [ "$4" = yes ]; then
        printf 'auth:\n  htpasswd:\n    realm: pulldoctor-lab\n    path: %s/htpasswd\n' "$WORK"
    fi
    printf 'http:\n  addr: %s:443\n  tls:\n    certificate: %s\n    key: %s\n' "$1" "$WORK/$2" "$WORK/$3"
}
registry_config 10.204.0.10 registry.pem registry.key yes no > push.yml
ip netns exec "$SERVER" docker-registry serve push.yml > registry-push.log 2>&1 &
push_pid=$!
wait_tcp "$SERVER" 10.204.0.10 443 "docker-registry"

# ---- images, made here: an OCI index for linux/amd64 + linux/arm64, and one for linux/s390x only
python3 - "$WORK/oci" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
root = sys.argv[1]
def layout(name, platforms):
    d = f"{root}/{name}"
    os.makedirs(f"{d}/blobs/sha256", exist_ok=True)
    def blob(data, media):
        digest = hashlib.sha256(data).hexdigest()
        open(f"{d}/blobs/sha256/{digest}", "wb").write(data)
        return {"mediaType": media, "digest": "sha256:" + digest, "size": len(data)}
    entries = []
    for os_, arch in platforms:
        payload = os.urandom(64 * 1024)  # a layer with some size: the probe reads its first KiB
        tar = io.BytesIO()
        with tarfile.open(fileobj=tar, mode="w") as t:
            info = tarfile.TarInfo(f"data-{arch}.bin"); info.size = len(payload); info.mtime = 0
            t.addfile(info, io.BytesIO(payload))
        layer = gzip.compress(tar.getvalue(), mtime=0)
        config = json.dumps({"architecture": arch, "os": os_, "config": {},
                             "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar.getvalue()).hexdigest()]}}).encode()
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": blob(config, "application/vnd.oci.image.config.v1+json"),
                               "layers": [blob(layer, "application/vnd.oci.image.layer.v1.tar+gzip")]}).encode()
        entry = blob(manifest, "application/vnd.oci.image.manifest.v1+json")
        entry["platform"] = {"os": os_, "architecture": arch}
        entries.append(entry)
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}).encode()
    top = blob(index, "application/vnd.oci.image.index.v1+json")
    top["annotations"] = {"org.opencontainers.image.ref.name": "1.0"}
    json.dump({"schemaVersion": 2, "manifests": [top]}, open(f"{d}/index.json", "w"))
    json.dump({"imageLayoutVersion": "1.0.0"}, open(f"{d}/oci-layout", "w"))
layout("app", [("linux", "amd64"), ("linux", "arm64")])
layout("s390x-only", [("linux", "s390x")])
PY
for image in app:demo/app s390x-only:demo/s390x-only; do
    in_client skopeo --command-timeout 30s copy --quiet --all --dest-creds puller:correct-horse --dest-cert-dir "$WORK/certs.d/registry.lab.test" \
        "oci:$WORK/oci/${image%%:*}:1.0" "docker://registry.lab.test/${image#*:}:1.0"
done
kill "$push_pid" && wait "$push_pid" 2>/dev/null || true

# now serve with blobs redirected to the layer store, as ECR redirects to S3
registry_config 10.204.0.10 registry.pem registry.key yes yes > registry.yml
registry_config 10.204.0.11 expired.pem expired.key no yes > expired.yml
for name in registry expired; do
    ip netns exec "$SERVER" docker-registry serve "$name.yml" > "registry-$name.log" 2>&1 &
    PIDS+=($!)
done
cat > layers.py <<'PY'
import functools, http.server, ssl, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
handler.func.log_message = lambda *a: None
server = http.server.ThreadingHTTPServer((sys.argv[1], 443), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[3], sys.argv[4])
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
ip netns exec "$SERVER" python3 layers.py 10.204.0.12 "$WORK/data" layers.pem layers.key > layers.log 2>&1 &
PIDS+=($!)

# ---- proxies: 8888 allows CONNECT, 8889 filters every host out
mkdir -p proxy && : > proxy/deny-nothing && echo '.*' > proxy/deny-all
for port in 8888 8889; do
    filter=deny-nothing
    [ "$port" = 8889 ] && filter=deny-all
    printf 'Port %s\nListen 10.204.0.2\nTimeout 10\nMaxClients 20\nAllow 10.204.0.0/24\nConnectPort 443\nLogLevel Critical\nFilter "%s"\nFilterDefaultDeny No\n' \
        "$port" "$WORK/proxy/$filter" > "proxy/$port.conf"
    ip netns exec "$SERVER" tinyproxy -d -c "proxy/$port.conf" > "proxy-$port.log" 2>&1 &
    PIDS+=($!)
done

# ---- ECR: moto (SigV4 checked after the setup calls) and an IMDSv2 stand-in
ip netns exec "$SERVER" env INITIAL_NO_AUTH_ACTION_COUNT=7 moto_server -H 10.204.0.2 -p 5001 > moto.log 2>&1 &
PIDS+=($!)
cat > imds.py <<'PY'
# IMDSv2: PUT /latest/api/token, then GETs that must carry the token; the role comes from a file.
import http.server, json, sys
TOKEN = "lab-imds-session"
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, code, body=""):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_PUT(self):
        ok = self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        self.reply(200, TOKEN) if ok else self.reply(400)
    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.reply(401)
        role = json.load(open(sys.argv[2]))
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.reply(200, role["role"])
        if self.path == base + role["role"]:
            return self.reply(200, json.dumps(role["credentials"]))
        self.reply(404)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], 8169), Handler).serve_forever()
PY
wait_tcp "$SERVER" 10.204.0.2 5001 "moto"
in_client python3 - "$WORK" <<'PY'
# IAM and STS in moto: a node role allowed ecr:GetAuthorizationToken, one without, and their
# temporary credentials (what IMDS hands a node). The first 7 calls are unauthenticated.
import boto3, json, sys
work = sys.argv[1]
endpoint = "http://10.204.0.2:5001"
setup = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **setup)
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
allow = lambda action: json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
iam.create_role(RoleName="lab-node", AssumeRolePolicyDocument=trust)
iam.put_role_policy(RoleName="lab-node", PolicyName="ecr", PolicyDocument=allow("ecr:GetAuthorizationToken"))
iam.create_role(RoleName="lab-node-no-ecr", AssumeRolePolicyDocument=trust)
iam.put_role_policy(RoleName="lab-node-no-ecr", PolicyName="s3", PolicyDocument=allow("s3:GetObject"))
iam.create_user(UserName="lab")
key = iam.create_access_key(UserName="lab")["AccessKey"]
iam.put_user_policy(UserName="lab", PolicyName="assume", PolicyDocument=allow("sts:AssumeRole"))
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
for role in ["lab-node", "lab-node-no-ecr"]:
    c = sts.assume_role(RoleArn=f"arn:aws:iam::123456789012:role/{role}", RoleSessionName="i-0123456789abcdef0")["Credentials"]
    credentials = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
                   "Token": c["SessionToken"], "Expiration": c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}
    json.dump({"role": role, "credentials": credentials}, open(f"{work}/role-{role}.json", "w"))
    bad = dict(credentials, SecretAccessKey="not-" + c["SecretAccessKey"])
    json.dump({"role": role, "credentials": bad}, open(f"{work}/role-{role}-bad-secret.json", "w"))
PY
cp role-lab-node.json imds-role.json
ip netns exec "$SERVER" python3 imds.py 10.204.0.2 "$WORK/imds-role.json" > imds.log 2>&1 &
PIDS+=($!)

wait_tcp "$SERVER" 10.204.0.10 443 "docker-registry"
wait_tcp "$SERVER" 10.204.0.11 443 "docker-registry (expired certificate)"
wait_tcp "$SERVER" 10.204.0.12 443 "the layer store"
wait_tcp "$SERVER" 10.204.0.2 8888 "tinyproxy"
wait_tcp "$SERVER" 10.204.0.2 8889 "tinyproxy (denying)"
wait_tcp "$SERVER" 10.204.0.2 8169 "the IMDS stand-in"
wait_tcp "$SERVER" 10.204.0.2 53 "dnsmasq"

auth() { printf '%s' "$1" | base64 -w0; }
printf '{"auths": {"registry.lab.test": {"auth": "%s"}, "other.lab.test": {"auth": "%s"}, "expired.lab.test": {"auth": "%s"}}}\n' \
    "$(auth puller:correct-horse)" "$(auth puller:correct-horse)" "$(auth puller:correct-horse)" > pull-secret.json
printf '{"auths": {"registry.lab.test": {"auth": "%s"}}}\n' "$(auth puller:wrong-password)" > wrong-secret.json
setup_seconds=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")

# ---- the cases
failures=0
checked=0
APP=registry.lab.test/demo/app:1.0
LAB_ENV=(PATH="$PATH" HOME="$HOME")
PROBE=("$BIN" probe --local --certs-dir "$WORK/certs.d" --timeout 2s --pull-secret "$WORK/pull-secret.json")

run_probe() { # name env-assignments... -- probe args...
    local name=$1
    shift
    local env=()
    while [ "$1" != -- ]; do env+=("$1"); shift; done
    shift
    set +e
    in_client env -i "${LAB_ENV[@]}" "${env[@]}" "$@" --format text -o "$WORK/$name.json" > "$WORK/$name.txt" 2> "$WORK/$name.err"
    echo $? > "$WORK/$name.exit"
    set -e
}

# expect NAME STEP|passed CLASS CHECK: the probe's JSON says STEP failed with CLASS (or every step
# passed), its exit code agrees, and the Python expression CHECK holds (r: the report, s: steps by name).
expect() {
    local name=$1 step=$2 class=$3 extra=${4:-True}
    checked=$((checked + 1))
    local verdict
    verdict=$(python3 - "$WORK/$name.json" "$(cat "$WORK/$name.exit")" "$step" "$class" "$extra" <<'PY' 2>&1
import json, sys
path, code, step, cls, extra = sys.argv[1:]
try:
    r = json.load(open(path))
except Exception as e:
    print(f"no JSON result ({e})"); sys.exit()
s = {x["name"]: x for x in r["steps"]}
if step == "passed":
    got = "passed" if r["result"] == "passed" else f"{r.get('failedStep')} failed: {s[r['failedStep']]['failure']['class']}"
    want = "passed"; want_code = "0"
else:
    failed = r.get("failedStep")
    got = f"{failed} {s[failed]['failure']['class']}" if failed else "passed"
    want = f"{step} {cls}"; want_code = "1"
problems = []
if got != want: problems.append(f"expected {want}, got {got}")
if code != want_code: problems.append(f"exit {code}, expected {want_code}")
try:
    if not eval(extra, {"r": r, "s": s}): problems.append(f"check failed: {extra}")
except Exception as e:
    problems.append(f"check raised {e!r}: {extra}")
print("ok" if not problems else "; ".join(problems))
PY
)
    if [ "$verdict" = ok ]; then
        printf '  ok    %-26s %s\n' "$name" "$([ "$step" = passed ] && echo "every step passed" || echo "$step: $class")"
    else
        failures=$((failures + 1))
        printf '  FAIL  %-26s %s\n' "$name" "$verdict"
        sed 's/^/        /' "$WORK/$name.txt" "$WORK/$name.err"
    fi
}

# agrees NAME SKOPEO-ARGS...: skopeo meets the same fault; `classify` must read its text as the class
# the probe named (skopeo's text is what CRI-O would put in the pod's event).
agrees() {
    local name=$1
    shift
    checked=$((checked + 1))
    local text probe_class runtime_class
    text=$(in_client env -i "${LAB_ENV[@]}" "${SKOPEO_ENV[@]}" skopeo --command-timeout 3s "$@" 2>&1 | tr '\n' ' ' || true)
    probe_class=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(next(s["failure"]["class"] for s in r["steps"] if s.get("failure")))' "$WORK/$name.json" 2>/dev/null || echo none)
    runtime_class=$("$BIN" classify --format json "$text" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["class"])')
    if [ "$probe_class" = "$runtime_class" ]; then
        printf '  ok    %-26s skopeo agrees: %s\n' "$name" "$runtime_class"
    else
        failures=$((failures + 1))
        printf '  FAIL  %-26s probe says %s, classify says %s for skopeo: %s\n' "$name" "$probe_class" "$runtime_class" "$text"
    fi
}
SKOPEO_ENV=()
CERTS=(--cert-dir "$WORK/certs.d/registry.lab.test")

echo "probe lab: 2 network namespaces, dnsmasq $(dnsmasq --version | awk 'NR==1{print $3}'), docker-registry $(docker-registry --version | awk '{print $3}'), tinyproxy, moto $(python3 -c 'import moto; print(moto.__version__)'), skopeo $(skopeo --version | awk '{print $3}'); set up in ${setup_seconds} s"

# healthy: every step passes, through the redirect to the layer store
run_probe healthy -- "$BIN" probe --local --certs-dir "$WORK/certs.d" --pull-secret "$WORK/pull-secret.json" "$APP"
expect healthy passed - "s['resolve']['lookups'][0]['answeredBy'] == '10.204.0.2:53' and s['manifest']['manifest']['chosenPlatform'] == '$(uname -m | sed 's/x86_64/linux\/amd64/;s/aarch64/linux\/arm64/')' and s['blob']['blob']['redirectedTo'] == 'layers.lab.test' and s['blob']['blob']['bytes'] == 1024 and s['credentials']['credentials']['username'] == 'puller' and s['tls']['handshakes'][0]['outcome'] == 'verified'"
run_probe platform-override -- "${PROBE[@]}" --platform linux/arm64 "$APP"
expect platform-override passed - "s['manifest']['manifest']['chosenPlatform'] == 'linux/arm64'"
run_probe registry-only -- "${PROBE[@]}" registry.lab.test
expect registry-only passed - "s['manifest']['status'] == 'skipped' and s['blob']['status'] == 'skipped'"

# DNS
run_probe nxdomain -- "${PROBE[@]}" missing.lab.test/demo/app:1.0
expect nxdomain resolve dns "s['resolve']['lookups'][0]['attempts'][0]['outcome'] == 'nxdomain'"
agrees nxdomain inspect "docker://missing.lab.test/demo/app:1.0"
run_probe dns-refused -- "${PROBE[@]}" registry.elsewhere.test/demo/app:1.0
expect dns-refused resolve dns "s['resolve']['lookups'][0]['attempts'][0]['outcome'] == 'refused'"
agrees dns-refused inspect "docker://registry.elsewhere.test/demo/app:1.0"
resolver 10.204.0.3
run_probe resolver-down -- "${PROBE[@]}" "$APP"
expect resolver-down resolve dns "s['resolve']['lookups'][0]['attempts'][0]['outcome'] == 'unreachable'"
agrees resolver-down inspect "${CERTS[@]}" "docker://$APP"
resolver 10.204.0.2
in_server iptables -A INPUT -p udp --dport 53 -j DROP
run_probe resolver-timeout -- "${PROBE[@]}" "$APP"
expect resolver-timeout resolve dns "s['resolve']['lookups'][0]['attempts'][0]['outcome'] == 'timeout'"
in_server iptables -D INPUT -p udp --dport 53 -j DROP

# TCP
in_server iptables -A INPUT -d 10.204.0.10 -p tcp --dport 443 -j DROP
run_probe tcp-drop -- "${PROBE[@]}" "$APP"
expect tcp-drop connect network-timeout "s['connect']['connections'][0]['outcome'] == 'timeout'"
agrees tcp-drop inspect "${CERTS[@]}" "docker://$APP"
in_server iptables -D INPUT -d 10.204.0.10 -p tcp --dport 443 -j DROP
in_server iptables -A INPUT -d 10.204.0.10 -p tcp --dport 443 -j REJECT --reject-with tcp-reset
run_probe tcp-reject -- "${PROBE[@]}" "$APP"
expect tcp-reject connect connection-refused "s['connect']['connections'][0]['outcome'] == 'refused'"
agrees tcp-reject inspect "${CERTS[@]}" "docker://$APP"
in_server iptables -D INPUT -d 10.204.0.10 -p tcp --dport 443 -j REJECT --reject-with tcp-reset
run_probe no-route -- "${PROBE[@]}" noroute.lab.test/demo/app:1.0
expect no-route connect network-timeout "s['connect']['connections'][0]['outcome'] == 'network-unreachable'"
agrees no-route inspect "docker://noroute.lab.test/demo/app:1.0"

# TLS
run_probe untrusted-ca -- "$BIN" probe --local --timeout 2s --pull-secret "$WORK/pull-secret.json" "$APP"
expect untrusted-ca tls tls "s['tls']['handshakes'][0]['outcome'] == 'untrusted' and s['tls']['handshakes'][0]['certificate']['issuer'] == 'CN=pulldoctor lab CA'"
agrees untrusted-ca inspect "docker://$APP"
run_probe expired -- "${PROBE[@]}" expired.lab.test/demo/app:1.0
expect expired tls tls "s['tls']['handshakes'][0]['outcome'] == 'expired' and s['tls']['handshakes'][0]['certificate']['notAfter'].startswith('2024-01-02')"
agrees expired inspect --cert-dir "$WORK/certs.d/expired.lab.test" "docker://expired.lab.test/demo/app:1.0"
run_probe wrong-name -- "${PROBE[@]}" other.lab.test/demo/app:1.0
expect wrong-name tls tls "s['tls']['handshakes'][0]['outcome'] == 'wrong-name' and 'registry.lab.test' in s['tls']['handshakes'][0]['certificate']['names']"
agrees wrong-name inspect --cert-dir "$WORK/certs.d/other.lab.test" "docker://other.lab.test/demo/app:1.0"

# proxies: HTTPS_PROXY and NO_PROXY as the runtime's environment would set them
run_probe proxy-allows HTTPS_PROXY=http://proxy.lab.test:8888 -- "${PROBE[@]}" "$APP"
expect proxy-allows passed - "r['proxy']['registryRoute'] == 'proxy' and s['connect']['connections'][0]['via'] == 'proxy.lab.test:8888' and s['blob']['blob']['bytes'] == 1024"
run_probe proxy-denies HTTPS_PROXY=http://proxy.lab.test:8889 -- "${PROBE[@]}" "$APP"
expect proxy-denies connect proxy "s['connect']['connections'][0]['outcome'] == 'proxy-refused' and s['connect']['connections'][0]['proxyStatus'].startswith('403')"
# Go prints a refused CONNECT as the proxy's bare reason phrase; `classify` knows the standard ones
# (Forbidden, Bad Gateway, ...) but not tinyproxy's own: check skopeo prints the same phrase.
checked=$((checked + 1))
skopeo_text=$(in_client env -i "${LAB_ENV[@]}" HTTPS_PROXY=http://proxy.lab.test:8889 skopeo --command-timeout 3s inspect "${CERTS[@]}" "docker://$APP" 2>&1 | tr '\n' ' ' || true)
phrase=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["steps"][1]["failure"]["message"].rsplit(": ",1)[1])' "$WORK/proxy-denies.json")
if [[ "$skopeo_text" == *": $phrase"* ]]; then
    printf '  ok    %-26s skopeo prints the same refusal: "%s" (class proxy by the probe: classify has no rule for this phrase)\n' proxy-denies "$phrase"
else
    failures=$((failures + 1))
    printf '  FAIL  %-26s skopeo printed: %s (probe: %s)\n' proxy-denies "$skopeo_text" "$phrase"
fi
run_probe no-proxy-bypass HTTPS_PROXY=http://proxy.lab.test:8889 NO_PROXY=.lab.test -- "${PROBE[@]}" "$APP"
expect no-proxy-bypass passed - "r['proxy']['registryRoute'] == 'direct' and '.lab.test' in r['proxy']['reason']"

# credentials, manifest, blob
run_probe wrong-password -- "$BIN" probe --local --certs-dir "$WORK/certs.d" --timeout 2s --pull-secret "$WORK/wrong-secret.json" "$APP"
expect wrong-password credentials auth-missing "s['credentials']['credentials']['accepted'] is False and any(q.get('status') == 401 for q in s['credentials']['requests'])"
agrees wrong-password inspect "${CERTS[@]}" --creds puller:wrong-password "docker://$APP"
run_probe no-credentials -- "$BIN" probe --local --certs-dir "$WORK/certs.d" --timeout 2s "$APP"
expect no-credentials credentials auth-missing "s['credentials']['credentials']['source'] == 'none'"
agrees no-credentials inspect "${CERTS[@]}" "docker://$APP"
run_probe missing-tag -- "${PROBE[@]}" registry.lab.test/demo/app:v9.9.9
expect missing-tag manifest image-not-found "any(q.get('status') == 404 for q in s['manifest']['requests'])"
agrees missing-tag inspect "${CERTS[@]}" --creds puller:correct-horse "docker://registry.lab.test/demo/app:v9.9.9"
run_probe no-platform -- "${PROBE[@]}" registry.lab.test/demo/s390x-only:1.0
expect no-platform manifest platform-mismatch "s['manifest']['manifest']['platforms'] == ['linux/s390x']"
agrees no-platform inspect "${CERTS[@]}" --creds puller:correct-horse "docker://registry.lab.test/demo/s390x-only:1.0"
in_server iptables -A INPUT -d 10.204.0.12 -p tcp --dport 443 -j DROP
run_probe layer-store-blocked -- "${PROBE[@]}" "$APP"
expect layer-store-blocked blob network-timeout "s['manifest']['status'] == 'passed' and s['blob']['blob']['redirectedTo'] == 'layers.lab.test' and s['blob']['connections'][-1]['outcome'] == 'timeout'"
agrees layer-store-blocked inspect "${CERTS[@]}" --creds puller:correct-horse "docker://$APP"
in_server iptables -D INPUT -d 10.204.0.12 -p tcp --dport 443 -j DROP

# ECR: the instance role through IMDSv2, a SigV4-signed GetAuthorizationToken to moto, the token
# as Basic credentials at the registry (moto's token is AWS:123456789012-auth-token)
ECR_ENV=(AWS_EC2_METADATA_SERVICE_ENDPOINT=http://10.204.0.2:8169 AWS_ENDPOINT_URL_ECR=http://moto.lab.test:5001)
ECR_PROBE=("$BIN" probe --local --certs-dir "$WORK/certs.d" --timeout 2s)
run_probe ecr-instance-role "${ECR_ENV[@]}" -- "${ECR_PROBE[@]}" "$ECR/demo/app:1.0"
expect ecr-instance-role passed - "s['credentials']['credentials']['source'] == 'instance-role' and s['credentials']['credentials']['role'] == 'lab-node' and s['credentials']['credentials']['username'] == 'AWS' and 'expiryNote' in s['credentials']['credentials'] and [l['role'] for l in s['resolve']['lookups']] == ['registry', 'ecr-api', 'layer'] and not any('auth-token' in line for st in r['steps'] for line in st['summary'])"
cp role-lab-node-no-ecr.json imds-role.json
run_probe ecr-role-denied "${ECR_ENV[@]}" -- "${ECR_PROBE[@]}" "$ECR/demo/app:1.0"
expect ecr-role-denied credentials auth-denied "s['credentials']['credentials']['role'] == 'lab-node-no-ecr' and 'AccessDenied' in s['credentials']['failure']['message']"
cp role-lab-node-bad-secret.json imds-role.json
run_probe ecr-bad-signature "${ECR_ENV[@]}" -- "${ECR_PROBE[@]}" "$ECR/demo/app:1.0"
expect ecr-bad-signature credentials auth-denied "'SignatureDoesNotMatch' in s['credentials']['failure']['message']"
cp role-lab-node.json imds-role.json

# nothing secret in any output
checked=$((checked + 1))
if grep -l -e correct-horse -e wrong-password -e 123456789012-auth-token -e lab-imds-session -e "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["credentials"]["SecretAccessKey"])' role-lab-node.json)" \
    "$WORK"/*.json "$WORK"/*.txt "$WORK"/*.err 2>/dev/null | grep -v -e pull-secret.json -e wrong-secret.json -e 'role-' -e imds-role.json; then
    failures=$((failures + 1))
    echo "  FAIL  a password, token or secret key appears in the probe output above"
else
    printf '  ok    %-26s no password, token or secret key in any probe output\n' secrets
fi

# the healthy table, and how long a healthy probe takes (median of 5 runs, wall clock)
echo
echo "healthy run, as printed:"
sed 's/^/    /' "$WORK/healthy.txt"
times=()
for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    in_client env -i "${LAB_ENV[@]}" "$BIN" probe --local --certs-dir "$WORK/certs.d" --pull-secret "$WORK/pull-secret.json" "$APP" > /dev/null
    times+=($((($(date +%s%N) - t0) / 1000000)))
done
echo "healthy probe wall time, 5 runs (ms): ${times[*]}; median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p) ms"
echo "$((checked - failures)) passed, $failures failed, in $(python3 -c "import time; print(f'{time.time() - $started:.0f}')") s"
[ "$failures" -eq 0 ]
