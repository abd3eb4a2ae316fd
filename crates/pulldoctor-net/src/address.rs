//! Destinations as the engine knows them, and whether a CIDR covers one.
//!
//! A pull often names a host, not an address: the engine then reasons about "an address in the S3
//! prefix list" or "some public address of that service", and says so. Coverage is three-valued
//! so that a rule which may or may not apply is reported as unknown instead of guessed.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Address {
    /// One concrete address (a dialled address from the error, an endpoint interface's IP).
    Known { ip: IpAddr },
    /// Some address inside these CIDRs (a prefix list, an endpoint subnet).
    Set {
        label: String,
        #[schemars(with = "Vec<String>")]
        cidrs: Vec<IpNet>,
        /// An AWS service's public ranges (the `com.amazonaws.REGION.s3` prefix list): public
        /// addresses even when the bundle does not list them, so never inside a private route.
        #[serde(skip)]
        service: bool,
    },
    /// Some public address of the service: only routes and rules covering all public addresses
    /// (`0.0.0.0/0`) are known to apply.
    AnyPublic { v6: bool },
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Known { ip } => write!(f, "{ip}"),
            Address::Set { label, .. } => write!(f, "an address in {label}"),
            Address::AnyPublic { v6: false } => f.write_str("a public IPv4 address"),
            Address::AnyPublic { v6: true } => f.write_str("a public IPv6 address"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    Yes,
    Maybe,
    No,
}

/// RFC 1918, carrier-grade NAT, link-local, loopback, ULA: addresses a NAT or IGW never reaches.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || (o[0] == 100 && (64..128).contains(&o[1])) || v4.is_unspecified()
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 || v6.is_unspecified()
        }
    }
}

fn net_is_private(net: &IpNet) -> bool {
    // A network is private when both its ends are.
    is_private(net.network()) && is_private(net.broadcast())
}

/// Does `net` cover `address`?
pub fn covers(net: &IpNet, address: &Address) -> Coverage {
    match address {
        Address::Known { ip } => {
            if net.contains(ip) {
                Coverage::Yes
            } else {
                Coverage::No
            }
        }
        Address::Set { cidrs, service, .. } => {
            if cidrs.is_empty() {
                // A list whose ranges the bundle lacks (`describe-managed-prefix-lists` prints
                // none for AWS's lists): still IPv4 addresses, so all of IPv4 surely covers them;
                // a service's are public, so a private range (the VPC's local route) does not.
                return match net {
                    IpNet::V4(v4) if v4.prefix_len() == 0 => Coverage::Yes,
                    IpNet::V6(_) => Coverage::No,
                    _ if *service && is_private(net.addr()) => Coverage::No,
                    _ => Coverage::Maybe,
                };
            }
            let same_family: Vec<&IpNet> = cidrs.iter().filter(|c| c.addr().is_ipv4() == net.addr().is_ipv4()).collect();
            if same_family.is_empty() {
                return Coverage::No;
            }
            if same_family.iter().all(|c| net.contains(*c)) {
                Coverage::Yes
            } else if same_family.iter().any(|c| net.contains(*c) || c.contains(net)) {
                Coverage::Maybe
            } else {
                Coverage::No
            }
        }
        Address::AnyPublic { v6 } => {
            if net.addr().is_ipv6() != *v6 {
                Coverage::No
            } else if net.prefix_len() == 0 {
                Coverage::Yes
            } else if net_is_private(net) {
                Coverage::No
            } else {
                Coverage::Maybe
            }
        }
    }
}

/// The prefix length a matching route has for this address, for longest-prefix match; for a set,
/// the route must cover the whole set.
pub fn is_v6(address: &Address) -> bool {
    match address {
        Address::Known { ip } => ip.is_ipv6(),
        Address::Set { cidrs, .. } => cidrs.first().is_some_and(|c| c.addr().is_ipv6()),
        Address::AnyPublic { v6 } => *v6,
    }
}

pub fn is_public(address: &Address) -> bool {
    match address {
        Address::Known { ip } => !is_private(*ip),
        Address::Set { cidrs, .. } => cidrs.iter().all(|c| !net_is_private(c)),
        Address::AnyPublic { .. } => true,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_list_without_its_ranges_is_still_inside_all_of_ipv4() {
        use super::{Address, Coverage, covers};
        let unknown = Address::Set { label: "pl-63a5400a".into(), cidrs: Vec::new(), service: true };
        assert_eq!(covers(&"0.0.0.0/0".parse().unwrap(), &unknown), Coverage::Yes);
        assert_eq!(covers(&"52.216.0.0/15".parse().unwrap(), &unknown), Coverage::Maybe);
        assert_eq!(covers(&"::/0".parse().unwrap(), &unknown), Coverage::No);
    }

    use super::*;

    fn check(net: &str, address: Address, expect: Coverage) {
        let net: IpNet = net.parse().unwrap();
        assert_eq!(covers(&net, &address), expect, "{net} covers {address}");
    }

    #[test]
    fn coverage() {
        let ip = |s: &str| Address::Known { ip: s.parse().unwrap() };
        check("0.0.0.0/0", ip("52.207.2.251"), Coverage::Yes);
        check("10.0.0.0/16", ip("52.207.2.251"), Coverage::No);
        check("::/0", ip("52.207.2.251"), Coverage::No);
        check("0.0.0.0/0", Address::AnyPublic { v6: false }, Coverage::Yes);
        check("52.0.0.0/8", Address::AnyPublic { v6: false }, Coverage::Maybe);
        check("10.0.0.0/8", Address::AnyPublic { v6: false }, Coverage::No);
        let s3 = Address::Set {
            label: "pl-63a5400a".into(),
            cidrs: vec!["52.216.0.0/15".parse().unwrap(), "54.231.0.0/16".parse().unwrap()],
            service: true,
        };
        check("0.0.0.0/0", s3.clone(), Coverage::Yes);
        check("52.216.0.0/15", s3.clone(), Coverage::Maybe);
        check("10.0.0.0/16", s3, Coverage::No);
        assert!(is_private("100.64.1.1".parse().unwrap()));
        assert!(!is_private("52.207.2.251".parse().unwrap()));
        assert!(is_private("fd00::1".parse().unwrap()));
    }
}
