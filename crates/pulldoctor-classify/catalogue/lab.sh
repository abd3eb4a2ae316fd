#!/usr/bin/env bash
# Reproduces the "lab" captures of the pulldoctor-classify catalogue.
#
# Builds two network namespaces joined by a veth pair (addresses 10.200.1.0/24 exist only inside
# them), runs real registries (Debian's docker-registry) and small Python stubs in the "server"
# namespace, and real pull clients in the "client" namespace:
#   skopeo 1.9 (containers/image, the library CRI-O and podman use), podman 4.3,
#   ctr 1.6 (containerd client-side fetch), containerd 1.6 CRI PullImage (via a tiny gRPC client,
#   exactly what kubelet calls), and dockerd 20.10 (docker pull).
# Each scenario breaks one thing on purpose and captures what every client prints.
#
# Usage:  sudo bash lab.sh            # install, run every scenario, clean up
#         LAB=/some/dir bash lab.sh   # scratch dir (default /tmp/classify-lab)
#         ONLY="auth-none tcp-drop" bash lab.sh   # a subset of scenarios:
#   auth-none auth-wrong tag-missing repo-missing x509-unknown x509-expired x509-name http-to-https
#   refused dns-nxdomain dns-servfail dns-timeout dns-local-drop dns-refused tcp-drop blackhole
#   noroute host-unreach s3-drop tls-hang http-hang rate-limit http-500 http-502 http-503
#   ecr-expired ecr-vpce-denied hub-denied platform invalid-ref proxy-refused proxy-407 proxy-403
#   disk policy
# Then: python3 lab_to_toml.py "$LAB/captures" lab.toml
# Output: $LAB/captures/<scenario>.<tool>.txt  (first line: the command, then its combined output,
#         last line: "exit=N")
# No traffic leaves the machine: every address used is loopback or inside the two namespaces, and
# the client namespace has no default route. Host files are untouched: /etc/hosts,
# /etc/resolv.conf, the CA bundle and /etc/docker are replaced only inside private mount
# namespaces (unshare -m) of the processes that need them.
set -u
LAB=${LAB:-/tmp/classify-lab}
OUT=$LAB/captures
NS_C=classify-c
NS_S=classify-s
ONLY=${ONLY:-}
PIDS=()

log() { printf '== %s\n' "$*" >&2; }

install_tools() {
    if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null ||
        ! command -v ctr >/dev/null || ! command -v iptables >/dev/null ||
        ! command -v podman >/dev/null || ! command -v dockerd >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            docker-registry skopeo containerd iptables apache2-utils podman docker.io python3-venv
    fi
    if ! "$LAB/venv/bin/python" -c 'import grpc, grpc_tools, cryptography' 2>/dev/null; then
        python3 -m venv "$LAB/venv"
        "$LAB/venv/bin/pip" install -q grpcio grpcio-tools cryptography
    fi
}

cleanup() {
    log cleanup
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 1
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    # dockerd's own containerd and any shim it started run inside the namespace: end them by pid.
    for ns in "$NS_C" "$NS_S"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
    done
    sleep 1
    for ns in "$NS_C" "$NS_S"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    mountpoint -q "$LAB/tiny" && umount "$LAB/tiny"
    true
}

# run "$@" inside namespace $1 with the lab's hosts, resolv.conf, CA bundle and /etc/docker
in_ns() {
    local ns=$1
    shift
    nsenter --net="/run/netns/$ns" unshare -m --propagation private sh -c '
        mount --bind "$LAB/ns/hosts" /etc/hosts &&
        mount --bind "$LAB/ns/resolv.conf" /etc/resolv.conf &&
        mount --bind "$LAB/certs/ca-bundle.crt" /etc/ssl/certs/ca-certificates.crt &&
        mount --bind "$LAB/etc-docker" /etc/docker &&
        exec "$@"' sh "$@"
}
export LAB

