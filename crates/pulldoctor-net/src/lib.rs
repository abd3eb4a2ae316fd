//! The path engine: can this node reach this host, and if not, which hop stops it and why?
//!
//! Given the [`Model`](pulldoctor_model::Model), [`Engine::trace`] walks the way a packet from a node to a registry host
//! goes in AWS, one hop after another, each in a module of its own:
//!
//! | order | hop | module |
//! |---|---|---|
//! | 1 | the source: the node's instance (or a subnet), its subnet, address, security groups | `source` |
//! | 2 | DNS: the VPC resolver, interface endpoints with private DNS, the dialled address | `dns` |
//! | 3a | an interface endpoint DNS resolves to: its security groups, both subnets' ACLs, its policy; the walk ends there | `endpoints`, `policy` |
//! | 3b | the node's security groups, its subnet's network ACL outbound | `filters` |
//! | 4 | the effective route table (explicit association, else the VPC's main table) and its longest-prefix route | `engine`, `route` |
//! | 5 | what the route points at: internet or egress-only gateway, peering, a target that leaves what the bundle describes (transit gateway, VPN, appliance); no route at all | `targets` |
//! | 5 | a NAT gateway and the leg beyond it (the NAT subnet's ACL and table, its internet gateway) | `nat` |
//! | 5 | a gateway endpoint (S3, with its policy) or a Gateway Load Balancer endpoint | `endpoints`, `policy` |
//! | 6 | the node subnet's ACL again, inbound, for the reply (ACLs are stateless) | `filters` |
//!
//! `engine` holds the [`Engine`] and that order; `query` what a trace asks ([`Origin`], [`Target`]);
//! `result` what it answers ([`PathResult`], its hops and verdict); `recorder` the walk being
//! recorded and the [`Interner`] that shares texts and NAT legs between paths; `network` the model
//! with each VPC's usable egress, computed once. Below them, `address` (what a destination is),
//! `rules` (security group and network ACL evaluation) and `route` (longest prefix) know nothing of
//! the walk. Imports go one way: `result` <- `recorder` <- the hop modules <- `engine`.
//!
//! Each result is an ordered list of hops with the deciding rule quoted, and a verdict. A hop the
//! bundle cannot settle makes the verdict `unknown`, never `reachable`.
//!
//! Architecture invariant: no I/O, no clock, no environment.

pub mod address;
mod dns;
mod endpoints;
mod engine;
mod filters;
mod nat;
mod network;
mod policy;
mod query;
mod recorder;
mod result;
pub mod route;
pub mod rules;
mod source;
mod targets;

pub use address::Address;
pub use engine::Engine;
pub use query::{Origin, Target};
pub use recorder::Interner;
pub use result::{Blocker, Hop, HopKind, HopStatus, PathResult, Service, Verdict, service_of};
