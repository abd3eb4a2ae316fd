//! Content detection: which command printed a file, judged from its top-level keys, never from
//! its name (a user may well run `aws ec2 describe-route-tables > x.json`).

use pulldoctor_model::InputKind;
use serde_json::{Map, Value};

/// What a JSON object is, from its top-level keys alone. Parsing it into typed shapes is
/// `parse`'s job; this only decides which shape to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detected {
    /// A Kubernetes object or list (`kind` plus `apiVersion` or `items`).
    Kubernetes,
    Vpcs,
    VpcAttribute,
    DhcpOptions,
    Subnets,
    RouteTables,
    NatGateways,
    InternetGateways,
    EgressOnlyInternetGateways,
    VpcEndpoints,
    SecurityGroups,
    NetworkAcls,
    Instances,
    NetworkInterfaces,
    /// `describe-prefix-lists` or `describe-managed-prefix-lists`: the elements tell them apart.
    PrefixLists,
    /// `get-managed-prefix-list-entries`, which prints no id (the file name must carry it).
    PrefixListEntries,
    PeeringConnections,
    TransitGatewayAttachments,
    EcrRepositories,
    EcrImages,
    EcrRepositoryPolicy,
    IamAuthorizationDetails,
    CloudTrailEvents,
    /// `collect-failures.json`, written by `pulldoctor collect`.
    CollectFailures,
    /// `pulldoctor probe -o FILE` (`kind: PulldoctorProbe`), or several (`PulldoctorProbeList`).
    Probe,
    ProbeList,
    /// `pulldoctor-collect.json`, written by `pulldoctor collect`: when the bundle was read.
    CollectInfo,
    CallerIdentity,
}

/// Detect a whole, parsed JSON object.
pub(crate) fn detect(object: &Map<String, Value>) -> Option<Detected> {
    // pulldoctor's own documents look like Kubernetes objects (kind, apiVersion): they go first
    match object.get("kind").and_then(Value::as_str) {
        Some(crate::probe::KIND) => return Some(Detected::Probe),
        Some(crate::probe::LIST_KIND) => return Some(Detected::ProbeList),
        _ => {}
    }
    let trail_events =
        || object.get("Events").and_then(Value::as_array).is_some_and(|events| events.iter().all(|e| e.get("EventId").is_some()));
    detect_by(|key| object.contains_key(key), trail_events)
}

/// The rules, in order (the first that matches wins), over "has this top-level key".
/// `trail_events` says whether an `Events` array is CloudTrail's (every event has an `EventId`).
fn detect_by(has: impl Fn(&str) -> bool, trail_events: impl FnOnce() -> bool) -> Option<Detected> {
    use Detected::*;
    Some(if has("kind") && (has("apiVersion") || has("items")) {
        Kubernetes
    } else if has("Vpcs") {
        Vpcs
    } else if has("VpcId") && (has("EnableDnsSupport") || has("EnableDnsHostnames")) {
        VpcAttribute
    } else if has("DhcpOptions") {
        DhcpOptions
    } else if has("Subnets") {
        Subnets
    } else if has("RouteTables") {
        RouteTables
    } else if has("NatGateways") {
        NatGateways
    } else if has("InternetGateways") {
        InternetGateways
    } else if has("EgressOnlyInternetGateways") {
        EgressOnlyInternetGateways
    } else if has("VpcEndpoints") {
        VpcEndpoints
    } else if has("SecurityGroups") {
        SecurityGroups
    } else if has("NetworkAcls") {
        NetworkAcls
    } else if has("Reservations") {
        Instances
    } else if has("NetworkInterfaces") {
        NetworkInterfaces
    } else if has("PrefixLists") {
        PrefixLists
    } else if has("Entries") {
        PrefixListEntries
    } else if has("VpcPeeringConnections") {
        PeeringConnections
    } else if has("TransitGatewayAttachments") {
        TransitGatewayAttachments
    } else if has("repositories") {
        EcrRepositories
    } else if has("imageDetails") {
        EcrImages
    } else if has("policyText") && has("repositoryName") {
        EcrRepositoryPolicy
    } else if has("RoleDetailList") || (has("Policies") && has("UserDetailList")) {
        IamAuthorizationDetails
    } else if has("Events") && trail_events() {
        CloudTrailEvents
    } else if has("PulldoctorCollectFailures") {
        CollectFailures
    } else if has("PulldoctorCollect") {
        CollectInfo
    } else if has("Account") && has("Arn") && has("UserId") {
        CallerIdentity
    } else {
        return None;
    })
}

