//! The checks, one file each, and their registry: one explicit slice, no magic.
//!
//! A check is a plain function of the [`Context`](crate::context::Context) (the model plus the
//! shared analyses: the failing containers and the path engine) that writes findings, ruled-out
//! notes and gaps into [`Findings`](crate::context::Findings). A check cannot fail: what it could
//! not decide is a gap. Checks share logic through the crate's shared modules (`context`,
//! `credentials`, `affected`, `fix`), never by importing each other.

pub use crate::check::{Check, CheckInfo};

pub mod cluster_policy;
pub mod image_existence;
pub mod image_platform;
pub mod image_reference;
pub mod network_path;
pub mod node_disk;
pub mod node_iam;
pub mod pull_secrets;
pub mod registry_response;

/// Every check, in the order they run.
pub static CHECKS: &[&dyn Check] = &[
    &image_reference::ImageReference,
    &network_path::NetworkPath,
    &pull_secrets::PullSecrets,
    &node_iam::NodeIam,
    &image_existence::ImageExistence,
    &image_platform::ImagePlatform,
    &registry_response::RegistryResponse,
    &node_disk::NodeDisk,
    &cluster_policy::ClusterPolicy,
];
