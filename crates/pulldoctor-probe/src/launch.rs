//! The pods that run the probe on a node, as the Kubernetes API takes them: pure functions from
//! what to probe and how to get the probe there, snapshot-tested; the launcher
//! (`pulldoctor-live`) creates, watches, reads and deletes them.
//!
//! Each pod is pinned to its node (`nodeName`, so no scheduler, no node selector), tolerates every
//! taint, runs once (`restartPolicy: Never`) within `activeDeadlineSeconds`, and uses the node's
//! network namespace (`hostNetwork`, `dnsPolicy: Default`: the node's resolver, as the runtime
//! has it) or, for `--pod-network`, a pod's. The node's `/etc` is mounted read-only at `/host/etc`
//! for the runtime's per-registry CAs (`certs.d`) and the node's trust store.
//!
//! It must not pull through the broken path, so its image is one the node already holds
//! (`imagePullPolicy: Never`) or one the user names from a mirror that works. Two ways to carry
//! the probe ([`Carrier`]): a pulldoctor image runs it as its command; any other image with a
//! shell waits for the static binary to be copied in through the API (`exec` with `head -c`,
//! as `kubectl cp` copies with `tar`), then runs it. Either way the probe's JSON document is the
//! container's output, which the launcher reads from the pod's log.

use serde_json::{Value, json};

use crate::report::ProbeMode;

/// Where the probe's binary comes from in the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carrier {
    /// A pulldoctor image (`/pulldoctor` in it): one the node holds (`pull_if_absent` false), or
    /// one the user names from a mirror the node can reach (`--image`, pulled if absent).
    Pulldoctor { image: String, pull_if_absent: bool },
    /// An image the node holds with a shell; the static binary is copied in through `exec`.
    Copy { image: String },
}

impl Carrier {
    pub fn image(&self) -> &str {
        match self {
            Carrier::Pulldoctor { image, .. } | Carrier::Copy { image } => image,
        }
    }

    /// In words, for the report and `--dry-run`.
    pub fn describe(&self) -> String {
        match self {
            Carrier::Pulldoctor { image, pull_if_absent: false } => format!("the pulldoctor image the node holds ({image})"),
            Carrier::Pulldoctor { image, pull_if_absent: true } => format!("the pulldoctor image given with --image ({image})"),
            Carrier::Copy { image } => format!("the static binary copied into {image}, an image the node holds"),
        }
    }
}

/// One probe pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRequest {
    pub name: String,
    pub namespace: String,
    pub node: String,
    /// `HostNetwork` or `PodNetwork`.
    pub network: ProbeMode,
    pub carrier: Carrier,
    /// What follows `pulldoctor` on its command line ([`probe_args`]).
    pub args: Vec<String>,
    /// The pod's whole life, in seconds (`activeDeadlineSeconds`).
    pub deadline_seconds: u64,
    /// Identifies one `pulldoctor probe` run among the pods it makes (a label).
    pub run: String,
}

/// Where the binary is copied to in a [`Carrier::Copy`] pod (an `emptyDir`).
pub const WORK_DIR: &str = "/pulldoctor-probe";
/// The copied binary's path.
pub const COPIED_BINARY: &str = "/pulldoctor-probe/pulldoctor";
/// How long a copy pod waits for its binary before it gives up, in seconds.
pub const COPY_WAIT_SECONDS: u64 = 300;

/// The label every probe pod carries, to find leftovers: `kubectl delete pods -l app.kubernetes.io/component=probe`.
pub const COMPONENT_LABEL: (&str, &str) = ("app.kubernetes.io/component", "probe");

/// The trust stores a node may have, mounted from `/host/etc`, then the image's own:
/// `SSL_CERT_DIR` for the probe (rustls-native-certs reads every file of these directories).
const CERT_DIRS: &str = "/host/etc/pki/ca-trust/extracted/pem:/host/etc/ssl/certs:/host/etc/pki/tls/certs:/etc/ssl/certs";

