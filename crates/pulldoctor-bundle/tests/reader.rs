//! The reader against every recognised kind (genuine CLI shapes in `fixtures/reader/`), against
//! odd file names and layouts, and against bad input: it must name the file and the JSON path,
//! and never panic.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use pulldoctor_bundle::{FileError, ReadError, ReadOptions, read_contents};
use pulldoctor_model::InputKind;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/reader").canonicalize().unwrap()
}

fn read_one(name: &str, bytes: &[u8]) -> Result<pulldoctor_bundle::Bundle, ReadError> {
    let path = PathBuf::from(name);
    read_contents(std::iter::once((path.as_path(), Ok::<&[u8], FileError>(bytes))), &ReadOptions::default())
}

fn read_one_strict(name: &str, bytes: &[u8]) -> Result<pulldoctor_bundle::Bundle, ReadError> {
    let path = PathBuf::from(name);
    read_contents(std::iter::once((path.as_path(), Ok::<&[u8], FileError>(bytes))), &ReadOptions { strict: true, ..Default::default() })
}

/// Every fixture file, sorted by name (the bundle crate does no I/O: the test reads them).
fn fixture_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures()).unwrap().flatten().map(|e| e.path()).collect();
    names.retain(|p| p.extension().is_some_and(|e| e == "json"));
    names.sort();
    names.into_iter().map(|path| (path.clone(), std::fs::read(&path).unwrap())).collect()
}

fn read_all(files: &[(PathBuf, Vec<u8>)], options: &ReadOptions) -> Result<pulldoctor_bundle::Bundle, ReadError> {
    read_contents(files.iter().map(|(path, bytes)| (path.as_path(), Ok::<&[u8], FileError>(bytes))), options)
}

fn file_errors(error: ReadError) -> Vec<FileError> {
    let ReadError::Files(errors) = error;
    errors
}

