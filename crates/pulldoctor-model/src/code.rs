//! Every cause code pulldoctor reports, as a type. The string form ([`Code::as_str`]) is the
//! published contract: it is what the JSON report, `pulldoctor explain` and the docs show, and a
//! code keeps its meaning once published. Analyses match on the enum, never on the string, so a
//! code cannot be misspelt and every `match` over codes is checked for exhaustiveness.
//!
//! The path engine blocks with the network codes, the diagnosis checks with the rest; the
//! documentation of each code (`pulldoctor_diagnosis::codes`) is an exhaustive match over it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! codes {
    ($( $(#[$meta:meta])* $variant:ident = $text:literal, )*) => {
        /// A cause code. See the module documentation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$meta])* $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The published name, e.g. `route.no-route`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    RouteNoRoute = "route.no-route",
    RouteBlackhole = "route.blackhole",
    RouteWrongTarget = "route.wrong-target",
    NatUnavailable = "nat.unavailable",
    NatNoInternetRoute = "nat.no-internet-route",
    IgwDetached = "igw.detached",
    SgEgressDenied = "sg.egress-denied",
    NaclEgressDenied = "nacl.egress-denied",
    NaclReturnDenied = "nacl.return-denied",
    EndpointPrivateDnsDisabled = "endpoint.private-dns-disabled",
    EndpointSgDenied = "endpoint.sg-denied",
    EndpointS3Unreachable = "endpoint.s3-unreachable",
    EndpointMissing = "endpoint.missing",
    EndpointPolicyDenied = "endpoint.policy-denied",
    DnsVpcResolverDisabled = "dns.vpc-resolver-disabled",
    DnsCustomServers = "dns.custom-servers",
    /// Not a fault: the path leaves what the input describes, so the rest is unknown.
    PathLeavesScope = "path.leaves-scope",
    ProxyMisconfigured = "proxy.misconfigured",
    ClusterRegistryBlocked = "cluster.registry-blocked",
    ClusterMirrorMisconfigured = "cluster.mirror-misconfigured",
    PullSecretExpired = "pullsecret.expired",
    PullSecretMissing = "pullsecret.missing",
    PullSecretWrongRegistry = "pullsecret.wrong-registry",
    PullSecretNotFound = "pullsecret.not-found",
    IamEcrDenied = "iam.ecr-denied",
    EcrRepositoryPolicyDenied = "ecr.repository-policy-denied",
    ImageTagNotFound = "image.tag-not-found",
    ImageRepositoryNotFound = "image.repository-not-found",
    ImageInvalidReference = "image.invalid-reference",
    ImagePlatformMismatch = "image.platform-mismatch",
    RegistryRateLimited = "registry.rate-limited",
    RegistryTlsUntrusted = "registry.tls-untrusted",
    RegistryUnavailable = "registry.unavailable",
    NodeDiskPressure = "node.disk-pressure",
}

impl Code {
    /// The code with this published name.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|code| code.as_str() == text)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// A code read back from a file pulldoctor wrote (a baseline): its published string, or an error
/// naming the unknown one.
impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Code, D::Error> {
        let text = String::deserialize(deserializer)?;
        Code::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a pulldoctor cause code")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert_eq!(Code::parse(code.as_str()), Some(*code));
        }
        assert_eq!(Code::parse("route.no-such"), None);
    }
}