/// Whether a top-level key is one a recognised file can start with: how a YAML file whose name
/// says nothing is told from prose that happens to begin with `Word: text`.
pub(crate) fn is_known_top_key(key: &str) -> bool {
    let known = |candidate: &str| candidate == key;
    matches!(key, "apiVersion" | "kind" | "items" | "metadata")
        || detect_by(known, || true).is_some()
        || matches!(
            key,
            "VpcId" | "EnableDnsSupport" | "EnableDnsHostnames" | "policyText" | "repositoryName" | "Account" | "Arn" | "UserId"
        )
}

/// The input a typed list of this kind is (what `kind: SecretList` from the API, or from
/// `pulldoctor collect`, holds even when it holds nothing).
pub(crate) fn input_of_kind(kind: &str) -> Option<InputKind> {
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

/// How much of a damaged file's beginning is scanned to tell what it seems to be.
const BEGINNING: usize = 64 * 1024;

/// What a file that could not be read seems to be, from its beginning: the top-level keys before
/// the damage (`{"RouteTables": [` is enough), or the Kubernetes kind of the list or of its first
/// item (`"kind": "PodList"`; kubectl prints `"kind": "List"` after the items, so `items[0].kind`).
/// `None` when the beginning does not say (an empty file, garbage, a cut inside the first key).
pub(crate) fn seeming_kind(bytes: &[u8]) -> Option<InputKind> {
    Seen::scan(&bytes[..bytes.len().min(BEGINNING)]).seems()
}

/// What a YAML file that could not be parsed seems to be, from its beginning: the keys at the
/// left margin, `kind:` at the top, and the keys of the first list item (`- apiVersion: v1`,
/// `  kind: Pod`). Flow-style YAML (`{...}`) is scanned like JSON.
pub(crate) fn seeming_kind_yaml(bytes: &[u8]) -> Option<InputKind> {
    let head = &bytes[..bytes.len().min(BEGINNING)];
    let text = String::from_utf8_lossy(head);
    if text.trim_start().starts_with('{') {
        return seeming_kind(head);
    }
    let mut seen = Seen { trail_events: true, ..Seen::default() };
    // the indentation of the first list item's keys, once one is seen
    let mut item_indent: Option<usize> = None;
    let mut items_seen = 0usize;
    for line in text.lines() {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') || content == "---" {
            continue;
        }
        let indent = line.len() - content.len();
        let (content, indent) = match content.strip_prefix("- ") {
            Some(rest) => {
                items_seen += 1;
                (rest.trim_start(), line.len() - rest.trim_start().len())
            }
            None => (content, indent),
        };
        let Some((key, value)) = content.split_once(':') else {
            continue;
        };
        if key.contains(' ') || key.is_empty() {
            continue;
        }
        let key = key.trim_matches(|c| c == '"' || c == '\'');
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
        if indent == 0 {
            seen.top_keys.push(key.to_string());
            match key {
                "kind" if !value.is_empty() => seen.top_kind = Some(value),
                "apiVersion" if !value.is_empty() => seen.top_api = Some(value),
                _ => {}
            }
        } else if items_seen == 1 && item_indent.is_none_or(|i| i == indent) {
            item_indent = Some(indent);
            seen.element_keys.push(key.to_string());
            match key {
                "kind" if !value.is_empty() => seen.element_kind = Some(value),
                "apiVersion" if !value.is_empty() => seen.element_api = Some(value),
                _ => {}
            }
        }
    }
    seen.seems()
}

/// What a whole, parsed file whose content is wrong (a field of the wrong type) seems to be.
pub(crate) fn seeming_kind_of_value(value: &Value) -> Option<InputKind> {
    Seen::of_value(value).seems()
}

/// The few things a file's kind is told by.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    /// Keys of the top-level object.
    top_keys: Vec<String>,
    /// Keys of the objects inside the top-level arrays (the list elements).
    element_keys: Vec<String>,
    /// `kind` and `apiVersion` of the top-level object, then of the list elements.
    top_kind: Option<String>,
    top_api: Option<String>,
    element_kind: Option<String>,
    element_api: Option<String>,
    /// Whether an `Events` array is CloudTrail's (every event has an `EventId`).
    trail_events: bool,
}

impl Seen {
    fn of_value(value: &Value) -> Seen {
        let Some(object) = value.as_object() else {
            return Seen::default();
        };
        let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        let elements: Vec<&Value> =
            object.values().filter_map(Value::as_array).filter_map(|items| items.first()).filter(|v| v.is_object()).collect();
        let first_item = object.get("items").and_then(Value::as_array).and_then(|items| items.first());
        Seen {
            top_keys: object.keys().cloned().collect(),
            element_keys: elements.iter().filter_map(|v| v.as_object()).flat_map(|o| o.keys().cloned()).collect(),
            top_kind: text(value, "kind"),
            top_api: text(value, "apiVersion"),
            element_kind: first_item.and_then(|item| text(item, "kind")),
            element_api: first_item.and_then(|item| text(item, "apiVersion")),
            trail_events: object
                .get("Events")
                .and_then(Value::as_array)
                .is_some_and(|events| events.iter().all(|e| e.get("EventId").is_some())),
        }
    }

