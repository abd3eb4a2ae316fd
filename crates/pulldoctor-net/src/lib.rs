//! The path engine: can this node reach this host, and if not, which hop stops it and why?
//!
//! Given the [`Model`], [`Engine::trace`] walks the way a packet from a node to a registry host
//! goes in AWS: DNS (the VPC resolver, interface endpoints with private DNS), the node's security
//! groups, its subnet's network ACL (both directions: ACLs are stateless), the effective route
//! table (explicit association, else the VPC's main table) and its longest-prefix route, then the
//! target: internet gateway, NAT gateway (and the NAT subnet's own table and ACL), egress-only
//! gateway, gateway endpoint, interface endpoint (its security groups, its subnet's ACL, its
//! policy), or a hop that leaves what the bundle describes (transit gateway, VPN, appliance).
//!
//! Each result is an ordered list of hops with the deciding rule quoted, and a verdict. A hop the
//! bundle cannot settle makes the verdict `unknown`, never `reachable`.
//!
//! Architecture invariant: no I/O, no clock, no environment.

pub mod address;
mod engine;
mod policy;
pub mod route;
pub mod rules;

pub use address::Address;
pub use engine::{Blocker, Engine, From, Hop, HopStatus, Interner, PathResult, Service, Target, Verdict, service_of};
