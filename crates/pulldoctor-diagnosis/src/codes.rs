//! Every cause code, documented for users: what it means, the message it typically comes with,
//! and the fix. `pulldoctor explain CODE` prints an entry; `docs/codes.md` is generated from it.
//! Codes keep their meaning once published; new ones may be added.

use pulldoctor_model::Code;

use crate::report::Layer;

pub struct CodeDoc {
    pub code: Code,
    pub layer: Layer,
    pub meaning: &'static str,
    pub typical_message: &'static str,
    pub fix: &'static str,
    /// False for codes listed in the contract whose check is not built yet.
    pub implemented: bool,
}

macro_rules! codes {
    ($( $code:ident, $layer:ident, $implemented:literal, $meaning:literal, $message:literal, $fix:literal; )*) => {
        /// The documentation of `code`: an exhaustive match, so a new [`Code`] does not compile
        /// until it is documented here.
        pub fn doc(code: Code) -> &'static CodeDoc {
            match code {
                $(Code::$code => {
                    static DOC: CodeDoc = CodeDoc { code: Code::$code, layer: Layer::$layer, meaning: $meaning, typical_message: $message, fix: $fix, implemented: $implemented };
                    &DOC
                })*
            }
        }
    };
}

/// Every code's documentation, in [`Code::ALL`] order.
pub fn all() -> impl Iterator<Item = &'static CodeDoc> {
    Code::ALL.iter().map(|code| doc(*code))
}

