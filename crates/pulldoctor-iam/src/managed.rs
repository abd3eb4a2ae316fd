//! Built-in contents of the AWS managed policies that matter for image pulls.
//!
//! Each document is the default version as published in the *AWS Managed Policy Reference Guide*
//! (docs.aws.amazon.com/aws-managed-policy/latest/reference/NAME.html) and cross-checked against
//! two independent snapshots of `iam get-policy-version` output (the zoph-io/MAMIP and IAMTrail
//! policy archives, and the managed-policy data set shipped in moto 5.2.1). Version ids and
//! dates are noted per policy; AWS can publish a new default version at any time, so a bundle that
//! carries the document itself (`get-account-authorization-details` lists it under `Policies`)
//! should be preferred over this table.
//!
//! An ARN not in this table is *unknown*: [`managed_policy`] returns `None` and the caller must
//! report a gap rather than assume allow or deny.

use crate::policy::PolicyDocument;

/// `AmazonEC2ContainerRegistryReadOnly` v3 (edited 2019-12-10): read-only ECR, including every
/// pull action, on `Resource: "*"`.
const ECR_READ_ONLY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetLifecyclePolicy",
        "ecr:GetLifecyclePolicyPreview",
        "ecr:ListTagsForResource",
        "ecr:DescribeImageScanFindings"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// `AmazonEC2ContainerRegistryPullOnly` v1 (created 2024-10-04). Note: it does NOT contain
/// `ecr:BatchCheckLayerAvailability` (it has `ecr:BatchImportUpstreamImage` for pull-through cache
/// instead). Container runtimes pull with BatchGetImage + GetDownloadUrlForLayer.
const ECR_PULL_ONLY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchImportUpstreamImage"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// `AmazonEC2ContainerRegistryPowerUser` v3 (edited 2019-12-10): read and push, no deletes or
/// policy changes.
const ECR_POWER_USER: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetLifecyclePolicy",
        "ecr:GetLifecyclePolicyPreview",
        "ecr:ListTagsForResource",
        "ecr:DescribeImageScanFindings",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// `AmazonEC2ContainerRegistryFullAccess` v3 (edited 2020-12-05): `ecr:*` on `*`, plus a
/// conditional `iam:CreateServiceLinkedRole` for replication.
const ECR_FULL_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:*",
        "cloudtrail:LookupEvents"
      ],
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": [
        "iam:CreateServiceLinkedRole"
      ],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "iam:AWSServiceName": [
            "replication.ecr.amazonaws.com"
          ]
        }
      }
    }
  ]
}"#;

/// `AmazonEKSWorkerNodePolicy` v3 (edited 2023-11-27): EC2 describes, `eks:DescribeCluster` and
/// `eks-auth:AssumeRoleForPodIdentity`. It grants NO ECR action: EKS node roles need
/// `AmazonEC2ContainerRegistryReadOnly` (or PullOnly) attached as well.
const EKS_WORKER_NODE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "WorkerNodePermissions",
      "Effect": "Allow",
      "Action": [
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVolumes",
        "ec2:DescribeVolumesModifications",
        "ec2:DescribeVpcs",
        "eks:DescribeCluster",
        "eks-auth:AssumeRoleForPodIdentity"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// `AmazonEKS_CNI_Policy` v6 (edited 2026-03-04; the docs page showed v5 of 2024-03-04, which
/// lacked `ec2:DescribeSecurityGroups`). ENI management only, no ECR action.
const EKS_CNI: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AmazonEKSCNIPolicy",
      "Effect": "Allow",
      "Action": [
        "ec2:AssignPrivateIpAddresses",
        "ec2:AttachNetworkInterface",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeInstances",
        "ec2:DescribeTags",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DetachNetworkInterface",
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:UnassignPrivateIpAddresses"
      ],
      "Resource": "*"
    },
    {
      "Sid": "AmazonEKSCNIPolicyENITag",
      "Effect": "Allow",
      "Action": [
        "ec2:CreateTags"
      ],
      "Resource": [
        "arn:aws:ec2:*:*:network-interface/*"
      ]
    }
  ]
}"#;

/// `service-role/ROSAWorkerInstancePolicy` v6 (2026-02-12), the worker instance policy of ROSA
/// with hosted control planes. v1 (2023-04-20) had only `ec2:DescribeInstances` and
/// `ec2:DescribeRegions`; v6 adds `ecr:GetAuthorizationToken` and ECR read actions that hold only
/// on repositories tagged `red-hat-managed=true` (a `Condition`, so pulls evaluate as
/// conditional). ROSA classic worker roles use a customer policy (`ManagedOpenShift-Worker-Role-
/// Policy`) instead, which the bundle must carry.
const ROSA_WORKER_INSTANCE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "EC2DescribeInstancesRegions",
      "Effect": "Allow",
      "Action": [
        "ec2:DescribeInstances",
        "ec2:DescribeRegions"
      ],
      "Resource": "*"
    },
    {
      "Sid": "ECRGetAuthorizationToken",
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken"
      ],
      "Resource": "*"
    },
    {
      "Sid": "ECRReadOnlyAccessRedHatManaged",
      "Effect": "Allow",
      "Action": [
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:ListTagsForResource"
      ],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "aws:ResourceTag/red-hat-managed": "true"
        }
      }
    }
  ]
}"#;

