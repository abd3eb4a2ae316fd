//! The bundle reader: a directory of plain `aws ... --output json` and `kubectl/oc get -o json`
//! outputs, read recursively, into one [`pulldoctor_model::Model`].
//!
//! Files are recognised by their content, never by their name (a user may well run
//! `aws ec2 describe-route-tables > x.json`). The one exception is
//! `aws ec2 get-managed-prefix-list-entries`, which prints no id: its file name must contain the
//! prefix-list id. Several files of the same call merge; the same object twice is one object; a
//! Kubernetes `List` of mixed kinds is split by kind.
//!
//! A JSON file of no recognised kind is skipped with a note (an error under `strict`). Malformed
//! JSON, or a recognised file whose fields have the wrong types, is an error that names the file
//! and the JSON path. The reader never panics on any input (the `fuzz/` targets hold it to that).

mod aws;
mod k8s;
mod secrets;
pub mod time;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use pulldoctor_model::{self as model, InputKind, Model};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use secrets::ecr_token_expiry;

/// How the reader treats what it does not recognise, and how large a file may be.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Unrecognised JSON files are errors, not notes.
    pub strict: bool,
    /// Files larger than this are refused with an error rather than read into memory.
    pub max_file_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { strict: false, max_file_bytes: 2 * 1024 * 1024 * 1024 }
    }
}

/// A file the reader passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub file: PathBuf,
    pub reason: String,
}

/// The model plus what the reader noticed on the way.
#[derive(Debug)]
pub struct Bundle {
    pub model: Model,
    pub files_read: usize,
    pub skipped: Vec<Skipped>,
    /// Things worth telling the user that are not errors (e.g. an attribute for a VPC the bundle
    /// does not list).
    pub notes: Vec<String>,
}

/// One problem with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: PathBuf,
    /// Where in the JSON, e.g. `RouteTables[0].Routes[2].DestinationCidrBlock`; empty for the file as a whole.
    pub json_path: String,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.json_path.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}: at `{}`: {}", self.file.display(), self.json_path, self.message)
        }
    }
}

/// Why a bundle could not be read: every bad file, so a user fixes them all in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("bundle directory `{0}` does not exist")]
    NotFound(PathBuf),
    #[error("`{0}` is not a directory (a bundle is a directory of JSON files)")]
    NotADirectory(PathBuf),
    #[error("cannot list `{path}`: {message}")]
    Walk { path: PathBuf, message: String },
    #[error("{}", list(.0))]
    Files(Vec<FileError>),
}

fn list(errors: &[FileError]) -> String {
    let shown: Vec<String> = errors.iter().take(20).map(ToString::to_string).collect();
    let mut out = format!(
        "{} file{} in the bundle could not be read:\n  {}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        shown.join("\n  ")
    );
    if errors.len() > 20 {
        out.push_str(&format!("\n  ... and {} more", errors.len() - 20));
    }
    out
}

/// Read every `*.json` file under `dir` (recursively) into a model. Files are parsed on all
/// cores; they are merged in path order, so the result does not depend on scheduling.
pub fn read_bundle(dir: &Path, options: &ReadOptions) -> Result<Bundle, ReadError> {
    if !dir.exists() {
        return Err(ReadError::NotFound(dir.to_path_buf()));
    }
    if !dir.is_dir() {
        return Err(ReadError::NotADirectory(dir.to_path_buf()));
    }
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parsed: Vec<(usize, Result<Parsed, FileError>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let position = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(file) = files.get(position) else {
                            break;
                        };
                        let result = read_file(file, options.max_file_bytes).and_then(|bytes| parse_file(file, &bytes));
                        done.push((position, result));
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().unwrap_or_default()).collect()
    });
    parsed.sort_by_key(|(position, _)| *position);
    fold(parsed.into_iter().map(|(position, result)| (files[position].as_path(), result)), options)
}

/// Read already-loaded files (used by the fuzz targets and tests; `read_bundle` does the same
/// from disk, in parallel).
pub fn read_contents<'a>(
    files: impl Iterator<Item = (&'a Path, Result<&'a [u8], FileError>)>,
    options: &ReadOptions,
) -> Result<Bundle, ReadError> {
    let parsed: Vec<(&Path, Result<Parsed, FileError>)> =
        files.map(|(file, bytes)| (file, bytes.and_then(|bytes| parse_file(file, bytes)))).collect();
    fold(parsed.into_iter(), options)
}

