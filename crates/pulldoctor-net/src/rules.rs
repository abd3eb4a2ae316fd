//! Security groups (stateful, a union of allow rules) and network ACLs (stateless, numbered rules,
//! first match wins, a final `*` deny).

use std::net::IpAddr;

use ipnet::IpNet;
use pulldoctor_model::{AclEntry, Model, NetworkAcl, SgPeer, SgRule};
use serde::Serialize;

use crate::address::{Address, Coverage, covers};

/// The far side of a connection, as a security-group rule sees it.
pub struct Peer<'a> {
    pub address: &'a Address,
    /// Security groups of the peer's interface, when the peer is inside the VPC.
    pub groups: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum RuleDecision {
    Allow {
        rule: String,
    },
    Deny {
        rule: String,
    },
    /// A rule that may or may not apply decides; `rule` names it.
    Unknown {
        rule: String,
    },
}

impl RuleDecision {
    pub fn rule(&self) -> &str {
        match self {
            RuleDecision::Allow { rule } | RuleDecision::Deny { rule } | RuleDecision::Unknown { rule } => rule,
        }
    }
}

fn protocol_matches(rule_protocol: &str, protocol: &str) -> bool {
    let normal = |p: &str| match p {
        "6" => "tcp".to_string(),
        "17" => "udp".to_string(),
        "1" => "icmp".to_string(),
        "all" => "-1".to_string(),
        other => other.to_ascii_lowercase(),
    };
    let rule = normal(rule_protocol);
    rule == "-1" || rule == normal(protocol)
}

fn ports_text(from: Option<i32>, to: Option<i32>) -> String {
    match (from, to) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(-1), _) | (None, None) => "all ports".to_string(),
        (Some(a), Some(b)) if a == 0 && b == 65535 => "all ports".to_string(),
        (Some(a), Some(b)) => format!("{a}-{b}"),
        (Some(a), None) | (None, Some(a)) => a.to_string(),
    }
}

fn protocol_text(protocol: &str) -> &str {
    match protocol {
        "-1" | "all" => "all traffic",
        "6" => "tcp",
        "17" => "udp",
        other => other,
    }
}

fn prefix_list_coverage(model: &Model, id: &str, address: &Address) -> Coverage {
    if let Address::Set { label, .. } = address
        && label == id
    {
        return Coverage::Yes;
    }
    match model.prefix_lists.get(id).and_then(|p| p.cidrs.as_ref()) {
        None => Coverage::Maybe,
        Some(cidrs) => {
            let mut best = Coverage::No;
            for cidr in cidrs {
                match covers(cidr, address) {
                    Coverage::Yes => return Coverage::Yes,
                    Coverage::Maybe => best = Coverage::Maybe,
                    Coverage::No => {}
                }
            }
            best
        }
    }
}

fn peer_coverage(model: &Model, rule_peer: &SgPeer, peer: &Peer) -> Coverage {
    match rule_peer {
        SgPeer::Cidr(net) => covers(net, peer.address),
        SgPeer::PrefixList(id) => prefix_list_coverage(model, id, peer.address),
        SgPeer::Group(id) => {
            if peer.groups.iter().any(|g| g == id) {
                Coverage::Yes
            } else {
                Coverage::No
            }
        }
    }
}

fn peer_text(peer: &SgPeer) -> String {
    match peer {
        SgPeer::Cidr(net) => net.to_string(),
        SgPeer::PrefixList(id) | SgPeer::Group(id) => id.clone(),
    }
}

fn sg_rule_text(group: &str, direction: &str, rule: &SgRule, peer: &SgPeer) -> String {
    format!(
        "{group} {direction} {} {} {} {}",
        protocol_text(&rule.protocol),
        ports_text(rule.from_port, rule.to_port),
        if direction == "egress" { "to" } else { "from" },
        peer_text(peer)
    )
}

fn port_in(rule: &SgRule, port: u16) -> bool {
    if rule.protocol == "-1" {
        return true;
    }
    match (rule.from_port, rule.to_port) {
        (Some(-1), _) | (None, None) => true,
        (Some(from), Some(to)) => (from..=to).contains(&i32::from(port)),
        (Some(from), None) => from == i32::from(port),
        (None, Some(to)) => to == i32::from(port),
    }
}