codes! {
    RouteNoRoute, Network, true,
    "The route table the node's subnet uses (its explicit association, else the VPC's main table) has no route that covers the registry's address.",
    "dial tcp 52.207.2.251:443: i/o timeout",
    "aws ec2 create-route to a working NAT gateway (private subnets) or internet gateway (public ones), or associate the subnet with a table that has one.";
    RouteBlackhole, Network, true,
    "The matching route points at a target that no longer exists (state blackhole).",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 replace-route to a working gateway, or delete the stale route.";
    RouteWrongTarget, Network, true,
    "The matching route points at something that cannot carry this traffic: an internet gateway for nodes without public IPv4 addresses, a peering connection for internet traffic, a private NAT gateway, an endpoint for another service.",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 replace-route so the default route goes to a NAT gateway (or give the nodes public addresses).";
    NatUnavailable, Network, true,
    "The route goes to a NAT gateway that is not available (pending, failed, deleting or deleted).",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 replace-route to an available NAT gateway, or create a new one.";
    NatNoInternetRoute, Network, true,
    "The NAT gateway works, but its own subnet's route table has no route to an attached internet gateway.",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 create-route in the NAT subnet's table: 0.0.0.0/0 to the internet gateway.";
    IgwDetached, Network, true,
    "The route goes to an internet gateway (or egress-only gateway) that is not attached to the VPC.",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 attach-internet-gateway.";
    SgEgressDenied, Network, true,
    "No egress rule of the node's security groups allows TCP 443 to the destination (security groups are stateful and a union of allows).",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 authorize-security-group-egress for tcp 443 (to 0.0.0.0/0, the S3 prefix list, or the endpoint's group).";
    NaclEgressDenied, Network, true,
    "A network ACL on the path denies the outbound packet to port 443 (first matching rule by number wins; the final * rule denies).",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 create-network-acl-entry with an allow rule numbered before the deny.";
    NaclReturnDenied, Network, true,
    "A network ACL on the path denies the reply: ACLs are stateless, so inbound traffic to the node's ephemeral ports (32768-60999 on Linux; 1024-65535 at a NAT gateway) needs its own allow rule.",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 create-network-acl-entry --ingress allowing tcp 1024-65535.";
    EndpointPrivateDnsDisabled, Network, true,
    "An interface endpoint for the registry or ECR API exists, but private DNS is off (or the VPC lacks enableDnsHostnames), so the host resolves to public addresses that the subnet cannot reach.",
    "dial tcp <public address>:443: i/o timeout",
    "aws ec2 modify-vpc-endpoint --private-dns-enabled.";
    EndpointSgDenied, Network, true,
    "The interface endpoint's security groups do not admit TCP 443 from the node.",
    "dial tcp 10.x.y.z:443: i/o timeout",
    "aws ec2 authorize-security-group-ingress on the endpoint's group for tcp 443 from the nodes.";
    EndpointS3Unreachable, Network, true,
    "The registry API is reachable but image layers are not: ECR serves layers from S3, and the node's route table has neither an S3 gateway endpoint route nor internet egress.",
    "httpReadSeeker: failed open: ... prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com ... i/o timeout",
    "aws ec2 modify-vpc-endpoint --add-route-table-ids (or create-vpc-endpoint for com.amazonaws.REGION.s3).";
    EndpointMissing, Network, true,
    "The VPC has no internet egress and no (available) VPC endpoint for the host, so nothing carries the traffic.",
    "dial tcp ...:443: i/o timeout",
    "Create ecr.api and ecr.dkr interface endpoints and an S3 gateway endpoint, or a NAT gateway.";
    EndpointPolicyDenied, Network, true,
    "The VPC endpoint's policy does not allow the pull (requests through an endpoint must satisfy its policy too).",
    "denied: ... because no VPC endpoint policy allows the ecr:BatchGetImage action",
    "aws ec2 modify-vpc-endpoint --policy-document with the pull actions allowed.";
    DnsVpcResolverDisabled, Dns, true,
    "enableDnsSupport is off for the VPC, so the Amazon-provided resolver does not answer and registry names do not resolve.",
    "dial tcp: lookup ... on 10.0.0.2:53: ... i/o timeout",
    "aws ec2 modify-vpc-attribute --enable-dns-support.";
    DnsCustomServers, Dns, true,
    "The VPC's DHCP options send nodes to DNS servers of your own, not the VPC resolver. An interface endpoint's private DNS is answered only by the VPC resolver, so unless those servers forward the region's amazonaws.com names to it, the registry resolves to public addresses and the endpoint is bypassed (in a VPC without internet egress, the pull then times out).",
    "dial tcp <public address>:443: i/o timeout (with ECR interface endpoints in the VPC)",
    "Forward REGION.amazonaws.com from your DNS servers to the VPC resolver (the VPC CIDR base + 2, or a Route 53 Resolver inbound endpoint), or give the VPC DHCP options with AmazonProvidedDNS (aws ec2 create-dhcp-options, associate-dhcp-options).";
    PathLeavesScope, Network, true,
    "The path leaves what the input describes (transit gateway, VPN, peering, firewall appliance): the rest must be checked there.",
    "dial tcp ...:443: i/o timeout",
    "Check the transit gateway route tables and the egress VPC, or run Reachability Analyzer from the node.";
    ProxyMisconfigured, Proxy, true,
    "The cluster proxy is used for the registry (noProxy misses it) and does not get through, or is unreachable.",
    "proxyconnect tcp: dial tcp 10.0.5.10:3128: i/o timeout",
    "Fix the proxy, or add the registry (or .amazonaws.com) to the cluster Proxy's noProxy.";
    ClusterRegistryBlocked, Cluster, true,
    "The cluster's image policy (image.config.openshift.io/cluster registrySources) blocks the registry, or allows only others.",
    "Source image rejected: Running image docker://... is rejected by policy.",
    "Allow the registry in image.config.openshift.io/cluster, or mirror the image to an allowed registry.";
    ClusterMirrorMisconfigured, Cluster, true,
    "A mirror policy (ImageDigestMirrorSet, ImageContentSourcePolicy) sends the pull to a mirror that does not serve the image, and with NeverContactSource the source is blocked.",
    "registry quay.io/acme is blocked in /etc/containers/registries.conf",
    "Mirror the image, fix the mirror set, or allow contacting the source.";
    PullSecretExpired, Access, true,
    "The ECR token in the pull secret expired before the pull (ECR tokens live 12 hours).",
    "Your authorization token has expired. Reauthenticate and try again.",
    "Recreate the secret with aws ecr get-login-password, better: a refresher or the kubelet ECR credential provider.";
    PullSecretMissing, Access, true,
    "No pull secret reaches the pod (pod spec, service account, global pull secret) for a registry that needs credentials.",
    "no basic auth credentials",
    "Create a pull secret and reference it from the pod or its service account.";
    PullSecretWrongRegistry, Access, true,
    "Pull secrets reach the pod, but none is for the image's registry host (hosts must match exactly, port included).",
    "unauthorized: authentication required",
    "Create the secret for the right host (as the image names it).";
    PullSecretNotFound, Access, true,
    "The pod or its service account references a pull secret that does not exist.",
    "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.",
    "Create the secret or fix its name.";
    IamEcrDenied, Access, true,
    "The node role's policies do not allow the ECR pull actions on the repository.",
    "not authorized to perform: ecr:BatchGetImage",
    "Attach AmazonEC2ContainerRegistryPullOnly (or ReadOnly) to the node role.";
    EcrRepositoryPolicyDenied, Access, true,
    "The repository policy does not allow the pulling principal (cross-account pulls need both sides to allow).",
    "403 Forbidden / denied",
    "aws ecr set-repository-policy allowing the principal's account or role.";
    ImageTagNotFound, Image, true,
    "The repository exists but the tag or digest does not.",
    "manifest unknown",
    "Push the tag, or fix the reference.";
    ImageRepositoryNotFound, Image, true,
    "The repository does not exist in the registry's account and region.",
    "name unknown: The repository with name 'x' does not exist",
    "Create or replicate the repository, or fix the account/region in the reference.";
    ImageInvalidReference, Image, true,
    "The image reference cannot be parsed.",
    "couldn't parse image reference: invalid reference format",
    "Fix the reference (lower-case repository, valid tag).";
    ImagePlatformMismatch, Image, true,
    "The image has no variant for the node's architecture.",
    "no match for platform in manifest",
    "Build and push a multi-arch image, or schedule on matching nodes.";
    RegistryRateLimited, Registry, true,
    "The registry refuses pulls for rate limiting (Docker Hub's anonymous limits).",
    "toomanyrequests: You have reached your pull rate limit",
    "Authenticate to Docker Hub, use a mirror or pull-through cache.";
    RegistryTlsUntrusted, Registry, true,
    "The registry's certificate is not trusted by the node.",
    "x509: certificate signed by unknown authority",
    "Add the CA to the nodes' trust (OpenShift: image.config additionalTrustedCA).";
    RegistryUnavailable, Registry, true,
    "The registry answers with server errors.",
    "received unexpected HTTP status: 503 Service Unavailable",
    "Wait or fail over; check the registry's status.";
    NodeDiskPressure, Node, true,
    "The node ran out of disk while extracting layers.",
    "no space left on device",
    "Free space on the node (image garbage collection) or grow its disk.";
}

/// The documentation of the code with this published name.
pub fn find(code: &str) -> Option<&'static CodeDoc> {
    Code::parse(code).map(doc)
}
