//! Properties of the whole diagnosis on the seed example: the order of the input does not matter,
//! unrelated healthy resources do not matter, and removing the fault removes its finding.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use pulldoctor_bundle::{FileError, ReadOptions, read_contents};
use pulldoctor_diagnosis::{Options, diagnose};
use serde_json::{Value, json};

fn seed_files() -> Vec<(PathBuf, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rosa-ecr-main-route-table");
    let mut out = Vec::new();
    for dir in ["aws", "k8s"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
            out.push((PathBuf::from(dir).join(entry.file_name()), value));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn top(files: &[(PathBuf, Value)]) -> (String, Vec<String>) {
    let bytes: Vec<(PathBuf, Vec<u8>)> = files.iter().map(|(p, v)| (p.clone(), serde_json::to_vec(v).unwrap())).collect();
    let bundle = read_contents(bytes.iter().map(|(p, b)| (p.as_path(), Ok::<&[u8], FileError>(b))), &ReadOptions::default()).unwrap();
    let report = diagnose(&bundle.model, &Options::default());
    let cause = report.causes.first().map(|c| {
        (c.code.to_string(), {
            let mut r = c.resources.clone();
            r.sort();
            r
        })
    });
    cause.unwrap_or_default()
}

/// Permute every array in the value with a seeded rotation (cheap and order-changing).
fn permute(value: &mut Value, seed: u64) {
    match value {
        Value::Array(items) => {
            if items.len() > 1 {
                let by = (seed as usize) % items.len();
                items.rotate_left(by);
                if seed.is_multiple_of(2) {
                    items.reverse();
                }
            }
            for item in items {
                permute(item, seed / 3 + 1);
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                permute(item, seed / 5 + 7);
            }
        }
        _ => {}
    }
}

fn find_mut<'a>(files: &'a mut [(PathBuf, Value)], key: &str) -> &'a mut Value {
    &mut files.iter_mut().find(|(_, v)| v.get(key).is_some()).unwrap_or_else(|| panic!("no file with {key}")).1
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn input_order_does_not_change_the_top_cause(seed in any::<u64>(), reverse_files in any::<bool>()) {
        let original = seed_files();
        let expected = top(&original);
        let mut shuffled = original.clone();
        for (_, value) in &mut shuffled {
            permute(value, seed);
        }
        if reverse_files {
            shuffled.reverse();
        }
        prop_assert_eq!(top(&shuffled), expected);
    }

    #[test]
    fn unrelated_healthy_subnets_do_not_change_the_top_cause(extra in 1usize..40) {
        let original = seed_files();
        let expected = top(&original);
        let mut files = original.clone();
        // New subnets, each explicitly associated with the working private table.
        let subnets = find_mut(&mut files, "Subnets")["Subnets"].as_array_mut().unwrap();
        for i in 0..extra {
            subnets.push(json!({"SubnetId": format!("subnet-healthy{i:09}"), "VpcId": "vpc-075da49e833c3ce06", "CidrBlock": format!("10.0.{}.0/24", 200 + (i % 50)), "AvailabilityZone": "us-east-1a"}));
        }
        let tables = find_mut(&mut files, "RouteTables")["RouteTables"].as_array_mut().unwrap();
        let private = tables.iter_mut().find(|t| t["RouteTableId"] == "rtb-02eb0e56a2969fb0a").unwrap();
        for i in 0..extra {
            private["Associations"].as_array_mut().unwrap().push(json!({"Main": false, "SubnetId": format!("subnet-healthy{i:09}"), "RouteTableId": "rtb-02eb0e56a2969fb0a", "AssociationState": {"State": "associated"}}));
        }
        prop_assert_eq!(top(&files), expected);
    }
}

#[test]
fn removing_the_fault_removes_its_finding() {
    let mut files = seed_files();
    assert_eq!(top(&files).0, "route.no-route");
    let tables = find_mut(&mut files, "RouteTables")["RouteTables"].as_array_mut().unwrap();
    let main = tables.iter_mut().find(|t| t["RouteTableId"] == "rtb-04d162c9e2b6a4cbd").unwrap();
    main["Routes"].as_array_mut().unwrap().push(
        json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-01d1f2b5f9a3b8d14", "Origin": "CreateRoute", "State": "active"}),
    );
    let bytes: Vec<(PathBuf, Vec<u8>)> = files.iter().map(|(p, v)| (p.clone(), serde_json::to_vec(v).unwrap())).collect();
    let bundle = read_contents(bytes.iter().map(|(p, b)| (p.as_path(), Ok::<&[u8], FileError>(b))), &ReadOptions::default()).unwrap();
    let report = diagnose(&bundle.model, &Options::default());
    assert!(
        report.causes.iter().all(|c| c.layer != pulldoctor_diagnosis::report::Layer::Network),
        "{:?}",
        report.causes.iter().map(|c| c.code).collect::<Vec<_>>()
    );
    // and the path is reported as working
    assert!(report.ruled_out.iter().any(|r| r.check.starts_with("network path to 818140567777.dkr.ecr")), "{:?}", report.ruled_out);
}

