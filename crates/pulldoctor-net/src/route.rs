//! Route selection: longest-prefix match over CIDR routes and prefix-list routes.
//!
//! AWS picks the most specific route that matches. A prefix-list route (an S3 gateway endpoint's
//! `DestinationPrefixListId`) matches with the length of the list entry that holds the address.
//! On equal length a CIDR route beats a prefix-list route, and a static route beats a propagated
//! one.

use pulldoctor_model::{Model, Route, RouteDestination, RouteState, RouteTable, RouteTarget};

use crate::address::{Address, Coverage, covers};

/// The route that carries `address`, if any, plus routes that might carry part of it (when the
/// address is a set or "some public address").
pub struct Selection<'a> {
    pub route: Option<&'a Route>,
    pub ambiguous: Vec<&'a Route>,
}

fn route_match(model: &Model, route: &Route, address: &Address) -> (Coverage, u8) {
    match &route.destination {
        RouteDestination::Cidr(net) => (covers(net, address), net.prefix_len()),
        RouteDestination::PrefixList(id) => {
            if let Address::Set { label, .. } = address
                && label == id
            {
                return (Coverage::Yes, 128);
            }
            if let Address::AnyPublic { .. } = address {
                // A prefix list names one service's ranges; "some public address" of another
                // service is not in it.
                return (Coverage::No, 0);
            }
            let Some(cidrs) = model.prefix_lists.get(id).and_then(|p| p.cidrs.as_ref()) else {
                return (Coverage::Maybe, 0);
            };
            let mut best = (Coverage::No, 0);
            for cidr in cidrs {
                match covers(cidr, address) {
                    Coverage::Yes if best.0 != Coverage::Yes || cidr.prefix_len() > best.1 => best = (Coverage::Yes, cidr.prefix_len()),
                    Coverage::Maybe if best.0 == Coverage::No => best = (Coverage::Maybe, cidr.prefix_len()),
                    _ => {}
                }
            }
            best
        }
    }
}

/// Rank for ties: CIDR over prefix list, static over propagated.
fn tie_rank(route: &Route) -> (u8, u8) {
    let kind = match route.destination {
        RouteDestination::Cidr(_) => 1,
        RouteDestination::PrefixList(_) => 0,
    };
    let origin = match route.origin.as_deref() {
        Some("EnableVgwRoutePropagation") => 0,
        _ => 1,
    };
    (kind, origin)
}

pub fn select<'a>(model: &Model, table: &'a RouteTable, address: &Address) -> Selection<'a> {
    let mut best: Option<(&Route, u8)> = None;
    let mut maybes: Vec<(&Route, u8)> = Vec::new();
    for route in &table.routes {
        let (coverage, length) = route_match(model, route, address);
        match coverage {
            Coverage::Yes => {
                let better = match best {
                    None => true,
                    Some((current, current_length)) => {
                        length > current_length || (length == current_length && tie_rank(route) > tie_rank(current))
                    }
                };
                if better {
                    best = Some((route, length));
                }
            }
            Coverage::Maybe => maybes.push((route, length)),
            Coverage::No => {}
        }
    }
    // A partial match only matters when it is more specific than the chosen route.
    let ambiguous = maybes
        .into_iter()
        .filter(|(_, length)| best.is_none_or(|(_, best_length)| *length > best_length))
        .map(|(route, _)| route)
        .collect();
    Selection { route: best.map(|(route, _)| route), ambiguous }
}

