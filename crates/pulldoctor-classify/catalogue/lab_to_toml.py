#!/usr/bin/env python3
"""Turns lab.sh captures into catalogue/lab.toml.

Usage: python3 lab_to_toml.py CAPTURE_DIR[,LATER_DIR...] OUT.toml
(a later directory overrides an earlier one for the same scenario and tool)
"""
import os, re, sys, json
CAPS = sys.argv[1].split(",")
OUT = sys.argv[2]
def capfile(sc, tool):
    found = None
    for d in CAPS:
        f = os.path.join(d, f"{sc}.{tool}.txt")
        if os.path.exists(f):
            found = f
    return found
# per (scenario, tool) where the real text says something other than the scenario's cause
OVR = {
 ("s3-drop", "docker"): ("network-timeout", "blob", {"dialled": "10.200.1.3:443"}, "dockerd names only the dialled address, not the S3 host"),
 ("invalid-ref", "ctr"): ("image-not-found", "manifest", {}, "ctr does not validate the name; the registry answered 404 for the upper-case repository"),
 ("ecr-expired", "cri"): ("auth-denied", "manifest", {"also_possible": ["auth-expired"], "http_status": 403}, "containerd 1.6 drops the 403 body, so the expiry is not visible"),
 ("ecr-expired", "ctr"): ("auth-denied", "manifest", {"also_possible": ["auth-expired"], "http_status": 403}, "containerd 1.6 drops the 403 body, so the expiry is not visible"),
 ("ecr-vpce-denied", "cri"): ("auth-denied", "manifest", {"http_status": 403}, "containerd 1.6 drops the 403 body, so the policy is not visible"),
 ("ecr-vpce-denied", "ctr"): ("auth-denied", "manifest", {"http_status": 403}, "containerd 1.6 drops the 403 body, so the policy is not visible"),
}

VERS = {
    "cri": "containerd 1.6.20 CRI plugin (runtime.v1 PullImage over gRPC, as kubelet calls it)",
    "ctr": "ctr 1.6.20 images pull",
    "podman": "podman 4.3.1 pull (containers/image, the library CRI-O uses)",
    "docker": "dockerd 20.10.24 via docker pull",
    "skopeo": "skopeo 1.9.3 inspect",
    "skopeo-copy": "skopeo 1.9.3 copy",
}