/// `probe --local TARGET --format json ...`: the probe as the pod runs it, against the node's
/// runtime settings (its certs.d, the proxy the runtime uses).
pub fn probe_args(target: &str, timeout: &str, https_proxy: Option<&str>, no_proxy: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = vec!["probe", "--local", target, "--format", "json", "--timeout", timeout, "--color", "never"]
        .into_iter()
        .map(String::from)
        .collect();
    for dir in ["/host/etc/containers/certs.d", "/host/etc/containerd/certs.d"] {
        args.extend(["--certs-dir".to_string(), dir.to_string()]);
    }
    // the runtime's proxy, or none (the pod's own environment has none to inherit)
    args.extend(["--https-proxy".to_string(), https_proxy.unwrap_or_default().to_string()]);
    if let Some(no_proxy) = no_proxy {
        args.extend(["--no-proxy".to_string(), no_proxy.to_string()]);
    }
    args
}

/// The shell script a [`Carrier::Copy`] pod runs: wait for the binary, then run it with the
/// pod's arguments.
fn copy_script() -> String {
    format!(
        "i=0; while [ ! -x {COPIED_BINARY} ]; do i=$((i+1)); if [ \"$i\" -gt {COPY_WAIT_SECONDS} ]; then echo 'pulldoctor: the probe binary was never copied in' >&2; exit 125; fi; sleep 1; done; exec {COPIED_BINARY} \"$@\""
    )
}

/// What `exec` runs to take the binary in: exactly `size` bytes from standard input (no end of
/// input is needed, so it works over every version of the exec protocol), made executable, then
/// put in place in one rename so the waiting script never runs half a file.
pub fn upload_command(size: u64) -> Vec<String> {
    let part = format!("{COPIED_BINARY}.part");
    vec!["sh".into(), "-c".into(), format!("head -c {size} > {part} && chmod 0755 {part} && mv {part} {COPIED_BINARY}")]
}

fn label_value(text: &str) -> String {
    // label values: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric
    let cleaned: String = text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).take(63).collect();
    cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string()
}

/// A pod name for `node`: `pulldoctor-probe-<node's first label>-<host|pod>-<run>`, at most 63
/// characters.
pub fn pod_name(node: &str, network: ProbeMode, run: &str) -> String {
    let short: String = node.split('.').next().unwrap_or(node).to_ascii_lowercase().chars().take(30).collect();
    let mode = if network == ProbeMode::PodNetwork { "pod" } else { "host" };
    label_value(&format!("pulldoctor-probe-{short}-{mode}-{run}"))
}