/// A route as the hops quote it: `0.0.0.0/0 -> nat-0abc (active)`.
pub(crate) fn text(route: &Route) -> String {
    let target = match &route.target {
        RouteTarget::Local => "local".to_string(),
        other => other.id().to_string(),
    };
    let state = match route.state {
        RouteState::Active => "active",
        RouteState::Blackhole => "blackhole",
    };
    format!("{} -> {target} ({state})", route.destination)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipnet::{IpNet, Ipv4Net};
    use proptest::prelude::*;
    use pulldoctor_model::{RouteState, RouteTarget};
    use std::net::{IpAddr, Ipv4Addr};

    fn table(routes: Vec<(IpNet, &str)>) -> RouteTable {
        RouteTable {
            id: "rtb-1".into(),
            vpc_id: "vpc-1".into(),
            owner_id: None,
            main: false,
            subnet_ids: vec![],
            routes: routes
                .into_iter()
                .map(|(net, target)| Route {
                    destination: RouteDestination::Cidr(net),
                    target: RouteTarget::NatGateway(target.into()),
                    state: RouteState::Active,
                    origin: None,
                })
                .collect(),
            name: None,
            association_ids: Default::default(),
        }
    }

    #[test]
    fn most_specific_wins_and_prefix_lists_match() {
        let mut model = Model::default();
        model.prefix_lists.insert(
            "pl-s3".into(),
            pulldoctor_model::PrefixList { id: "pl-s3".into(), name: None, cidrs: Some(vec!["52.216.0.0/15".parse().unwrap()]) },
        );
        let mut rt = table(vec![("0.0.0.0/0".parse().unwrap(), "nat-a"), ("10.0.0.0/16".parse().unwrap(), "local")]);
        rt.routes.push(Route {
            destination: RouteDestination::PrefixList("pl-s3".into()),
            target: RouteTarget::VpcEndpoint("vpce-s3".into()),
            state: RouteState::Active,
            origin: None,
        });
        let pick = |ip: &str| select(&model, &rt, &Address::Known { ip: ip.parse().unwrap() }).route.map(|r| r.target.id().to_string());
        assert_eq!(pick("52.217.1.1").as_deref(), Some("vpce-s3"));
        assert_eq!(pick("52.207.2.251").as_deref(), Some("nat-a"));
        assert_eq!(pick("10.0.3.3").as_deref(), Some("local"));
        let s3 = Address::Set { label: "pl-s3".into(), cidrs: vec!["52.216.0.0/15".parse().unwrap()], service: true };
        assert_eq!(select(&model, &rt, &s3).route.map(|r| r.target.id()), Some("vpce-s3"));
        let only_local = table(vec![("10.0.0.0/16".parse().unwrap(), "local")]);
        assert!(select(&model, &only_local, &Address::AnyPublic { v6: false }).route.is_none());
    }

    /// Naive reference: the longest prefix that contains the address, first in order on ties.
    fn reference(routes: &[(u32, u8)], address: u32) -> Option<usize> {
        let mut best: Option<(usize, u8)> = None;
        for (position, &(base, length)) in routes.iter().enumerate() {
            let mask = if length == 0 { 0 } else { u32::MAX << (32 - u32::from(length)) };
            if address & mask == base & mask && best.is_none_or(|(_, l)| length > l) {
                best = Some((position, length));
            }
        }
        best.map(|(position, _)| position)
    }

    proptest! {
        #[test]
        fn longest_prefix_matches_reference(routes in proptest::collection::vec((any::<u32>(), 0u8..=32), 0..12), address in any::<u32>()) {
            let nets: Vec<(IpNet, String)> = routes.iter().enumerate().map(|(i, &(base, length))| {
                (IpNet::V4(Ipv4Net::new(Ipv4Addr::from(base), length).unwrap().trunc()), format!("t{i}"))
            }).collect();
            let rt = table(nets.iter().map(|(n, t)| (*n, t.as_str())).collect());
            let model = Model::default();
            let got = select(&model, &rt, &Address::Known { ip: IpAddr::V4(Ipv4Addr::from(address)) }).route.map(|r| r.target.id().to_string());
            let want = reference(&routes, address).map(|i| format!("t{i}"));
            // Equal-length duplicates may resolve to either: compare the prefix length instead.
            let len = |t: &Option<String>| t.as_ref().map(|t| routes[t[1..].parse::<usize>().unwrap()].1);
            prop_assert_eq!(len(&got), len(&want));
        }
    }
}