# scenario -> (ref, what was broken, class, step, extra expectations)
S = {
 "auth-none": ("818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest", "registry with htpasswd auth, no credentials sent", "auth-missing", "token-exchange", {}),
 "auth-wrong": ("818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest", "registry with htpasswd auth, wrong password sent", "auth-missing", "token-exchange", {"also_possible": ["auth-denied"]}),
 "tag-missing": ("registry.lab.test:5443/harness-delegate:v9.9.9", "tag that was never pushed (right credentials)", "image-not-found", "manifest", {}),
 "repo-missing": ("registry.lab.test:5443/no-such/repo:1.0", "repository that does not exist (right credentials)", "image-not-found", "manifest", {}),
 "x509-unknown": ("untrusted.lab.test:6443/demo/app:1.0", "registry with a self-signed certificate the node does not trust", "tls", "tls-handshake", {}),
 "x509-expired": ("expired.lab.test:6444/demo/app:1.0", "registry certificate expired two days ago", "tls", "tls-handshake", {}),
 "x509-name": ("wrongname.lab.test:6445/demo/app:1.0", "registry certificate issued for another name", "tls", "tls-handshake", {}),
 "http-to-https": ("registry.lab.test:5000/demo/app:1.0", "registry serving plain HTTP, client expects HTTPS", "tls", "tls-handshake", {}),
 "refused": ("registry.lab.test:5999/demo/app:1.0", "nothing listening on the registry port (stopped registry)", "connection-refused", "tcp-connect", {"dialled": "10.200.1.2:5999"}),
 "dns-nxdomain": ("nosuch-registry.lab.test/demo/app:1.0", "DNS server answers NXDOMAIN", "dns", "dns-lookup", {"dns_server": "10.200.1.2:53", "host": "nosuch-registry.lab.test"}),
 "dns-servfail": ("servfail-registry.lab.test/demo/app:1.0", "DNS server answers SERVFAIL", "dns", "dns-lookup", {"dns_server": "10.200.1.2:53", "host": "servfail-registry.lab.test"}),
 "dns-timeout": ("nosuch-registry.lab.test/demo/app:1.0", "DNS server silently drops queries (iptables DROP udp/53 on the server side)", "dns", "dns-lookup", {"dns_server": "10.200.1.2:53", "rule": "dns.timeout"}),
 "dns-refused": ("nosuch-registry.lab.test/demo/app:1.0", "resolv.conf names an address where nothing listens on 53: ICMP port-unreachable, which the kernel rate-limits, so concurrent lookups see either read: connection refused or i/o timeout", "dns", "dns-lookup", {"dns_server": "10.200.1.3:53"}),
 "dns-local-drop": ("nosuch-registry.lab.test/demo/app:1.0", "node-local firewall drops outgoing DNS (iptables OUTPUT DROP udp/53 on the client)", "dns", "dns-lookup", {"dns_server": "10.200.1.2:53"}),
 "tcp-drop": ("818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest", "packets to the registry dropped (iptables DROP tcp/443), the seed incident's shape", "network-timeout", "tcp-connect", {}),
 "blackhole": ("blackhole.lab.test/demo/app:1.0", "blackhole route to the registry address (ip route add blackhole)", "network-timeout", "tcp-connect", {"dialled": "10.200.9.9:443", "rule": "net.blackhole"}),
 "noroute": ("noroute.lab.test/demo/app:1.0", "no route to the registry address (no default route)", "network-timeout", "tcp-connect", {"dialled": "10.200.8.8:443", "rule": "net.unreachable"}),
 "host-unreach": ("818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest", "firewall answers ICMP host-unreachable (iptables REJECT)", "network-timeout", "tcp-connect", {"rule": "net.no-route-to-host"}),
 "s3-drop": ("818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest", "manifest served, blobs redirected to an S3-named host whose packets are dropped", "network-timeout", "blob", {"host": "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com"}),
 "tls-hang": ("hang.lab.test/demo/app:1.0", "server accepts TCP and never answers the TLS ClientHello", "network-timeout", "tls-handshake", {"rule": "net.tls-handshake-timeout"}),
 "http-hang": ("hang.lab.test:8443/demo/app:1.0", "server completes TLS and never answers the HTTP request", "network-timeout", None, {}),
 "rate-limit": ("quota.lab.test/library/busybox:latest", "registry stub answering 429 with Docker Hub's TOOMANYREQUESTS body", "rate-limit", "manifest", {"http_status": 429}),
 "http-500": ("e500.lab.test/demo/app:1.0", "registry stub answering 500 to manifest requests", "registry-server-error", "manifest", {"http_status": 500}),
 "http-502": ("e502.lab.test/demo/app:1.0", "gateway stub answering 502 to every request (also the /v2/ ping)", "registry-server-error", "manifest", {"http_status": 502}),
 "http-503": ("e503.lab.test/demo/app:1.0", "registry stub answering 503 to manifest requests", "registry-server-error", "manifest", {"http_status": 503}),
 "ecr-expired": ("111122223333.dkr.ecr.us-east-1.amazonaws.com/payments/api:2.3.1", "ECR-shaped stub answering 403 DENIED 'Your authorization token has expired'", "auth-expired", "token-exchange", {}),
 "ecr-vpce-denied": ("444455556666.dkr.ecr.us-east-1.amazonaws.com/payments/api:2.3.1", "ECR-shaped stub answering 403 DENIED 'not authorized to perform: ecr:BatchGetImage ... because no VPC endpoint policy allows'", "auth-denied", "manifest", {}),
 "hub-denied": ("hub.lab.test/acme/private-app:latest", "Docker Hub-shaped token auth answering 401 insufficient_scope to an anonymous token", "auth-missing", "manifest", {"also_possible": ["image-not-found", "auth-denied"]}),
 "platform": ("registry.lab.test:5005/demo/armonly:1.0", "image index with a linux/arm64 manifest only, pulled on amd64", "platform-mismatch", "manifest", {}),
 "invalid-ref": ("registry.lab.test:5005/Demo/App:1.0", "upper-case letters in the repository name", "invalid-reference", "unknown", {}),
 "proxy-refused": ("registry.lab.test:5005/demo/app:1.0", "HTTPS_PROXY pointing at an address where nothing listens", "proxy", "proxy-connect", {}),
 "proxy-407": ("registry.lab.test:5005/demo/app:1.0", "HTTPS_PROXY answering CONNECT with 407 Proxy Authentication Required", "proxy", "proxy-connect", {}),
 "proxy-403": ("registry.lab.test:5005/demo/app:1.0", "HTTPS_PROXY answering CONNECT with 403 Forbidden (ACL deny)", "proxy", "proxy-connect", {}),
 "policy-reject": ("registry.lab.test:5005/demo/app:1.0", "policy.json with a reject default (what CRI-O enforces for a disallowed registry)", "policy", "admission", {"rule": "policy.signature"}),
 "policy-signed": ("registry.lab.test:5005/demo/app:1.0", "policy.json requiring a GPG signature (signedBy) for the registry, image unsigned", "policy", "admission", {}),
 "registry-blocked": ("registry.lab.test:5005/demo/app:1.0", "registries.conf marking the registry blocked = true (what OpenShift blockedRegistries writes)", "policy", "admission", {"rule": "policy.blocked"}),
 "disk": ("registry.lab.test:5005/demo/big:1.0", "container storage on a 12 MiB tmpfs, image with a 24 MiB layer", "disk-pressure", "unpack", {}),
}