#[test]
fn an_ecr_secret_without_a_readable_expiry_falls_back_to_its_age() {
    use base64::Engine;
    let mut files = seed_files();
    // Replace harness-delegate-ng/regcred with an ECR credential whose password is opaque, written 20 hours before the failure.
    let config =
        json!({"auths": {"818140567777.dkr.ecr.us-east-1.amazonaws.com": {"username": "AWS", "password": "opaque-token-without-expiry"}}});
    let data = base64::engine::general_purpose::STANDARD.encode(config.to_string());
    for (_, value) in files.iter_mut() {
        let Some(items) = value.get_mut("items").and_then(|i| i.as_array_mut()) else { continue };
        for item in items
            .iter_mut()
            .filter(|i| i["kind"] == "Secret" && i["metadata"]["name"] == "regcred" && i["metadata"]["namespace"] == "harness-delegate-ng")
        {
            item["data"][".dockerconfigjson"] = json!(data);
            item["metadata"]["creationTimestamp"] = json!("2025-08-24T15:00:00Z");
        }
    }
    let bytes: Vec<(PathBuf, Vec<u8>)> = files.iter().map(|(p, v)| (p.clone(), serde_json::to_vec(v).unwrap())).collect();
    let bundle = read_contents(bytes.iter().map(|(p, b)| (p.as_path(), Ok::<&[u8], FileError>(b))), &ReadOptions::default()).unwrap();
    let report = diagnose(&bundle.model, &Options::default());
    let text = serde_json::to_string(&report).unwrap();
    assert!(text.contains("estimated as 12 hours after the secret was written"), "no age-based expiry in the report");
    assert!(!text.contains("opaque-token-without-expiry"));
}

#[test]
fn aws_files_from_another_account_are_a_gap_never_health() {
    // The seed's cluster files with another scenario's AWS files (account 111122223333).
    let mut files: Vec<(PathBuf, Value)> = seed_files().into_iter().filter(|(p, _)| p.starts_with("k8s")).collect();
    let other = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios/net-route-no-route/bundle/aws");
    for entry in std::fs::read_dir(other).unwrap().flatten() {
        files.push((PathBuf::from("aws").join(entry.file_name()), serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap()));
    }
    let bytes: Vec<(PathBuf, Vec<u8>)> = files.iter().map(|(p, v)| (p.clone(), serde_json::to_vec(v).unwrap())).collect();
    let bundle = read_contents(bytes.iter().map(|(p, b)| (p.as_path(), Ok::<&[u8], FileError>(b))), &ReadOptions::default()).unwrap();
    let report = diagnose(&bundle.model, &Options::default());
    assert!(!report.affected.is_empty());
    assert!(
        report.causes.iter().all(|c| c.layer != pulldoctor_diagnosis::report::Layer::Network),
        "a network cause from the wrong account's data"
    );
    assert!(!report.ruled_out.iter().any(|r| r.check.starts_with("network path")), "a path was cleared with the wrong account's data");
    let gap = report.gaps.iter().find(|g| g.what == "the network path of every failing node").expect("the account mismatch is a gap");
    assert!(gap.why.contains("111122223333") && gap.why.contains("818140567777"), "{}", gap.why);
}

#[test]
fn a_denied_collection_call_is_a_gap() {
    let mut files = seed_files();
    files.retain(|(p, v)| !(p.starts_with("aws") && v.get("NatGateways").is_some()));
    files.push((
        PathBuf::from("collect-failures.json"),
        json!({"PulldoctorCollectFailures": [{"call": "ec2:DescribeNatGateways", "denied": true, "message": "UnauthorizedOperation"}]}),
    ));
    let bytes: Vec<(PathBuf, Vec<u8>)> = files.iter().map(|(p, v)| (p.clone(), serde_json::to_vec(v).unwrap())).collect();
    let bundle = read_contents(bytes.iter().map(|(p, b)| (p.as_path(), Ok::<&[u8], FileError>(b))), &ReadOptions::default()).unwrap();
    let report = diagnose(&bundle.model, &Options::default());
    let gap = report.gaps.iter().find(|g| g.what == "ec2:DescribeNatGateways during collection").expect("the denied call is a gap");
    assert!(gap.why.contains("add `ec2:DescribeNatGateways`"), "{}", gap.why);
}