/// Is TCP to `port` allowed by any of these groups (egress when `egress`, else ingress) for `peer`?
/// Security groups only allow, so the union of all their rules decides.
pub fn security_groups_allow(model: &Model, group_ids: &[String], egress: bool, port: u16, peer: &Peer) -> RuleDecision {
    let direction = if egress { "egress" } else { "ingress" };
    let mut maybe: Option<String> = None;
    let mut missing: Vec<&str> = Vec::new();
    for id in group_ids {
        let Some(group) = model.security_groups.get(id) else {
            missing.push(id);
            continue;
        };
        let rules = if egress { &group.egress } else { &group.ingress };
        for rule in rules {
            if !protocol_matches(&rule.protocol, "tcp") || !port_in(rule, port) {
                continue;
            }
            for rule_peer in &rule.peers {
                match peer_coverage(model, rule_peer, peer) {
                    Coverage::Yes => {
                        return RuleDecision::Allow { rule: sg_rule_text(id, direction, rule, rule_peer) };
                    }
                    Coverage::Maybe => {
                        maybe.get_or_insert_with(|| sg_rule_text(id, direction, rule, rule_peer));
                    }
                    Coverage::No => {}
                }
            }
        }
    }
    if let Some(rule) = maybe {
        return RuleDecision::Unknown { rule: format!("{rule} (may or may not cover {})", peer.address) };
    }
    if !missing.is_empty() {
        return RuleDecision::Unknown { rule: format!("{} not in the bundle", missing.join(", ")) };
    }
    RuleDecision::Deny {
        rule: format!(
            "no {direction} rule of {} allows tcp {port} {} {}",
            if group_ids.is_empty() { "(no groups)".to_string() } else { group_ids.join(", ") },
            if egress { "to" } else { "from" },
            peer.address
        ),
    }
}

fn acl_rule_text(acl: &NetworkAcl, entry: &AclEntry) -> String {
    let rule = if entry.rule_number >= 32767 { "*".to_string() } else { entry.rule_number.to_string() };
    format!(
        "{} {} rule {rule}: {} {} {} {} {}",
        acl.id,
        if entry.egress { "outbound" } else { "inbound" },
        if entry.allow { "allow" } else { "deny" },
        protocol_text(&entry.protocol),
        if entry.protocol == "-1" { "all ports".to_string() } else { ports_text(entry.port_from, entry.port_to) },
        if entry.egress { "to" } else { "from" },
        entry.cidr.map(|c| c.to_string()).unwrap_or_else(|| "?".into())
    )
}

fn entry_ports(entry: &AclEntry) -> (u16, u16) {
    if entry.protocol == "-1" {
        return (0, 65535);
    }
    let clamp = |p: i32| p.clamp(0, 65535) as u16;
    match (entry.port_from, entry.port_to) {
        (Some(from), Some(to)) => (clamp(from), clamp(to)),
        _ => (0, 65535),
    }
}

/// First-match evaluation of one port against an ACL direction.
/// How one port was decided: by which entries (indexes into `acl.entries`). Text is made only
/// for the decision that is reported (a range is decided per segment, and most are discarded).
#[derive(Clone, Copy)]
enum PortDecision {
    Allow(usize),
    Deny(usize),
    /// A rule that may apply (`maybe`) comes before a rule that surely does with the other action.
    MaybeBefore {
        maybe: usize,
        sure: usize,
    },
    /// Only an allow that may apply; otherwise the final `*` rule denies.
    MaybeAllow(usize),
    /// No rule matched: the implicit final `*` deny.
    DefaultDeny,
}

fn acl_decide_port(acl: &NetworkAcl, egress: bool, port: u16, address: &Address) -> PortDecision {
    let mut pending_maybe: Option<(usize, bool)> = None;
    for (position, entry) in acl.entries.iter().enumerate().filter(|(_, e)| e.egress == egress) {
        if !protocol_matches(&entry.protocol, "tcp") {
            continue;
        }
        let (from, to) = entry_ports(entry);
        if port < from || port > to {
            continue;
        }
        let coverage = entry.cidr.map(|cidr| covers(&cidr, address)).unwrap_or(Coverage::No);
        match coverage {
            Coverage::No => {}
            Coverage::Yes => {
                return match pending_maybe {
                    Some((maybe, allow)) if allow != entry.allow => PortDecision::MaybeBefore { maybe, sure: position },
                    _ if entry.allow => PortDecision::Allow(position),
                    _ => PortDecision::Deny(position),
                };
            }
            Coverage::Maybe => {
                pending_maybe.get_or_insert((position, entry.allow));
            }
        }
    }
    match pending_maybe {
        Some((maybe, true)) => PortDecision::MaybeAllow(maybe),
        _ => PortDecision::DefaultDeny,
    }
}