def final_error(tool, text):
    lines = [l for l in text.splitlines() if l.strip()]
    if tool in ("skopeo", "skopeo-copy"):
        for l in reversed(lines):
            m = re.search(r'level=fatal msg="(.*)"\s*$', l)
            if m:
                return m.group(1).replace('\\"', '"').replace('\\n', '\n').rstrip('\n')
    elif tool == "podman":
        for i in range(len(lines) - 1, -1, -1):
            if lines[i].startswith("Error: "):
                rest = [l for l in lines[i + 1:] if not l.startswith("exit=")]
                return "\n".join([lines[i][len("Error: "):]] + rest)
    elif tool == "ctr":
        for l in reversed(lines):
            if l.startswith("ctr: "):
                return l
    elif tool == "cri":
        for l in reversed(lines):
            if l.startswith("rpc error:"):
                return l
    elif tool == "docker":
        for l in reversed(lines):
            if l.startswith("Error response from daemon:") or l.startswith("invalid reference format") or "docker: " in l or l.startswith("Error"):
                return l
        body = [l for l in lines[1:] if not l.startswith("exit=")]
        if body and lines[-1].startswith("exit=") and lines[-1] != "exit=0" and lines[-1] != "exit=124":
            return body[-1]
    return None

def q(s):
    out = []
    for ch in s:
        if ch == '\\': out.append('\\\\')
        elif ch == '"': out.append('\\"')
        elif ch == '\n': out.append('\\n')
        elif ch == '\t': out.append('\\t')
        elif ord(ch) < 0x20: out.append('\\u%04x' % ord(ch))
        else: out.append(ch)
    return '"' + ''.join(out) + '"'