write_helpers() {
    mkdir -p "$LAB/bin" "$LAB/ns" "$LAB/certs" "$LAB/etc-docker" "$OUT"
    cat >"$LAB/bin/mkcerts.py" <<'PY'
# CA + server certs for the lab (trusted CA, an untrusted self-signed one, an expired one).
import datetime, ipaddress, sys, os
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
d = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
def key(): return ec.generate_private_key(ec.SECP256R1())
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def save(k, c, stem):
    open(f"{d}/{stem}.key", "wb").write(k.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    open(f"{d}/{stem}.crt", "wb").write(c.public_bytes(serialization.Encoding.PEM))
def cert(subject_cn, k, issuer_cn, ik, sans, ca=False, nb=None, na=None):
    b = (x509.CertificateBuilder().subject_name(name(subject_cn)).issuer_name(name(issuer_cn))
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb or now - datetime.timedelta(days=1))
         .not_valid_after(na or now + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        alt = [x509.IPAddress(ipaddress.ip_address(s)) if s[0].isdigit() and s.count('.') == 3
               else x509.DNSName(s) for s in sans]
        b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return b.sign(ik, hashes.SHA256())
cak = key(); ca = cert("classify-lab CA", cak, "classify-lab CA", cak, None, ca=True)
save(cak, ca, "ca")
sans = ["registry.lab.test", "*.lab.test", "818140567777.dkr.ecr.us-east-1.amazonaws.com",
        "*.dkr.ecr.us-east-1.amazonaws.com",
        "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com",
        "10.200.1.2", "10.200.1.3", "10.200.1.4", "10.200.1.5"]
k = key(); save(k, cert("registry.lab.test", k, "classify-lab CA", cak, sans), "server")
k = key(); save(k, cert("untrusted.lab.test", k, "untrusted.lab.test", k, ["untrusted.lab.test"]), "untrusted")
k = key(); save(k, cert("expired.lab.test", k, "classify-lab CA", cak, ["expired.lab.test"],
                 nb=now - datetime.timedelta(days=60), na=now - datetime.timedelta(days=2)), "expired")
k = key(); save(k, cert("other.example.test", k, "classify-lab CA", cak, ["other.example.test"]), "wrongname")
PY
    cat >"$LAB/bin/mkimages.py" <<'PY'
# Writes OCI layouts: app (linux/amd64), armonly (index with linux/arm64 only), big (24 MiB layer).
import gzip, hashlib, io, json, os, sys, tarfile
root = sys.argv[1]
def blob(lay, data):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(f"{lay}/blobs/sha256", exist_ok=True)
    open(f"{lay}/blobs/sha256/{h}", "wb").write(data)
    return "sha256:" + h
def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        for n, d in files.items():
            ti = tarfile.TarInfo(n); ti.size = len(d); ti.mtime = 0; ti.mode = 0o755
            t.addfile(ti, io.BytesIO(d))
    raw = raw.getvalue()
    return raw, gzip.compress(raw, mtime=0)
def image(lay, arch, files):
    raw, gz = layer(files)
    ld = blob(lay, gz)
    cfg = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["/hello"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode()
    cd = blob(lay, cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": len(gz)}]}).encode()
    return blob(lay, man), len(man)
def layout(lay, desc):
    os.makedirs(lay, exist_ok=True)
    open(f"{lay}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
    open(f"{lay}/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
hello = b"#!/bin/sh\necho hello\n"
lay = f"{root}/app"; d, n = image(lay, "amd64", {"hello": hello})
layout(lay, {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": n,
             "annotations": {"org.opencontainers.image.ref.name": "1.0"}})
lay = f"{root}/armonly"; d, n = image(lay, "arm64", {"hello": hello})
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": n,
                   "platform": {"architecture": "arm64", "os": "linux"}}]}).encode()
layout(lay, {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": blob(lay, idx), "size": len(idx),
             "annotations": {"org.opencontainers.image.ref.name": "1.0"}})
lay = f"{root}/big"; d, n = image(lay, "amd64", {"hello": hello, "blob.bin": os.urandom(24 << 20)})
layout(lay, {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": n,
             "annotations": {"org.opencontainers.image.ref.name": "1.0"}})
PY
    cat >"$LAB/bin/stubs.py" <<'PY'
# Stub servers inside the server namespace (each answers like the named real service would):
#  udp 10.200.1.2:53    DNS: SERVFAIL for names starting "servfail", NXDOMAIN for everything else
#  tcp 10.200.1.2:3128  HTTP proxy answering CONNECT with 407; :3130 with 403 (ACL deny)
#  tcp 10.200.1.4:443   TLS "registry" whose answer depends on the Host header (429, 5xx, ECR 403s,
#                       Docker Hub-style token auth with insufficient_scope)
#  tcp 10.200.1.5:443   accepts TCP and never speaks (TLS handshake timeout)
#  tcp 10.200.1.5:8443  completes TLS and never answers the request (header timeout)
import http.server, json, socket, socketserver, ssl, sys, threading, time
certs = sys.argv[1]
def dns():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.200.1.2", 53))
    while True:
        q, a = s.recvfrom(512)
        i, labels = 12, []
        while q[i]:
            labels.append(q[i+1:i+1+q[i]].decode(errors="replace")); i += 1 + q[i]
        rcode = 2 if labels and labels[0].startswith("servfail") else 3
        flags = 0x8180 | rcode
        s.sendto(q[:2] + flags.to_bytes(2, "big") + q[4:6] + b"\0\0\0\0\0\0" + q[12:i+5], a)
def proxy(port, status):
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("10.200.1.2", port)); srv.listen(16)
    while True:
        c, _ = srv.accept(); c.recv(4096)
        extra = 'Proxy-Authenticate: Basic realm="corp-proxy"\r\n' if status.startswith("407") else ""
        c.sendall(f"HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n".encode()); c.close()
def silent(port, tls):
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("10.200.1.5", port)); srv.listen(16)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH); ctx.load_cert_chain(f"{certs}/server.crt", f"{certs}/server.key")
    held = []
    while True:
        c, _ = srv.accept()
        if tls:
            def hs(c=c):
                try: held.append(ctx.wrap_socket(c, server_side=True))
                except Exception: pass
            threading.Thread(target=hs, daemon=True).start()
        else:
            held.append(c)
