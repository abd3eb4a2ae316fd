//! `cargo run --release -p pulldoctor-bench [-- --scale 1.0] [--keep DIR]`
//!
//! Generates a synthetic estate as a bundle in genuine AWS CLI / kubectl shapes (at scale 1: 500
//! VPCs, 20,000 subnets, 5,000 route tables with 20 routes each, 20,000 instances and nodes,
//! 5,000 security groups, 1,000 NAT gateways, 10,000 pods of which 2,000 fail), then measures:
//! parsing the bundle, tracing every node to the three hosts an ECR pull needs, the whole
//! `diagnose`, and the seed example's `diagnose`. Prints a Markdown table for the README.
//!
//! `--cluster 15000,60000` measures the cluster side instead: the seed example grown to that many
//! pods (see `cluster.rs`); `--events-per-pod 2` keeps two of each pod's four events (the issue's
//! 150,000 pods / 300,000 events), `--keep DIR` leaves the grown bundles in `DIR/PODS`.
//!
//! The generator is deterministic (a fixed linear congruential sequence), so runs compare.

mod cluster;

use std::fmt::Write as _;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pulldoctor::fs::read_bundle;
use pulldoctor_net::{Engine, Origin, Target};
use serde_json::{Value, json};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Sizes {
    vpcs: usize,
    subnets_per_vpc: usize,
    tables_per_vpc: usize,
    routes_per_table: usize,
    groups_per_vpc: usize,
    pods: usize,
    failing: usize,
}

const ACCOUNT: &str = "123456789012";
const REGISTRY: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const CHUNK: usize = 2000;

fn write_chunks(dir: &Path, name: &str, key: &str, items: Vec<Value>) -> std::io::Result<usize> {
    let mut bytes = 0;
    for (index, chunk) in items.chunks(CHUNK).enumerate() {
        let text = serde_json::to_string_pretty(&json!({ key: chunk }))?;
        bytes += text.len();
        std::fs::write(dir.join(format!("{name}-{index:03}.json")), text)?;
    }
    Ok(bytes)
}

fn write_list(dir: &Path, name: &str, items: Vec<Value>) -> std::io::Result<usize> {
    let mut bytes = 0;
    for (index, chunk) in items.chunks(CHUNK).enumerate() {
        let text = serde_json::to_string_pretty(
            &json!({"apiVersion": "v1", "kind": "List", "items": chunk, "metadata": {"resourceVersion": ""}}),
        )?;
        bytes += text.len();
        std::fs::write(dir.join(format!("{name}-{index:03}.json")), text)?;
    }
    Ok(bytes)
}