/// Merge parsed files, in order, into one model; collect every error.
fn fold<'a>(parsed: impl Iterator<Item = (&'a Path, Result<Parsed, FileError>)>, options: &ReadOptions) -> Result<Bundle, ReadError> {
    let mut builder = Builder::default();
    let mut errors = Vec::new();
    let mut files_read = 0;
    for (file, result) in parsed {
        files_read += 1;
        match result {
            Ok(Parsed::Unrecognised(reason)) if options.strict => errors.push(FileError {
                file: file.to_path_buf(),
                json_path: String::new(),
                message: format!("not a recognised kind ({reason}); --strict makes this an error"),
            }),
            Ok(Parsed::Unrecognised(reason)) => builder.skipped.push(Skipped { file: file.to_path_buf(), reason }),
            Ok(parsed) => builder.add(file, parsed),
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(ReadError::Files(errors));
    }
    Ok(builder.finish(files_read))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ReadError::Walk { path: dir.to_path_buf(), message: e.to_string() })?;
    for entry in entries {
        let entry = entry.map_err(|e| ReadError::Walk { path: dir.to_path_buf(), message: e.to_string() })?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| ReadError::Walk { path: path.clone(), message: e.to_string() })?;
        if file_type.is_dir() || (file_type.is_symlink() && path.is_dir()) {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("json")) {
            out.push(path);
        }
    }
    Ok(())
}

fn read_file(file: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let error = |message: String| FileError { file: file.to_path_buf(), json_path: String::new(), message };
    let size = std::fs::metadata(file).map_err(|e| error(format!("cannot read: {e}")))?.len();
    if size > limit {
        return Err(error(format!("is {size} bytes, more than the limit of {limit} bytes")));
    }
    std::fs::read(file).map_err(|e| error(format!("cannot read: {e}")))
}

/// What one file held.
enum Parsed {
    Vpcs(Vec<model::Vpc>),
    VpcAttribute {
        vpc_id: String,
        dns_support: Option<bool>,
        dns_hostnames: Option<bool>,
    },
    Subnets(Vec<model::Subnet>),
    RouteTables(Vec<model::RouteTable>),
    NatGateways(Vec<model::NatGateway>),
    InternetGateways(Vec<model::InternetGateway>, InputKind),
    VpcEndpoints(Vec<model::VpcEndpoint>),
    SecurityGroups(Vec<model::SecurityGroup>),
    NetworkAcls(Vec<model::NetworkAcl>),
    Instances(Vec<model::Instance>),
    NetworkInterfaces(Vec<model::NetworkInterface>),
    PrefixLists(Vec<model::PrefixList>, InputKind),
    Peering(Vec<model::PeeringConnection>),
    TransitGatewayAttachments(Vec<model::TransitGatewayAttachment>),
    Repositories(Vec<model::EcrRepository>),
    Images(Vec<model::EcrImage>),
    RepositoryPolicy(model::RepositoryPolicy),
    Iam(aws::AuthorizationDetails),
    TrailEvents(Vec<model::TrailEvent>),
    CallerIdentity(model::CallerIdentity),
    CollectionFailures(Vec<model::CollectionFailure>),
    /// The objects, the kinds skipped, and the kind a typed list (`SecretList`) says it holds:
    /// read even when empty ("no secret by that name exists" is an answer).
    Kubernetes(Vec<K8sObject>, Vec<String>, Option<InputKind>),
    Unrecognised(String),
}

enum K8sObject {
    Pod(model::Pod),
    Event(model::Event),
    Node(model::Node),
    ServiceAccount(model::ServiceAccount),
    Secret(model::SecretFacts),
    NetworkPolicy(model::NetworkPolicy),
    Namespace(model::Namespace),
    Proxy(model::ClusterProxy),
    ImagePolicy(model::ImagePolicy),
    Mirrors(Vec<model::MirrorRule>, InputKind),
}