/// The pod, as JSON the API takes.
pub fn pod(request: &PodRequest) -> Value {
    let host_network = request.network != ProbeMode::PodNetwork;
    let (command, args, pull) = match &request.carrier {
        Carrier::Pulldoctor { pull_if_absent, .. } => {
            (vec!["/pulldoctor".to_string()], request.args.clone(), if *pull_if_absent { "IfNotPresent" } else { "Never" })
        }
        Carrier::Copy { .. } => (vec!["sh".into(), "-c".into(), copy_script(), "pulldoctor-probe".into()], request.args.clone(), "Never"),
    };
    let env = json!([
        {"name": "PULLDOCTOR_PROBE_MODE", "value": request.network.as_str()},
        {"name": "PULLDOCTOR_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "PULLDOCTOR_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "SSL_CERT_DIR", "value": CERT_DIRS},
        {"name": "NO_COLOR", "value": "1"},
    ]);
    let mut mounts = vec![json!({"name": "host-etc", "mountPath": "/host/etc", "readOnly": true})];
    let mut volumes = vec![json!({"name": "host-etc", "hostPath": {"path": "/etc", "type": "Directory"}})];
    if matches!(request.carrier, Carrier::Copy { .. }) {
        mounts.push(json!({"name": "work", "mountPath": WORK_DIR}));
        volumes.push(json!({"name": "work", "emptyDir": {"sizeLimit": "128Mi"}}));
    }
    let mut spec = json!({
        "nodeName": request.node,
        "restartPolicy": "Never",
        "activeDeadlineSeconds": request.deadline_seconds,
        "terminationGracePeriodSeconds": 0,
        "automountServiceAccountToken": false,
        "enableServiceLinks": false,
        "tolerations": [{"operator": "Exists"}],
        "containers": [{
            "name": "probe",
            "image": request.carrier.image(),
            "imagePullPolicy": pull,
            "command": command,
            "args": args,
            "env": env,
            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
            "securityContext": {
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "capabilities": {"drop": ["ALL"]}
            },
            "volumeMounts": mounts
        }],
        "volumes": volumes
    });
    if host_network {
        spec["hostNetwork"] = json!(true);
        // the node's resolv.conf, as the runtime resolves (ClusterFirstWithHostNet would ask the
        // cluster's DNS, which the runtime never does)
        spec["dnsPolicy"] = json!("Default");
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": request.name,
            "namespace": request.namespace,
            "labels": {
                "app.kubernetes.io/name": "pulldoctor",
                COMPONENT_LABEL.0: COMPONENT_LABEL.1,
                "pulldoctor.io/run": label_value(&request.run),
                "pulldoctor.io/node": label_value(&request.node),
            },
            "annotations": {
                "pulldoctor.io/node": request.node,
                "pulldoctor.io/carrier": request.carrier.describe(),
            }
        },
        "spec": spec
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(carrier: Carrier, network: ProbeMode) -> PodRequest {
        PodRequest {
            name: pod_name("ip-10-0-60-229.ec2.internal", network, "k3x9z"),
            namespace: "pulldoctor".into(),
            node: "ip-10-0-60-229.ec2.internal".into(),
            network,
            carrier,
            args: probe_args("818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest", "10s", None, None),
            deadline_seconds: 200,
            run: "k3x9z".into(),
        }
    }

    #[test]
    fn a_pulldoctor_image_the_node_holds_runs_the_probe_itself() {
        let carrier = Carrier::Pulldoctor { image: "quay.io/acme/pulldoctor:0.1.0".into(), pull_if_absent: false };
        insta::assert_json_snapshot!(pod(&request(carrier, ProbeMode::HostNetwork)));
    }

    #[test]
    fn any_image_with_a_shell_carries_the_copied_binary() {
        let carrier = Carrier::Copy {
            image: "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:5ad40dbac1a3f7aa73b0ac51bef24883ff1081b9eaa3be7c3603f07bdbd447a8"
                .into(),
        };
        insta::assert_json_snapshot!(pod(&request(carrier, ProbeMode::HostNetwork)));
        assert_eq!(
            upload_command(12_345_678),
            [
                "sh",
                "-c",
                "head -c 12345678 > /pulldoctor-probe/pulldoctor.part && chmod 0755 /pulldoctor-probe/pulldoctor.part && mv /pulldoctor-probe/pulldoctor.part /pulldoctor-probe/pulldoctor"
            ]
        );
    }

    #[test]
    fn a_mirrored_image_in_a_pod_network() {
        let carrier = Carrier::Pulldoctor { image: "mirror.example.com/tools/pulldoctor:0.1.0".into(), pull_if_absent: true };
        let pod = pod(&request(carrier, ProbeMode::PodNetwork));
        assert!(pod["spec"].get("hostNetwork").is_none() && pod["spec"].get("dnsPolicy").is_none(), "{pod}");
        assert_eq!(pod["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(pod["metadata"]["name"], "pulldoctor-probe-ip-10-0-60-229-pod-k3x9z");
    }

    #[test]
    fn names_and_labels_fit_kubernetes() {
        let long = format!("{}.example.internal", "n".repeat(120));
        let name = pod_name(&long, ProbeMode::HostNetwork, "abcde");
        assert!(name.len() <= 63 && name.ends_with("-host-abcde"), "{name}");
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{name}");
        let label = label_value(&long);
        assert!(label.len() <= 63 && label.chars().last().is_some_and(|c| c.is_ascii_alphanumeric()), "{label}");
        assert_eq!(
            probe_args("r.example:5000", "2s", Some("http://proxy:3128"), Some(".internal"))[13..],
            ["--https-proxy", "http://proxy:3128", "--no-proxy", ".internal"]
        );
    }
}