/// The managed policies [`managed_policy`] knows, by ARN.
pub const KNOWN_MANAGED_POLICIES: &[(&str, &str)] = &[
    ("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly", ECR_READ_ONLY),
    ("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly", ECR_PULL_ONLY),
    ("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser", ECR_POWER_USER),
    ("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess", ECR_FULL_ACCESS),
    ("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", EKS_WORKER_NODE),
    ("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy", EKS_CNI),
    ("arn:aws:iam::aws:policy/service-role/ROSAWorkerInstancePolicy", ROSA_WORKER_INSTANCE),
];

/// The built-in document of a known AWS managed policy, by exact ARN
/// (`arn:aws:iam::aws:policy/...`). `None` means *unknown*: the caller has to treat the policy as
/// a gap (it may grant or deny anything), never as allow or deny.
pub fn managed_policy(arn: &str) -> Option<PolicyDocument> {
    KNOWN_MANAGED_POLICIES
        .iter()
        .find(|(known, _)| *known == arn)
        .map(|(_, text)| PolicyDocument::parse_str(text).expect("built-in managed policy documents are valid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decision, NamedPolicy, evaluate_identity};

    const REPO: &str = "arn:aws:ecr:us-east-1:123456789012:repository/team/app";

    /// Data-driven helper: (managed policy ARN, action, resource, expected decision kind).
    fn check(cases: &[(&str, &str, &str, &str)]) {
        for &(arn, action, resource, expected) in cases {
            let doc = managed_policy(arn).unwrap_or_else(|| panic!("{arn} is built in"));
            let named = NamedPolicy { name: arn, document: &doc };
            let got = evaluate_identity(&[named], action, resource);
            let kind = match got {
                Decision::Allowed { .. } => "allowed",
                Decision::ExplicitDeny { .. } => "deny",
                Decision::ImplicitDeny => "implicit",
                Decision::Conditional { .. } => "conditional",
            };
            assert_eq!(kind, expected, "{arn} {action} on {resource}: {got:?}");
        }
    }

    #[test]
    fn every_builtin_parses() {
        for (arn, _) in KNOWN_MANAGED_POLICIES {
            assert!(managed_policy(arn).is_some(), "{arn}");
        }
        assert!(managed_policy("arn:aws:iam::aws:policy/AdministratorAccess").is_none());
        assert!(managed_policy("arn:aws:iam::123456789012:policy/AmazonEC2ContainerRegistryReadOnly").is_none());
    }

    #[test]
    fn pull_actions_per_managed_policy() {
        let ro = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";
        let pull = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly";
        let power = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser";
        let full = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess";
        let node = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy";
        let cni = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy";
        let rosa = "arn:aws:iam::aws:policy/service-role/ROSAWorkerInstancePolicy";
        check(&[
            (ro, "ecr:GetAuthorizationToken", "*", "allowed"),
            (ro, "ecr:BatchGetImage", REPO, "allowed"),
            (ro, "ecr:GetDownloadUrlForLayer", REPO, "allowed"),
            (ro, "ecr:BatchCheckLayerAvailability", REPO, "allowed"),
            (ro, "ecr:PutImage", REPO, "implicit"),
            (pull, "ecr:GetAuthorizationToken", "*", "allowed"),
            (pull, "ecr:BatchGetImage", REPO, "allowed"),
            (pull, "ecr:GetDownloadUrlForLayer", REPO, "allowed"),
            (pull, "ecr:BatchCheckLayerAvailability", REPO, "implicit"),
            (power, "ecr:BatchGetImage", REPO, "allowed"),
            (power, "ecr:PutImage", REPO, "allowed"),
            (full, "ecr:BatchCheckLayerAvailability", REPO, "allowed"),
            (full, "ecr:GetAuthorizationToken", "*", "allowed"),
            (node, "ecr:GetAuthorizationToken", "*", "implicit"),
            (node, "ecr:BatchGetImage", REPO, "implicit"),
            (cni, "ecr:BatchGetImage", REPO, "implicit"),
            (cni, "ecr:GetAuthorizationToken", "*", "implicit"),
            (rosa, "ecr:GetAuthorizationToken", "*", "allowed"),
            (rosa, "ecr:BatchGetImage", REPO, "conditional"),
            (rosa, "ecr:GetDownloadUrlForLayer", REPO, "conditional"),
        ]);
    }
}