fn typed<T: DeserializeOwned>(file: &Path, prefix: &str, value: &Value) -> Result<T, FileError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.path().to_string();
        let json_path = match (prefix.is_empty(), inner.as_str()) {
            (true, _) => inner.clone(),
            (false, ".") => prefix.to_string(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        FileError {
            file: file.to_path_buf(),
            json_path: if json_path == "." { String::new() } else { json_path },
            message: error.into_inner().to_string(),
        }
    })
}

fn parse_file(file: &Path, bytes: &[u8]) -> Result<Parsed, FileError> {
    let whole = |message: String| FileError { file: file.to_path_buf(), json_path: String::new(), message };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(whole("the file is empty (an interrupted command or a failed redirect?)".into()));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let what = if e.is_eof() { "the JSON ends early (truncated?)" } else { "not valid JSON" };
        whole(format!("{what}: line {}, column {}: {}", e.line(), e.column(), strip_position(&e.to_string())))
    })?;
    let Some(object) = value.as_object() else {
        return Ok(Parsed::Unrecognised(format!("top-level JSON is {}, not an object", kind_of(&value))));
    };
    let has = |key: &str| object.contains_key(key);
    let parsed = if has("kind") && (has("apiVersion") || has("items")) {
        parse_kubernetes(file, &value)?
    } else if has("Vpcs") {
        Parsed::Vpcs(typed::<aws::DescribeVpcs>(file, "", &value)?.vpcs.into_iter().map(Into::into).collect())
    } else if has("VpcId") && (has("EnableDnsSupport") || has("EnableDnsHostnames")) {
        let attribute: aws::VpcAttribute = typed(file, "", &value)?;
        Parsed::VpcAttribute {
            vpc_id: attribute.vpc_id,
            dns_support: attribute.enable_dns_support.map(|a| a.value),
            dns_hostnames: attribute.enable_dns_hostnames.map(|a| a.value),
        }
    } else if has("Subnets") {
        Parsed::Subnets(typed::<aws::DescribeSubnets>(file, "", &value)?.subnets.into_iter().map(Into::into).collect())
    } else if has("RouteTables") {
        Parsed::RouteTables(typed::<aws::DescribeRouteTables>(file, "", &value)?.route_tables.into_iter().map(Into::into).collect())
    } else if has("NatGateways") {
        Parsed::NatGateways(typed::<aws::DescribeNatGateways>(file, "", &value)?.nat_gateways.into_iter().map(Into::into).collect())
    } else if has("InternetGateways") {
        let list = typed::<aws::DescribeInternetGateways>(file, "", &value)?.internet_gateways;
        Parsed::InternetGateways(list.into_iter().map(Into::into).collect(), InputKind::InternetGateways)
    } else if has("EgressOnlyInternetGateways") {
        let list = typed::<aws::DescribeEgressOnlyInternetGateways>(file, "", &value)?.egress_only_internet_gateways;
        Parsed::InternetGateways(list.into_iter().map(Into::into).collect(), InputKind::EgressOnlyInternetGateways)
    } else if has("VpcEndpoints") {
        Parsed::VpcEndpoints(typed::<aws::DescribeVpcEndpoints>(file, "", &value)?.vpc_endpoints.into_iter().map(Into::into).collect())
    } else if has("SecurityGroups") {
        Parsed::SecurityGroups(
            typed::<aws::DescribeSecurityGroups>(file, "", &value)?.security_groups.into_iter().map(Into::into).collect(),
        )
    } else if has("NetworkAcls") {
        Parsed::NetworkAcls(typed::<aws::DescribeNetworkAcls>(file, "", &value)?.network_acls.into_iter().map(Into::into).collect())
    } else if has("Reservations") {
        let reservations = typed::<aws::DescribeInstances>(file, "", &value)?.reservations;
        Parsed::Instances(
            reservations
                .into_iter()
                .flat_map(|r| {
                    let owner = r.owner_id;
                    r.instances.into_iter().map(move |i| i.into_model(owner.clone()))
                })
                .collect(),
        )
    } else if has("NetworkInterfaces") {
        Parsed::NetworkInterfaces(
            typed::<aws::DescribeNetworkInterfaces>(file, "", &value)?.network_interfaces.into_iter().map(Into::into).collect(),
        )
    } else if has("PrefixLists") {
        let managed = object["PrefixLists"].as_array().and_then(|a| a.first()).and_then(Value::as_object).is_some_and(|first| {
            !first.contains_key("Cidrs")
                && (first.contains_key("AddressFamily") || first.contains_key("MaxEntries") || first.contains_key("PrefixListArn"))
        });
        let lists = typed::<aws::DescribePrefixLists>(file, "", &value)?.prefix_lists;
        let kind = if managed { InputKind::ManagedPrefixLists } else { InputKind::PrefixLists };
        Parsed::PrefixLists(
            lists.into_iter().map(|p| model::PrefixList { id: p.prefix_list_id, name: p.prefix_list_name, cidrs: p.cidrs }).collect(),
            kind,
        )
    } else if has("Entries") {
        let entries: aws::PrefixListEntries = typed(file, "", &value)?;
        let Some(id) = prefix_list_id_in_name(file) else {
            return Err(whole(
                "looks like `aws ec2 get-managed-prefix-list-entries` output, which prints no id: name the file after the prefix list (e.g. `pl-63a5400a.json`)".into(),
            ));
        };
        Parsed::PrefixLists(
            vec![model::PrefixList { id, name: None, cidrs: Some(entries.entries.into_iter().map(|e| e.cidr).collect()) }],
            InputKind::PrefixListEntries,
        )
    } else if has("VpcPeeringConnections") {
        Parsed::Peering(
            typed::<aws::DescribePeeringConnections>(file, "", &value)?.vpc_peering_connections.into_iter().map(Into::into).collect(),
        )
    } else if has("TransitGatewayAttachments") {
        Parsed::TransitGatewayAttachments(
            typed::<aws::DescribeTransitGatewayAttachments>(file, "", &value)?
                .transit_gateway_attachments
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    } else if has("repositories") {
        let repositories = typed::<aws::DescribeRepositories>(file, "", &value)?.repositories;
        let mut out = Vec::new();
        for (position, repository) in repositories.into_iter().enumerate() {
            let region = repository.repository_arn.split(':').nth(3).filter(|r| !r.is_empty()).map(str::to_string);
            let Some(region) = region else {
                return Err(FileError {
                    file: file.to_path_buf(),
                    json_path: format!("repositories[{position}].repositoryArn"),
                    message: format!("`{}` is not an ECR repository ARN", repository.repository_arn),
                });
            };
            out.push(model::EcrRepository {
                account: repository.registry_id,
                region,
                name: repository.repository_name,
                arn: repository.repository_arn,
                uri: repository.repository_uri,
                created_at: repository.created_at,
            });
        }
        Parsed::Repositories(out)
    } else if has("imageDetails") {
        let images = typed::<aws::DescribeImages>(file, "", &value)?.image_details;
        Parsed::Images(
            images
                .into_iter()
                .map(|i| model::EcrImage {
                    account: i.registry_id,
                    region: None,
                    repository: i.repository_name,
                    digest: i.image_digest,
                    tags: i.image_tags,
                    pushed_at: i.image_pushed_at,
                    manifest_media_type: i.image_manifest_media_type,
                    artifact_media_type: i.artifact_media_type,
                    size_bytes: i.image_size_in_bytes,
                })
                .collect(),
        )
    } else if has("policyText") && has("repositoryName") {
        let policy: aws::RepositoryPolicyOutput = typed(file, "", &value)?;
        Parsed::RepositoryPolicy(model::RepositoryPolicy {
            account: policy.registry_id,
            region: None,
            repository: policy.repository_name,
            policy_text: policy.policy_text,
        })
    } else if has("RoleDetailList") || (has("Policies") && has("UserDetailList")) {
        Parsed::Iam(typed(file, "", &value)?)
    } else if has("Events") && object["Events"].as_array().is_some_and(|events| events.iter().all(|e| e.get("EventId").is_some())) {
        Parsed::TrailEvents(typed::<aws::LookupEvents>(file, "", &value)?.events.into_iter().map(Into::into).collect())
    } else if has("PulldoctorCollectFailures") {
        let failures: CollectFailures = typed(file, "", &value)?;
        Parsed::CollectionFailures(
            failures
                .pulldoctor_collect_failures
                .into_iter()
                .map(|f| model::CollectionFailure { call: f.call, denied: f.denied, message: f.message })
                .collect(),
        )
    } else if has("Account") && has("Arn") && has("UserId") {
        let identity: aws::CallerIdentity = typed(file, "", &value)?;
        Parsed::CallerIdentity(model::CallerIdentity { account: identity.account, arn: identity.arn })
    } else {
        let mut keys: Vec<&str> = object.keys().map(String::as_str).take(5).collect();
        keys.sort_unstable();
        Parsed::Unrecognised(format!(
            "no recognised top-level key (found: {})",
            if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
        ))
    };
    Ok(parsed)
}

