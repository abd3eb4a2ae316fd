//! Live collection against a real AWS API server: a local moto server (started and stopped here),
//! a topology built with the real `aws` CLI (the seed's fault: one node subnet left on a main
//! route table without a default route), then `pulldoctor collect` (the AWS SDK for Rust) beside
//! the CLI's own `describe-*` output. Both must read into the same model and diagnose the same.
//! Static credentials, a region and `AWS_EC2_METADATA_DISABLED` keep everything on this machine.

mod common;

use std::path::Path;
use std::process::Command;

use pulldoctor::fs::read_bundle;
use serde_json::{Value, json};

use common::{AWS_ENV as ENV, Moto, aws_cli as aws, string_at as id};

fn start_moto() -> Moto {
    common::start_moto(&[])
}

fn write(dir: &Path, name: &str, value: &Value) {
    std::fs::create_dir_all(dir.join(Path::new(name).parent().unwrap())).unwrap();
    std::fs::write(dir.join(name), serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// A cluster of one node (the instance) and one pod on it whose pull of `image_ref` fails with
/// `pull_error` (the text after `Failed to pull image "…": `).
fn one_failing_pod(instance: &str, dns: &str, image_ref: &str, pull_error: &str) -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": dns}, "spec": {"providerID": format!("aws:///us-east-1a/{instance}")}, "status": {}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "shop", "creationTimestamp": "2026-11-24T10:00:00Z"},
               "spec": {"nodeName": dns, "containers": [{"name": "app", "image": image_ref}]},
               "status": {"containerStatuses": [{"name": "app", "ready": false, "state": {"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image_ref}\"")}}}]}}),
        json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "app.1", "namespace": "shop"},
               "involvedObject": {"kind": "Pod", "name": "app", "namespace": "shop"}, "reason": "Failed", "count": 2,
               "firstTimestamp": "2026-11-24T10:00:05Z", "lastTimestamp": "2026-11-24T10:05:00Z",
               "message": format!("Failed to pull image \"{image_ref}\": {pull_error}")}),
    ]
}

