//! Parsing: a file's bytes, once `format` has said how they are written (JSON, YAML, a journal)
//! and `detect` what they are, into typed wire shapes (`aws.rs`, `k8s.rs`) and from those into
//! model objects. YAML becomes the same JSON values first, so both formats share detection,
//! typed parsing and errors. Every error names the file and the JSON path (or line and column).

use std::path::Path;

use pulldoctor_model::{self as model, InputKind};
use std::io::Read;

use serde_json::Value;

use crate::detect::{Detected, detect, input_of_kind, seeming_kind, seeming_kind_of_value, seeming_kind_yaml};
use crate::error::FileError;
use crate::format::{Format, HEAD_BYTES, format_of};
use crate::object::{Objects, implied_kind, is_read_kind, parse_items, parse_object, typed};
use crate::stream::{Body, Items, Top};
use crate::{aws, journal, probe, stream, yaml};

/// What one file held.
pub(crate) enum Parsed {
    Vpcs(Vec<model::Vpc>),
    VpcAttribute {
        vpc_id: String,
        dns_support: Option<bool>,
        dns_hostnames: Option<bool>,
    },
    DhcpOptions(Vec<model::DhcpOptions>),
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
    Probes(Vec<model::ProbeRun>),
    CollectedAt(Option<chrono::DateTime<chrono::Utc>>),
    /// The objects, the kinds skipped, and the kind a typed list (`SecretList`) says it holds:
    /// read even when empty ("no secret by that name exists" is an answer).
    Kubernetes(Objects, Vec<String>, Option<InputKind>),
    /// A node's journal: the pull errors it records (none is an answer too).
    NodeLog(journal::Journal),
    /// A YAML stream of several documents, each what a file could be.
    Several(Vec<Parsed>),
    Unrecognised(String),
}

/// A file that could not be read: the error (naming it) and the input it seems to be.
#[derive(Debug)]
pub(crate) struct Unreadable {
    pub(crate) error: FileError,
    pub(crate) seems: Option<InputKind>,
}

/// One file's bytes into what it holds. An error comes with the kind the file seems to be, from
/// its beginning when it does not parse, from its top-level keys when a field is wrong.
pub(crate) fn parse_file(file: &Path, bytes: &[u8]) -> Result<Parsed, Unreadable> {
    let whole = |message: String| FileError { file: file.to_path_buf(), json_path: String::new(), message };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        let error = whole("the file is empty (an interrupted command or a failed redirect?)".into());
        return Err(Unreadable { error, seems: None });
    }
    match format_of(file, bytes) {
        Ok(Format::Json) => parse_json(file, Body::Bytes(bytes)),
        Ok(Format::Yaml) => parse_yaml(file, bytes),
        Ok(Format::Journal) => match journal::parse(file, bytes) {
            Ok(journal) => Ok(Parsed::NodeLog(journal)),
            Err(message) => Err(Unreadable { error: whole(message), seems: Some(InputKind::NodeLogs) }),
        },
        Err(pass_over) => Ok(Parsed::Unrecognised(pass_over.describe().to_string())),
    }
}

/// A file given as a reader: JSON is parsed as it is read; YAML and journals are read whole
/// first (they are not the big files of a bundle).
pub(crate) fn parse_reader(file: &Path, mut reader: Box<dyn Read + Send + '_>) -> Result<Parsed, Unreadable> {
    let whole = |message: String| FileError { file: file.to_path_buf(), json_path: String::new(), message };
    let cannot = |e: std::io::Error| Unreadable { error: whole(format!("cannot read: {e}")), seems: None };
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut reader).take(HEAD_BYTES as u64).read_to_end(&mut head).map_err(cannot)?;
    if head.len() < HEAD_BYTES || !matches!(format_of(file, &head), Ok(Format::Json)) || head.iter().all(u8::is_ascii_whitespace) {
        reader.read_to_end(&mut head).map_err(cannot)?;
        return parse_file(file, &head);
    }
    parse_json(file, Body::Reader(Box::new(std::io::Cursor::new(head).chain(reader))))
}

fn parse_json(file: &Path, body: Body<'_>) -> Result<Parsed, Unreadable> {
    parse_json_chunked(file, body, stream::CHUNK)
}

