//! The failing pods' ECR repositories: each registry's listing, the images and the policy.

use std::collections::BTreeMap;

use futures_util::future::join_all;

use super::shapes::{self, object, text};
use super::{AwsOptions, Run};

/// The repositories' registries (listing), images and policies.
pub(super) async fn ecr(run: &Run<'_>, config: &aws_config::SdkConfig, options: &AwsOptions) {
    let client = |region: Option<&str>| match region {
        Some(region) => aws_sdk_ecr::Client::from_conf(
            aws_sdk_ecr::config::Builder::from(config).region(aws_config::Region::new(region.to_string())).build(),
        ),
        None => aws_sdk_ecr::Client::new(config),
    };
    let region_name =
        |region: Option<&str>| region.map(str::to_string).or_else(|| config.region().map(|r| r.to_string())).unwrap_or_default();
    // One listing per registry (account and region): "the repository does not exist" needs it.
    let mut registries: BTreeMap<(Option<String>, Option<String>), Vec<&str>> = BTreeMap::new();
    for repository in &options.repositories {
        registries.entry((repository.account.clone(), repository.region.clone())).or_default().push(&repository.name);
    }
    if registries.is_empty() {
        registries.insert((None, None), Vec::new());
    }
    join_all(registries.iter().map(|((account, region), names)| {
        let ecr = client(region.as_deref());
        let registry = format!("{}-{}", account.as_deref().unwrap_or("own"), region_name(region.as_deref()));
        async move {
            let items = run
                .call(
                    "ecr:DescribeRepositories",
                    ecr.describe_repositories().set_registry_id(account.clone()).into_paginator().items().send().try_collect(),
                )
                .await;
            run.listing(&format!("aws/ecr-describe-repositories-{registry}.json"), "repositories", items, shapes::repository);
            join_all(names.iter().map(|name| {
                let ecr = ecr.clone();
                let file = format!("{registry}-{}", name.replace('/', "_"));
                async move {
                    let missing = |code: &str| code == "RepositoryNotFoundException";
                    let images = ecr
                        .describe_images()
                        .set_registry_id(account.clone())
                        .repository_name(*name)
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect();
                    // A missing repository is an answer the listing already gives, not a failure.
                    if let Ok(images) = run.answer("ecr:DescribeImages", images, missing).await {
                        run.listing(&format!("aws/ecr-describe-images-{file}.json"), "imageDetails", images, shapes::image);
                    }
                    let policy = ecr.get_repository_policy().set_registry_id(account.clone()).repository_name(*name).send();
                    let no_policy = |code: &str| code == "RepositoryPolicyNotFoundException" || missing(code);
                    if let Ok(Some(policy)) = run.answer("ecr:GetRepositoryPolicy", policy, no_policy).await {
                        run.file(
                            format!("aws/ecr-get-repository-policy-{file}.json"),
                            object(vec![
                                ("registryId", text(policy.registry_id())),
                                ("repositoryName", text(policy.repository_name())),
                                ("policyText", text(policy.policy_text())),
                            ]),
                        );
                    }
                }
            }))
            .await;
        }
    }))
    .await;
}