/// Write the estate; returns (bytes written, instance ids).
fn generate(dir: &Path, sizes: &Sizes) -> std::io::Result<(usize, Vec<String>)> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(0x5eed);
    let zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    let (mut vpcs, mut subnets, mut tables, mut nats, mut igws, mut groups, mut acls, mut reservations, mut nodes) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut instance_ids = Vec::new();
    let mut attributes: Vec<(String, &str)> = Vec::new();
    for v in 0..sizes.vpcs {
        let vpc = format!("vpc-{v:017x}");
        let (a, b) = (10 + (v / 250) as u8, (v % 250) as u8);
        let cidr = format!("{a}.{b}.0.0/16");
        attributes.push((vpc.clone(), "EnableDnsSupport"));
        attributes.push((vpc.clone(), "EnableDnsHostnames"));
        vpcs.push(json!({"VpcId": vpc, "OwnerId": ACCOUNT, "CidrBlock": cidr, "State": "available", "IsDefault": false,
            "CidrBlockAssociationSet": [{"CidrBlock": cidr, "CidrBlockState": {"State": "associated"}}]}));
        let igw = format!("igw-{v:017x}");
        igws.push(json!({"InternetGatewayId": igw, "OwnerId": ACCOUNT, "Attachments": [{"VpcId": vpc, "State": "available"}]}));
        // subnet 0 and 1 are public and hold the NAT gateways
        let subnet_id = |s: usize| format!("subnet-{:017x}", v * sizes.subnets_per_vpc + s);
        for s in 0..sizes.subnets_per_vpc {
            subnets.push(json!({"SubnetId": subnet_id(s), "VpcId": vpc, "OwnerId": ACCOUNT, "CidrBlock": format!("{a}.{b}.{s}.0/24"),
                "AvailabilityZone": zones[s % 3], "MapPublicIpOnLaunch": s < 2, "State": "available"}));
        }
        let nat_ids: Vec<String> = (0..2).map(|n| format!("nat-{:017x}", v * 2 + n)).collect();
        for (n, nat) in nat_ids.iter().enumerate() {
            nats.push(json!({"NatGatewayId": nat, "VpcId": vpc, "SubnetId": subnet_id(n), "State": "available", "ConnectivityType": "public",
                "NatGatewayAddresses": [{"PublicIp": format!("52.{}.{}.{}", v % 250, n, 10), "PrivateIp": format!("{a}.{b}.{n}.10"), "IsPrimary": true}]}));
        }
        let mut associated = 0;
        for t in 0..sizes.tables_per_vpc {
            let table = format!("rtb-{:017x}", v * sizes.tables_per_vpc + t);
            let main = t == 0;
            let mut routes =
                vec![json!({"DestinationCidrBlock": cidr, "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"})];
            for r in 0..sizes.routes_per_table.saturating_sub(2) {
                routes.push(json!({"DestinationCidrBlock": format!("172.{}.{}.0/24", 16 + r % 16, rng.below(250)),
                    "TransitGatewayId": "tgw-0aaaaaaaaaaaaaaaa", "Origin": "CreateRoute", "State": "active"}));
            }
            // The main table has no default route (the seed's shape); table 1 is public; the rest go to a NAT,
            // except one table per 10 VPCs whose NAT route is a blackhole.
            match t {
                0 => {}
                1 => routes.push(json!({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "Origin": "CreateRoute", "State": "active"})),
                _ if v % 10 == 0 && t == 2 => routes.push(json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0deleted0000000", "Origin": "CreateRoute", "State": "blackhole"})),
                _ => routes.push(json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": nat_ids[t % 2], "Origin": "CreateRoute", "State": "active"})),
            }
            let mut associations = vec![];
            if main {
                associations.push(json!({"Main": true, "RouteTableAssociationId": format!("rtbassoc-m{v:016x}"), "RouteTableId": table, "AssociationState": {"State": "associated"}}));
            } else {
                // public table: subnets 0,1; others: a share of the private subnets; the last few stay on the main table
                let members: Vec<usize> = if t == 1 {
                    vec![0, 1]
                } else {
                    let per = (sizes.subnets_per_vpc - 2) / sizes.tables_per_vpc;
                    (0..per).map(|i| 2 + (t - 2) * per + i).collect()
                };
                for s in members {
                    associated += 1;
                    associations.push(json!({"Main": false, "RouteTableAssociationId": format!("rtbassoc-{table}-{s}"), "RouteTableId": table, "SubnetId": subnet_id(s), "AssociationState": {"State": "associated"}}));
                }
            }
            tables.push(json!({"RouteTableId": table, "VpcId": vpc, "OwnerId": ACCOUNT, "Associations": associations, "Routes": routes, "PropagatingVgws": [], "Tags": []}));
        }
        let _ = associated;
        let group_ids: Vec<String> = (0..sizes.groups_per_vpc).map(|g| format!("sg-{:017x}", v * sizes.groups_per_vpc + g)).collect();
        for (g, group) in group_ids.iter().enumerate() {
            let egress = if g % 7 == 3 {
                json!([{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": cidr}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}])
            } else {
                json!([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}])
            };
            groups.push(json!({"GroupId": group, "GroupName": format!("g{g}"), "VpcId": vpc, "OwnerId": ACCOUNT, "Description": "bench",
                "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": cidr}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}],
                "IpPermissionsEgress": egress}));
        }
        let entries = json!([
            {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": true, "CidrBlock": "0.0.0.0/0"},
            {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": true, "CidrBlock": "0.0.0.0/0"},
            {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0"},
            {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": false, "CidrBlock": "0.0.0.0/0"}]);
        let associations: Vec<Value> = (0..sizes.subnets_per_vpc).map(|s| json!({"NetworkAclAssociationId": format!("aclassoc-{v}-{s}"), "NetworkAclId": format!("acl-{v:017x}"), "SubnetId": subnet_id(s)})).collect();
        acls.push(json!({"NetworkAclId": format!("acl-{v:017x}"), "VpcId": vpc, "IsDefault": true, "OwnerId": ACCOUNT, "Associations": associations, "Entries": entries}));
        // one node per subnet
        for s in 0..sizes.subnets_per_vpc {
            let index = v * sizes.subnets_per_vpc + s;
            let instance = format!("i-{index:017x}");
            let ip = format!("{a}.{b}.{s}.20");
            let dns = format!("ip-{a}-{b}-{s}-20.ec2.internal");
            reservations.push(json!({"ReservationId": format!("r-{index:017x}"), "OwnerId": ACCOUNT, "Instances": [{
                "InstanceId": instance, "ImageId": "ami-0123456789abcdef0", "InstanceType": "m6i.large", "VpcId": vpc, "SubnetId": subnet_id(s),
                "PrivateIpAddress": ip, "PrivateDnsName": dns, "Architecture": "x86_64", "State": {"Code": 16, "Name": "running"},
                "Placement": {"AvailabilityZone": zones[s % 3]},
                "SecurityGroups": [{"GroupId": group_ids[rng.below(group_ids.len() as u64) as usize], "GroupName": "g"}],
                "IamInstanceProfile": {"Arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/nodes"), "Id": "AIPAEXAMPLE"}}]}));
            nodes.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": dns, "labels": {"topology.kubernetes.io/zone": zones[s % 3], "kubernetes.io/arch": "amd64"}, "creationTimestamp": "2026-01-01T00:00:00Z"},
                "spec": {"providerID": format!("aws:///{}/{instance}", zones[s % 3])},
                "status": {"addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": dns}],
                    "conditions": [{"type": "Ready", "status": "True"}, {"type": "DiskPressure", "status": "False"}],
                    "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.22", "kubeletVersion": "v1.31.2"}}}));
            instance_ids.push(instance);
        }
    }
    // pods and events
    let (mut pods, mut events) = (vec![], vec![]);
    for p in 0..sizes.pods {
        let node = &nodes[rng.below(nodes.len() as u64) as usize]["metadata"]["name"];
        let failing = p < sizes.failing;
        let name = format!("app-{p:06}");
        let image = format!("{REGISTRY}/team/app:{}", p % 50);
        let state = if failing {
            json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image}\"")}})
        } else {
            json!({"running": {"startedAt": "2026-01-02T00:00:00Z"}})
        };
        pods.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": format!("ns-{}", p % 40), "uid": format!("uid-{p}"), "creationTimestamp": "2026-01-02T00:00:00Z"},
            "spec": {"nodeName": node, "serviceAccountName": "default", "containers": [{"name": "app", "image": image, "imagePullPolicy": "IfNotPresent"}]},
            "status": {"phase": if failing { "Pending" } else { "Running" }, "containerStatuses": [{"name": "app", "image": image, "imageID": "", "ready": !failing, "restartCount": 0, "state": state}]}}));
        if failing {
            events.push(json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": format!("{name}.1"), "namespace": format!("ns-{}", p % 40)},
                "involvedObject": {"kind": "Pod", "name": name, "namespace": format!("ns-{}", p % 40), "fieldPath": "spec.containers{app}"},
                "reason": "Failed", "type": "Warning", "count": 7, "firstTimestamp": "2026-01-03T00:00:00Z", "lastTimestamp": "2026-01-03T01:00:00Z",
                "source": {"component": "kubelet", "host": node},
                "message": format!("Failed to pull image \"{image}\": rpc error: code = Unknown desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": failed to do request: Head \"https://{REGISTRY}/v2/team/app/manifests/1\": dial tcp 3.225.170.43:443: i/o timeout")}));
        }
    }
    let mut bytes = 0;
    bytes += write_chunks(dir, "vpcs", "Vpcs", vpcs)?;
    // one `describe-vpc-attribute` file per VPC and attribute, as the README's loop writes them
    let attribute_dir = dir.join("vpc-attributes");
    std::fs::create_dir_all(&attribute_dir)?;
    for (vpc, attribute) in attributes {
        let text = serde_json::to_string_pretty(&json!({"VpcId": vpc, attribute: {"Value": true}}))?;
        bytes += text.len();
        std::fs::write(attribute_dir.join(format!("{vpc}-{attribute}.json")), text)?;
    }
    bytes += write_chunks(dir, "subnets", "Subnets", subnets)?;
    bytes += write_chunks(dir, "route-tables", "RouteTables", tables)?;
    bytes += write_chunks(dir, "nat-gateways", "NatGateways", nats)?;
    bytes += write_chunks(dir, "internet-gateways", "InternetGateways", igws)?;
    bytes += write_chunks(dir, "security-groups", "SecurityGroups", groups)?;
    bytes += write_chunks(dir, "network-acls", "NetworkAcls", acls)?;
    bytes += write_chunks(dir, "instances", "Reservations", reservations)?;
    bytes += write_chunks(dir, "vpc-endpoints", "VpcEndpoints", vec![])?;
    bytes += write_list(dir, "nodes", nodes)?;
    bytes += write_list(dir, "pods", pods)?;
    bytes += write_list(dir, "events", events)?;
    Ok((bytes, instance_ids))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Every JSON file of `from` (and its folders) as a YAML file in `to`; returns the bytes written.