fn describe(acl: &NetworkAcl, egress: bool, decision: PortDecision) -> RuleDecision {
    let text = |position: usize| acl_rule_text(acl, &acl.entries[position]);
    match decision {
        PortDecision::Allow(position) => RuleDecision::Allow { rule: text(position) },
        PortDecision::Deny(position) => RuleDecision::Deny { rule: text(position) },
        PortDecision::MaybeBefore { maybe, sure } => {
            RuleDecision::Unknown { rule: format!("{} may apply before {}", text(maybe), text(sure)) }
        }
        PortDecision::MaybeAllow(maybe) => {
            RuleDecision::Unknown { rule: format!("{} may apply; otherwise the final * rule denies", text(maybe)) }
        }
        PortDecision::DefaultDeny => RuleDecision::Deny {
            rule: format!("{} {} rule *: deny all traffic (no earlier rule matched)", acl.id, if egress { "outbound" } else { "inbound" }),
        },
    }
}

/// Evaluate TCP traffic through an ACL direction for every port in `ports` (inclusive): the
/// range is split at rule boundaries so each segment is decided once. The first segment denied
/// decides; otherwise the first allow is quoted.
pub fn network_acl_allows(acl: &NetworkAcl, egress: bool, ports: (u16, u16), address: &Address) -> RuleDecision {
    let (low, high) = ports;
    let mut cuts: Vec<u32> = vec![u32::from(low)];
    for entry in acl.entries.iter().filter(|e| e.egress == egress) {
        let (from, to) = entry_ports(entry);
        for cut in [u32::from(from), u32::from(to) + 1] {
            if cut > u32::from(low) && cut <= u32::from(high) {
                cuts.push(cut);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut first_allow = None;
    let mut unknown = None;
    for start in cuts {
        match acl_decide_port(acl, egress, start as u16, address) {
            decision @ (PortDecision::Deny(_) | PortDecision::DefaultDeny) => {
                let RuleDecision::Deny { rule } = describe(acl, egress, decision) else { unreachable!("a deny describes as a deny") };
                let span = if low == high { String::new() } else { format!(" (ports from {start} within {low}-{high})") };
                return RuleDecision::Deny { rule: format!("{rule}{span}") };
            }
            decision @ (PortDecision::MaybeBefore { .. } | PortDecision::MaybeAllow(_)) => {
                unknown.get_or_insert(decision);
            }
            decision @ PortDecision::Allow(_) => {
                first_allow.get_or_insert(decision);
            }
        }
    }
    match unknown.or(first_allow) {
        Some(decision) => describe(acl, egress, decision),
        None => RuleDecision::Deny { rule: format!("{}: no rule", acl.id) },
    }
}

/// The node's own address as an [`Address`].
pub fn node_address(ip: Option<IpAddr>, subnet_cidr: Option<IpNet>) -> Address {
    match (ip, subnet_cidr) {
        (Some(ip), _) => Address::Known { ip },
        (None, Some(cidr)) => Address::Set { label: cidr.to_string(), cidrs: vec![cidr], service: false },
        (None, None) => Address::Set { label: "the node's subnet".into(), cidrs: vec![], service: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(rule_number: i32, egress: bool, allow: bool, cidr: &str, ports: Option<(i32, i32)>) -> AclEntry {
        AclEntry {
            rule_number,
            egress,
            protocol: if ports.is_some() { "6".into() } else { "-1".into() },
            allow,
            cidr: Some(cidr.parse().unwrap()),
            port_from: ports.map(|p| p.0),
            port_to: ports.map(|p| p.1),
        }
    }

    fn acl(mut entries: Vec<AclEntry>) -> NetworkAcl {
        entries.push(entry(32767, true, false, "0.0.0.0/0", None));
        entries.push(entry(32767, false, false, "0.0.0.0/0", None));
        entries.sort_by_key(|e| (e.egress, e.rule_number));
        NetworkAcl { id: "acl-1".into(), vpc_id: "vpc-1".into(), is_default: false, subnet_ids: vec![], entries }
    }

    fn ip(s: &str) -> Address {
        Address::Known { ip: s.parse().unwrap() }
    }

    #[test]
    fn first_match_wins() {
        let list = acl(vec![entry(90, true, false, "0.0.0.0/0", Some((443, 443))), entry(100, true, true, "0.0.0.0/0", None)]);
        assert!(matches!(network_acl_allows(&list, true, (443, 443), &ip("1.2.3.4")), RuleDecision::Deny { .. }));
        assert!(matches!(network_acl_allows(&list, true, (80, 80), &ip("1.2.3.4")), RuleDecision::Allow { .. }));
    }

    #[test]
    fn return_traffic_needs_the_whole_ephemeral_range() {
        let partial = acl(vec![entry(100, false, true, "0.0.0.0/0", Some((1024, 40000)))]);
        assert!(matches!(network_acl_allows(&partial, false, (32768, 60999), &ip("1.2.3.4")), RuleDecision::Deny { .. }));
        let full = acl(vec![entry(100, false, true, "0.0.0.0/0", Some((1024, 65535)))]);
        assert!(matches!(network_acl_allows(&full, false, (32768, 60999), &ip("1.2.3.4")), RuleDecision::Allow { .. }));
    }

    /// A naive reference: evaluate every port one by one with first-match over the sorted rules.
    fn reference(entries: &[(i32, bool, u8, u16, u16)], address: u32, ports: (u16, u16)) -> bool {
        let mut sorted: Vec<_> = entries.to_vec();
        sorted.sort_by_key(|e| e.0);
        (ports.0..=ports.1).all(|port| {
            for &(_, allow, prefix, from, to) in &sorted {
                let net = ipnet::Ipv4Net::new(
                    std::net::Ipv4Addr::from(address & !(u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0))),
                    prefix,
                )
                .unwrap();
                let (from, to) = (from.min(to), from.max(to));
                if net.contains(&std::net::Ipv4Addr::from(address)) && port >= from && port <= to {
                    return allow;
                }
            }
            false
        })
    }

    proptest! {
        #[test]
        fn acl_matches_reference(
            rules in proptest::collection::vec((1..200i32, any::<bool>(), 0u8..=32, 0u16..2000, 0u16..2000), 0..6),
            address in any::<u32>(),
            low in 0u16..1500,
            width in 0u16..300,
        ) {
            let high = low.saturating_add(width);
            let entries: Vec<AclEntry> = rules.iter().map(|&(number, allow, prefix, from, to)| {
                let base = address & !(u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0));
                let net = ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(base), prefix).unwrap();
                AclEntry { rule_number: number, egress: true, protocol: "6".into(), allow, cidr: Some(IpNet::V4(net)), port_from: Some(i32::from(from.min(to))), port_to: Some(i32::from(from.max(to))) }
            }).collect();
            // rule numbers must be unique in an ACL
            let mut seen = std::collections::HashSet::new();
            let entries: Vec<AclEntry> = entries.into_iter().filter(|e| seen.insert(e.rule_number)).collect();
            let raw: Vec<_> = rules.iter().filter(|r| entries.iter().any(|e| e.rule_number == r.0 && e.allow == r.1 && e.port_from == Some(i32::from(r.3.min(r.4))) && e.port_to == Some(i32::from(r.3.max(r.4))))).cloned().collect();
            let mut dedup = std::collections::HashSet::new();
            let raw: Vec<_> = raw.into_iter().filter(|r| dedup.insert(r.0)).collect();
            let list = acl(entries);
            let got = network_acl_allows(&list, true, (low, high), &Address::Known { ip: IpAddr::V4(std::net::Ipv4Addr::from(address)) });
            let want = reference(&raw, address, (low, high));
            prop_assert_eq!(matches!(got, RuleDecision::Allow { .. }), want, "{:?}", got);
        }
    }
}