HUB_DENY = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required",
            "detail": [{"Type": "repository", "Class": "", "Name": "acme/private-app", "Action": "pull"}]}]}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, code, body=b"", ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype); self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        for k, v in headers: self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
    def do_HEAD(self): self.do_GET()
    def do_GET(self):
        host = self.headers.get("Host", "").split(":")[0]
        p = self.path
        if host.startswith("quota"):
            if p == "/v2/": return self.reply(200, b"{}")
            return self.reply(429, json.dumps({"errors": [{"code": "TOOMANYREQUESTS", "message":
                "You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"}]}).encode())
        if host.startswith("e500"):
            if p == "/v2/": return self.reply(200, b"{}")
            return self.reply(500, json.dumps({"errors": [{"code": "UNKNOWN", "message": "unknown error", "detail": {}}]}).encode())
        if host.startswith("e502"):
            return self.reply(502, b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n", "text/html")
        if host.startswith("e503"):
            if p == "/v2/": return self.reply(200, b"{}")
            return self.reply(503, b"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n", "text/html")
        if ".dkr.ecr." in host:
            realm = f'Basic realm="https://{host}/",service="ecr.amazonaws.com"'
            if "Authorization" not in self.headers:
                return self.reply(401, b"Not Authorized\n", "text/plain; charset=utf-8", [("Www-Authenticate", realm)])
            if p == "/v2/": return self.reply(200, b"{}")
            if host.startswith("111122223333"):
                return self.reply(403, json.dumps({"errors": [{"code": "DENIED", "message":
                    "Your authorization token has expired. Reauthenticate and try again."}]}).encode())
            return self.reply(403, json.dumps({"errors": [{"code": "DENIED", "message":
                "User: arn:aws:sts::444455556666:assumed-role/ROSA-Worker-Role/i-0a1b2c3d4e5f60718 is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:444455556666:repository/payments/api because no VPC endpoint policy allows the ecr:BatchGetImage action"}]}).encode())
        if host.startswith("hub"):
            if p.startswith("/token"): return self.reply(200, b'{"token":"anon","access_token":"anon","expires_in":300}')
            chal = f'Bearer realm="https://{host}/token",service="registry.lab.test"'
            if p == "/v2/":
                return self.reply(401, json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required", "detail": None}]}).encode(), headers=[("Www-Authenticate", chal)])
            return self.reply(401, json.dumps(HUB_DENY).encode(), headers=[("Www-Authenticate",
                chal + ',scope="repository:acme/private-app:pull",error="insufficient_scope"')])
        return self.reply(404, b"{}")
    def log_message(self, *a): pass
class TS(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
def registry_stub():
    s = TS(("10.200.1.4", 443), H)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH); ctx.load_cert_chain(f"{certs}/server.crt", f"{certs}/server.key")
    s.socket = ctx.wrap_socket(s.socket, server_side=True); s.serve_forever()
for f, a in [(dns, ()), (proxy, (3128, "407 Proxy Authentication Required")), (proxy, (3130, "403 Forbidden")),
             (silent, (443, False)), (silent, (8443, True)), (registry_stub, ())]:
    threading.Thread(target=f, args=a, daemon=True).start()
while True: time.sleep(3600)
PY
    cat >"$LAB/bin/cri.proto" <<'PROTO'
// The subset of k8s.io/cri-api runtime/v1 api.proto that PullImage needs (same field numbers).
syntax = "proto3";
package runtime.v1;
service ImageService { rpc PullImage(PullImageRequest) returns (PullImageResponse) {} }
message ImageSpec { string image = 1; map<string, string> annotations = 2; }
message AuthConfig { string username = 1; string password = 2; string auth = 3; string server_address = 4;
                     string identity_token = 5; string registry_token = 6; }
message PullImageRequest { ImageSpec image = 1; AuthConfig auth = 2; }
message PullImageResponse { string image_ref = 1; }
PROTO
    cat >"$LAB/bin/cri_pull.py" <<'PY'
# Calls runtime.v1.ImageService/PullImage on a containerd socket the way kubelet does and prints
# the error the way Go's grpc status prints it (kubelet puts this text after 'Failed to pull image "X": ').
import sys, grpc
sys.path.insert(0, sys.argv[1])
import cri_pb2, cri_pb2_grpc
sock, image = sys.argv[2], sys.argv[3]
user, pw = (sys.argv[4].split(":", 1) if len(sys.argv) > 4 and sys.argv[4] else ("", ""))
ch = grpc.insecure_channel("unix://" + sock)
stub = cri_pb2_grpc.ImageServiceStub(ch)
req = cri_pb2.PullImageRequest(image=cri_pb2.ImageSpec(image=image),
                               auth=cri_pb2.AuthConfig(username=user, password=pw) if user else None)
try:
    r = stub.PullImage(req, timeout=float(sys.argv[5]) if len(sys.argv) > 5 else 120)
    print("pulled", r.image_ref)
except grpc.RpcError as e:
    code = "".join(w.capitalize() for w in e.code().name.split("_"))
    print(f"rpc error: code = {code} desc = {e.details()}")
    sys.exit(1)
PY
}

setup_certs_images() {
    [ -f "$LAB/certs/server.crt" ] || "$LAB/venv/bin/python" "$LAB/bin/mkcerts.py" "$LAB/certs"
    cp "$LAB/certs/ca.crt" "$LAB/certs/ca-bundle.crt"
    [ -d "$LAB/oci/app" ] || "$LAB/venv/bin/python" "$LAB/bin/mkimages.py" "$LAB/oci"
    (cd "$LAB/bin" && "$LAB/venv/bin/python" -m grpc_tools.protoc -I. --python_out=. --grpc_python_out=. cri.proto)
    htpasswd -Bbn puller right-password >"$LAB/htpasswd"
    cat >"$LAB/ns/hosts" <<'EOF'
127.0.0.1 localhost
10.200.1.2 registry.lab.test untrusted.lab.test expired.lab.test wrongname.lab.test
10.200.1.2 818140567777.dkr.ecr.us-east-1.amazonaws.com
10.200.1.3 prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com
10.200.1.4 quota.lab.test e500.lab.test e502.lab.test e503.lab.test hub.lab.test
10.200.1.4 111122223333.dkr.ecr.us-east-1.amazonaws.com 444455556666.dkr.ecr.us-east-1.amazonaws.com
10.200.1.5 hang.lab.test
10.200.9.9 blackhole.lab.test
10.200.8.8 noroute.lab.test
EOF
    printf 'nameserver 10.200.1.2\noptions timeout:2 attempts:1\n' >"$LAB/ns/resolv.conf"
    echo '{}' >"$LAB/etc-docker/daemon.json"
}

setup_netns() {
    ip netns add "$NS_C"
    ip netns add "$NS_S"
    ip link add classify-c0 type veth peer name classify-s0
    ip link set classify-c0 netns "$NS_C"
    ip link set classify-s0 netns "$NS_S"
    ip -n "$NS_C" addr add 10.200.1.1/24 dev classify-c0
    for a in 2 3 4 5; do ip -n "$NS_S" addr add 10.200.1.$a/24 dev classify-s0; done
    for ns in "$NS_C" "$NS_S"; do
        ip -n "$ns" link set lo up
    done
    ip -n "$NS_C" link set classify-c0 up
    ip -n "$NS_S" link set classify-s0 up
    # blackhole route (what a route to a deleted NAT gateway becomes in Linux terms)
    ip -n "$NS_C" route add blackhole 10.200.9.0/24
    # 10.200.8.0/24 has no route at all; there is no default route either
}

registry_cfg() { # name addr tls(0/1) auth(0/1) redirect(0/1) [cert stem]
    local name=$1 addr=$2 tls=$3 auth=$4 redirect=$5 stem=${6:-server}
    {
        echo "version: 0.1"
        echo "log: {level: warn}"
        echo "storage:"
        echo "  filesystem: {rootdirectory: $LAB/reg-data}"
        echo "  delete: {enabled: true}"
        [ "$redirect" = 1 ] && printf 'middleware:\n  storage:\n    - name: redirect\n      options: {baseurl: "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/"}\n'
        echo "http:"
        echo "  addr: $addr"
        echo "  secret: classify-lab"
        [ "$tls" = 1 ] && echo "  tls: {certificate: $LAB/certs/$stem.crt, key: $LAB/certs/$stem.key}"
        [ "$auth" = 1 ] && printf 'auth:\n  htpasswd: {realm: basic-realm, path: %s}\n' "$LAB/htpasswd"
    } >"$LAB/reg-$name.yml"
}

start_servers() {
    mkdir -p "$LAB/reg-data" "$LAB/logs"
    registry_cfg open 10.200.1.2:5000 0 0 0     # plain HTTP
    registry_cfg seed 10.200.1.2:5005 1 0 0     # TLS, no auth: used to push the images
    registry_cfg ecr 10.200.1.2:443 1 1 1       # "ECR": TLS, basic auth, blobs redirected to "S3"
    registry_cfg tls 10.200.1.2:5443 1 1 0      # TLS + auth, no redirect
    registry_cfg untrusted 10.200.1.2:6443 1 0 0 untrusted
    registry_cfg expired 10.200.1.2:6444 1 0 0 expired
    registry_cfg wrongname 10.200.1.2:6445 1 0 0 wrongname
    local r
    for r in open seed ecr tls untrusted expired wrongname; do
        ip netns exec "$NS_S" docker-registry serve "$LAB/reg-$r.yml" >"$LAB/logs/reg-$r.log" 2>&1 &
        PIDS+=($!)
    done
    ip netns exec "$NS_S" "$LAB/venv/bin/python" "$LAB/bin/stubs.py" "$LAB/certs" >"$LAB/logs/stubs.log" 2>&1 &
    PIDS+=($!)
    sleep 2
    local img
    for img in app armonly big; do
        in_ns "$NS_C" skopeo copy --all -q "oci:$LAB/oci/$img:1.0" "docker://registry.lab.test:5005/demo/$img:1.0" ||
            log "push $img failed"
    done
    # the ECR-like repository the seed incident pulls
    in_ns "$NS_C" skopeo copy -q "oci:$LAB/oci/app:1.0" "docker://registry.lab.test:5005/harness-delegate:latest"
}

start_daemons() {
    mkdir -p "$LAB/containerd" "$LAB/docker" "$LAB/podman"
    cat >"$LAB/containerd/config.toml" <<EOF
version = 2
root = "$LAB/containerd/root"
state = "$LAB/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$LAB/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.lab.test:5005/demo/app:1.0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$LAB/containerd/cni-bin"
    conf_dir = "$LAB/containerd/cni-conf"
EOF
    in_ns "$NS_C" containerd --config "$LAB/containerd/config.toml" >"$LAB/logs/containerd.log" 2>&1 &
    PIDS+=($!)
    in_ns "$NS_C" dockerd --data-root "$LAB/docker/root" --exec-root "$LAB/docker/exec" \
        -p "$LAB/docker/docker.pid" -H "unix://$LAB/docker/docker.sock" --iptables=false --ip6tables=false \
        --ip-forward=false --ip-masq=false --bridge=none --storage-driver=vfs \
        --config-file "$LAB/etc-docker/daemon.json" >"$LAB/logs/dockerd.log" 2>&1 &
    PIDS+=($!)
    sleep 5
}

JOBS=()
# start a capture in the background and remember its pid
bg() {
    "$@" &
    JOBS+=($!)
}
waitjobs() {
    local j
    for j in "${JOBS[@]}"; do wait "$j"; done
    JOBS=()
}
# capture SCENARIO TOOL cmd...   (runs inside the client namespace)
capture() {
    local sc=$1 tool=$2
    shift 2
    local f="$OUT/$sc.$tool.txt"
    {
        echo "\$ $*"
        timeout "${CAPTURE_TIMEOUT:-150}" bash -c "$(declare -f in_ns); in_ns $NS_C \"\$@\"" _ "$@" 2>&1
        echo "exit=$?"
    } >"$f" 2>&1
}

# every client against one image reference, in parallel; CREDS="user:pass" optional
all_tools() {
    local sc=$1 ref=$2
    local cr=() ccr=()
    local scr=()
    if [ -n "${CREDS:-}" ]; then
        cr=(--creds "$CREDS")
        scr=(--src-creds "$CREDS")
        ccr=(--user "$CREDS")
    fi
    bg capture "$sc" skopeo skopeo --command-timeout 120s inspect "${cr[@]}" "docker://$ref"
    bg capture "$sc" skopeo-copy skopeo --command-timeout 120s copy "${scr[@]}" "docker://$ref" "dir:$LAB/tmp-copy-$sc"
    bg capture "$sc" podman podman --root "$LAB/podman/root" --runroot "$LAB/podman/run" --storage-driver vfs \
        --cgroup-manager cgroupfs --events-backend none pull "${cr[@]}" "docker://$ref"
    bg capture "$sc" ctr ctr --timeout 100s -a "$LAB/containerd/containerd.sock" -n lab images pull --snapshotter native "${ccr[@]}" "$ref"
    bg capture "$sc" cri "$LAB/venv/bin/python" "$LAB/bin/cri_pull.py" "$LAB/bin" "$LAB/containerd/containerd.sock" "$ref" "${CREDS:-}" 100
    # docker: credentials go straight into a private client config (docker login would refuse a
    # wrong password before the pull is even tried)
    local dcfg="$LAB/docker/cli-$sc"
    mkdir -p "$dcfg"
    if [ -n "${CREDS:-}" ]; then
        printf '{"auths":{"%s":{"auth":"%s"}}}' "${ref%%/*}" "$(printf %s "$CREDS" | base64 -w0)" >"$dcfg/config.json"
    else
        echo '{}' >"$dcfg/config.json"
    fi
    bg capture "$sc" docker env DOCKER_CONFIG="$dcfg" docker -H "unix://$LAB/docker/docker.sock" pull "$ref"
    waitjobs
    rm -rf "$LAB/tmp-copy-$sc"
    # drop what a successful pull stored so that the next scenario pulls again
    ctr -a "$LAB/containerd/containerd.sock" -n lab images rm "$ref" >/dev/null 2>&1
    ctr -a "$LAB/containerd/containerd.sock" -n k8s.io images rm "$ref" >/dev/null 2>&1
}

want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
ipt() { ip netns exec "$NS_C" iptables "$@"; }

scenarios() {
    local ECR=818140567777.dkr.ecr.us-east-1.amazonaws.com
    local GOOD=puller:right-password
    want auth-none && CREDS= all_tools auth-none "$ECR/harness-delegate:latest"
    want auth-wrong && CREDS=puller:wrong-password all_tools auth-wrong "$ECR/harness-delegate:latest"
    want tag-missing && CREDS=$GOOD all_tools tag-missing "registry.lab.test:5443/harness-delegate:v9.9.9"
    want repo-missing && CREDS=$GOOD all_tools repo-missing "registry.lab.test:5443/no-such/repo:1.0"
    want x509-unknown && CREDS= all_tools x509-unknown "untrusted.lab.test:6443/demo/app:1.0"
    want x509-expired && CREDS= all_tools x509-expired "expired.lab.test:6444/demo/app:1.0"
    want x509-name && CREDS= all_tools x509-name "wrongname.lab.test:6445/demo/app:1.0"
    want http-to-https && CREDS= all_tools http-to-https "registry.lab.test:5000/demo/app:1.0"
    want refused && CREDS= all_tools refused "registry.lab.test:5999/demo/app:1.0"
    want dns-nxdomain && CREDS= all_tools dns-nxdomain "nosuch-registry.lab.test/demo/app:1.0"
    want dns-servfail && CREDS= all_tools dns-servfail "servfail-registry.lab.test/demo/app:1.0"
    if want dns-timeout; then
        # the DNS server's side drops the queries: the client sees a lookup timeout
        ip netns exec "$NS_S" iptables -A INPUT -p udp --dport 53 -j DROP
        CREDS= all_tools dns-timeout "nosuch-registry.lab.test/demo/app:1.0"
        ip netns exec "$NS_S" iptables -D INPUT -p udp --dport 53 -j DROP
    fi
    if want dns-local-drop; then
        # the node's own firewall drops outgoing DNS: Go reports EPERM from the local netfilter
        ipt -A OUTPUT -p udp --dport 53 -j DROP
        CREDS= all_tools dns-local-drop "nosuch-registry.lab.test/demo/app:1.0"
        ipt -D OUTPUT -p udp --dport 53 -j DROP
    fi
    if want dns-refused; then
        # resolv.conf names an address where nothing listens on 53 (ICMP port unreachable);
        # rewritten in place so that the running daemons see it too
        printf 'nameserver 10.200.1.3\noptions timeout:2 attempts:1\n' >"$LAB/ns/resolv.conf"
        sleep 6
        CREDS= all_tools dns-refused "nosuch-registry.lab.test/demo/app:1.0"
        printf 'nameserver 10.200.1.2\noptions timeout:2 attempts:1\n' >"$LAB/ns/resolv.conf"
        sleep 6
    fi
    if want tcp-drop; then
        ipt -A OUTPUT -d 10.200.1.2 -p tcp --dport 443 -j DROP
        # podman retries three times, 30 s+ each: give it the time to print its final error
        CAPTURE_TIMEOUT=320 CREDS=$GOOD all_tools tcp-drop "$ECR/harness-delegate:latest"
        ipt -D OUTPUT -d 10.200.1.2 -p tcp --dport 443 -j DROP
    fi
    want blackhole && CREDS= all_tools blackhole "blackhole.lab.test/demo/app:1.0"
    want noroute && CREDS= all_tools noroute "noroute.lab.test/demo/app:1.0"
    if want host-unreach; then
        ipt -A OUTPUT -d 10.200.1.2 -p tcp --dport 443 -j REJECT --reject-with icmp-host-unreachable
        CREDS=$GOOD all_tools host-unreach "$ECR/harness-delegate:latest"
        ipt -D OUTPUT -d 10.200.1.2 -p tcp --dport 443 -j REJECT --reject-with icmp-host-unreachable
    fi
    if want s3-drop; then
        ipt -A OUTPUT -d 10.200.1.3 -p tcp --dport 443 -j DROP
        # dockerd retries layer downloads with back-off: give it longer
        CAPTURE_TIMEOUT=420 CREDS=$GOOD all_tools s3-drop "$ECR/harness-delegate:latest"
        ipt -D OUTPUT -d 10.200.1.3 -p tcp --dport 443 -j DROP
    fi
    want tls-hang && CREDS= all_tools tls-hang "hang.lab.test/demo/app:1.0"
    want http-hang && CREDS= all_tools http-hang "hang.lab.test:8443/demo/app:1.0"
    want rate-limit && CREDS= all_tools rate-limit "quota.lab.test/library/busybox:latest"
    want http-500 && CREDS= all_tools http-500 "e500.lab.test/demo/app:1.0"
    want http-502 && CREDS= all_tools http-502 "e502.lab.test/demo/app:1.0"
    want http-503 && CREDS= all_tools http-503 "e503.lab.test/demo/app:1.0"
    want ecr-expired && CREDS=AWS:eyJwYXlsb2FkIjoiZXhwaXJlZCJ9 all_tools ecr-expired "111122223333.dkr.ecr.us-east-1.amazonaws.com/payments/api:2.3.1"
    want ecr-vpce-denied && CREDS=AWS:eyJwYXlsb2FkIjoidmFsaWQifQ== all_tools ecr-vpce-denied "444455556666.dkr.ecr.us-east-1.amazonaws.com/payments/api:2.3.1"
    want hub-denied && CREDS= all_tools hub-denied "hub.lab.test/acme/private-app:latest"
    want platform && CREDS= all_tools platform "registry.lab.test:5005/demo/armonly:1.0"
    want invalid-ref && CREDS= all_tools invalid-ref "registry.lab.test:5005/Demo/App:1.0"
    if want proxy-refused; then
        HTTPS_PROXY=http://10.200.1.2:3129 CREDS= all_tools_proxy proxy-refused "registry.lab.test:5005/demo/app:1.0"
    fi
    if want proxy-407; then
        HTTPS_PROXY=http://10.200.1.2:3128 CREDS= all_tools_proxy proxy-407 "registry.lab.test:5005/demo/app:1.0"
    fi
    if want proxy-403; then
        HTTPS_PROXY=http://10.200.1.2:3130 CREDS= all_tools_proxy proxy-403 "registry.lab.test:5005/demo/app:1.0"
    fi
    want disk && disk_full
    want policy && policy_scenarios
}

# containers/image policy.json and registries.conf: the same files CRI-O enforces on OpenShift
# (image.config.openshift.io blockedRegistries / ClusterImagePolicy end up in them).
policy_scenarios() {
    local ref=registry.lab.test:5005/demo/app:1.0
    echo '{"default":[{"type":"reject"}]}' >"$LAB/policy-reject.json"
    : >"$LAB/empty-key.gpg"
    printf '{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"registry.lab.test:5005":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s"}]}}}\n' \
        "$LAB/empty-key.gpg" >"$LAB/policy-signed.json"
    printf 'unqualified-search-registries = []\n[[registry]]\nlocation = "registry.lab.test:5005"\nblocked = true\n' >"$LAB/registries-blocked.conf"
    local p
    for p in reject signed; do
        bg capture "policy-$p" skopeo-copy skopeo --policy "$LAB/policy-$p.json" copy "docker://$ref" "dir:$LAB/tmp-copy-policy-$p"
        bg capture "policy-$p" podman podman --root "$LAB/podman/root" --runroot "$LAB/podman/run" --storage-driver vfs \
            --cgroup-manager cgroupfs --events-backend none pull --signature-policy "$LAB/policy-$p.json" "docker://$ref"
    done
    bg capture registry-blocked skopeo-copy skopeo --registries-conf "$LAB/registries-blocked.conf" copy "docker://$ref" "dir:$LAB/tmp-copy-blocked"
    bg capture registry-blocked podman env CONTAINERS_REGISTRIES_CONF="$LAB/registries-blocked.conf" \
        podman --root "$LAB/podman/root" --runroot "$LAB/podman/run" --storage-driver vfs \
        --cgroup-manager cgroupfs --events-backend none pull "docker://$ref"
    waitjobs
    rm -rf "$LAB"/tmp-copy-policy-* "$LAB/tmp-copy-blocked"
}

# proxies: the daemons would need a restart with the proxy in their environment, so only the
# client-side fetchers (skopeo, podman, ctr) are run with HTTPS_PROXY set.
all_tools_proxy() {
    local sc=$1 ref=$2
    export HTTPS_PROXY
    bg capture "$sc" skopeo skopeo --command-timeout 60s inspect "docker://$ref"
    bg capture "$sc" podman podman --root "$LAB/podman/root" --runroot "$LAB/podman/run" --storage-driver vfs \
        --cgroup-manager cgroupfs --events-backend none pull "docker://$ref"
    bg capture "$sc" ctr ctr --timeout 100s -a "$LAB/containerd/containerd.sock" -n lab images pull --snapshotter native "$ref"
    waitjobs
    unset HTTPS_PROXY
}

disk_full() {
    mkdir -p "$LAB/tiny"
    mount -t tmpfs -o size=12m classify-tiny "$LAB/tiny"
    mkdir -p "$LAB/tiny/containerd" "$LAB/tiny/podman"
    sed -e "s#$LAB/containerd/root#$LAB/tiny/containerd/root#" -e "s#$LAB/containerd/state#$LAB/tiny/containerd/state#" \
        -e "s#$LAB/containerd/containerd.sock#$LAB/tiny/containerd.sock#" "$LAB/containerd/config.toml" >"$LAB/containerd/config-tiny.toml"
    in_ns "$NS_C" containerd --config "$LAB/containerd/config-tiny.toml" >"$LAB/logs/containerd-tiny.log" 2>&1 &
    local cpid=$!
    PIDS+=($cpid)
    sleep 3
    local ref=registry.lab.test:5005/demo/big:1.0
    bg capture disk ctr ctr -a "$LAB/tiny/containerd.sock" -n lab images pull --snapshotter native "$ref"
    bg capture disk cri "$LAB/venv/bin/python" "$LAB/bin/cri_pull.py" "$LAB/bin" "$LAB/tiny/containerd.sock" "$ref"
    waitjobs
    kill "$cpid"
    wait "$cpid" 2>/dev/null
    rm -rf "$LAB/tiny/containerd"
    capture disk podman podman --root "$LAB/tiny/podman/root" --runroot "$LAB/tiny/podman/run" --storage-driver vfs \
        --cgroup-manager cgroupfs --events-backend none pull "docker://$ref"
    rm -rf "$LAB/tiny/podman"
    capture disk skopeo-copy skopeo copy "docker://$ref" "dir:$LAB/tiny/copy"
    umount "$LAB/tiny"
}

main() {
    [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
    install_tools
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    cleanup
    write_helpers
    setup_certs_images
    setup_netns
    start_servers
    start_daemons
    scenarios
    log "captures in $OUT"
}
main "$@"