#[test]
fn collect_reads_like_the_aws_cli_and_diagnoses_the_same() {
    let moto = start_moto();
    // --- the topology, with the real aws CLI
    let vpc = id(&aws(&moto, &["ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"]), &["Vpc", "VpcId"]);
    let subnet = |cidr: &str, zone: &str| {
        id(
            &aws(&moto, &["ec2", "create-subnet", "--vpc-id", &vpc, "--cidr-block", cidr, "--availability-zone", zone]),
            &["Subnet", "SubnetId"],
        )
    };
    let public = subnet("10.0.0.0/24", "us-east-1a");
    let private_a = subnet("10.0.16.0/20", "us-east-1a");
    let private_b = subnet("10.0.32.0/20", "us-east-1b");
    let igw = id(&aws(&moto, &["ec2", "create-internet-gateway"]), &["InternetGateway", "InternetGatewayId"]);
    aws(&moto, &["ec2", "attach-internet-gateway", "--internet-gateway-id", &igw, "--vpc-id", &vpc]);
    let public_table = id(&aws(&moto, &["ec2", "create-route-table", "--vpc-id", &vpc]), &["RouteTable", "RouteTableId"]);
    aws(&moto, &["ec2", "create-route", "--route-table-id", &public_table, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", &igw]);
    aws(&moto, &["ec2", "associate-route-table", "--route-table-id", &public_table, "--subnet-id", &public]);
    let eip = id(&aws(&moto, &["ec2", "allocate-address", "--domain", "vpc"]), &["AllocationId"]);
    let nat =
        id(&aws(&moto, &["ec2", "create-nat-gateway", "--subnet-id", &public, "--allocation-id", &eip]), &["NatGateway", "NatGatewayId"]);
    let private_table = id(&aws(&moto, &["ec2", "create-route-table", "--vpc-id", &vpc]), &["RouteTable", "RouteTableId"]);
    aws(
        &moto,
        &["ec2", "create-route", "--route-table-id", &private_table, "--destination-cidr-block", "0.0.0.0/0", "--nat-gateway-id", &nat],
    );
    aws(&moto, &["ec2", "associate-route-table", "--route-table-id", &private_table, "--subnet-id", &private_a]);
    // private_b keeps no association: it falls back to the main table, which has only `local`.
    let image = id(&aws(&moto, &["ec2", "describe-images", "--owners", "amazon", "--max-items", "1"]), &["Images", "0", "ImageId"]);
    let group = id(
        &aws(&moto, &["ec2", "create-security-group", "--vpc-id", &vpc, "--group-name", "nodes", "--description", "nodes"]),
        &["GroupId"],
    );
    let run = |subnet: &str| {
        let reservation = aws(
            &moto,
            &[
                "ec2",
                "run-instances",
                "--image-id",
                &image,
                "--instance-type",
                "m5.large",
                "--subnet-id",
                subnet,
                "--security-group-ids",
                &group,
            ],
        );
        let instance = &reservation["Instances"][0];
        (id(instance, &["InstanceId"]), id(instance, &["PrivateIpAddress"]), id(instance, &["PrivateDnsName"]))
    };
    let healthy = run(&private_a);
    let broken = run(&private_b);

    // --- A: the aws CLI's own output; B: pulldoctor collect
    let root = tempfile::tempdir().unwrap();
    let (cli_dir, live_dir) = (root.path().join("cli"), root.path().join("live"));
    for call in [
        "describe-vpcs",
        "describe-subnets",
        "describe-route-tables",
        "describe-nat-gateways",
        "describe-internet-gateways",
        "describe-security-groups",
        "describe-network-acls",
        "describe-instances",
    ] {
        write(&cli_dir, &format!("aws/{call}.json"), &aws(&moto, &["ec2", call]));
    }
    // as the README's loop does: both attributes of every VPC
    let all_vpcs = aws(&moto, &["ec2", "describe-vpcs"]);
    for each in all_vpcs["Vpcs"].as_array().unwrap() {
        let each = id(each, &["VpcId"]);
        for attribute in ["enableDnsSupport", "enableDnsHostnames"] {
            write(
                &cli_dir,
                &format!("aws/{each}-{attribute}.json"),
                &aws(&moto, &["ec2", "describe-vpc-attribute", "--vpc-id", &each, "--attribute", attribute]),
            );
        }
    }
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["collect", "-o", live_dir.to_str().unwrap(), "--skip-kubernetes"])
        .envs(ENV.iter().copied())
        .env("AWS_ENDPOINT_URL", &moto.url)
        .output()
        .unwrap();
    assert!(output.status.success(), "collect failed: {}", String::from_utf8_lossy(&output.stderr));

    // --- the same cluster beside both: a pod on each node; the one on the main-table subnet times out
    let node = |(instance, ip, dns): &(String, String, String), zone: &str| {
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": dns, "labels": {"topology.kubernetes.io/zone": zone}},
               "spec": {"providerID": format!("aws:///{zone}/{instance}")},
               "status": {"addresses": [{"type": "InternalIP", "address": ip}], "nodeInfo": {"containerRuntimeVersion": "containerd://1.7.22"}}})
    };
    let image_ref = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0";
    let pod = |name: &str, node: &str, running: bool| {
        let state = if running {
            json!({"running": {"startedAt": "2026-11-24T10:00:00Z"}})
        } else {
            json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image_ref}\"")}})
        };
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop", "creationTimestamp": "2026-11-24T10:00:00Z"},
               "spec": {"nodeName": node, "containers": [{"name": "app", "image": image_ref}]},
               "status": {"containerStatuses": [{"name": "app", "ready": running, "state": state}]}})
    };
    let event = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "broken.1", "namespace": "shop"},
        "involvedObject": {"kind": "Pod", "name": "broken", "namespace": "shop", "fieldPath": "spec.containers{app}"},
        "reason": "Failed", "type": "Warning", "count": 4, "firstTimestamp": "2026-11-24T10:00:05Z", "lastTimestamp": "2026-11-24T10:20:00Z",
        "message": format!("Failed to pull image \"{image_ref}\": rpc error: code = Unknown desc = failed to pull and unpack image \"{image_ref}\": failed to resolve reference \"{image_ref}\": failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/1.0\": dial tcp 3.225.170.43:443: i/o timeout")});
    let cluster = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
        node(&healthy, "us-east-1a"), node(&broken, "us-east-1b"),
        pod("healthy", &healthy.2, true), pod("broken", &broken.2, false), event]});
    for dir in [&cli_dir, &live_dir] {
        write(dir, "k8s/cluster.json", &cluster);
    }

    // --- same model from both
    let cli = read_bundle(&cli_dir, &Default::default()).unwrap().model;
    let live = read_bundle(&live_dir, &Default::default()).unwrap().model;
    assert_eq!(live.vpcs, cli.vpcs);
    assert_eq!(live.subnets, cli.subnets);
    assert_eq!(live.route_tables, cli.route_tables);
    assert_eq!(live.nat_gateways, cli.nat_gateways);
    assert_eq!(live.internet_gateways, cli.internet_gateways);
    assert_eq!(live.security_groups, cli.security_groups);
    assert_eq!(live.network_acls, cli.network_acls);
    assert_eq!(live.instances, cli.instances);
    assert!(!live.caller_identities.is_empty(), "collect wrote no caller identity");

    // --- same diagnosis from both, and it is the fault we built
    let cli_report = pulldoctor_diagnosis::diagnose(&cli, &Default::default());
    let live_report = pulldoctor_diagnosis::diagnose(&live, &Default::default());
    let top = |r: &pulldoctor_diagnosis::report::Report| r.causes.first().map(|c| (c.code, c.resources.clone()));
    assert_eq!(top(&live_report), top(&cli_report));
    let (code, resources) = top(&live_report).expect("a cause");
    assert_eq!(code, pulldoctor_model::Code::RouteNoRoute);
    assert!(resources.contains(&private_b) && !resources.contains(&private_a), "{resources:?}");
    let main_table = live.main_route_table(&vpc).unwrap().id.clone();
    assert!(resources.contains(&main_table), "{resources:?} lacks the main table {main_table}");
}

