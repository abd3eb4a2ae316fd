//! Issue 18's hand-built case, rebuilt with the real `aws` CLI against moto: a VPC with one private
//! subnet routed to a NAT gateway and one left on a main table with no default route, an ECR
//! repository, nodes without instance profiles; `collect --skip-kubernetes --repository team/app`,
//! the cluster half written by hand, `diagnose`; then the fix (`associate-route-table`), and
//! `collect` + `diagnose` again. The diagnosis must be right both times, and so must the words
//! around it: number agreement, no raw library error, no gap that asks for what the bundle has, a
//! summary line that counts what was written, and after the fix the statement that the path is
//! open and the pods will pull at their next retry.

mod common;
mod wording_rules;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use common::{AWS_ENV as ENV, Moto, aws_cli as aws, string_at as text};
use wording_rules::{RAW_ERRORS, disagreements};

/// `pulldoctor collect` into `dir`; returns standard error.
fn collect(moto: &Moto, dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["collect", "-o", dir.to_str().unwrap(), "--skip-kubernetes", "--repository", "team/app", "--region", "us-east-1"])
        .envs(ENV.iter().copied())
        .env("AWS_ENDPOINT_URL", &moto.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "collect failed: {stderr}");
    stderr
}

/// `pulldoctor diagnose DIR` in text and JSON.
fn diagnose(dir: &Path) -> (String, Value) {
    let run = |format: &str| {
        let output =
            Command::new(env!("CARGO_BIN_EXE_pulldoctor")).args(["diagnose", dir.to_str().unwrap(), "--format", format]).output().unwrap();
        assert!(output.status.code().is_some_and(|c| c <= 1), "diagnose: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    (run("text"), serde_json::from_str(&run("json")).unwrap())
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().flatten().map(|entry| if entry.path().is_dir() { files_under(&entry.path()) } else { 1 }).sum()
}

/// The wording rules, on a rendered report and its gaps.
fn reads_right(what: &str, text: &str, report: &Value, bundle: &Path) {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(disagreements(&joined).is_empty(), "{what}: numbers disagree: {:?}\n{text}", disagreements(&joined));
    for raw in RAW_ERRORS {
        assert!(!joined.contains(raw), "{what}: a raw library error (`{raw}`) reaches the reader:\n{text}");
    }
    // No gap asks for an AWS file the bundle already has.
    for gap in report["gaps"].as_array().unwrap() {
        if let Some(command) = gap["command"].as_str()
            && let Some(call) = command.strip_prefix("aws ec2 ").and_then(|c| c.split_whitespace().next())
        {
            assert!(!bundle.join(format!("aws/ec2-{call}.json")).exists(), "{what}: the gap {gap} asks for `{call}`, which the bundle has");
        }
    }
}

#[test]
fn the_hand_built_case_reads_right_before_and_after_the_fix() {
    let moto = common::start_moto(&[]);
    // --- the topology, by hand
    let vpc = text(&aws(&moto, &["ec2", "create-vpc", "--cidr-block", "10.40.0.0/16"]), &["Vpc", "VpcId"]);
    let subnet = |cidr: &str| {
        text(
            &aws(&moto, &["ec2", "create-subnet", "--vpc-id", &vpc, "--cidr-block", cidr, "--availability-zone", "us-east-1a"]),
            &["Subnet", "SubnetId"],
        )
    };
    let (public, routed, stranded) = (subnet("10.40.0.0/24"), subnet("10.40.1.0/24"), subnet("10.40.2.0/24"));
    let igw = text(&aws(&moto, &["ec2", "create-internet-gateway"]), &["InternetGateway", "InternetGatewayId"]);
    aws(&moto, &["ec2", "attach-internet-gateway", "--internet-gateway-id", &igw, "--vpc-id", &vpc]);
    let public_table = text(&aws(&moto, &["ec2", "create-route-table", "--vpc-id", &vpc]), &["RouteTable", "RouteTableId"]);
    aws(&moto, &["ec2", "create-route", "--route-table-id", &public_table, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", &igw]);
    aws(&moto, &["ec2", "associate-route-table", "--route-table-id", &public_table, "--subnet-id", &public]);
    let eip = text(&aws(&moto, &["ec2", "allocate-address", "--domain", "vpc"]), &["AllocationId"]);
    let nat =
        text(&aws(&moto, &["ec2", "create-nat-gateway", "--subnet-id", &public, "--allocation-id", &eip]), &["NatGateway", "NatGatewayId"]);
    let private_table = text(&aws(&moto, &["ec2", "create-route-table", "--vpc-id", &vpc]), &["RouteTable", "RouteTableId"]);
    aws(
        &moto,
        &["ec2", "create-route", "--route-table-id", &private_table, "--destination-cidr-block", "0.0.0.0/0", "--nat-gateway-id", &nat],
    );
    aws(&moto, &["ec2", "associate-route-table", "--route-table-id", &private_table, "--subnet-id", &routed]);
    aws(&moto, &["ecr", "create-repository", "--repository-name", "team/app"]);
    let image = text(&aws(&moto, &["ec2", "describe-images", "--owners", "amazon", "--max-items", "1"]), &["Images", "0", "ImageId"]);
    let run = |subnet: &str| {
        let reservation = aws(&moto, &["ec2", "run-instances", "--image-id", &image, "--instance-type", "m5.large", "--subnet-id", subnet]);
        let instance = &reservation["Instances"][0];
        (text(instance, &["InstanceId"]), text(instance, &["PrivateIpAddress"]), text(instance, &["PrivateDnsName"]))
    };
    let (working, failing) = (run(&routed), run(&stranded));

    // --- the cluster half, by hand: EKS nodes (no instance profile), one pod failing to pull
    let registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"; // moto's default account
    let image_ref = format!("{registry}/team/app:1.2.0");
    let node = |(instance, ip, dns): &(String, String, String)| {
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": dns, "labels": {"topology.kubernetes.io/zone": "us-east-1a"}},
               "spec": {"providerID": format!("aws:///us-east-1a/{instance}")},
               "status": {"addresses": [{"type": "InternalIP", "address": ip}],
                          "nodeInfo": {"kubeletVersion": "v1.31.4-eks-aeac579", "containerRuntimeVersion": "containerd://1.7.25", "osImage": "Amazon Linux 2023"}}})
    };
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app-7d9f", "namespace": "team", "creationTimestamp": "2026-11-24T10:00:00Z"},
        "spec": {"nodeName": failing.2, "containers": [{"name": "app", "image": image_ref}]},
        "status": {"containerStatuses": [{"name": "app", "ready": false, "state": {"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image_ref}\"")}}}]}});
    let event = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "app-7d9f.1", "namespace": "team"},
        "involvedObject": {"kind": "Pod", "name": "app-7d9f", "namespace": "team", "fieldPath": "spec.containers{app}"},
        "reason": "Failed", "type": "Warning", "count": 5, "firstTimestamp": "2026-11-24T10:00:05Z", "lastTimestamp": "2026-11-24T10:21:00Z",
        "message": format!("Failed to pull image \"{image_ref}\": rpc error: code = Unknown desc = failed to pull and unpack image \"{image_ref}\": failed to resolve reference \"{image_ref}\": failed to do request: Head \"https://{registry}/v2/team/app/manifests/1.2.0\": dial tcp 3.225.170.43:443: i/o timeout")});
    let cluster = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [node(&working), node(&failing), pod, event]});

    let root = tempfile::tempdir().unwrap();
    // --- before the fix
    let before = root.path().join("before");
    let stderr = collect(&moto, &before);
    let summary = stderr.lines().last().unwrap_or_default();
    assert_eq!(
        summary.split_whitespace().nth(2).unwrap(),
        files_under(&before).to_string(),
        "the summary counts every file written: {stderr}"
    );
    assert!(
        summary.starts_with("pulldoctor: wrote ") && summary.contains("1 ECR repository"),
        "the summary is the last line and counts the repository read: {stderr}"
    );
    for raw in RAW_ERRORS {
        assert!(!stderr.contains(raw), "a raw library error on standard error: {stderr}");
    }
    std::fs::create_dir_all(before.join("k8s")).unwrap();
    std::fs::write(before.join("k8s/cluster.json"), cluster.to_string()).unwrap();
    let (text_before, report) = diagnose(&before);
    reads_right("before the fix", &text_before, &report, &before);
    let top = &report["causes"][0];
    assert_eq!(top["code"], "route.no-route", "{text_before}");
    assert!(top["resources"].as_array().unwrap().iter().any(|r| r == &json!(stranded)), "{text_before}");
    assert!(
        text_before.contains("the node's subnet") && text_before.contains("so it uses"),
        "one node on one subnet, said so: {text_before}"
    );
    assert!(text_before.contains("1 pod affected") && !text_before.contains("1 pod fail to"), "{text_before}");
    // An instance without a profile on an EKS node is a finding (no role for the credential
    // provider), not a gap asking for describe-instances again.
    assert!(
        report["causes"].as_array().unwrap().iter().any(|c| c["code"] == "iam.ecr-denied" && c["timing"] == "after-fix"),
        "{text_before}"
    );

    // --- the fix, then the same again
    aws(&moto, &["ec2", "associate-route-table", "--route-table-id", &private_table, "--subnet-id", &stranded]);
    let after = root.path().join("after");
    collect(&moto, &after);
    std::fs::create_dir_all(after.join("k8s")).unwrap();
    std::fs::write(after.join("k8s/cluster.json"), cluster.to_string()).unwrap();
    let (text_after, report) = diagnose(&after);
    reads_right("after the fix", &text_after, &report, &after);
    assert!(report["causes"].as_array().unwrap().iter().all(|c| c["timing"] != "now"), "nothing blocks now after the fix:\n{text_after}");
    let headline = report["headline"].as_str().unwrap();
    assert!(
        headline.starts_with("recovering: the network path is open now") && headline.contains("next back-off retry"),
        "after the fix the headline says the path is open and when the pods pull: {headline}"
    );
}
