//! Journal lines from real kubelets and runtimes (sources in `fixtures/journals/README.md`).

use super::*;

fn records(text: &str) -> Vec<NodeLogError> {
    parse(Path::new("kubelet.log"), text.as_bytes()).unwrap().records.into_iter().map(|r| r.error).collect()
}

/// kubelet 1.34 with containerd (kubernetes-sigs/kueue#8911): one failed pull, five lines.
const KIND_1_34: &str = r#"Jan 30 11:28:54 kind-manager-worker kubelet[222]: E0130 11:28:54.293617     222 log.go:32] "PullImage from image service failed" err="rpc error: code = NotFound desc = failed to pull and unpack image \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": failed to resolve reference \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1: not found" image="us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1"
Jan 30 11:28:54 kind-manager-worker kubelet[222]: E0130 11:28:54.293688     222 kuberuntime_image.go:43] "Failed to pull image" err="rpc error: code = NotFound desc = failed to pull and unpack image \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": failed to resolve reference \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1: not found" image="us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1"
Jan 30 11:28:54 kind-manager-worker kubelet[222]: E0130 11:28:54.293808     222 kuberuntime_manager.go:1449] "Unhandled Error" err="init container secretreader-plugin-init start failed in pod kueue-controller-manager-8494d6795b-8vqfm_kueue-system(c8c87ab9-e13d-4ae4-8578-8092cce568ab): ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": failed to resolve reference \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1: not found" logger="UnhandledError"
Jan 30 11:28:54 kind-manager-worker kubelet[222]: E0130 11:28:54.293852     222 pod_workers.go:1324] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"secretreader-plugin-init\" with ErrImagePull: \"rpc error: code = NotFound desc = failed to pull and unpack image \\\"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\\\": failed to resolve reference \\\"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\\\": us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1: not found\"" pod="kueue-system/kueue-controller-manager-8494d6795b-8vqfm" podUID="c8c87ab9-e13d-4ae4-8578-8092cce568ab"
Jan 30 11:28:54 kind-manager-worker kubelet[222]: I0130 11:28:54.293920     222 event.go:389] "Event occurred" object="kueue-system/kueue-controller-manager-8494d6795b-8vqfm" fieldPath="spec.initContainers{secretreader-plugin-init}" kind="Pod" apiVersion="v1" type="Warning" reason="Failed" message="Failed to pull image \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": rpc error: code = NotFound desc = failed to pull and unpack image \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": failed to resolve reference \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1: not found"
Jan 30 11:28:54 kind-manager-worker kubelet[222]: I0130 11:28:54.293976     222 event.go:389] "Event occurred" object="kueue-system/kueue-controller-manager-8494d6795b-8vqfm" fieldPath="spec.initContainers{secretreader-plugin-init}" kind="Pod" apiVersion="v1" type="Warning" reason="Failed" message="Error: ErrImagePull"
"#;

const IMAGE: &str = "us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1";
const ERROR: &str = "rpc error: code = NotFound desc = failed to pull and unpack image \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": failed to resolve reference \"us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1\": us-central1-docker.pkg.dev/k8s-staging-images/kueue/secretreader-plugin:0.0.1: not found";

#[test]
fn kubelet_1_34_every_line_shape() {
    let found = records(KIND_1_34);
    assert_eq!(found.len(), 5, "{found:#?}");
    for record in &found {
        assert_eq!((record.host.as_str(), record.unit), ("kind-manager-worker", LogUnit::Kubelet));
        assert_eq!(record.image.as_deref(), Some(IMAGE), "line {}", record.line);
        assert!(record.message.ends_with(&ERROR[ERROR.len() - 60..]), "line {}: {}", record.line, record.message);
    }
    // the image service's lines name no pod; the pod worker, the runtime manager and the event do
    assert_eq!(found[0].pod, None);
    assert_eq!(found[0].message, ERROR);
    for record in &found[2..] {
        assert_eq!(record.namespace.as_deref(), Some("kueue-system"), "line {}", record.line);
        assert_eq!(record.pod.as_deref(), Some("kueue-controller-manager-8494d6795b-8vqfm"), "line {}", record.line);
        assert_eq!(record.container.as_deref(), Some("secretreader-plugin-init"), "line {}", record.line);
    }
    assert_eq!(found[2].reason.as_deref(), Some("ErrImagePull"));
    assert_eq!(found[3].message, ERROR, "the doubly quoted error is unescaped once");
    assert_eq!(found[4].message, format!("Failed to pull image \"{IMAGE}\": {ERROR}"));
    assert_eq!(found[4].line, 5);
    // the year comes from the bundle
    let reference = "2026-01-30T12:00:00Z".parse().ok();
    assert_eq!(resolve(timestamp(KIND_1_34).unwrap().0, reference).unwrap().to_rfc3339(), "2026-01-30T11:28:54+00:00");
}

