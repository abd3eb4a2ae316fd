//! Where a probe ran, in the terms of the configuration: the node, its instance, subnet and the
//! route table that subnet uses. An in-cluster probe names its Kubernetes node; a local one its
//! host name (on an EC2 node, the private DNS name) and the addresses it sent from, which find
//! the instance, or at least the subnet whose range holds them.

use std::net::IpAddr;

use pulldoctor_model::{Model, ProbeRun};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// How the report names where it ran: the node, else the host name, else the address.
    pub label: String,
    /// The Kubernetes node, when the input has it.
    pub node: Option<String>,
    pub instance: Option<String>,
    pub subnet: Option<String>,
    pub route_table: Option<String>,
}

impl Origin {
    /// `ip-10-0-60-229.ec2.internal (subnet-0591e7f615056cdc1, route table rtb-04d162c9e2b6a4cbd)`.
    pub fn describe(&self) -> String {
        match (&self.subnet, &self.route_table) {
            (Some(subnet), Some(table)) => format!("{} ({subnet}, route table {table})", self.label),
            (Some(subnet), None) => format!("{} ({subnet})", self.label),
            _ => self.label.clone(),
        }
    }
}

/// The addresses a probe sent from (its connections' own ends), first seen first.
fn sources(run: &ProbeRun) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    for source in run.connections.iter().filter_map(|c| c.source) {
        if !source.is_loopback() && !out.contains(&source) {
            out.push(source);
        }
    }
    out
}

pub fn locate(model: &Model, run: &ProbeRun) -> Origin {
    let sources = sources(run);
    let node = run.node.as_deref().and_then(|name| model.nodes.get(name));
    let instance = match node {
        Some(node) => model.node_instance(node),
        None => std::iter::once(None)
            .chain(sources.iter().map(|ip| Some(*ip)))
            .find_map(|ip| model.instance_by_address(ip, if ip.is_none() { run.node.as_deref() } else { None })),
    };
    let subnet = instance.and_then(|i| i.subnet_id.clone()).or_else(|| {
        // not an instance the input lists: the subnet whose range holds the address it sent from
        sources.iter().find_map(|ip| model.subnets.values().find(|s| s.cidr.is_some_and(|cidr| cidr.contains(ip))).map(|s| s.id.clone()))
    });
    let route_table = subnet.as_deref().and_then(|s| model.effective_route_table(s)).map(|(table, _)| table.id.clone());
    let label = node
        .map(|n| n.name.clone())
        .or_else(|| run.node.clone())
        .or_else(|| sources.first().map(ToString::to_string))
        .unwrap_or_else(|| "an unnamed host".to_string());
    Origin { label, node: node.map(|n| n.name.clone()), instance: instance.map(|i| i.id.clone()), subnet, route_table }
}
