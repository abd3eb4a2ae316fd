//! What live collection should read, decided from the cluster alone.
//!
//! Live mode reads the cluster first, then asks AWS only about what the failures involve: the
//! nodes' instances (and through them their VPCs), the ECR repositories the failing pods pull
//! from, the pull secrets the failing pods can use, and the CloudTrail window before the first
//! failure. Deciding that is pure logic over the model, so it lives here and is tested without
//! any server; the collectors at the edge carry it out.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use pulldoctor_model::{Model, region_of_zone};

use crate::affected;
use crate::{credentials, timeline};

/// An ECR repository a failing pod pulls from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Repository {
    pub account: String,
    pub region: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// EC2 instance ids of every node (from `spec.providerID`), working nodes included: the
    /// comparison needs the nodes that still pull as much as the ones that fail.
    pub instance_ids: BTreeSet<String>,
    /// Internal addresses of nodes whose provider id names no instance (found by address instead).
    pub node_addresses: BTreeSet<String>,
    /// The region the nodes run in, from their zones; `None` when no node says.
    pub region: Option<String>,
    /// ECR repositories of the failing pods' images.
    pub repositories: BTreeSet<Repository>,
    /// `namespace/name` of every pull secret a failing pod can use, and OpenShift's global one.
    pub secrets: BTreeSet<(String, String)>,
    /// Start of the CloudTrail window: [`timeline::CHANGE_WINDOW_DAYS`] before the first failure.
    pub changes_since: Option<DateTime<Utc>>,
    /// How many containers fail to pull (for the progress line and notes).
    pub failing: usize,
}

/// Decide what to read from AWS and which secrets to read, from a model of the cluster alone.
pub fn plan(model: &Model) -> Plan {
    let mut plan = Plan::default();
    for node in model.nodes.values() {
        match &node.instance_id {
            Some(id) => {
                plan.instance_ids.insert(id.clone());
            }
            None => plan.node_addresses.extend(node.internal_ips.iter().map(ToString::to_string)),
        }
        if plan.region.is_none() {
            plan.region = node.zone.as_deref().and_then(region_of_zone);
        }
    }
    let (failures, _) = affected::find(model);
    plan.failing = failures.len();
    for failure in &failures {
        if let Some(image) = &failure.image_ref
            && let Some(ecr) = &image.ecr
        {
            plan.repositories.insert(Repository {
                account: ecr.account.clone(),
                region: ecr.region.clone(),
                name: image.repository.clone(),
            });
        }
        // the pod's own, its service account's (the same order the kubelet tries them)
        for reaching in credentials::reaching(model, failure.pod) {
            if let Some((namespace, name)) = reaching.name.split_once('/') {
                plan.secrets.insert((namespace.to_string(), name.to_string()));
            }
        }
    }
    plan.secrets.insert(("openshift-config".into(), "pull-secret".into()));
    plan.changes_since = failures.iter().filter_map(|f| f.first_failure).min().map(timeline::window_start);
    plan
}