/// OpenShift's kubelet runs as `kubenswrapper`, journal in `short-precise` as `oc adm node-logs`
/// returns it (openshift/origin's node-log monitor tests).
#[test]
fn openshift_kubenswrapper_short_precise() {
    let line = r#"Feb 01 05:37:45.731611 ci-op-vyccmv3h-4ef92-xs5k5-master-0 kubenswrapper[2213]: E0201 05:37:45.730879 2213 pod_workers.go:965] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"oauth-proxy\" with ErrImagePull: \"rpc error: code = Unknown desc = copying system image from manifest list: reading signatures: parsing signature https://registry.redhat.io/containers/sigstore/openshift4/ose-oauth-proxy@sha256=f968922564c3eea1c69d6bbe529d8970784d6cae8935afaf674d9fa7c0f72ea3/signature-9: unrecognized signature format, starting with binary 0x3c\"" pod="openshift-e2e-loki/loki-promtail-plm74" podUID=59b26cbf-3421-407c-98ee-986b5a091ef4"#;
    let [record] = &records(line)[..] else { panic!() };
    assert_eq!(record.host, "ci-op-vyccmv3h-4ef92-xs5k5-master-0");
    assert_eq!((record.namespace.as_deref(), record.pod.as_deref()), (Some("openshift-e2e-loki"), Some("loki-promtail-plm74")));
    assert_eq!(record.container.as_deref(), Some("oauth-proxy"));
    assert!(record.message.starts_with("rpc error: code = Unknown desc = copying system image from manifest list: reading signatures"));
    assert!(record.message.ends_with("starting with binary 0x3c"));
    let LineTime::NoYear { month, day, seconds_of_day, nanos } = timestamp(line).unwrap().0 else { panic!() };
    assert_eq!((month, day, seconds_of_day, nanos), (2, 1, 5 * 3600 + 37 * 60 + 45, 731_611_000));
}

/// containerd's own journal names the image, never the pod (kubernetes-sigs/provider-aws-test-infra#281,
/// containerd/containerd#12302); a syslog copy may drop the PID.
#[test]
fn containerd_lines() {
    let text = r#"Feb 07 13:36:48.024915 bootstrap-e2e-master containerd[1191]: time="2024-02-07T13:36:48.024858788Z" level=error msg="PullImage \"registry.k8s.io/kube-apiserver-amd64:v1.30.0-alpha.1.107_052bce26f4f48b\" failed" error="rpc error: code = NotFound desc = failed to pull and unpack image \"registry.k8s.io/kube-apiserver-amd64:v1.30.0-alpha.1.107_052bce26f4f48b\": failed to resolve reference \"registry.k8s.io/kube-apiserver-amd64:v1.30.0-alpha.1.107_052bce26f4f48b\": registry.k8s.io/kube-apiserver-amd64:v1.30.0-alpha.1.107_052bce26f4f48b: not found"
Feb 07 13:36:48.024917 bootstrap-e2e-master containerd[1191]: time="2024-02-07T13:36:48.024900000Z" level=info msg="stop pulling image registry.k8s.io/kube-apiserver-amd64:v1.30.0-alpha.1.107_052bce26f4f48b: active requests=0, bytes read=0"
2025-07-20T22:31:54+0800 xdlinux containerd: time="2025-07-20T22:31:54.295953417+08:00" level=error msg="PullImage \"docker.io/calico/cni:v3.27.0\" failed" error="rpc error: code = DeadlineExceeded desc = failed to pull and unpack image \"docker.io/calico/cni:v3.27.0\": failed to resolve image: failed to do request: Head \"https://registry-1.docker.io/v2/calico/cni/manifests/v3.27.0\": dial tcp [2a03:2880:f10e:83:face:b00c:0:25de]:443: i/o timeout"
"#;
    let found = records(text);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].unit, LogUnit::Containerd);
    assert_eq!(found[0].image.as_deref(), Some("registry.k8s.io/kube-apiserver-amd64:v1.30.0-alpha.1.107_052bce26f4f48b"));
    assert!(found[0].pod.is_none());
    assert_eq!(found[1].host, "xdlinux");
    assert!(found[1].message.ends_with("dial tcp [2a03:2880:f10e:83:face:b00c:0:25de]:443: i/o timeout"));
    assert_eq!(found[1].line, 3);
    // short-iso with an offset is read as the instant it names
    assert_eq!(resolve(timestamp(text.lines().nth(2).unwrap()).unwrap().0, None).unwrap().to_rfc3339(), "2025-07-20T14:31:54+00:00");
}

/// A bare back-off is no error; newer kubelets append the last error to it.
#[test]
fn back_off_lines() {
    let bare = r#"2025-08-25T11:40:03+0000 ip-10-0-21-144 kubenswrapper[2345]: E0825 11:40:03.000000    2345 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"api\" with ImagePullBackOff: \"Back-off pulling image \\\"quay.io/x/api:1\\\"\"" pod="shop/api-1" podUID="u""#;
    assert!(records(bare).is_empty());
    let with_error = r#"2025-08-25T11:40:03.123456+00:00 ip-10-0-21-144 kubelet[2345]: E0825 11:40:03.123456    2345 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"api\" with ImagePullBackOff: \"Back-off pulling image \\\"quay.io/x/api:1\\\": ErrImagePull: unauthorized: access to the requested resource is not authorized\"" pod="shop/api-1" podUID="u""#;
    let [record] = &records(with_error)[..] else { panic!() };
    assert_eq!(record.message, "unauthorized: access to the requested resource is not authorized");
    assert_eq!(record.image.as_deref(), Some("quay.io/x/api:1"));
    assert_eq!(record.reason.as_deref(), Some("ImagePullBackOff"));
}

