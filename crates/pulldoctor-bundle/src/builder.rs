//! The model builder: parsed files, merged in order into one [`Model`]. Several files of the same
//! call merge; the same object twice is one object.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use pulldoctor_model::{self as model, Facts, InputKind, Model};

use crate::aws;
use crate::journal;
use crate::object::K8sObject;
use crate::parse::{Parsed, Unreadable};

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
    /// Files the caller passed over without reading them (see [`crate::pass_over`]), each with
    /// its reason; [`Bundle::passed_over_summary`] counts them for the user.
    pub passed_over: Vec<Skipped>,
}

impl Bundle {
    /// One line per reason: how many files were passed over and a few of their names. Nothing
    /// when none was.
    pub fn passed_over_summary(&self) -> Vec<String> {
        let mut by_reason: BTreeMap<&str, Vec<&Path>> = BTreeMap::new();
        for skipped in &self.passed_over {
            by_reason.entry(skipped.reason.as_str()).or_default().push(&skipped.file);
        }
        by_reason
            .into_iter()
            .map(|(reason, files)| {
                // names, not paths: a must-gather's paths are longer than a line
                let mut names: Vec<String> = files.iter().filter_map(|f| f.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
                names.sort();
                names.dedup();
                let shown: Vec<String> = names.iter().take(3).map(|n| format!("`{n}`")).collect();
                let more = if names.len() > 3 { ", ...".to_string() } else { String::new() };
                format!(
                    "passed over {} file{} pulldoctor does not read: {reason} ({}{more})",
                    files.len(),
                    if files.len() == 1 { "" } else { "s" },
                    shown.join(", ")
                )
            })
            .collect()
    }
}

#[derive(Default)]
pub(crate) struct Builder {
    facts: Facts,
    skipped: Vec<Skipped>,
    notes: Vec<String>,
    vpc_attributes: Vec<(String, Option<bool>, Option<bool>)>,
    skipped_kinds: BTreeMap<String, usize>,
    trail_event_ids: HashSet<String>,
    network_policy_keys: HashSet<(String, String)>,
    /// Journal records whose `short` timestamps wait for the bundle's year.
    journal_records: Vec<journal::Record>,
    /// Secrets whose data `oc adm inspect` elided (must-gather), and the files they were in.
    elided_secrets: usize,
    elided_secret_files: Vec<PathBuf>,
}

fn merge<T>(map: &mut BTreeMap<String, T>, items: Vec<T>, key: impl Fn(&T) -> String) {
    for item in items {
        map.insert(key(&item), item);
    }
}

impl Builder {
    pub(crate) fn add(&mut self, file: &Path, parsed: Parsed) {
        let model = &mut self.facts;
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
            Parsed::DhcpOptions(list) => {
                inputs.insert(InputKind::DhcpOptions);
                merge(&mut model.dhcp_options, list, |d| d.id.clone());
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
            Parsed::Probes(runs) => {
                inputs.insert(InputKind::ProbeResults);
                model.probes.extend(runs);
            }
            Parsed::CollectedAt(at) => model.collected_at = model.collected_at.max(at),
            Parsed::Kubernetes(mut objects, skipped_kinds, listed) => {
                let elided = objects.other.iter().filter(|o| matches!(o, K8sObject::ElidedSecret)).count();
                if elided > 0 {
                    // a list of secrets without their data says nothing about credentials
                    self.elided_secrets += elided;
                    self.elided_secret_files.push(file.to_path_buf());
                } else if let Some(kind) = listed {
                    self.facts.inputs.insert(kind);
                }
                for kind in skipped_kinds {
                    *self.skipped_kinds.entry(kind).or_default() += 1;
                }
                for pod in objects.pods {
                    self.add_kubernetes(K8sObject::Pod(pod));
                }
                if !objects.events.is_empty() {
                    self.facts.inputs.insert(InputKind::Events);
                    // the list is taken whole, or moved once (events are the biggest list)
                    if self.facts.events.is_empty() {
                        self.facts.events = objects.events;
                    } else {
                        self.facts.events.append(&mut objects.events);
                    }
                }
                for object in objects.other {
                    self.add_kubernetes(object);
                }
            }
            Parsed::NodeLog(journal) => {
                self.facts.inputs.insert(InputKind::NodeLogs);
                self.journal_records.extend(journal.records);
                self.facts.kubelet_flags.extend(journal.flags);
            }
            Parsed::Several(documents) => {
                for document in documents {
                    self.add(file, document);
                }
            }
            Parsed::Unrecognised(reason) => self.skipped.push(Skipped { file: file.to_path_buf(), reason }),
        }
    }