    /// A tolerant scan of possibly cut, possibly invalid JSON: strings, `:` and nesting only.
    /// Depth 1 is the top-level object, depth 3 the objects in its arrays.
    fn scan(bytes: &[u8]) -> Seen {
        const LONGEST: usize = 256;
        let mut seen = Seen { trail_events: true, ..Seen::default() };
        let mut depth = 0usize;
        let mut last_string: Option<String> = None;
        let mut key: Option<String> = None;
        let mut position = 0;
        while let Some(&byte) = bytes.get(position) {
            position += 1;
            match byte {
                b'"' => {
                    let mut text = Vec::new();
                    let mut closed = false;
                    while let Some(&byte) = bytes.get(position) {
                        position += 1;
                        match byte {
                            b'\\' => {
                                position += 1;
                            }
                            b'"' => {
                                closed = true;
                                break;
                            }
                            _ if text.len() < LONGEST => text.push(byte),
                            _ => {}
                        }
                    }
                    if !closed {
                        break;
                    }
                    let text = String::from_utf8_lossy(&text).into_owned();
                    match key.take() {
                        // a string value of the key just read
                        Some(key) => match (depth, key.as_str()) {
                            (1, "kind") => seen.top_kind = seen.top_kind.take().or(Some(text)),
                            (1, "apiVersion") => seen.top_api = seen.top_api.take().or(Some(text)),
                            (3, "kind") => seen.element_kind = seen.element_kind.take().or(Some(text)),
                            (3, "apiVersion") => seen.element_api = seen.element_api.take().or(Some(text)),
                            _ => {}
                        },
                        None => last_string = Some(text),
                    }
                }
                b':' => {
                    if let Some(name) = last_string.take() {
                        match depth {
                            1 => seen.top_keys.push(name.clone()),
                            3 => seen.element_keys.push(name.clone()),
                            _ => {}
                        }
                        key = Some(name);
                    }
                }
                b'{' | b'[' => {
                    depth += 1;
                    key = None;
                    last_string = None;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    key = None;
                    last_string = None;
                }
                b',' => {
                    key = None;
                    last_string = None;
                }
                _ => {}
            }
        }
        seen
    }

