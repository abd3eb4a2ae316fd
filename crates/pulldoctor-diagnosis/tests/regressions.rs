//! Diagnoses that once went wrong on real-shaped input, kept right.

use std::path::{Path, PathBuf};

use pulldoctor_bundle::{FileError, ReadOptions, read_contents};

/// Every file of a scenario's bundle, plus extra `(name, bytes)` files.
fn read_with(scenario: &str, extra: &[(&str, &[u8])]) -> pulldoctor_model::Model {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios").join(scenario).join("bundle");
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else if entry.path().extension().is_some_and(|e| e == "json") {
                files.push((entry.path(), std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    files.extend(extra.iter().map(|(name, bytes)| (PathBuf::from(name), bytes.to_vec())));
    files.sort();
    read_contents(files.iter().map(|(p, b)| (p.as_path(), Ok::<&[u8], FileError>(b))), &ReadOptions::default()).unwrap().model
}

/// A ROSA node denied by an endpoint policy names its own role in the error: it had credentials.
/// Once live collection said "secrets read, none there" (an empty SecretList), the pull-secret
/// check blamed a missing secret above the endpoint policy.
#[test]
fn a_denial_naming_the_node_role_is_not_a_missing_secret() {
    let model = read_with("net-endpoint-policy-denied", &[("k8s/secrets.json", br#"{"apiVersion":"v1","kind":"SecretList","items":[]}"#)]);
    assert!(model.inputs.contains(&pulldoctor_model::InputKind::Secrets));
    let report = pulldoctor_diagnosis::diagnose(&model, &Default::default());
    let codes: Vec<&str> = report.causes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes.first(), Some(&"endpoint.policy-denied"), "{codes:?}");
    assert!(!codes.contains(&"pullsecret.missing"), "{codes:?}");
}

/// The VPC's DHCP options set, naming `servers`, as `aws ec2 describe-dhcp-options` prints it.
fn dhcp_options(id: &str, servers: &[&str]) -> Vec<u8> {
    let values: Vec<serde_json::Value> = servers.iter().map(|s| serde_json::json!({"Value": s})).collect();
    serde_json::to_vec(&serde_json::json!({"DhcpOptions": [{
        "DhcpOptionsId": id,
        "OwnerId": "111122223333",
        "DhcpConfigurations": [{"Key": "domain-name-servers", "Values": values}],
        "Tags": [],
    }]}))
    .unwrap()
}

/// enableDnsSupport off is a dead resolver only for nodes that ask it: with DHCP options naming
/// DNS servers of your own, names still resolve (through them) and the NAT path is open, so the
/// error must be explained otherwise, not by `dns.vpc-resolver-disabled`.
#[test]
fn a_disabled_vpc_resolver_does_not_matter_to_nodes_that_ask_other_servers() {
    let own = dhcp_options("dopt-0ed2d24891658c346", &["10.40.0.2", "10.40.0.3"]);
    let model = read_with("net-dns-vpc-resolver-disabled", &[("aws/describe-dhcp-options.json", &own)]);
    assert!(model.inputs.contains(&pulldoctor_model::InputKind::DhcpOptions));
    let report = pulldoctor_diagnosis::diagnose(&model, &Default::default());
    let codes: Vec<&str> = report.causes.iter().map(|c| c.code.as_str()).collect();
    assert!(!codes.contains(&"dns.vpc-resolver-disabled"), "{codes:?}");
    let dns = report.paths.iter().flat_map(|p| &p.result.hops).find(|h| h.kind == "dns").expect("a dns hop");
    assert!(dns.detail.contains("the nodes ask 10.40.0.2, 10.40.0.3"), "{}", dns.detail);
    // the same DHCP options naming the VPC resolver: the scenario's cause again
    let amazon = dhcp_options("dopt-0ed2d24891658c346", &["AmazonProvidedDNS"]);
    let model = read_with("net-dns-vpc-resolver-disabled", &[("aws/describe-dhcp-options.json", &amazon)]);
    let report = pulldoctor_diagnosis::diagnose(&model, &Default::default());
    assert_eq!(report.causes.first().map(|c| c.code.as_str()), Some("dns.vpc-resolver-disabled"));
}

/// With the corporate servers replaced by the VPC resolver, net-dns-custom-servers' endpoints
/// answer: the public address its errors dialled is then the node's own doing, and
/// `dns.custom-servers` must not be named.
#[test]
fn dhcp_options_naming_the_vpc_resolver_are_not_custom_servers() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios/net-dns-custom-servers/bundle/aws/describe-dhcp-options.json"),
    )
    .unwrap();
    let id = text.split("\"DhcpOptionsId\": \"").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_string();
    let amazon = dhcp_options(&id, &["AmazonProvidedDNS"]);
    let model = read_with("net-dns-custom-servers", &[("zz/describe-dhcp-options.json", &amazon)]);
    assert_eq!(model.dhcp_options[&id].custom_servers(), &[] as &[String]);
    let report = pulldoctor_diagnosis::diagnose(&model, &Default::default());
    let codes: Vec<&str> = report.causes.iter().map(|c| c.code.as_str()).collect();
    assert!(!codes.contains(&"dns.custom-servers"), "{codes:?}");
}