#[test]
fn live_diagnose_equals_collect_then_diagnose() {
    let moto = start_moto();
    let vpc = id(&aws(&moto, &["ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"]), &["Vpc", "VpcId"]);
    let subnet = id(
        &aws(&moto, &["ec2", "create-subnet", "--vpc-id", &vpc, "--cidr-block", "10.0.1.0/24", "--availability-zone", "us-east-1a"]),
        &["Subnet", "SubnetId"],
    );
    let image = id(&aws(&moto, &["ec2", "describe-images", "--owners", "amazon", "--max-items", "1"]), &["Images", "0", "ImageId"]);
    let reservation = aws(&moto, &["ec2", "run-instances", "--image-id", &image, "--instance-type", "m5.large", "--subnet-id", &subnet]);
    let instance = id(&reservation["Instances"][0], &["InstanceId"]);
    let dns = id(&reservation["Instances"][0], &["PrivateDnsName"]);
    let image_ref = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0";
    let objects = one_failing_pod(
        &instance,
        &dns,
        image_ref,
        "rpc error: code = Unknown desc = failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/1.0\": dial tcp 3.225.170.43:443: i/o timeout",
    );
    let port = common::serve(objects);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
            .args(args)
            .envs(ENV.iter().copied())
            .env("AWS_ENDPOINT_URL", &moto.url)
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let bundle = root.path().join("bundle");
    let (code, _, stderr) = run(&["collect", "-o", bundle.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    let (live_code, live, live_err) = run(&["diagnose", "--format", "json"]);
    let (offline_code, offline, _) = run(&["diagnose", bundle.to_str().unwrap(), "--format", "json"]);
    assert_eq!(live_code, Some(1), "{live_err}");
    assert_eq!(live_code, offline_code);
    assert_eq!(comparable(&live), comparable(&offline));
    // the built fault: a VPC with no gateway and no endpoint at all, so nothing carries the pull
    let report = comparable(&live);
    assert_eq!(report["causes"][0]["code"], "endpoint.missing", "{report}");
}

/// Scoping and the calls beyond EC2: only the nodes' VPC is read (not the unrelated one), only
/// the failing pod's ECR repository (not the other one), only the node role (not the unrelated
/// one); customer-managed prefix lists come with their entries; CloudTrail is asked for each
/// network-changing call from 14 days before the first failure, and its answer reaches the report.
/// Then the same with CloudTrail denied: a gap naming the permission, never a crash.
#[test]
fn live_reads_only_what_the_failures_point_at() {
    let moto = start_moto();
    let vpc = |cidr: &str| id(&aws(&moto, &["ec2", "create-vpc", "--cidr-block", cidr]), &["Vpc", "VpcId"]);
    let (nodes_vpc, other_vpc) = (vpc("10.0.0.0/16"), vpc("10.50.0.0/16"));
    let subnet = |vpc: &str, cidr: &str| {
        id(
            &aws(&moto, &["ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", cidr, "--availability-zone", "us-east-1a"]),
            &["Subnet", "SubnetId"],
        )
    };
    let (nodes_subnet, other_subnet) = (subnet(&nodes_vpc, "10.0.1.0/24"), subnet(&other_vpc, "10.50.1.0/24"));
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let pull = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"*"}]}"#;
    for role in ["node-role", "unrelated-role"] {
        aws(&moto, &["iam", "create-role", "--role-name", role, "--assume-role-policy-document", trust]);
        aws(&moto, &["iam", "put-role-policy", "--role-name", role, "--policy-name", "pull", "--policy-document", pull]);
    }
    let profile =
        id(&aws(&moto, &["iam", "create-instance-profile", "--instance-profile-name", "node-profile"]), &["InstanceProfile", "Arn"]);
    aws(&moto, &["iam", "add-role-to-instance-profile", "--instance-profile-name", "node-profile", "--role-name", "node-role"]);
    let image = id(&aws(&moto, &["ec2", "describe-images", "--owners", "amazon", "--max-items", "1"]), &["Images", "0", "ImageId"]);
    let reservation = aws(
        &moto,
        &[
            "ec2",
            "run-instances",
            "--image-id",
            &image,
            "--instance-type",
            "m5.large",
            "--subnet-id",
            &nodes_subnet,
            "--iam-instance-profile",
            &format!("Arn={profile}"),
        ],
    );
    let (instance, dns) = (id(&reservation["Instances"][0], &["InstanceId"]), id(&reservation["Instances"][0], &["PrivateDnsName"]));
    aws(&moto, &["ec2", "run-instances", "--image-id", &image, "--instance-type", "m5.large", "--subnet-id", &other_subnet]);
    let manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000001"},"layers":[]}"#;
    for repository in ["app", "other"] {
        aws(&moto, &["ecr", "create-repository", "--repository-name", repository]);
        aws(&moto, &["ecr", "put-image", "--repository-name", repository, "--image-tag", "1.0", "--image-manifest", manifest]);
    }
    let corp = id(
        &aws(
            &moto,
            &[
                "ec2",
                "create-managed-prefix-list",
                "--prefix-list-name",
                "corp",
                "--max-entries",
                "5",
                "--address-family",
                "IPv4",
                "--entries",
                "Cidr=10.9.0.0/16",
            ],
        ),
        &["PrefixList", "PrefixListId"],
    );

    // The cluster: one node, one pod pulling a tag that app does not have.
    let image_ref = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:2.0";
    let objects = one_failing_pod(
        &instance,
        &dns,
        image_ref,
        &format!(
            "rpc error: code = NotFound desc = failed to pull and unpack image \"{image_ref}\": failed to resolve reference \"{image_ref}\": {image_ref}: not found"
        ),
    );
    let port = common::serve(objects);
    // A recorded-shape DisassociateRouteTable two hours before the first failure.
    let change = json!({"EventId": "6f2b1c4e-0000-4000-8000-000000000001", "EventName": "DisassociateRouteTable", "ReadOnly": "false",
        "EventTime": 1_795_424_405.0, "EventSource": "ec2.amazonaws.com", "Username": "terraform",
        "Resources": [{"ResourceType": "AWS::EC2::RouteTableAssociation", "ResourceName": "rtbassoc-0a1b2c3d4e5f60718"}],
        "CloudTrailEvent": json!({"eventName": "DisassociateRouteTable", "userIdentity": {"accessKeyId": "AKIAIOSFODNN7EXAMPLE"},
            "requestParameters": {"associationId": "rtbassoc-0a1b2c3d4e5f60718"}}).to_string()});
    let trail = common::serve_cloudtrail(vec![change.clone()], false);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let run = |trail_port: u16, args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
            .args(args)
            .envs(ENV.iter().copied())
            .env("AWS_ENDPOINT_URL", &moto.url)
            .env("AWS_ENDPOINT_URL_CLOUDTRAIL", format!("http://127.0.0.1:{trail_port}"))
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let bundle = root.path().join("bundle");
    let (code, _, stderr) = run(trail.port, &["collect", "-o", bundle.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(bundle.join("aws").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))).unwrap()
    };
    let names: Vec<String> =
        std::fs::read_dir(bundle.join("aws")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();

    // VPC scope: the node's VPC only
    let vpcs: Vec<String> =
        read("ec2-describe-vpcs.json")["Vpcs"].as_array().unwrap().iter().map(|v| v["VpcId"].as_str().unwrap().to_string()).collect();
    assert_eq!(vpcs, vec![nodes_vpc.clone()]);
    let subnets = read("ec2-describe-subnets.json").to_string();
    assert!(subnets.contains(&nodes_subnet) && !subnets.contains(&other_subnet), "{subnets}");
    // ECR: the failing pod's repository's images, not the other's
    assert!(names.iter().any(|n| n.starts_with("ecr-describe-images-") && n.ends_with("-app.json")), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("-other")), "{names:?}");
    // IAM: the node role only
    let iam = read("iam-get-account-authorization-details.json");
    let roles: Vec<&str> = iam["RoleDetailList"].as_array().unwrap().iter().map(|r| r["RoleName"].as_str().unwrap()).collect();
    assert_eq!(roles, vec!["node-role"]);
    // the customer-managed prefix list and its entries
    assert!(read(&format!("ec2-get-managed-prefix-list-entries-{corp}.json")).to_string().contains("10.9.0.0/16"));
    // CloudTrail: every network-changing call asked for, from 14 days before the first failure
    let requests = trail.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), pulldoctor_diagnosis::NETWORK_CHANGES.len(), "{requests:?}");
    let first_failure = chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:05Z").unwrap().timestamp() as f64;
    for request in &requests {
        assert_eq!(request["StartTime"].as_f64(), Some(first_failure - 14.0 * 86400.0), "{request}");
    }
    let recorded = read("cloudtrail-lookup-events-DisassociateRouteTable.json").to_string();
    assert!(recorded.contains("rtbassoc-0a1b2c3d4e5f60718") && !recorded.contains("AKIAIOSFODNN7EXAMPLE"), "{recorded}");

    // Live and offline agree, and the report carries what CloudTrail said.
    let (live_code, live, live_err) = run(trail.port, &["diagnose", "--format", "json"]);
    let (_, offline, _) = run(trail.port, &["diagnose", bundle.to_str().unwrap(), "--format", "json"]);
    assert_eq!(live_code, Some(1), "{live_err}");
    let report = comparable(&live);
    assert_eq!(report, comparable(&offline));
    assert_eq!(report["causes"][0]["code"], "image.tag-not-found", "{report}");
    assert!(report["scope"]["pattern"].to_string().contains("DisassociateRouteTable"), "{}", report["scope"]);

    // CloudTrail denied: collection goes on, and the report names the missing permission.
    let denied = common::serve_cloudtrail(Vec::new(), true);
    let (code, stdout, stderr) = run(denied.port, &["diagnose", "--format", "json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cloudtrail:LookupEvents denied"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let gaps = report["gaps"].to_string();
    assert!(gaps.contains("cloudtrail:LookupEvents") && gaps.contains("add `cloudtrail:LookupEvents`"), "{gaps}");
    assert_eq!(report["causes"][0]["code"], "image.tag-not-found");
    // two lookups run at once (CloudTrail's rate); after a denial the others are not tried
    assert!(denied.requests.lock().unwrap().len() <= 2, "{:?}", denied.requests.lock().unwrap());
}

/// The credentials belong to another account (or region) than the cluster's nodes: no node
/// instance is found, so no VPC is read (not every VPC of the wrong account), one failure says
/// why, and the report shows the network layer as a gap, never as healthy.
#[test]
fn nodes_from_another_account_are_one_failure_not_a_healthy_report() {
    let moto = start_moto();
    let image_ref = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0";
    let objects = one_failing_pod(
        "i-0123456789abcdef0",
        "ip-10-0-1-5.ec2.internal",
        image_ref,
        "rpc error: code = Unknown desc = failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/1.0\": dial tcp 3.225.170.43:443: i/o timeout",
    );
    let port = common::serve(objects);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let bundle = root.path().join("bundle");
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["collect", "-o", bundle.to_str().unwrap()])
        .envs(ENV.iter().copied())
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("the cluster's only node instance (i-0123456789abcdef0) is not in this account and region"), "{stderr}");
    assert!(!bundle.join("aws/ec2-describe-vpcs.json").exists(), "the wrong account's VPCs were read");
    let output =
        Command::new(env!("CARGO_BIN_EXE_pulldoctor")).args(["diagnose", bundle.to_str().unwrap(), "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let gaps = report["gaps"].to_string();
    assert!(gaps.contains("ec2:DescribeInstances during collection") && gaps.contains("no Subnets in the bundle"), "{gaps}");
    assert!(report["causes"].as_array().unwrap().iter().all(|c| c["layer"] != "network"), "{}", report["causes"]);
}

/// A JSON report with what differs between a live run and its collection read offline set aside:
/// the notes, and when the facts were read (the collection seconds before, or the live run).
fn comparable(text: &str) -> Value {
    let mut value: Value = serde_json::from_str(text).unwrap();
    value["notes"] = Value::Null;
    assert!(value["observed_at"].is_string(), "{value}");
    value["observed_at"] = Value::Null;
    value
}