/// [`parse_json`], reading a reader `chunk` bytes at a time.
pub(crate) fn parse_json_chunked(file: &Path, body: Body<'_>, chunk: usize) -> Result<Parsed, Unreadable> {
    let top = stream::read_chunked(file, body, chunk)
        .map_err(|failure| Unreadable { seems: seeming_kind(&failure.head), error: failure.error })?;
    let (mut object, items) = match top {
        Top::Other(value) => return parse_value(file, &value).map_err(|error| Unreadable { error, seems: seeming_kind_of_value(&value) }),
        Top::Object { map, items: None } => {
            let value = Value::Object(map);
            return parse_value(file, &value).map_err(|error| Unreadable { error, seems: seeming_kind_of_value(&value) });
        }
        Top::Object { map, items: Some(items) } => (map, items),
    };
    let Items { mut objects, first_object, mut skipped, pending } = items;
    object.insert("items".into(), Value::Array(Vec::new()));
    if detect(&object) != Some(Detected::Kubernetes) {
        // not a Kubernetes list after all (pulldoctor's probe list, or a stray `items` key):
        // read as a whole value, which holds only the items kept as values
        if let Some(position) = first_object {
            let error = FileError {
                file: file.to_path_buf(),
                json_path: format!("items[{position}]"),
                message: "a Kubernetes object in a file that is not a Kubernetes list".into(),
            };
            return Err(Unreadable { error, seems: seeming_kind_of_value(&Value::Object(object)) });
        }
        object.insert("items".into(), Value::Array(pending.into_iter().map(|(_, item)| item).collect()));
        let value = Value::Object(object);
        return parse_value(file, &value).map_err(|error| Unreadable { error, seems: seeming_kind_of_value(&value) });
    }
    let list_kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
    // `PodList` items carry no kind when they come straight from the API.
    let implied = implied_kind(list_kind);
    let listed = implied.and_then(input_of_kind);
    let list_api = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let pending = pending.iter().map(|(position, item)| (*position, item));
    if let Err(error) = parse_items(file, pending, implied, list_api, &mut objects, &mut skipped) {
        return Err(Unreadable { error, seems: seeming_kind_of_value(&Value::Object(object)) });
    }
    Ok(Parsed::Kubernetes(objects, skipped, listed))
}

/// How JSON was read before `stream`: as one tree of the whole file (the tests hold the stream
/// to the same outcome on every fixture, cut and damaged).
#[cfg(test)]
pub(crate) fn parse_json_whole(file: &Path, bytes: &[u8]) -> Result<Parsed, Unreadable> {
    let whole = |message: String| FileError { file: file.to_path_buf(), json_path: String::new(), message };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let what = if e.is_eof() { "the JSON ends early (truncated?)" } else { "not valid JSON" };
        let error = whole(format!("{what}: line {}, column {}: {}", e.line(), e.column(), stream::strip_position(&e.to_string())));
        Unreadable { error, seems: seeming_kind(bytes) }
    })?;
    parse_value(file, &value).map_err(|error| Unreadable { error, seems: seeming_kind_of_value(&value) })
}

/// A YAML file: one document is read like a JSON file; a stream (`---`) document by document,
/// its errors naming the document.
fn parse_yaml(file: &Path, bytes: &[u8]) -> Result<Parsed, Unreadable> {
    let whole = |message: String| FileError { file: file.to_path_buf(), json_path: String::new(), message };
    // a must-gather's CRDs, config maps, deployments: counted, not parsed, with the same outcome
    // as parsing them
    match yaml::unread_kind(bytes, is_read_kind) {
        Some((kind, _, Some(objects))) => return Ok(Parsed::Kubernetes(Objects::default(), vec![kind; objects], None)),
        Some((kind, api, None)) => {
            return Ok(Parsed::Unrecognised(format!("Kubernetes kind `{kind}` ({api}) is not one pulldoctor reads")));
        }
        None => {}
    }
    let documents = yaml::documents(bytes).map_err(|message| Unreadable { error: whole(message), seems: seeming_kind_yaml(bytes) })?;
    let several = documents.len() > 1;
    let mut parsed = Vec::with_capacity(documents.len());
    for (position, value) in documents.iter().enumerate() {
        let in_document = |mut error: FileError| {
            if several {
                let at = if error.json_path.is_empty() { String::new() } else { format!(", {}", error.json_path) };
                error.json_path = format!("document {}{at}", position + 1);
            }
            Unreadable { error, seems: seeming_kind_of_value(value) }
        };
        if let Some(cut) = cut_kubernetes_list(value) {
            return Err(in_document(whole(cut)));
        }
        parsed.push(parse_value(file, value).map_err(in_document)?);
    }
    match parsed.len() {
        0 => Err(Unreadable { error: whole("the file holds no YAML document".into()), seems: None }),
        1 => Ok(parsed.pop().unwrap_or(Parsed::Unrecognised(String::new()))),
        _ => Ok(Parsed::Several(parsed)),
    }
}