    fn seems(&self) -> Option<InputKind> {
        let has = |key: &str| self.top_keys.iter().any(|k| k == key);
        let element_has = |key: &str| self.element_keys.iter().any(|k| k == key);
        if has("kind") || has("apiVersion") || has("items") {
            // the list's own kind when it is typed (`PodList`), else its first item's
            let list = self.top_kind.as_deref().filter(|kind| *kind != "List");
            let (kind, api) = match list {
                Some(kind) => (kind, self.top_api.as_deref()),
                None => (self.element_kind.as_deref()?, self.element_api.as_deref().or(self.top_api.as_deref())),
            };
            let kind = kind.strip_suffix("List").filter(|k| !k.is_empty()).unwrap_or(kind);
            if kind == crate::probe::KIND {
                return Some(InputKind::ProbeResults);
            }
            let openshift_config = api.is_some_and(|api| api.starts_with("config.openshift.io"));
            return match kind {
                "Proxy" if openshift_config => Some(InputKind::ClusterProxy),
                "Image" if openshift_config => Some(InputKind::ClusterImagePolicy),
                _ => input_of_kind(kind),
            };
        }
        Some(match detect_by(has, || self.trail_events)? {
            Detected::Kubernetes | Detected::CollectFailures | Detected::CollectInfo => return None,
            Detected::Probe | Detected::ProbeList => InputKind::ProbeResults,
            Detected::Vpcs => InputKind::Vpcs,
            Detected::VpcAttribute if has("EnableDnsSupport") => InputKind::VpcDnsSupport,
            Detected::VpcAttribute => InputKind::VpcDnsHostnames,
            Detected::DhcpOptions => InputKind::DhcpOptions,
            Detected::Subnets => InputKind::Subnets,
            Detected::RouteTables => InputKind::RouteTables,
            Detected::NatGateways => InputKind::NatGateways,
            Detected::InternetGateways => InputKind::InternetGateways,
            Detected::EgressOnlyInternetGateways => InputKind::EgressOnlyInternetGateways,
            Detected::VpcEndpoints => InputKind::VpcEndpoints,
            Detected::SecurityGroups => InputKind::SecurityGroups,
            Detected::NetworkAcls => InputKind::NetworkAcls,
            Detected::Instances => InputKind::Instances,
            Detected::NetworkInterfaces => InputKind::NetworkInterfaces,
            // the same rule as the parser's: managed lists print no `Cidrs` but these fields
            Detected::PrefixLists
                if !element_has("Cidrs") && (element_has("AddressFamily") || element_has("MaxEntries") || element_has("PrefixListArn")) =>
            {
                InputKind::ManagedPrefixLists
            }
            Detected::PrefixLists => InputKind::PrefixLists,
            Detected::PrefixListEntries => InputKind::PrefixListEntries,
            Detected::PeeringConnections => InputKind::PeeringConnections,
            Detected::TransitGatewayAttachments => InputKind::TransitGatewayAttachments,
            Detected::EcrRepositories => InputKind::EcrRepositories,
            Detected::EcrImages => InputKind::EcrImages,
            Detected::EcrRepositoryPolicy => InputKind::EcrRepositoryPolicy,
            Detected::IamAuthorizationDetails => InputKind::IamAuthorizationDetails,
            Detected::CloudTrailEvents => InputKind::CloudTrailEvents,
            Detected::CallerIdentity => InputKind::CallerIdentity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seems(text: &str) -> Option<InputKind> {
        seeming_kind(text.as_bytes())
    }

    #[test]
    fn a_cut_file_seems_what_its_beginning_says() {
        assert_eq!(seems(r#"{"RouteTables": ["#), Some(InputKind::RouteTables));
        assert_eq!(
            seems(
                "{\n    \"RouteTables\": [\n        {\n            \"Associations\": [\n                {\n                    \"Main\": tr"
            ),
            Some(InputKind::RouteTables)
        );
        assert_eq!(seems(r#"{"kind": "PodList", "apiVersion": "v1", "items": [{"metadata": {"na"#), Some(InputKind::Pods));
        // kubectl: `kind: List` comes after the items; the first item says what they are
        assert_eq!(
            seems(
                r#"{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "Event", "involvedObject": {"kind": "Pod", "name": "p"}, "mess"#
            ),
            Some(InputKind::Events)
        );
        assert_eq!(seems(r#"{"apiVersion": "config.openshift.io/v1", "kind": "Proxy", "spec": {"#), Some(InputKind::ClusterProxy));
        assert_eq!(seems(r#"{"kind": "PulldoctorProbe", "apiVersion": "pulldoctor/v1", "node": {"na"#), Some(InputKind::ProbeResults));
        assert_eq!(seems(r#"{"VpcId": "vpc-1", "EnableDnsSupport": {"Val"#), Some(InputKind::VpcDnsSupport));
        assert_eq!(seems(r#"{"PrefixLists": [{"AddressFamily": "IPv4", "MaxEntries": 5, "Pref"#), Some(InputKind::ManagedPrefixLists));
        assert_eq!(seems(r#"{"PrefixLists": [{"Cidrs": ["52.216.0.0/15"], "Pref"#), Some(InputKind::PrefixLists));
        // a string that only looks like a key is not one
        assert_eq!(seems(r#"{"Something": "RouteTables", "Subnets": ["#), Some(InputKind::Subnets));
        assert_eq!(seems(r#"{"Something": {"RouteTables": []}, "x"#), None);
    }

    #[test]
    fn a_cut_yaml_file_seems_what_its_beginning_says() {
        let seems = |text: &str| seeming_kind_yaml(text.as_bytes());
        assert_eq!(
            seems("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec: [\n"),
            Some(InputKind::Pods)
        );
        assert_eq!(
            seems("RouteTables:\n- Associations:\n  - Main: true\n    RouteTableId: rtb-1\n  Routes: {\n"),
            Some(InputKind::RouteTables)
        );
        assert_eq!(seems("apiVersion: config.openshift.io/v1\nkind: Proxy\nspec: [\n"), Some(InputKind::ClusterProxy));
        assert_eq!(seems("{\"Subnets\": [\n"), Some(InputKind::Subnets));
        assert_eq!(seems("just: [\n"), None);
    }

    #[test]
    fn a_beginning_that_says_nothing_seems_nothing() {
        for text in ["", "   ", "{", r#"{"RouteTab"#, "garbage", "[1, 2", r#"{"Nothing": [1, 2]}"#, r#"{"apiVersion": "v1", "items": ["#] {
            assert_eq!(seems(text), None, "{text}");
        }
    }

    /// A whole file with a wrong field, and the same file cut: the same kind.
    #[test]
    fn a_value_seems_what_its_beginning_seems() {
        for text in [
            r#"{"RouteTables": [{"RouteTableId": 42}]}"#,
            r#"{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": "x"}}], "kind": "List"}"#,
            r#"{"PrefixLists": [{"AddressFamily": "IPv4", "PrefixListId": 7}]}"#,
            r#"{"Events": [{"EventId": "1", "EventTime": "yesterday"}]}"#,
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert!(seeming_kind_of_value(&value).is_some(), "{text}");
            assert_eq!(seeming_kind_of_value(&value), seems(text), "{text}");
        }
    }
}
