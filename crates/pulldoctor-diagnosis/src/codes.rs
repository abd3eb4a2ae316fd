//! Every cause code, documented for users: what it means, the message it typically comes with,
//! and the fix. `pulldoctor explain CODE` prints an entry; `docs/codes.md` is generated from it.
//! Codes keep their meaning once published; new ones may be added.

use crate::report::Layer;

pub struct CodeDoc {
    pub code: &'static str,
    pub layer: Layer,
    pub meaning: &'static str,
    pub typical_message: &'static str,
    pub fix: &'static str,
    /// False for codes listed in the contract whose check is not built yet.
    pub implemented: bool,
}

macro_rules! codes {
    ($( $code:literal, $layer:ident, $implemented:literal, $meaning:literal, $message:literal, $fix:literal; )*) => {
        pub static CODES: &[CodeDoc] = &[$(CodeDoc { code: $code, layer: Layer::$layer, meaning: $meaning, typical_message: $message, fix: $fix, implemented: $implemented }),*];
    };
}

codes! {
    "route.no-route", Network, true,
    "The route table the node's subnet uses (its explicit association, else the VPC's main table) has no route that covers the registry's address.",
    "dial tcp 52.207.2.251:443: i/o timeout",
    "aws ec2 create-route to a working NAT gateway (private subnets) or internet gateway (public ones), or associate the subnet with a table that has one.";
    "route.blackhole", Network, true,
    "The matching route points at a target that no longer exists (state blackhole).",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 replace-route to a working gateway, or delete the stale route.";
    "route.wrong-target", Network, true,
    "The matching route points at something that cannot carry this traffic: an internet gateway for nodes without public IPv4 addresses, a peering connection for internet traffic, a private NAT gateway, an endpoint for another service.",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 replace-route so the default route goes to a NAT gateway (or give the nodes public addresses).";
    "nat.unavailable", Network, true,
    "The route goes to a NAT gateway that is not available (pending, failed, deleting or deleted).",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 replace-route to an available NAT gateway, or create a new one.";
    "nat.no-internet-route", Network, true,
    "The NAT gateway works, but its own subnet's route table has no route to an attached internet gateway.",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 create-route in the NAT subnet's table: 0.0.0.0/0 to the internet gateway.";
    "igw.detached", Network, true,
    "The route goes to an internet gateway (or egress-only gateway) that is not attached to the VPC.",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 attach-internet-gateway.";
    "sg.egress-denied", Network, true,
    "No egress rule of the node's security groups allows TCP 443 to the destination (security groups are stateful and a union of allows).",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 authorize-security-group-egress for tcp 443 (to 0.0.0.0/0, the S3 prefix list, or the endpoint's group).";
    "nacl.egress-denied", Network, true,
    "A network ACL on the path denies the outbound packet to port 443 (first matching rule by number wins; the final * rule denies).",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 create-network-acl-entry with an allow rule numbered before the deny.";
    "nacl.return-denied", Network, true,
    "A network ACL on the path denies the reply: ACLs are stateless, so inbound traffic to the node's ephemeral ports (32768-60999 on Linux; 1024-65535 at a NAT gateway) needs its own allow rule.",
    "dial tcp ...:443: i/o timeout",
    "aws ec2 create-network-acl-entry --ingress allowing tcp 1024-65535.";
    "endpoint.private-dns-disabled", Network, true,
    "An interface endpoint for the registry or ECR API exists, but private DNS is off (or the VPC lacks enableDnsHostnames), so the host resolves to public addresses that the subnet cannot reach.",
    "dial tcp <public address>:443: i/o timeout",
    "aws ec2 modify-vpc-endpoint --private-dns-enabled.";
    "endpoint.sg-denied", Network, true,
    "The interface endpoint's security groups do not admit TCP 443 from the node.",
    "dial tcp 10.x.y.z:443: i/o timeout",
    "aws ec2 authorize-security-group-ingress on the endpoint's group for tcp 443 from the nodes.";
    "endpoint.s3-unreachable", Network, true,
    "The registry API is reachable but image layers are not: ECR serves layers from S3, and the node's route table has neither an S3 gateway endpoint route nor internet egress.",
    "httpReadSeeker: failed open: ... prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com ... i/o timeout",
    "aws ec2 modify-vpc-endpoint --add-route-table-ids (or create-vpc-endpoint for com.amazonaws.REGION.s3).";
    "endpoint.missing", Network, true,
    "The VPC has no internet egress and no (available) VPC endpoint for the host, so nothing carries the traffic.",
    "dial tcp ...:443: i/o timeout",
    "Create ecr.api and ecr.dkr interface endpoints and an S3 gateway endpoint, or a NAT gateway.";
    "endpoint.policy-denied", Network, true,
    "The VPC endpoint's policy does not allow the pull (requests through an endpoint must satisfy its policy too).",
    "denied: ... because no VPC endpoint policy allows the ecr:BatchGetImage action",
    "aws ec2 modify-vpc-endpoint --policy-document with the pull actions allowed.";
    "dns.vpc-resolver-disabled", Dns, true,
    "enableDnsSupport is off for the VPC, so the Amazon-provided resolver does not answer and registry names do not resolve.",
    "dial tcp: lookup ... on 10.0.0.2:53: ... i/o timeout",
    "aws ec2 modify-vpc-attribute --enable-dns-support.";
    "path.leaves-scope", Network, true,
    "The path leaves what the input describes (transit gateway, VPN, peering, firewall appliance): the rest must be checked there.",
    "dial tcp ...:443: i/o timeout",
    "Check the transit gateway route tables and the egress VPC, or run Reachability Analyzer from the node.";
    "proxy.misconfigured", Proxy, true,
    "The cluster proxy is used for the registry (noProxy misses it) and does not get through, or is unreachable.",
    "proxyconnect tcp: dial tcp 10.0.5.10:3128: i/o timeout",
    "Fix the proxy, or add the registry (or .amazonaws.com) to the cluster Proxy's noProxy.";
    "cluster.registry-blocked", Cluster, true,
    "The cluster's image policy (image.config.openshift.io/cluster registrySources) blocks the registry, or allows only others.",
    "Source image rejected: Running image docker://... is rejected by policy.",
    "Allow the registry in image.config.openshift.io/cluster, or mirror the image to an allowed registry.";
    "cluster.mirror-misconfigured", Cluster, true,
    "A mirror policy (ImageDigestMirrorSet, ImageContentSourcePolicy) sends the pull to a mirror that does not serve the image, and with NeverContactSource the source is blocked.",
    "registry quay.io/acme is blocked in /etc/containers/registries.conf",
    "Mirror the image, fix the mirror set, or allow contacting the source.";
    "pullsecret.expired", Access, true,
    "The ECR token in the pull secret expired before the pull (ECR tokens live 12 hours).",
    "Your authorization token has expired. Reauthenticate and try again.",
    "Recreate the secret with aws ecr get-login-password, better: a refresher or the kubelet ECR credential provider.";
    "pullsecret.missing", Access, true,
    "No pull secret reaches the pod (pod spec, service account, global pull secret) for a registry that needs credentials.",
    "no basic auth credentials",
    "Create a pull secret and reference it from the pod or its service account.";
    "pullsecret.wrong-registry", Access, true,
    "Pull secrets reach the pod, but none is for the image's registry host (hosts must match exactly, port included).",
    "unauthorized: authentication required",
    "Create the secret for the right host (as the image names it).";
    "pullsecret.not-found", Access, true,
    "The pod or its service account references a pull secret that does not exist.",
    "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.",
    "Create the secret or fix its name.";
    "iam.ecr-denied", Access, true,
    "The node role's policies do not allow the ECR pull actions on the repository.",
    "not authorized to perform: ecr:BatchGetImage",
    "Attach AmazonEC2ContainerRegistryPullOnly (or ReadOnly) to the node role.";
    "ecr.repository-policy-denied", Access, true,
    "The repository policy does not allow the pulling principal (cross-account pulls need both sides to allow).",
    "403 Forbidden / denied",
    "aws ecr set-repository-policy allowing the principal's account or role.";
    "image.tag-not-found", Image, true,
    "The repository exists but the tag or digest does not.",
    "manifest unknown",
    "Push the tag, or fix the reference.";
    "image.repository-not-found", Image, true,
    "The repository does not exist in the registry's account and region.",
    "name unknown: The repository with name 'x' does not exist",
    "Create or replicate the repository, or fix the account/region in the reference.";
    "image.invalid-reference", Image, true,
    "The image reference cannot be parsed.",
    "couldn't parse image reference: invalid reference format",
    "Fix the reference (lower-case repository, valid tag).";
    "image.platform-mismatch", Image, true,
    "The image has no variant for the node's architecture.",
    "no match for platform in manifest",
    "Build and push a multi-arch image, or schedule on matching nodes.";
    "registry.rate-limited", Registry, true,
    "The registry refuses pulls for rate limiting (Docker Hub's anonymous limits).",
    "toomanyrequests: You have reached your pull rate limit",
    "Authenticate to Docker Hub, use a mirror or pull-through cache.";
    "registry.tls-untrusted", Registry, true,
    "The registry's certificate is not trusted by the node.",
    "x509: certificate signed by unknown authority",
    "Add the CA to the nodes' trust (OpenShift: image.config additionalTrustedCA).";
    "registry.unavailable", Registry, true,
    "The registry answers with server errors.",
    "received unexpected HTTP status: 503 Service Unavailable",
    "Wait or fail over; check the registry's status.";
    "node.disk-pressure", Node, true,
    "The node ran out of disk while extracting layers.",
    "no space left on device",
    "Free space on the node (image garbage collection) or grow its disk.";
}

pub fn find(code: &str) -> Option<&'static CodeDoc> {
    CODES.iter().find(|c| c.code == code)
}