fn write_yaml_copy(from: &Path, to: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(to)?;
    let mut bytes = 0;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        if path.is_dir() {
            bytes += write_yaml_copy(&path, &to.join(path.file_name().unwrap_or_default()))?;
            continue;
        }
        let value: Value = serde_json::from_slice(&std::fs::read(&path)?)?;
        let text = serde_saphyr::to_string(&value).map_err(std::io::Error::other)?;
        bytes += text.len();
        std::fs::write(to.join(path.with_extension("yaml").file_name().unwrap_or_default()), text)?;
    }
    Ok(bytes)
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn main() {
    let mut scale = 1.0f64;
    let mut keep: Option<PathBuf> = None;
    let mut cluster_sizes: Option<Vec<usize>> = None;
    let mut events_per_pod: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scale" => scale = args.next().and_then(|s| s.parse().ok()).expect("--scale NUMBER"),
            "--keep" => keep = args.next().map(PathBuf::from),
            "--measure-cluster" => {
                cluster::measure(&PathBuf::from(args.next().expect("--measure-cluster DIR")));
                return;
            }
            "--cluster" => {
                let sizes: Vec<usize> = args
                    .next()
                    .map(|s| s.split(',').filter_map(|n| n.trim().replace('_', "").parse().ok()).collect())
                    .filter(|v: &Vec<usize>| !v.is_empty())
                    .expect("--cluster PODS[,PODS...]");
                let mut sizes = sizes;
                sizes.sort_unstable();
                cluster_sizes = Some(sizes);
            }
            "--events-per-pod" => events_per_pod = Some(args.next().and_then(|s| s.parse().ok()).expect("--events-per-pod NUMBER")),
            "--bench" => {} // passed by `cargo bench`-style runners
            other => {
                eprintln!(
                    "usage: pulldoctor-bench [--scale 1.0] [--keep DIR] | --cluster PODS[,PODS...] [--events-per-pod N] [--keep DIR]   (unknown argument `{other}`)"
                );
                std::process::exit(2);
            }
        }
    }
    if let Some(sizes) = cluster_sizes {
        cluster::run(&sizes, keep.as_deref(), events_per_pod);
        return;
    }
    let sizes = Sizes {
        vpcs: ((500.0 * scale) as usize).max(1),
        subnets_per_vpc: 40,
        tables_per_vpc: 10,
        routes_per_table: 20,
        groups_per_vpc: 10,
        pods: ((10_000.0 * scale) as usize).max(10),
        failing: ((2_000.0 * scale) as usize).max(2),
    };
    let dir = keep.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("pulldoctor-bench-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir);
    let started = Instant::now();
    let (bytes, instances) = generate(&dir, &sizes).expect("cannot write the synthetic bundle");
    let generated = started.elapsed();

    let started = Instant::now();
    let bundle = read_bundle(&dir, &Default::default()).expect("the synthetic bundle must read");
    let parse = started.elapsed();
    let model = &bundle.model;

    // the same files as YAML, read the same way (writing them is not timed)
    let yaml_dir = dir.with_extension("yaml");
    let yaml_bytes = write_yaml_copy(&dir, &yaml_dir).expect("cannot write the YAML copy");
    let started = Instant::now();
    let yaml_bundle = read_bundle(&yaml_dir, &Default::default()).expect("the YAML copy must read");
    let parse_yaml = started.elapsed();
    assert_eq!(yaml_bundle.model.pods.len(), model.pods.len(), "the YAML copy reads as the JSON");
    drop(yaml_bundle);
    let _ = std::fs::remove_dir_all(&yaml_dir);

    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let engine = Engine::new(model).with_threads(threads);
    let hosts = [
        REGISTRY.to_string(),
        "api.ecr.us-east-1.amazonaws.com".to_string(),
        "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com".to_string(),
    ];
    let queries: Vec<(Origin, Target)> = instances
        .iter()
        .flat_map(|instance| {
            hosts
                .iter()
                .map(move |host| (Origin::Instance(instance.clone()), Target { host: Some(host.clone()), port: 443, ..Target::default() }))
        })
        .collect();
    let built = started.elapsed();
    let results = engine.trace_all(&queries);
    let traced = started.elapsed();
    let _ = (built, traced);
    let mut verdicts = [0usize; 3];
    for result in results {
        verdicts[result.verdict as usize] += 1;
    }
    let sweep = started.elapsed();

    let started = Instant::now();
    let report = pulldoctor_diagnosis::diagnose(model, &pulldoctor_diagnosis::Options { threads, ..Default::default() });
    let diagnose = started.elapsed();

    // the seed example, end to end (read + diagnose), median of 20 runs
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rosa-ecr-main-route-table");
    let seed_runs: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            let bundle = read_bundle(&seed, &Default::default()).expect("the seed example must read");
            let report = pulldoctor_diagnosis::diagnose(&bundle.model, &Default::default());
            assert!(!report.causes.is_empty());
            started.elapsed()
        })
        .collect();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "estate: {} VPCs, {} subnets, {} route tables ({} routes each), {} instances/nodes, {} security groups, {} NAT gateways, {} pods ({} failing); {:.1} MB of JSON in {} files (generated in {})",
        model.vpcs.len(),
        model.subnets.len(),
        model.route_tables.len(),
        sizes.routes_per_table,
        model.instances.len(),
        model.security_groups.len(),
        model.nat_gateways.len(),
        model.pods.len(),
        sizes.failing,
        bytes as f64 / 1e6,
        bundle.files_read,
        ms(generated)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "| step | time |");
    let _ = writeln!(out, "|---|---|");
    let _ = writeln!(out, "| parse the bundle (read, detect, convert, index) | {} |", ms(parse));
    let _ = writeln!(
        out,
        "| trace every node to the registry, ECR API and S3 ({} paths: {} reachable, {} blocked, {} unknown) | {} |",
        instances.len() * 3,
        verdicts[0],
        verdicts[1],
        verdicts[2],
        ms(sweep)
    );
    let _ = writeln!(out, "| whole sweep: parse + trace | {} |", ms(parse + sweep));
    let _ = writeln!(out, "| parse the same bundle written as YAML ({:.1} MB) | {} |", yaml_bytes as f64 / 1e6, ms(parse_yaml));
    let _ = writeln!(
        out,
        "| diagnose the estate ({} failing pods, {} causes) | {} |",
        report.affected.len(),
        report.causes.len(),
        ms(diagnose)
    );
    let _ = writeln!(out, "| seed example: read + diagnose (median of 20) | {} |", ms(median(seed_runs)));
    print!("{out}");
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