/// Before structured logging (kubelet 1.20 and older) the runtime manager printed the container
/// struct.
#[test]
fn unstructured_runtime_manager_line() {
    let line = "Aug  5 09:01:02 node-1 kubelet[900]: E0805 09:01:02.000001     900 kuberuntime_manager.go:801] container &Container{Name:web,Image:registry.example.com/web:2,Command:[],} start failed in pod web-5d8f_shop(1234-5678): ErrImagePull: rpc error: code = Unknown desc = Error response from daemon: manifest for registry.example.com/web:2 not found";
    let [record] = &records(line)[..] else { panic!() };
    assert_eq!(
        (record.namespace.as_deref(), record.pod.as_deref(), record.container.as_deref()),
        (Some("shop"), Some("web-5d8f"), Some("web"))
    );
    assert_eq!(record.image.as_deref(), Some("registry.example.com/web:2"));
    assert!(record.message.ends_with("not found"));
}

#[test]
fn headers() {
    for line in [
        "Aug 25 11:12:03 ip-10-0-21-144 kubelet[1]: x",
        "Aug  5 11:12:03 host containerd: x",
        "2025-08-25T11:12:03+0000 ip-10-0-21-144.ec2.internal kubenswrapper[2345]: x",
        "2025-08-25T11:12:03.123456+00:00 h crio[1]: x",
        "Mon 2025-08-25 11:12:03 UTC h kubelet[1]: x",
        "1756120323.123456 h kubelet[1]: x",
    ] {
        assert!(is_journal_line(line), "{line}");
    }
    for line in [
        "2025-08-25T11:12:03.123456789Z stdout F container output",
        "I0825 11:12:03.000000    1 main.go:1] klog alone",
        "Aug 25 11:12:03",
        "time=\"2025-08-25T11:12:03Z\" level=info msg=x",
        "Aug 25 11:12:03 host bad[pid]: x",
    ] {
        assert!(!is_journal_line(line), "{line}");
    }
    assert!(parse(Path::new("x.log"), b"no journal here\n").is_err());
}

/// The kubelet logs every flag when it starts (`flags.go:64] FLAG: --NAME="VALUE"`, the shape of
/// public kubelet logs): the credential provider's two are kept, set or empty, the rest and the
/// pull errors beside them go their usual way.
#[test]
fn kubelet_credential_provider_flags() {
    let text = r#"Aug 25 11:30:00 ip-10-0-17-23.ec2.internal kubelet[2215]: I0825 11:30:00.647587    2215 flags.go:64] FLAG: --http-check-frequency="20s"
Aug 25 11:30:00 ip-10-0-17-23.ec2.internal kubelet[2215]: I0825 11:30:00.647605    2215 flags.go:64] FLAG: --image-credential-provider-bin-dir="/etc/eks/image-credential-provider"
Aug 25 11:30:00 ip-10-0-17-23.ec2.internal kubelet[2215]: I0825 11:30:00.647622    2215 flags.go:64] FLAG: --image-credential-provider-config="/etc/eks/image-credential-provider/config.json"
Aug 25 11:30:00 ip-10-0-17-23.ec2.internal kubelet[2215]: I0825 11:30:00.647640    2215 flags.go:64] FLAG: --image-gc-high-threshold="85"
Aug 25 12:00:00 ip-10-0-35-140 kubelet[901]: I0825 12:00:00.100000     901 flags.go:64] FLAG: --image-credential-provider-config=""
"#;
    let journal = parse(Path::new("kubelet.log"), text.as_bytes()).unwrap();
    assert!(journal.records.is_empty());
    let flags: Vec<(&str, &str, &str, usize)> =
        journal.flags.iter().map(|f| (f.host.as_str(), f.name.as_str(), f.value.as_str(), f.line)).collect();
    assert_eq!(
        flags,
        [
            ("ip-10-0-17-23.ec2.internal", "image-credential-provider-bin-dir", "/etc/eks/image-credential-provider", 2),
            ("ip-10-0-17-23.ec2.internal", "image-credential-provider-config", "/etc/eks/image-credential-provider/config.json", 3),
            ("ip-10-0-35-140", "image-credential-provider-config", "", 5),
        ]
    );
    // a containerd line that happens to say FLAG is not the kubelet's
    let other = "Aug 25 11:30:00 node containerd[77]: FLAG: --image-credential-provider-config=\"x\"\n";
    assert!(parse(Path::new("c.log"), other.as_bytes()).unwrap().flags.is_empty());
}