/// Each fixture, alone, yields exactly the input kind(s) named here.
#[test]
fn every_recognised_kind() {
    for (name, kinds) in KINDS {
        let path = fixtures().join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let bundle = read_one(name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: Vec<InputKind> = bundle.model.inputs.iter().copied().collect();
        assert_eq!(got, kinds.to_vec(), "{name}");
        assert!(bundle.skipped.is_empty(), "{name} skipped: {:?}", bundle.skipped);
        assert!(bundle.model.unreadable_files.is_empty(), "{name}: {:?}", bundle.model.unreadable_files);
    }
}

/// Each fixture cut short (the last tenth lost, as an interrupted redirect leaves it) is an
/// unreadable file that seems to be the kind the whole file is (where its beginning shows it),
/// and that kind is not present.
#[test]
fn a_cut_file_seems_to_be_its_kind() {
    let mut wrong = Vec::new();
    for (name, kinds) in KINDS {
        let bytes = std::fs::read(fixtures().join(name)).unwrap();
        let model = read_one(name, &bytes[..bytes.len() * 9 / 10]).unwrap().model;
        let [record] = &model.unreadable_files[..] else { panic!("{name}: {:?}", model.unreadable_files) };
        // kubectl prints a single object's keys in order: a Secret's `kind` comes after its
        // `data`, so a cut inside the data leaves nothing that says "Secret"
        let expected = if *name == "k8s-secret-dockerconfigjson.json" { None } else { Some(kinds[0]) };
        if record.seems != expected {
            wrong.push(format!("{name}: {:?}", record.seems));
        }
        assert!(model.inputs.is_empty(), "{name}: {:?}", model.inputs);
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

use InputKind::*;
const KINDS: &[(&str, &[InputKind])] = &[
    ("ec2-describe-vpcs.json", &[Vpcs]),
    ("ec2-describe-vpc-attribute-enableDnsSupport.json", &[VpcDnsSupport]),
    ("ec2-describe-vpc-attribute-enableDnsHostnames.json", &[VpcDnsHostnames]),
    ("ec2-describe-dhcp-options.json", &[DhcpOptions]),
    ("ec2-describe-subnets.json", &[Subnets]),
    ("ec2-describe-route-tables.json", &[RouteTables]),
    ("ec2-describe-nat-gateways.json", &[NatGateways]),
    ("ec2-describe-internet-gateways.json", &[InternetGateways]),
    ("ec2-describe-egress-only-internet-gateways.json", &[EgressOnlyInternetGateways]),
    ("ec2-describe-vpc-endpoints.json", &[VpcEndpoints]),
    ("ec2-describe-security-groups.json", &[SecurityGroups]),
    ("ec2-describe-network-acls.json", &[NetworkAcls]),
    ("ec2-describe-instances.json", &[Instances]),
    ("ec2-describe-network-interfaces.json", &[NetworkInterfaces]),
    ("ec2-describe-prefix-lists.json", &[PrefixLists]),
    ("ec2-describe-managed-prefix-lists.json", &[ManagedPrefixLists]),
    ("ec2-get-managed-prefix-list-entries-pl-63a5400a.json", &[PrefixListEntries]),
    ("ec2-describe-vpc-peering-connections.json", &[PeeringConnections]),
    ("ec2-describe-transit-gateway-attachments.json", &[TransitGatewayAttachments]),
    ("ecr-describe-repositories.json", &[EcrRepositories]),
    ("ecr-describe-images.json", &[EcrImages]),
    ("ecr-describe-images-cli-v1.json", &[EcrImages]),
    ("ecr-get-repository-policy.json", &[EcrRepositoryPolicy]),
    ("iam-get-account-authorization-details.json", &[IamAuthorizationDetails]),
    ("cloudtrail-lookup-events.json", &[CloudTrailEvents]),
    ("sts-get-caller-identity.json", &[CallerIdentity]),
    ("k8s-pods.json", &[Pods]),
    ("k8s-events.json", &[Events]),
    ("k8s-events-events.k8s.io.json", &[Events]),
    ("k8s-nodes.json", &[Nodes]),
    ("k8s-serviceaccounts.json", &[ServiceAccounts]),
    ("k8s-secret-dockerconfigjson.json", &[Secrets]),
    ("k8s-secret-dockercfg.json", &[Secrets]),
    ("k8s-networkpolicies.json", &[NetworkPolicies]),
    ("k8s-namespaces.json", &[Namespaces]),
    ("openshift-proxy.json", &[ClusterProxy]),
    ("openshift-image-config.json", &[ClusterImagePolicy]),
    ("openshift-imagecontentsourcepolicies.json", &[ImageContentSourcePolicies]),
    ("openshift-imagedigestmirrorsets.json", &[ImageDigestMirrorSets]),
    ("pulldoctor-probe.json", &[ProbeResults]),
];

#[test]
fn the_whole_fixture_folder_reads_and_relates() {
    let bundle = read_all(&fixture_files(), &ReadOptions { strict: true, ..Default::default() }).unwrap();
    let model = &bundle.model;
    assert!(!model.pods.is_empty() && !model.nodes.is_empty() && !model.route_tables.is_empty());
    // every node with an aws providerID resolves to an instance of the bundle
    for node in model.nodes.values().filter(|n| n.instance_id.is_some()) {
        assert!(model.node_instance(node).is_some(), "node {} has no instance", node.name);
    }
    // every subnet has an effective route table
    for subnet in model.subnets.keys() {
        assert!(model.effective_route_table(subnet).is_some(), "{subnet} has no route table");
    }
    // prefix-list entries were attached by file name
    assert!(model.prefix_lists.get("pl-63a5400a").and_then(|p| p.cidrs.as_ref()).is_some_and(|c| !c.is_empty()));
}

#[test]
fn the_mixed_list_is_split_by_kind() {
    let bytes = std::fs::read(fixtures().join("k8s-list-mixed.json")).unwrap();
    let bundle = read_one("whatever.json", &bytes).unwrap();
    assert!(bundle.model.inputs.len() >= 2, "{:?}", bundle.model.inputs);
}

#[test]
fn content_not_names_decides() {
    let files = [
        (PathBuf::from("x.json"), std::fs::read(fixtures().join("ec2-describe-route-tables.json")).unwrap()),
        (PathBuf::from("deep/er/ROUTES.JSON"), std::fs::read(fixtures().join("k8s-pods.json")).unwrap()),
    ];
    let bundle = read_all(&files, &ReadOptions::default()).unwrap();
    assert!(bundle.model.inputs.contains(&InputKind::RouteTables));
    assert!(bundle.model.inputs.contains(&InputKind::Pods));
    assert!(!bundle.model.inputs.contains(&InputKind::Subnets));
    assert_eq!(bundle.files_read, 2);
}

/// Parsing on several threads merges in the order given: the same model as on one thread.
#[test]
fn threads_do_not_change_the_model() {
    let files = fixture_files();
    let read = |threads: usize| {
        let options = ReadOptions { threads: std::num::NonZeroUsize::new(threads).unwrap(), ..Default::default() };
        format!("{:?}", read_all(&files, &options).unwrap())
    };
    let one = read(1);
    assert_eq!(one, read(3));
    assert_eq!(one, read(64));
}

#[test]
fn pages_merge_and_duplicates_are_one_object() {
    let one = br#"{"Subnets":[{"SubnetId":"subnet-1","VpcId":"vpc-1","CidrBlock":"10.0.0.0/24"}]}"#;
    let two = br#"{"Subnets":[{"SubnetId":"subnet-2","VpcId":"vpc-1","CidrBlock":"10.0.1.0/24"},{"SubnetId":"subnet-1","VpcId":"vpc-1","CidrBlock":"10.0.0.0/24"}],"NextToken":"abc"}"#;
    let files = [(PathBuf::from("a.json"), &one[..]), (PathBuf::from("b.json"), &two[..])];
    let bundle = read_contents(files.iter().map(|(p, b)| (p.as_path(), Ok(*b))), &ReadOptions::default()).unwrap();
    assert_eq!(bundle.model.subnets.len(), 2);
}

/// Under `strict`, an error naming the file, the path and what is wrong; otherwise the same as a
/// record of an unreadable file in a model that still reads.
fn check_error(name: &str, bytes: &[u8], path_contains: &str, message_contains: &str) {
    let errors = file_errors(read_one_strict(name, bytes).err().unwrap_or_else(|| panic!("{name}: expected an error")));
    let error = &errors[0];
    assert_eq!(error.file, PathBuf::from(name));
    assert!(error.json_path.contains(path_contains), "{name}: path `{}` lacks `{path_contains}`", error.json_path);
    assert!(error.message.contains(message_contains), "{name}: message `{}` lacks `{message_contains}`", error.message);
    assert!(error.to_string().starts_with(name), "{error}");
    let bundle = read_one(name, bytes).unwrap_or_else(|e| panic!("{name}: without --strict it must read: {e}"));
    let [record] = &bundle.model.unreadable_files[..] else { panic!("{name}: {:?}", bundle.model.unreadable_files) };
    assert_eq!((record.file.as_str(), &record.json_path, &record.message), (name, &error.json_path, &error.message));
    assert_eq!(record.to_string(), error.to_string());
}

#[test]
fn bad_input_names_the_file_and_the_path() {
    check_error("truncated.json", br#"{"RouteTables": [{"RouteTableId": "rtb-1", "#, "", "truncated");
    check_error("garbage.json", b"{not json", "", "not valid JSON");
    check_error("empty.json", b"  \n", "", "empty");
    check_error(
        "wrong-type.json",
        br#"{"RouteTables":[{"RouteTableId":"rtb-1","VpcId":"vpc-1","Routes":[{"DestinationCidrBlock":42,"GatewayId":"local"}]}]}"#,
        "RouteTables[0].Routes[0].DestinationCidrBlock",
        "",
    );
    check_error("bad-cidr.json", br#"{"Subnets":[{"SubnetId":"s","VpcId":"v","CidrBlock":"10.0.0.0/99"}]}"#, "Subnets[0].CidrBlock", "");
    check_error("missing-id.json", br#"{"Vpcs":[{"CidrBlock":"10.0.0.0/16"}]}"#, "Vpcs[0]", "VpcId");
    check_error("k8s.json", br#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":"oops"}}]}"#, "items[0].spec.containers", "");
    check_error(
        "bad-time.json",
        br#"{"apiVersion":"v1","kind":"Event","metadata":{"name":"e"},"lastTimestamp":"yesterday"}"#,
        "lastTimestamp",
        "not a timestamp",
    );
    check_error("entries.json", br#"{"Entries":[{"Cidr":"10.0.0.0/8"}]}"#, "", "pl-63a5400a.json");
}

/// What an unreadable file seems to be is recorded and does not count as present; the rest of
/// the bundle reads.
#[test]
fn an_unreadable_file_is_a_record_and_its_kind_is_not_present() {
    let subnets = std::fs::read(fixtures().join("ec2-describe-subnets.json")).unwrap();
    let tables = std::fs::read(fixtures().join("ec2-describe-route-tables.json")).unwrap();
    let cut = &tables[..tables.len() / 2];
    let pods = std::fs::read(fixtures().join("k8s-pods.json")).unwrap();
    let files = [
        (PathBuf::from("aws/route-tables.json"), cut.to_vec()),
        (PathBuf::from("aws/subnets.json"), subnets.clone()),
        (PathBuf::from("k8s/pods.json"), pods[..pods.len() / 3].to_vec()),
        (PathBuf::from("k8s/garbage.json"), b"not json at all".to_vec()),
    ];
    let bundle = read_all(&files, &ReadOptions::default()).unwrap();
    let model = &bundle.model;
    let records: Vec<(&str, Option<InputKind>)> = model.unreadable_files.iter().map(|f| (f.file.as_str(), f.seems)).collect();
    assert_eq!(
        records,
        vec![("aws/route-tables.json", Some(InputKind::RouteTables)), ("k8s/pods.json", Some(InputKind::Pods)), ("k8s/garbage.json", None)]
    );
    assert!(model.unreadable_files[0].message.contains("truncated") && model.unreadable_files[0].message.contains("line "));
    assert_eq!(model.inputs.iter().copied().collect::<Vec<_>>(), vec![InputKind::Subnets]);
    assert!(model.route_tables.is_empty() && !model.subnets.is_empty());
    assert_eq!(bundle.files_read, 4);

    // A second, whole route-table file: its tables are read, but the kind stays incomplete.
    let mut files = files.to_vec();
    files.push((PathBuf::from("aws/route-tables-2.json"), tables.clone()));
    let model = read_all(&files, &ReadOptions::default()).unwrap().model;
    assert!(!model.route_tables.is_empty());
    assert!(!model.inputs.contains(&InputKind::RouteTables));

    // Under --strict each of them is an error naming its file.
    let errors = file_errors(read_all(&files, &ReadOptions { strict: true, ..Default::default() }).unwrap_err());
    let named: Vec<&Path> = errors.iter().map(|e| e.file.as_path()).collect();
    assert_eq!(named, vec![Path::new("aws/route-tables.json"), Path::new("k8s/pods.json"), Path::new("k8s/garbage.json")]);
}

#[test]
fn unknown_json_is_skipped_or_an_error_under_strict() {
    let bytes = br#"{"Something": []}"#;
    let bundle = read_one("other.json", bytes).unwrap();
    assert_eq!(bundle.skipped.len(), 1);
    assert!(bundle.skipped[0].reason.contains("Something"));
    let path = PathBuf::from("other.json");
    let strict = read_contents(std::iter::once((path.as_path(), Ok(&bytes[..]))), &ReadOptions { strict: true, ..Default::default() });
    assert!(file_errors(strict.unwrap_err())[0].message.contains("--strict"));
    // unknown Kubernetes kinds inside a list are a note
    let list = br#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"}}]}"#;
    assert!(read_one("deploy.json", list).unwrap().notes.iter().any(|n| n.contains("Deployment")));
}

/// A file the caller could not read arrives as its error, which names it, and the rest still reads.
#[test]
fn a_file_the_caller_could_not_read_keeps_its_error() {
    let subnets = std::fs::read(fixtures().join("ec2-describe-subnets.json")).unwrap();
    let refused = FileError::whole("big.json", "is 99 bytes, more than the limit of 10 bytes");
    let files = [(Path::new("big.json"), Err(refused.clone())), (Path::new("s.json"), Ok(&subnets[..]))];
    let errors = file_errors(read_contents(files.clone(), &ReadOptions { strict: true, ..Default::default() }).unwrap_err());
    assert_eq!(errors, vec![refused.clone()]);
    let model = read_contents(files, &ReadOptions::default()).unwrap().model;
    assert_eq!(model.unreadable_files.len(), 1);
    assert_eq!((model.unreadable_files[0].to_string(), model.unreadable_files[0].seems), (refused.to_string(), None));
    assert!(model.inputs.contains(&InputKind::Subnets));
}

#[test]
fn secrets_never_reach_the_model() {
    for name in ["k8s-secret-dockerconfigjson.json", "k8s-secret-dockercfg.json"] {
        let bytes = std::fs::read(fixtures().join(name)).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let bundle = read_one(name, &bytes).unwrap();
        let dump = format!("{:?}{}", bundle.model, serde_json::to_string(&bundle.model).unwrap());
        // every base64 data value and every decoded password/auth must be absent
        let mut secrets = Vec::new();
        collect_secret_strings(&value, &mut secrets);
        assert!(!secrets.is_empty(), "{name}: no secret values found to check");
        for secret in secrets {
            assert!(!dump.contains(&secret), "{name}: a secret value reached the model");
        }
    }
}

fn collect_secret_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    use base64::Engine;
    let items = value.get("items").and_then(|i| i.as_array()).cloned().unwrap_or_else(|| vec![value.clone()]);
    for item in items {
        for data in item.get("data").and_then(|d| d.as_object()).into_iter().flat_map(|d| d.values()) {
            let Some(encoded) = data.as_str() else { continue };
            out.push(encoded.to_string());
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else { continue };
            let Ok(config) = serde_json::from_slice::<serde_json::Value>(&decoded) else { continue };
            let auths = config.get("auths").cloned().unwrap_or(config);
            for entry in auths.as_object().into_iter().flat_map(|a| a.values()) {
                for field in ["password", "auth", "identitytoken"] {
                    if let Some(text) = entry.get(field).and_then(|v| v.as_str()).filter(|t| t.len() > 8) {
                        out.push(text.to_string());
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic, an error always names the file, and so does an unreadable record.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        names_the_file("fuzz.json", &bytes)?;
    }

    /// Every fixture cut at any byte is an error naming the file (or, rarely, still valid JSON), never a
    /// panic; a cut after the first key still says what the file is.
    #[test]
    fn truncated_fixtures_never_panic(index in 0usize..40, cut in 0.0f64..1.0) {
        let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures()).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
        names.sort();
        let file = &names[index % names.len()];
        let bytes = std::fs::read(file).unwrap();
        let end = ((bytes.len() as f64) * cut) as usize;
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        names_the_file(&name, &bytes[..end])?;
    }

    /// Replacing any JSON value of a fixture with a value of another type never panics.
    #[test]
    fn type_flips_never_panic(index in 0usize..40, seed in any::<u64>(), replacement in prop_oneof![Just(serde_json::json!(null)), Just(serde_json::json!(7)), Just(serde_json::json!("x")), Just(serde_json::json!([])), Just(serde_json::json!({}))]) {
        let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures()).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
        names.sort();
        let file = &names[index % names.len()];
        let mut value: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let mut count = 0u64;
        flip(&mut value, seed, &mut count, &replacement);
        let bytes = serde_json::to_vec(&value).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let _ = read_one(&name, &bytes);
    }
}

/// Strict: every error names the file. Not strict: the bundle reads, and every unreadable record
/// names the file.
fn names_the_file(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Err(ReadError::Files(errors)) = read_one_strict(name, bytes) {
        prop_assert!(errors.iter().all(|e| e.file == Path::new(name)));
    }
    let bundle = read_one(name, bytes).map_err(|e| TestCaseError::fail(format!("not strict, yet: {e}")))?;
    prop_assert!(bundle.model.unreadable_files.iter().all(|f| f.file == name));
    Ok(())
}

/// Replace the `seed % n`-th node (in a pre-order walk) with `replacement`.
fn flip(value: &mut serde_json::Value, seed: u64, count: &mut u64, replacement: &serde_json::Value) -> bool {
    *count += 1;
    if seed % 97 == *count % 97 && *count > 1 {
        *value = replacement.clone();
        return true;
    }
    match value {
        serde_json::Value::Array(items) => items.iter_mut().any(|v| flip(v, seed, count, replacement)),
        serde_json::Value::Object(map) => map.values_mut().any(|v| flip(v, seed, count, replacement)),
        _ => false,
    }
}

#[test]
fn collection_failures_are_read() {
    let bytes = br#"{"PulldoctorCollectFailures": [{"call": "ec2:DescribeNatGateways", "denied": true, "message": "UnauthorizedOperation: You are not authorized"}]}"#;
    let bundle = read_one("collect-failures.json", bytes).unwrap();
    assert_eq!(bundle.model.collection_failures.len(), 1);
    assert!(bundle.model.collection_failures[0].denied);
}

/// moto prints managed policies without `PolicyName` (AWS always prints it): the name is the end
/// of the ARN, and the file still reads instead of failing the whole bundle.
#[test]
fn a_managed_policy_without_its_name_takes_it_from_the_arn() {
    let file = br#"{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [],
        "Policies": [{"Arn": "arn:aws:iam::111122223333:policy/team/node-pull", "DefaultVersionId": "v1",
                      "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": []}, "VersionId": "v1", "IsDefaultVersion": true}]}]}"#;
    let bundle = read_one("iam.json", file).unwrap();
    let policy = &bundle.model.managed_policies["arn:aws:iam::111122223333:policy/team/node-pull"];
    assert_eq!(policy.name, "node-pull");
}

/// An empty typed list (`SecretList`, as the API answers and `pulldoctor collect` writes) was
/// read and found empty; an empty untyped `List` (what `kubectl get` prints) says nothing.
#[test]
fn an_empty_typed_list_is_an_answer() {
    let typed = read_one("secrets.json", br#"{"apiVersion": "v1", "kind": "SecretList", "items": [], "metadata": {}}"#).unwrap();
    assert!(typed.model.inputs.contains(&pulldoctor_model::InputKind::Secrets));
    let untyped = read_one("secrets.json", br#"{"apiVersion": "v1", "kind": "List", "items": [], "metadata": {}}"#).unwrap();
    assert!(!untyped.model.inputs.contains(&pulldoctor_model::InputKind::Secrets));
}

/// A probe document (`pulldoctor probe -o FILE`) is recognised by its `kind`, not as a
/// Kubernetes object, and its observations reach the model; several in a `PulldoctorProbeList`
/// read the same.
#[test]
fn probe_documents_are_observations() {
    use pulldoctor_model::probe::{ConnectOutcome, HostRole, ProbeMode, StepName, StepStatus};
    let bytes = std::fs::read(fixtures().join("pulldoctor-probe.json")).unwrap();
    let model = read_one_strict("anything.json", &bytes).unwrap().model;
    let [run] = &model.probes[..] else { panic!("{:?}", model.probes) };
    assert_eq!((run.node.as_deref(), run.mode, run.file.as_str()), (Some("vm"), ProbeMode::Local, "anything.json"));
    assert_eq!(run.registry, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
    assert!(run.passed() && run.step(StepName::Blob) == StepStatus::Passed);
    let registry = run.connections.iter().find(|c| c.role == HostRole::Registry).unwrap();
    assert_eq!((registry.outcome, registry.address.port()), (ConnectOutcome::Connected, 443));
    assert!(registry.source.is_some(), "the address the node sent from");
    assert!(run.requests.iter().any(|r| r.status == Some(200) && r.url.contains("/blobs/")), "{:?}", run.requests);

    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let list = serde_json::json!({"kind": "PulldoctorProbeList", "apiVersion": "pulldoctor/v1", "items": [value.clone(), value]});
    let model = read_one_strict("probes.json", list.to_string().as_bytes()).unwrap().model;
    assert_eq!(model.probes.len(), 2);
    assert!(model.inputs.contains(&InputKind::ProbeResults));
}

#[test]
fn a_broken_probe_document_names_the_file_and_field() {
    let bytes = std::fs::read(fixtures().join("pulldoctor-probe.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    value["steps"][1]["connections"][0]["outcome"] = "teleported".into();
    check_error("probe.json", value.to_string().as_bytes(), "steps[1].connections[0].outcome", "unknown variant `teleported`");
    value["apiVersion"] = "pulldoctor/v9".into();
    check_error("probe.json", value.to_string().as_bytes(), "apiVersion", "reads `pulldoctor/v1`");
}