    /// A file that could not be read: recorded, and what it seems to be is not present (see
    /// `finish`).
    pub(crate) fn unreadable(&mut self, unreadable: Unreadable) {
        let Unreadable { error, seems } = unreadable;
        self.facts.unreadable_files.push(model::UnreadableFile {
            file: error.file.display().to_string(),
            json_path: error.json_path,
            message: error.message,
            seems,
        });
    }

    fn add_kubernetes(&mut self, object: K8sObject) {
        let model = &mut self.facts;
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
            K8sObject::ElidedSecret => {}
        }
    }

    fn add_iam(&mut self, details: aws::AuthorizationDetails) {
        let model = &mut self.facts;
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

    pub(crate) fn finish(mut self, files_read: usize) -> Bundle {
        for (vpc_id, dns_support, dns_hostnames) in std::mem::take(&mut self.vpc_attributes) {
            match self.facts.vpcs.get_mut(&vpc_id) {
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
            // must-gather and `kubectl get all` hold many kinds pulldoctor does not use
            self.notes.push(format!(
                "skipped {count} Kubernetes object{} of kind `{kind}` (not used by pulldoctor)",
                if *count == 1 { "" } else { "s" }
            ));
        }
        // A kind an unreadable file seems to be is incomplete: analyses must not take an absence
        // in it as proof (a missing route table, NAT gateway or repository), so it is not present.
        for kind in self.facts.unreadable_files.iter().filter_map(|file| file.seems) {
            self.facts.inputs.remove(&kind);
        }
        sort_events(&mut self.facts.events);
        self.facts.events.dedup_by(|a, b| a.name.is_some() && a.name == b.name && a.namespace == b.namespace);
        if self.elided_secrets > 0 {
            self.notes.push(format!(
                "{} secret{} in {} {} data elided (`N bytes long`, as `oc adm inspect` and must-gather write them): \
                 not read, so pull-secret checks are gaps; add them with `oc get secret NAME -n NAMESPACE -o yaml`",
                self.elided_secrets,
                if self.elided_secrets == 1 { "" } else { "s" },
                list_files(&self.elided_secret_files),
                if self.elided_secrets == 1 { "has its" } else { "have their" },
            ));
        }
        // `short` journal timestamps have no year: the one that puts them before the rest of the
        // bundle's latest moment
        let reference = self.facts.observed_at();
        let undated = self.journal_records.iter().filter(|r| journal::resolve(r.time, reference).is_none()).count();
        if undated > 0 {
            self.notes.push(format!(
                "{undated} journal line{} with a pull error {} no year and nothing else in the bundle tells it: read without a time",
                if undated == 1 { "" } else { "s" },
                if undated == 1 { "has" } else { "have" }
            ));
        }
        for record in std::mem::take(&mut self.journal_records) {
            let mut error = record.error;
            error.time = journal::resolve(record.time, reference);
            self.facts.node_log_errors.push(error);
        }
        Bundle { model: Model::new(self.facts), files_read, skipped: self.skipped, notes: self.notes, passed_over: Vec::new() }
    }
}

/// Events by when they were last seen, then name (stable). Sorted as positions, then each event
/// moved once: a big cluster has hundreds of thousands, each some hundred bytes.
fn sort_events(events: &mut Vec<pulldoctor_model::Event>) {
    if events.is_sorted_by(|a, b| (a.last_seen, &a.name) <= (b.last_seen, &b.name)) {
        return;
    }
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by(|&a, &b| (events[a].last_seen, &events[a].name).cmp(&(events[b].last_seen, &events[b].name)));
    let mut slots: Vec<Option<pulldoctor_model::Event>> = std::mem::take(events).into_iter().map(Some).collect();
    events.reserve_exact(slots.len());
    events.extend(order.into_iter().filter_map(|position| slots[position].take()));
}

/// `a.yaml`, `a.yaml and b.yaml`, `a.yaml and 3 more files`, each by its last three parts
/// (`cf-dev/core/secrets.yaml`): a must-gather's paths are longer than a line.
fn list_files(files: &[PathBuf]) -> String {
    let short = |path: &PathBuf| {
        let parts: Vec<String> = path.iter().rev().take(3).map(|p| p.to_string_lossy().into_owned()).collect();
        parts.into_iter().rev().collect::<Vec<_>>().join("/")
    };
    match files {
        [] => "no file".to_string(),
        [one] => format!("`{}`", short(one)),
        [one, two] => format!("`{}` and `{}`", short(one), short(two)),
        [one, rest @ ..] => format!("`{}` and {} more files", short(one), rest.len()),
    }
}
