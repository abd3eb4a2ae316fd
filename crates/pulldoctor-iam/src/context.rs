//! What is known about a request beyond its principal, action and resource: the condition keys
//! that the network path decides. A repository policy that allows pulls only through one VPC
//! endpoint (`aws:SourceVpce`), from one VPC (`aws:SourceVpc`) or from given addresses
//! (`aws:SourceIp`) cannot be judged from the policy alone, but the path engine knows whether the
//! request leaves through an interface endpoint (which one, in which VPC) or through a NAT or
//! internet gateway (with which public address). Keys the context does not decide stay unknown,
//! and statements that rest on them stay conditional.
//!
//! Semantics (IAM User Guide, *Condition operators*): a key absent from the request makes a
//! positive operator false and a negated one (`StringNotEquals`, `NotIpAddress`, ...) true;
//! `...IfExists` is true when the key is absent; `Null` tests presence. `aws:SourceIp` is absent
//! when the request goes through a VPC endpoint (`aws:VpcSourceIp` is present instead), and
//! `aws:SourceVpc` / `aws:SourceVpce` are present only then.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::policy::Condition;
use crate::wildcard;

/// Condition keys and what the request carries for each: `Some(value)` present, `None` known to
/// be absent. Keys not in the map are unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    keys: BTreeMap<String, (String, Option<String>)>,
}

impl RequestContext {
    /// The empty context: every condition key unknown.
    pub fn unknown() -> Self {
        Self::default()
    }

    /// A request that leaves the VPC through interface endpoint `endpoint` of `vpc`, from the
    /// node's private address.
    pub fn through_endpoint(endpoint: &str, vpc: &str, private_ip: Option<IpAddr>) -> Self {
        Self::default()
            .with("aws:SourceVpce", Some(endpoint))
            .with("aws:SourceVpc", Some(vpc))
            .with("aws:SourceIp", None)
            .with("aws:VpcSourceIp", private_ip.map(|ip| ip.to_string()).as_deref())
    }

    /// A request that reaches the service over the internet from `public_ip` (a NAT gateway's or
    /// the node's own public address; `None` when the address is not known).
    pub fn over_the_internet(public_ip: Option<IpAddr>) -> Self {
        let context = Self::default().with("aws:SourceVpce", None).with("aws:SourceVpc", None).with("aws:VpcSourceIp", None);
        match public_ip {
            Some(ip) => context.with("aws:SourceIp", Some(&ip.to_string())),
            // Present, but its value is unknown: leave the key undecided.
            None => context,
        }
    }

    /// Set `key` to `value` (`None`: known to be absent from the request).
    pub fn with(mut self, key: &str, value: Option<&str>) -> Self {
        self.keys.insert(key.to_ascii_lowercase(), (key.to_string(), value.map(str::to_string)));
        self
    }