/// `collect-failures.json`, written by `pulldoctor collect` beside what it could read.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CollectFailures {
    pulldoctor_collect_failures: Vec<CollectFailure>,
}

#[derive(serde::Deserialize)]
struct CollectFailure {
    call: String,
    #[serde(default)]
    denied: bool,
    #[serde(default)]
    message: String,
}

/// serde_json appends " at line X column Y"; we print the position ourselves.
fn strip_position(message: &str) -> &str {
    message.rfind(" at line ").map(|i| &message[..i]).unwrap_or(message)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn prefix_list_id_in_name(file: &Path) -> Option<String> {
    let name = file.file_name()?.to_str()?;
    let start = name.find("pl-")?;
    let id: String = name[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    (id.len() > 3).then_some(id)
}

fn parse_kubernetes(file: &Path, value: &Value) -> Result<Parsed, FileError> {
    let list_kind = value.get("kind").and_then(Value::as_str).unwrap_or_default();
    let mut objects = Vec::new();
    let mut skipped_kinds = Vec::new();
    let mut listed = None;
    if let Some(items) = value.get("items") {
        let Some(items) = items.as_array() else {
            return Err(FileError {
                file: file.to_path_buf(),
                json_path: "items".into(),
                message: format!("expected an array, found {}", kind_of(items)),
            });
        };
        // `PodList` items carry no kind when they come straight from the API.
        let implied = list_kind.strip_suffix("List").filter(|k| !k.is_empty());
        listed = implied.and_then(input_of_kind);
        let list_api = value.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        for (position, item) in items.iter().enumerate() {
            let kind = item.get("kind").and_then(Value::as_str).or(implied).unwrap_or_default();
            let api = item.get("apiVersion").and_then(Value::as_str).unwrap_or(list_api);
            match parse_object(file, &format!("items[{position}]"), kind, api, item)? {
                Some(object) => objects.push(object),
                None => skipped_kinds.push(kind.to_string()),
            }
        }
    } else {
        let api = value.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        match parse_object(file, "", list_kind, api, value)? {
            Some(object) => objects.push(object),
            None => {
                return Ok(Parsed::Unrecognised(format!("Kubernetes kind `{list_kind}` ({api}) is not one pulldoctor reads")));
            }
        }
    }
    Ok(Parsed::Kubernetes(objects, skipped_kinds, listed))
}

/// The input a typed list of this kind is (what `kind: SecretList` from the API, or from
/// `pulldoctor collect`, holds even when it holds nothing).
fn input_of_kind(kind: &str) -> Option<InputKind> {
    Some(match kind {
        "Pod" => InputKind::Pods,
        "Event" => InputKind::Events,
        "Node" => InputKind::Nodes,
        "ServiceAccount" => InputKind::ServiceAccounts,
        "Secret" => InputKind::Secrets,
        "NetworkPolicy" => InputKind::NetworkPolicies,
        "Namespace" => InputKind::Namespaces,
        "ImageContentSourcePolicy" => InputKind::ImageContentSourcePolicies,
        "ImageDigestMirrorSet" | "ImageTagMirrorSet" => InputKind::ImageDigestMirrorSets,
        _ => return None,
    })
}

fn parse_object(file: &Path, at: &str, kind: &str, api: &str, value: &Value) -> Result<Option<K8sObject>, FileError> {
    let object = match (kind, api) {
        ("Pod", _) => typed::<k8s::Pod>(file, at, value)?.into_model().map(K8sObject::Pod),
        ("Event", _) => Some(K8sObject::Event(typed::<k8s::Event>(file, at, value)?.into())),
        ("Node", _) => typed::<k8s::Node>(file, at, value)?.into_model().map(K8sObject::Node),
        ("ServiceAccount", _) => {
            let account: k8s::ServiceAccount = typed(file, at, value)?;
            account.metadata.name.clone().map(|name| {
                K8sObject::ServiceAccount(model::ServiceAccount {
                    namespace: account.metadata.namespace.unwrap_or_else(|| "default".into()),
                    name,
                    image_pull_secrets: account.image_pull_secrets.into_iter().filter_map(|r| r.name).collect(),
                })
            })
        }
        ("Secret", _) => secrets::facts(typed(file, at, value)?).map(K8sObject::Secret),
        ("NetworkPolicy", _) => {
            let policy: k8s::NetworkPolicy = typed(file, at, value)?;
            policy.metadata.name.clone().map(|name| {
                K8sObject::NetworkPolicy(model::NetworkPolicy {
                    namespace: policy.metadata.namespace.unwrap_or_else(|| "default".into()),
                    name,
                    policy_types: policy.spec.policy_types,
                })
            })
        }
        ("Namespace", _) => {
            let namespace: k8s::Namespace = typed(file, at, value)?;
            namespace
                .metadata
                .name
                .map(|name| K8sObject::Namespace(model::Namespace { name, created: namespace.metadata.creation_timestamp }))
        }
        ("Proxy", api) if api.starts_with("config.openshift.io") => Some(K8sObject::Proxy(typed::<k8s::Proxy>(file, at, value)?.into())),
        ("Image", api) if api.starts_with("config.openshift.io") => {
            Some(K8sObject::ImagePolicy(typed::<k8s::ImageConfig>(file, at, value)?.into()))
        }
        ("ImageContentSourcePolicy", _) => {
            Some(K8sObject::Mirrors(typed::<k8s::MirrorSet>(file, at, value)?.into_rules(kind), InputKind::ImageContentSourcePolicies))
        }
        ("ImageDigestMirrorSet" | "ImageTagMirrorSet", _) => {
            Some(K8sObject::Mirrors(typed::<k8s::MirrorSet>(file, at, value)?.into_rules(kind), InputKind::ImageDigestMirrorSets))
        }
        _ => return Ok(None),
    };
    Ok(object)
}

#[derive(Default)]
struct Builder {
    model: Model,
    skipped: Vec<Skipped>,
    notes: Vec<String>,
    vpc_attributes: Vec<(String, Option<bool>, Option<bool>)>,
    skipped_kinds: BTreeMap<String, usize>,
    trail_event_ids: std::collections::HashSet<String>,
    network_policy_keys: std::collections::HashSet<(String, String)>,
}

fn merge<T>(map: &mut BTreeMap<String, T>, items: Vec<T>, key: impl Fn(&T) -> String) {
    for item in items {
        map.insert(key(&item), item);
    }
}

impl Builder {
    fn add(&mut self, file: &Path, parsed: Parsed) {
        let model = &mut self.model;
        let inputs = &mut model.inputs;
        match parsed {
            Parsed::Vpcs(list) => {
                inputs.insert(InputKind::Vpcs);
                merge(&mut model.vpcs, list, |v| v.id.clone());
            }
            Parsed::VpcAttribute { vpc_id, dns_support, dns_hostnames } => {
                if dns_support.is_some() {
                    inputs.insert(InputKind::VpcDnsSupport);
                }
                if dns_hostnames.is_some() {
                    inputs.insert(InputKind::VpcDnsHostnames);
                }
                self.vpc_attributes.push((vpc_id, dns_support, dns_hostnames));
            }
            Parsed::Subnets(list) => {
                inputs.insert(InputKind::Subnets);
                merge(&mut model.subnets, list, |s| s.id.clone());
            }
            Parsed::RouteTables(list) => {
                inputs.insert(InputKind::RouteTables);
                merge(&mut model.route_tables, list, |t| t.id.clone());
            }
            Parsed::NatGateways(list) => {
                inputs.insert(InputKind::NatGateways);
                merge(&mut model.nat_gateways, list, |n| n.id.clone());
            }
            Parsed::InternetGateways(list, kind) => {
                inputs.insert(kind);
                merge(&mut model.internet_gateways, list, |g| g.id.clone());
            }
            Parsed::VpcEndpoints(list) => {
                inputs.insert(InputKind::VpcEndpoints);
                merge(&mut model.vpc_endpoints, list, |e| e.id.clone());
            }
            Parsed::SecurityGroups(list) => {
                inputs.insert(InputKind::SecurityGroups);
                merge(&mut model.security_groups, list, |g| g.id.clone());
            }
            Parsed::NetworkAcls(list) => {
                inputs.insert(InputKind::NetworkAcls);
                merge(&mut model.network_acls, list, |a| a.id.clone());
            }
            Parsed::Instances(list) => {
                inputs.insert(InputKind::Instances);
                merge(&mut model.instances, list, |i| i.id.clone());
            }
            Parsed::NetworkInterfaces(list) => {
                inputs.insert(InputKind::NetworkInterfaces);
                merge(&mut model.network_interfaces, list, |i| i.id.clone());
            }
            Parsed::PrefixLists(list, kind) => {
                inputs.insert(kind);
                for list in list {
                    let entry = model.prefix_lists.entry(list.id.clone()).or_insert_with(|| model::PrefixList {
                        id: list.id.clone(),
                        name: None,
                        cidrs: None,
                    });
                    if list.name.is_some() {
                        entry.name = list.name;
                    }
                    if let Some(cidrs) = list.cidrs {
                        entry.cidrs = Some(cidrs);
                    }
                }
            }
            Parsed::Peering(list) => {
                inputs.insert(InputKind::PeeringConnections);
                merge(&mut model.peering_connections, list, |p| p.id.clone());
            }
            Parsed::TransitGatewayAttachments(list) => {
                inputs.insert(InputKind::TransitGatewayAttachments);
                merge(&mut model.transit_gateway_attachments, list, |a| a.id.clone());
            }
            Parsed::Repositories(list) => {
                inputs.insert(InputKind::EcrRepositories);
                merge(&mut model.ecr_repositories, list, |r| format!("{}/{}/{}", r.account, r.region, r.name));
            }
            Parsed::Images(list) => {
                inputs.insert(InputKind::EcrImages);
                for image in list {
                    let images = model.ecr_images.entry(format!("{}/{}", image.account, image.repository)).or_default();
                    if let Some(existing) = images.iter_mut().find(|i| i.digest == image.digest) {
                        *existing = image;
                    } else {
                        images.push(image);
                    }
                }
            }
            Parsed::RepositoryPolicy(policy) => {
                inputs.insert(InputKind::EcrRepositoryPolicy);
                model.repository_policies.insert(format!("{}/{}", policy.account, policy.repository), policy);
            }
            Parsed::Iam(details) => {
                inputs.insert(InputKind::IamAuthorizationDetails);
                self.add_iam(details);
            }
            Parsed::TrailEvents(list) => {
                inputs.insert(InputKind::CloudTrailEvents);
                for event in list {
                    if self.trail_event_ids.insert(event.id.clone()) {
                        model.trail_events.push(event);
                    }
                }
            }
            Parsed::CallerIdentity(identity) => {
                inputs.insert(InputKind::CallerIdentity);
                if !model.caller_identities.contains(&identity) {
                    model.caller_identities.push(identity);
                }
            }
            Parsed::CollectionFailures(failures) => model.collection_failures.extend(failures),
            Parsed::Kubernetes(objects, skipped_kinds, listed) => {
                if let Some(kind) = listed {
                    self.model.inputs.insert(kind);
                }
                for kind in skipped_kinds {
                    *self.skipped_kinds.entry(kind).or_default() += 1;
                }
                for object in objects {
                    self.add_kubernetes(object);
                }
            }
            Parsed::Unrecognised(reason) => self.skipped.push(Skipped { file: file.to_path_buf(), reason }),
        }
    }

    fn add_kubernetes(&mut self, object: K8sObject) {
        let model = &mut self.model;
        let inputs = &mut model.inputs;
        match object {
            K8sObject::Pod(pod) => {
                inputs.insert(InputKind::Pods);
                model.pods.insert(pod.key(), pod);
            }
            K8sObject::Event(event) => {
                inputs.insert(InputKind::Events);
                model.events.push(event);
            }
            K8sObject::Node(node) => {
                inputs.insert(InputKind::Nodes);
                model.nodes.insert(node.name.clone(), node);
            }
            K8sObject::ServiceAccount(account) => {
                inputs.insert(InputKind::ServiceAccounts);
                model.service_accounts.insert(format!("{}/{}", account.namespace, account.name), account);
            }
            K8sObject::Secret(secret) => {
                inputs.insert(InputKind::Secrets);
                model.secrets.insert(secret.key(), secret);
            }
            K8sObject::NetworkPolicy(policy) => {
                inputs.insert(InputKind::NetworkPolicies);
                if self.network_policy_keys.insert((policy.namespace.clone(), policy.name.clone())) {
                    model.network_policies.push(policy);
                }
            }
            K8sObject::Namespace(namespace) => {
                inputs.insert(InputKind::Namespaces);
                model.namespaces.insert(namespace.name.clone(), namespace);
            }
            K8sObject::Proxy(proxy) => {
                inputs.insert(InputKind::ClusterProxy);
                model.proxy = Some(proxy);
            }
            K8sObject::ImagePolicy(policy) => {
                inputs.insert(InputKind::ClusterImagePolicy);
                model.image_policy = Some(policy);
            }
            K8sObject::Mirrors(rules, kind) => {
                inputs.insert(kind);
                for rule in rules {
                    if !model.mirrors.contains(&rule) {
                        model.mirrors.push(rule);
                    }
                }
            }
        }
    }

    fn add_iam(&mut self, details: aws::AuthorizationDetails) {
        let model = &mut self.model;
        for role in details.role_detail_list {
            for profile in &role.instance_profile_list {
                model.instance_profiles.insert(
                    profile.arn.clone(),
                    model::InstanceProfile {
                        arn: profile.arn.clone(),
                        name: profile.instance_profile_name.clone(),
                        role_arns: profile.roles.iter().map(|r| r.arn.clone()).collect(),
                    },
                );
            }
            model.iam_roles.insert(
                role.arn.clone(),
                model::IamRole {
                    name: role.role_name,
                    instance_profile_arns: role.instance_profile_list.into_iter().map(|p| p.arn).collect(),
                    inline_policies: role
                        .role_policy_list
                        .into_iter()
                        .map(|p| model::InlinePolicy { name: p.policy_name, document: p.policy_document })
                        .collect(),
                    attached_policy_arns: role.attached_managed_policies.into_iter().map(|p| p.policy_arn).collect(),
                    arn: role.arn,
                },
            );
        }
        for policy in details.policies {
            let default_document = policy
                .policy_version_list
                .iter()
                .find(|v| v.is_default_version || (v.version_id.is_some() && v.version_id == policy.default_version_id))
                .and_then(|v| v.document.clone());
            model.managed_policies.insert(
                policy.arn.clone(),
                model::ManagedPolicy {
                    name: policy.policy_name.unwrap_or_else(|| policy.arn.rsplit('/').next().unwrap_or_default().to_string()),
                    arn: policy.arn,
                    default_document,
                },
            );
        }
    }

    fn finish(mut self, files_read: usize) -> Bundle {
        for (vpc_id, dns_support, dns_hostnames) in std::mem::take(&mut self.vpc_attributes) {
            match self.model.vpcs.get_mut(&vpc_id) {
                Some(vpc) => {
                    if dns_support.is_some() {
                        vpc.dns_support = dns_support;
                    }
                    if dns_hostnames.is_some() {
                        vpc.dns_hostnames = dns_hostnames;
                    }
                }
                None => self.notes.push(format!("a describe-vpc-attribute file is about {vpc_id}, which no describe-vpcs file lists")),
            }
        }
        for (kind, count) in &self.skipped_kinds {
            self.notes.push(format!(
                "skipped {count} Kubernetes object{} of kind `{kind}` (not used by pulldoctor)",
                if *count == 1 { "" } else { "s" }
            ));
        }
        self.model.events.sort_by(|a, b| (a.last_seen, &a.name).cmp(&(b.last_seen, &b.name)));
        self.model.events.dedup_by(|a, b| a.name.is_some() && a.name == b.name && a.namespace == b.namespace);
        self.model.build_index();
        Bundle { model: self.model, files_read, skipped: self.skipped, notes: self.notes }
    }
}