entries = []
seen = set()
missing = []
for sc, (ref, what, cls, step, extra) in S.items():
    src_sc = sc
    for tool in ["cri", "ctr", "podman", "docker", "skopeo", "skopeo-copy"]:
        f = capfile(sc, tool)
        if not f:
            continue
        txt = open(f, errors="replace").read()
        err = final_error(tool, txt)
        if not err or err.startswith("unknown flag"):
            missing.append(f"{sc}.{tool}")
            continue
        if tool == "cri" and "desc = Deadline Exceeded" in err:
            missing.append(f"{sc}.{tool} (client-side deadline only)")
            continue
        st = step
        if st is None:
            st = "manifest" if "awaiting headers" in err else ("tcp-connect" if "https://" in err else "unknown")
        ex = dict(extra)
        ovr_note = ""
        cls0 = cls
        if (sc, tool) in OVR:
            c2, st, ex2, ovr_note = OVR[(sc, tool)]
            cls0 = c2
            ex = dict(ex2)
        forms = []
        base_src = f"lab.sh scenario {sc}: {what}; {VERS[tool]}"
        if tool == "cri":
            forms.append(("containerd", f'Failed to pull image "{ref}": {err}', base_src + "; kubelet's 'Failed to pull image' prefix added as kubelet prints it"))
        elif tool == "ctr":
            forms.append(("containerd", err, base_src + "; raw"))
        elif tool == "podman":
            forms.append(("podman", err, base_src + "; raw (without podman's 'Error: ')"))
            code = "DeadlineExceeded" if cls0 == "network-timeout" and sc in ("tcp-drop", "s3-drop") else "Unknown"
            forms.append(("cri-o", f'Failed to pull image "{ref}": rpc error: code = {code} desc = {err}', f"lab.sh scenario {sc}: {what}; podman 4.3.1 error text (containers/image, as CRI-O returns it) wrapped the way kubelet prints a CRI-O PullImage error"))
        elif tool == "docker":
            forms.append(("docker", err, base_src + "; raw"))
        elif tool in ("skopeo", "skopeo-copy"):
            forms.append(("skopeo", err, base_src + "; raw (the fatal msg)"))
            pf = capfile(sc, "podman")
            podman_ok = pf and final_error("podman", open(pf, errors="replace").read())
            if tool == "skopeo-copy" and not podman_ok:
                code = "DeadlineExceeded" if cls0 == "network-timeout" else "Unknown"
                forms.append(("cri-o", f'Failed to pull image "{ref}": rpc error: code = {code} desc = {err}', f"lab.sh scenario {sc}: {what}; skopeo 1.9.3 copy error text (containers/image, as CRI-O returns it; podman gave none) wrapped the way kubelet prints a CRI-O PullImage error"))
        for rt, msg, src in forms:
            if msg in seen:
                continue
            seen.add(msg)
            e = {"message": msg, "class": cls0, "step": st, "runtime": rt, "source": src + (f" (note: {ovr_note})" if ovr_note else "")}
            e.update(ex)
            entries.append((sc, e))

with open(OUT, "w") as o:
    o.write("# Generated from lab captures (catalogue/lab.sh); see catalogue/README.md.\n")
    o.write("# Addresses 10.200.x.y and *.lab.test names exist only inside the lab's network namespaces.\n\n")
    last = None
    for sc, e in entries:
        if sc != last:
            o.write(f"# --- {sc}\n")
            last = sc
        o.write("[[case]]\n")
        for k in ["message", "class", "step", "runtime", "source", "host", "dialled", "dns_server", "http_status", "rule", "also_possible"]:
            if k in e:
                v = e[k]
                if isinstance(v, int):
                    o.write(f"{k} = {v}\n")
                elif isinstance(v, list):
                    o.write(f"{k} = [{', '.join(q(x) for x in v)}]\n")
                else:
                    o.write(f"{k} = {q(v)}\n")
        o.write("\n")
print(f"{len(entries)} entries; missing: {missing}", file=sys.stderr)