    /// Whether the context decides `key` (present or known absent).
    pub fn decides(&self, key: &str) -> bool {
        self.keys.contains_key(&key.to_ascii_lowercase())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// `aws:SourceVpce = vpce-1, aws:SourceIp absent`, for explanations.
    pub fn describe(&self) -> String {
        self.keys
            .values()
            .map(|(key, value)| match value {
                Some(value) => format!("{key} = {value}"),
                None => format!("{key} absent"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn get(&self, key: &str) -> Option<&Option<String>> {
        self.keys.get(&key.to_ascii_lowercase()).map(|(_, value)| value)
    }
}

/// A condition's outcome against a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    True,
    False,
    Unknown,
}

/// Evaluate one `operator: { key: values }` entry. Operators this evaluator does not model, set
/// operators (`ForAnyValue:`, `ForAllValues:`) and keys the context does not decide are unknown.
pub(crate) fn evaluate(condition: &Condition, context: &RequestContext) -> Outcome {
    if condition.operator.contains(':') {
        return Outcome::Unknown;
    }
    let Some(value) = context.get(&condition.key) else {
        return Outcome::Unknown;
    };
    let (operator, if_exists) = match condition.operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (condition.operator.as_str(), false),
    };
    let Some(value) = value else {
        // The key is absent from the request.
        return match operator {
            "Null" => bool_outcome(condition.values.iter().any(|v| v.eq_ignore_ascii_case("true"))),
            _ if if_exists => Outcome::True,
            _ if is_negated(operator) => Outcome::True,
            _ if is_known(operator) => Outcome::False,
            _ => Outcome::Unknown,
        };
    };
    if operator == "Null" {
        return bool_outcome(condition.values.iter().any(|v| v.eq_ignore_ascii_case("false")));
    }
    let matches = |pattern: &str| -> Option<bool> {
        Some(match operator {
            "StringEquals" | "StringNotEquals" | "ArnEquals" | "ArnNotEquals" => pattern == value,
            "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => pattern.eq_ignore_ascii_case(value),
            "StringLike" | "StringNotLike" | "ArnLike" | "ArnNotLike" => wildcard::matches(pattern, value, false),
            "IpAddress" | "NotIpAddress" => cidr_contains(pattern, value)?,
            _ => return None,
        })
    };
    let mut any = false;
    for pattern in &condition.values {
        match matches(pattern) {
            Some(true) => any = true,
            Some(false) => {}
            None => return Outcome::Unknown,
        }
    }
    bool_outcome(if is_negated(operator) { !any } else { any })
}

fn bool_outcome(value: bool) -> Outcome {
    if value { Outcome::True } else { Outcome::False }
}

fn is_negated(operator: &str) -> bool {
    matches!(operator, "StringNotEquals" | "StringNotEqualsIgnoreCase" | "StringNotLike" | "ArnNotEquals" | "ArnNotLike" | "NotIpAddress")
}

fn is_known(operator: &str) -> bool {
    matches!(operator, "StringEquals" | "StringEqualsIgnoreCase" | "StringLike" | "ArnEquals" | "ArnLike" | "IpAddress")
}

/// Whether `cidr` (`10.0.0.0/16`, or one address) contains `address`; `None` when either does not
/// parse.
fn cidr_contains(cidr: &str, address: &str) -> Option<bool> {
    let address: IpAddr = address.parse().ok()?;
    let (network, bits) = match cidr.split_once('/') {
        Some((network, bits)) => (network.parse::<IpAddr>().ok()?, bits.parse::<u32>().ok()?),
        None => {
            let network: IpAddr = cidr.parse().ok()?;
            (network, if network.is_ipv4() { 32 } else { 128 })
        }
    };
    Some(match (network, address) {
        (IpAddr::V4(network), IpAddr::V4(address)) if bits <= 32 => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(network) & mask == u32::from(address) & mask
        }
        (IpAddr::V6(network), IpAddr::V6(address)) if bits <= 128 => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(network) & mask == u128::from(address) & mask
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(operator: &str, key: &str, values: &[&str]) -> Condition {
        Condition { operator: operator.into(), key: key.into(), values: values.iter().map(|v| v.to_string()).collect() }
    }

    #[test]
    fn keys_the_path_decides() {
        let endpoint = RequestContext::through_endpoint("vpce-1", "vpc-1", None);
        let nat = RequestContext::over_the_internet(Some("3.4.5.6".parse().unwrap()));
        let not_vpce1 = condition("StringNotEquals", "aws:SourceVpce", &["vpce-1"]);
        assert_eq!(evaluate(&not_vpce1, &endpoint), Outcome::False);
        assert_eq!(evaluate(&not_vpce1, &nat), Outcome::True, "absent key: a negated operator is true");
        let vpce1 = condition("StringEquals", "aws:sourcevpce", &["vpce-2", "vpce-1"]);
        assert_eq!(evaluate(&vpce1, &endpoint), Outcome::True);
        assert_eq!(evaluate(&vpce1, &nat), Outcome::False, "absent key: a positive operator is false");
        let if_exists = condition("StringEqualsIfExists", "aws:SourceVpc", &["vpc-9"]);
        assert_eq!(evaluate(&if_exists, &nat), Outcome::True);
        assert_eq!(evaluate(&if_exists, &endpoint), Outcome::False);
        let from = condition("IpAddress", "aws:SourceIp", &["3.4.0.0/16"]);
        assert_eq!(evaluate(&from, &nat), Outcome::True);
        assert_eq!(evaluate(&from, &endpoint), Outcome::False);
        assert_eq!(evaluate(&condition("NotIpAddress", "aws:SourceIp", &["3.4.5.6"]), &nat), Outcome::False);
        assert_eq!(evaluate(&condition("Null", "aws:SourceVpce", &["true"]), &nat), Outcome::True);
        assert_eq!(evaluate(&condition("StringEquals", "aws:PrincipalOrgID", &["o-1"]), &nat), Outcome::Unknown);
        assert_eq!(evaluate(&condition("ForAnyValue:StringEquals", "aws:SourceVpce", &["vpce-1"]), &endpoint), Outcome::Unknown);
        assert_eq!(evaluate(&from, &RequestContext::over_the_internet(None)), Outcome::Unknown);
    }
}