/// YAML has no closing bracket, so a cut file may still parse. `kubectl get -o yaml` prints a
/// list's `kind` after its `items`: a list with items but without `kind` was cut short.
fn cut_kubernetes_list(value: &Value) -> Option<String> {
    let object = value.as_object()?;
    let cut = object.contains_key("items") && object.contains_key("apiVersion") && !object.contains_key("kind");
    cut.then(|| {
        "a Kubernetes list without its closing `kind:` line (kubectl prints it after the items): the file seems cut short".to_string()
    })
}

fn parse_value(file: &Path, value: &Value) -> Result<Parsed, FileError> {
    let whole = |message: String| FileError { file: file.to_path_buf(), json_path: String::new(), message };
    let Some(object) = value.as_object() else {
        return Ok(Parsed::Unrecognised(format!("top-level JSON is {}, not an object", kind_of(value))));
    };
    let Some(detected) = detect(object) else {
        let mut keys: Vec<&str> = object.keys().map(String::as_str).take(5).collect();
        keys.sort_unstable();
        return Ok(Parsed::Unrecognised(format!(
            "no recognised top-level key (found: {})",
            if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
        )));
    };
    let parsed = match detected {
        Detected::Kubernetes => parse_kubernetes(file, value)?,
        Detected::Vpcs => Parsed::Vpcs(typed::<aws::DescribeVpcs>(file, "", value)?.vpcs.into_iter().map(Into::into).collect()),
        Detected::DhcpOptions => {
            Parsed::DhcpOptions(typed::<aws::DescribeDhcpOptions>(file, "", value)?.dhcp_options.into_iter().map(Into::into).collect())
        }
        Detected::VpcAttribute => {
            let attribute: aws::VpcAttribute = typed(file, "", value)?;
            Parsed::VpcAttribute {
                vpc_id: attribute.vpc_id,
                dns_support: attribute.enable_dns_support.map(|a| a.value),
                dns_hostnames: attribute.enable_dns_hostnames.map(|a| a.value),
            }
        }
        Detected::Subnets => Parsed::Subnets(typed::<aws::DescribeSubnets>(file, "", value)?.subnets.into_iter().map(Into::into).collect()),
        Detected::RouteTables => {
            Parsed::RouteTables(typed::<aws::DescribeRouteTables>(file, "", value)?.route_tables.into_iter().map(Into::into).collect())
        }
        Detected::NatGateways => {
            Parsed::NatGateways(typed::<aws::DescribeNatGateways>(file, "", value)?.nat_gateways.into_iter().map(Into::into).collect())
        }
        Detected::InternetGateways => {
            let list = typed::<aws::DescribeInternetGateways>(file, "", value)?.internet_gateways;
            Parsed::InternetGateways(list.into_iter().map(Into::into).collect(), InputKind::InternetGateways)
        }
        Detected::EgressOnlyInternetGateways => {
            let list = typed::<aws::DescribeEgressOnlyInternetGateways>(file, "", value)?.egress_only_internet_gateways;
            Parsed::InternetGateways(list.into_iter().map(Into::into).collect(), InputKind::EgressOnlyInternetGateways)
        }
        Detected::VpcEndpoints => {
            Parsed::VpcEndpoints(typed::<aws::DescribeVpcEndpoints>(file, "", value)?.vpc_endpoints.into_iter().map(Into::into).collect())
        }
        Detected::SecurityGroups => Parsed::SecurityGroups(
            typed::<aws::DescribeSecurityGroups>(file, "", value)?.security_groups.into_iter().map(Into::into).collect(),
        ),
        Detected::NetworkAcls => {
            Parsed::NetworkAcls(typed::<aws::DescribeNetworkAcls>(file, "", value)?.network_acls.into_iter().map(Into::into).collect())
        }
        Detected::Instances => {
            let reservations = typed::<aws::DescribeInstances>(file, "", value)?.reservations;
            Parsed::Instances(
                reservations
                    .into_iter()
                    .flat_map(|r| {
                        let owner = r.owner_id;
                        r.instances.into_iter().map(move |i| i.into_model(owner.clone()))
                    })
                    .collect(),
            )
        }
        Detected::NetworkInterfaces => Parsed::NetworkInterfaces(
            typed::<aws::DescribeNetworkInterfaces>(file, "", value)?.network_interfaces.into_iter().map(Into::into).collect(),
        ),
        Detected::PrefixLists => {
            let managed = object["PrefixLists"].as_array().and_then(|a| a.first()).and_then(Value::as_object).is_some_and(|first| {
                !first.contains_key("Cidrs")
                    && (first.contains_key("AddressFamily") || first.contains_key("MaxEntries") || first.contains_key("PrefixListArn"))
            });
            let lists = typed::<aws::DescribePrefixLists>(file, "", value)?.prefix_lists;
            let kind = if managed { InputKind::ManagedPrefixLists } else { InputKind::PrefixLists };
            Parsed::PrefixLists(
                lists.into_iter().map(|p| model::PrefixList { id: p.prefix_list_id, name: p.prefix_list_name, cidrs: p.cidrs }).collect(),
                kind,
            )
        }
        Detected::PrefixListEntries => {
            let entries: aws::PrefixListEntries = typed(file, "", value)?;
            let Some(id) = prefix_list_id_in_name(file) else {
                return Err(whole(
                "looks like `aws ec2 get-managed-prefix-list-entries` output, which prints no id: name the file after the prefix list (e.g. `pl-63a5400a.json`)".into(),
            ));
            };
            Parsed::PrefixLists(
                vec![model::PrefixList { id, name: None, cidrs: Some(entries.entries.into_iter().map(|e| e.cidr).collect()) }],
                InputKind::PrefixListEntries,
            )
        }
        Detected::PeeringConnections => Parsed::Peering(
            typed::<aws::DescribePeeringConnections>(file, "", value)?.vpc_peering_connections.into_iter().map(Into::into).collect(),
        ),
        Detected::TransitGatewayAttachments => Parsed::TransitGatewayAttachments(
            typed::<aws::DescribeTransitGatewayAttachments>(file, "", value)?
                .transit_gateway_attachments
                .into_iter()
                .map(Into::into)
                .collect(),
        ),
        Detected::EcrRepositories => {
            let repositories = typed::<aws::DescribeRepositories>(file, "", value)?.repositories;
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
        }
        Detected::EcrImages => {
            let images = typed::<aws::DescribeImages>(file, "", value)?.image_details;
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
        }
        Detected::EcrRepositoryPolicy => {
            let policy: aws::RepositoryPolicyOutput = typed(file, "", value)?;
            Parsed::RepositoryPolicy(model::RepositoryPolicy {
                account: policy.registry_id,
                region: None,
                repository: policy.repository_name,
                policy_text: policy.policy_text,
            })
        }
        Detected::IamAuthorizationDetails => Parsed::Iam(typed(file, "", value)?),
        Detected::CloudTrailEvents => {
            Parsed::TrailEvents(typed::<aws::LookupEvents>(file, "", value)?.events.into_iter().map(Into::into).collect())
        }
        Detected::CollectFailures => {
            let failures: CollectFailures = typed(file, "", value)?;
            Parsed::CollectionFailures(
                failures
                    .pulldoctor_collect_failures
                    .into_iter()
                    .map(|f| model::CollectionFailure { call: f.call, denied: f.denied, message: f.message, detail: f.detail })
                    .collect(),
            )
        }
        Detected::Probe | Detected::ProbeList => {
            let api = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
            if api != "pulldoctor/v1" {
                return Err(FileError {
                    file: file.to_path_buf(),
                    json_path: "apiVersion".into(),
                    message: format!("a pulldoctor probe document of apiVersion `{api}`: this pulldoctor reads `pulldoctor/v1`"),
                });
            }
            let name = file.display().to_string();
            let probes = if detected == Detected::Probe {
                vec![typed::<probe::Probe>(file, "", value)?]
            } else {
                typed::<probe::ProbeList>(file, "", value)?.items
            };
            Parsed::Probes(probes.into_iter().map(|p| p.into_model(&name)).collect())
        }
        Detected::CollectInfo => Parsed::CollectedAt(typed::<CollectInfo>(file, "", value)?.pulldoctor_collect.collected_at),
        Detected::CallerIdentity => {
            let identity: aws::CallerIdentity = typed(file, "", value)?;
            Parsed::CallerIdentity(model::CallerIdentity { account: identity.account, arn: identity.arn })
        }
    };
    Ok(parsed)
}

/// `pulldoctor-collect.json`, written by `pulldoctor collect`: `{"PulldoctorCollect": {"collected_at": ...}}`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CollectInfo {
    pulldoctor_collect: CollectInfoBody,
}

#[derive(serde::Deserialize)]
struct CollectInfoBody {
    #[serde(default)]
    collected_at: Option<chrono::DateTime<chrono::Utc>>,
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
    #[serde(default)]
    detail: Option<String>,
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
    let mut objects = Objects::default();
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
        let implied = implied_kind(list_kind);
        listed = implied.and_then(input_of_kind);
        let list_api = value.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        parse_items(file, items.iter().enumerate(), implied, list_api, &mut objects, &mut skipped_kinds)?;
    } else {
        let api = value.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        match parse_object(file, "", list_kind, api, &mut &*value)? {
            Some(object) => objects.push(object),
            None => {
                return Ok(Parsed::Unrecognised(format!("Kubernetes kind `{list_kind}` ({api}) is not one pulldoctor reads")));
            }
        }
    }
    Ok(Parsed::Kubernetes(objects, skipped_kinds, listed))
}
