use pulldoctor_model::Code;
use std::collections::BTreeSet;

use pulldoctor_classify::{ErrorClass, PullStep};
use pulldoctor_model::InputKind;

use crate::affected::{Failure, is_network_class};
use crate::check::{Check, CheckInfo};
use crate::context::{Context, Findings};
use crate::declare_check;
use crate::fix::read_only;
use crate::report::{Cause, Confidence, Evidence, Fix, FixOption, Layer, Timing};
use crate::text;

declare_check! {
    /// ## What it checks
    /// That the image exists: for ECR, the repository in the registry's account and region
    /// (`describe-repositories`) and the tag or digest in it (`describe-images`); when the
    /// repository is missing there but present in another region or account of the bundle, it says
    /// so. For other registries, the registry's own answer (`manifest unknown`, `name unknown`).
    ///
    /// ## Why it breaks pulls
    /// A typo, a tag that was never pushed, a lifecycle policy that expired it, or a repository
    /// created in the wrong region: the registry answers 404 and the pod waits forever.
    ///
    /// ## Evidence
    /// `aws ecr describe-repositories`, `aws ecr describe-images --repository-name ...`, the error.
    ///
    /// ## Fix and its risk
    /// Push the tag or fix the reference (read-only to check: `aws ecr describe-images`); creating
    /// or replicating a repository is mutating.
    ///
    /// When the registry said `not found` for an image that `describe-images` lists, the two
    /// disagree and the report says so instead of only clearing the image: pushed after the last
    /// `not found`, the error is stale (the next pull finds it); pushed before, the pull did not
    /// ask this registry for it (a mirror or pull-through cache in the node's registries.conf):
    /// a gap, with the probe that shows where the pull goes.
    ///
    /// ## Known limits
    /// `describe-images` pages: a bundle with only the first page may miss a tag (the check then
    /// says the tag is absent from what the bundle holds).
    pub ImageExistence, name: "image-existence", layer: Image, codes: [Code::ImageTagNotFound, Code::ImageRepositoryNotFound],
}

fn timing(class: ErrorClass) -> (Timing, Confidence) {
    match class {
        ErrorClass::ImageNotFound => (Timing::Now, Confidence::High),
        ErrorClass::AuthDenied | ErrorClass::AuthMissing => (Timing::Now, Confidence::Medium),
        class if is_network_class(class) => (Timing::AfterFix, Confidence::Medium),
        _ => (Timing::Now, Confidence::Low),
    }
}

impl Check for ImageExistence {
    fn info(&self) -> &'static CheckInfo {
        &Self::INFO
    }

    fn run(&self, cx: &Context, out: &mut Findings) {
        let mut seen = BTreeSet::new();
        let by_image = crate::context::pods_by_image(cx);
        let mut not_found = registry_said_not_found(cx);
        for failure in &cx.failures {
            let Some(image) = &failure.image_ref else { continue };
            if !seen.insert(image.canonical()) {
                continue;
            }
            let pods = by_image.get(failure.image.as_str()).cloned().unwrap_or_default();
            match &image.ecr {
                Some(ecr) => {
                    let said = not_found.remove(failure.image.as_str());
                    self.ecr(cx, failure, said, ecr, &image.repository, image.tag.as_deref(), image.digest.as_deref(), pods, out)
                }
                // A blob the registry lost (a 404 on a layer or config) means the manifest was
                // served: the tag exists, so it is not a missing image or tag.
                None if failure.classification.class == ErrorClass::ImageNotFound && failure.classification.step != PullStep::Blob => {
                    let message = failure.message.as_deref().unwrap_or_default().to_ascii_lowercase();
                    let repository_gone = message.contains("name unknown")
                        || message.contains("repository does not exist")
                        || message.contains("repository not found");
                    let (code, summary) = if repository_gone {
                        (Code::ImageRepositoryNotFound, format!("{} has no repository {}", image.registry, image.repository))
                    } else {
                        (
                            Code::ImageTagNotFound,
                            format!(
                                "{} has no {} in {}",
                                image.registry,
                                image.tag.as_deref().or(image.digest.as_deref()).unwrap_or("such tag"),
                                image.repository
                            ),
                        )
                    };
                    out.causes.push(Cause {
                        code,
                        layer: Layer::Image,
                        summary,
                        confidence: Confidence::High,
                        timing: Timing::Now,
                        resources: vec![image.repository.clone(), image.registry.clone()],
                        pods,
                        evidence: vec![Evidence {
                            source: "classifier".into(),
                            text: "the registry answered that the image does not exist".into(),
                        }],
                        fix: fix_reference(&image.original),
                    });
                }
                None => {}
            }
        }
    }
}

fn fix_reference(image: &str) -> Fix {
    Fix {
        options: vec![FixOption {
            title: "Push the missing image, or point the workload at one that exists".into(),
            commands: vec![read_only(
                format!(
                    "skopeo list-tags docker://{}",
                    image.rsplit_once(':').map(|(name, tag)| if tag.contains('/') { image } else { name }).unwrap_or(image)
                ),
                "lists the tags the registry has",
            )],
            blast_radius: "the workload's image reference".into(),
            preferred: true,
            rationale: "the registry does not have what the pod asks for".into(),
        }],
        verify: vec![],
    }
}

impl ImageExistence {
    #[allow(clippy::too_many_arguments)]
    fn ecr(
        &self,
        cx: &Context,
        failure: &Failure,
        said: Option<NotFound>,
        ecr: &pulldoctor_model::EcrHost,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
        pods: Vec<String>,
        out: &mut Findings,
    ) {
        let model = cx.model;
        if !model.inputs.contains(&InputKind::EcrRepositories) {
            out.gap(
                format!("whether ECR repository {repository} exists"),
                "the bundle has no describe-repositories",
                Some(format!("aws ecr describe-repositories --region {} --output json", ecr.region)),
            );
            return;
        }
        let (timing, confidence) = timing(failure.classification.class);
        let Some(found) = model.ecr_repository(&ecr.account, &ecr.region, repository) else {
            // Listed elsewhere? (another region or account of the bundle)
            let elsewhere: Vec<String> = model
                .ecr_repositories
                .values()
                .filter(|r| r.name == repository)
                .map(|r| format!("{} in {}", r.account, r.region))
                .collect();
            let listed_here = model.ecr_repositories.values().any(|r| r.account == ecr.account && r.region == ecr.region);
            if !listed_here && elsewhere.is_empty() {
                out.gap(
                    format!("whether ECR repository {repository} exists in {} {}", ecr.account, ecr.region),
                    "the bundle's describe-repositories covers no repository of that account and region",
                    Some(format!("aws ecr describe-repositories --registry-id {} --region {} --output json", ecr.account, ecr.region)),
                );
                return;
            }
            let mut summary = format!("ECR repository {repository} does not exist in account {} region {}", ecr.account, ecr.region);
            if !elsewhere.is_empty() {
                summary
                    .push_str(&format!(" (it exists in {}: the image reference names the wrong account or region)", elsewhere.join(", ")));
            }
            out.causes.push(Cause {
                code: Code::ImageRepositoryNotFound,
                layer: Layer::Image,
                summary,
                confidence,
                timing,
                resources: vec![repository.to_string(), ecr.repository_arn(repository)],
                pods,
                evidence: vec![Evidence {
                    source: "ecr".into(),
                    text: format!("describe-repositories for {} {} lists no {repository}", ecr.account, ecr.region),
                }],
                fix: fix_reference(&failure.image),
            });
            return;
        };
        let key = format!("{}/{}", ecr.account, repository);
        let Some(images) = model.ecr_images.get(&key) else {
            out.gap(
                format!("whether {repository}:{} exists", tag.unwrap_or("?")),
                "the bundle has no describe-images for this repository",
                Some(format!(
                    "aws ecr describe-images --registry-id {} --region {} --repository-name {repository} --output json",
                    ecr.account, ecr.region
                )),
            );
            return;
        };
        let present = images.iter().find(|i| digest.is_some_and(|d| i.digest == d) || tag.is_some_and(|t| i.tags.iter().any(|x| x == t)));
        match present {
            Some(image) => {
                if let Some(said) = said {
                    disagree(said, image, repository, tag.or(digest).unwrap_or(""), out);
                }
                out.rule_out(
                    Layer::Image,
                    format!("image {repository}:{}", tag.or(digest).unwrap_or("")),
                    format!("exists in {} ({})", found.arn, identity(image)),
                )
            }
            None => {
                let mut tags: Vec<&str> = images.iter().flat_map(|i| i.tags.iter().map(String::as_str)).collect();
                tags.sort_unstable();
                tags.truncate(8);
                out.causes.push(Cause {
                    code: Code::ImageTagNotFound,
                    layer: Layer::Image,
                    summary: format!("{repository} has no image {} (tags present: {})", tag.or(digest).unwrap_or("?"), if tags.is_empty() { "none".to_string() } else { tags.join(", ") }),
                    confidence,
                    timing,
                    resources: vec![repository.to_string(), found.arn.clone()],
                    pods,
                    evidence: vec![Evidence { source: "ecr".into(), text: format!("describe-images of {repository} lists {} image(s), none tagged {}", images.len(), tag.unwrap_or("(digest)")) }],
                    fix: Fix {
                        options: vec![FixOption {
                            title: "Push the tag, or use one that exists".into(),
                            commands: vec![read_only(format!("aws ecr describe-images --registry-id {} --region {} --repository-name {repository} --query 'sort_by(imageDetails,&imagePushedAt)[-5:].[imageTags,imagePushedAt]'", ecr.account, ecr.region), "lists the newest images")],
                            blast_radius: "the workload's image reference".into(),
                            preferred: true,
                            rationale: "a lifecycle policy may have expired it, or it was never pushed".into(),
                        }],
                        verify: vec![],
                    },
                });
            }
        }
    }
}

/// The failures of one image whose registry answered that the manifest does not exist: how many,
/// one of them, and the last time the answer was seen (its event's, not the back-off's).
struct NotFound<'a> {
    example: &'a Failure<'a>,
    last: Option<chrono::DateTime<chrono::Utc>>,
    /// `namespace/pod` of each.
    pods: Vec<String>,
}

/// By image as the pods name it: the failures whose registry said `not found` for the manifest (a
/// lost blob is another matter), in one pass over the failures.
fn registry_said_not_found<'a>(cx: &'a Context) -> std::collections::HashMap<&'a str, NotFound<'a>> {
    let mut out: std::collections::HashMap<&str, NotFound> = std::collections::HashMap::new();
    for failure in &cx.failures {
        if failure.classification.class != ErrorClass::ImageNotFound || failure.classification.step == PullStep::Blob {
            continue;
        }
        let entry = out.entry(failure.image.as_str()).or_insert(NotFound { example: failure, last: None, pods: Vec::new() });
        entry.pods.push(failure.pod.key());
        if failure.message_at > entry.last {
            entry.last = failure.message_at;
            entry.example = failure;
        }
    }
    out
}

/// The registry said `not found` for an image the bundle's `describe-images` lists: say which of
/// the two to believe, and why.
fn disagree(said: NotFound, image: &pulldoctor_model::EcrImage, repository: &str, reference: &str, out: &mut Findings) {
    let who = match said.pods.len() {
        1 => said.example.pod.key(),
        n => format!("{n} pods (e.g. {})", said.example.pod.key()),
    };
    let when = said.last.map(|t| format!(" (last {})", text::minute(t))).unwrap_or_default();
    match (image.pushed_at, said.last) {
        (Some(pushed), Some(last)) if pushed > last => {
            out.rule_out(
                Layer::Image,
                format!("the registry's `not found` for {repository}:{reference}"),
                format!(
                    "{who} got it{when}, but the image was pushed {}, after that: the error is stale and the next pull finds the image",
                    text::minute(pushed)
                ),
            );
            out.stale.push((
                said.pods,
                format!(
                    "the registry said `not found` for {repository}:{reference} until {}, and the image was pushed {}",
                    text::minute(last),
                    text::minute(pushed)
                ),
            ));
        }
        (pushed, last) => {
            let node = said.example.pod.node_name.as_deref().unwrap_or("NODE");
            let held = format!("the repository holds it ({})", identity(image));
            let reasons = match (pushed, last) {
                (Some(_), Some(_)) => {
                    "it was there before the error, so the node's runtime did not ask this repository for it: a mirror or pull-through cache that lacks the tag (the node's registries.conf or containerd's hosts.toml, which the bundle does not show) is the usual reason"
                }
                _ => {
                    "without both times it cannot be told whether the image was pushed after the error (then the error is stale) or the node's runtime asks another registry for it (a mirror or pull-through cache in the node's registries.conf or containerd's hosts.toml, which the bundle does not show)"
                }
            };
            out.gap(
                format!("why the registry said `not found` for {repository}:{reference}, which describe-images lists"),
                format!("{who} got `not found`{when}, but {held}: {reasons}"),
                Some(format!(
                    "pulldoctor probe --node {node} {}   # the pull from that node, step by step: where it goes and what answers",
                    said.example.image
                )),
            );
        }
    }
}

/// An image as the report names it: its digest's beginning and, when known, when it was pushed.
fn identity(image: &pulldoctor_model::EcrImage) -> String {
    format!(
        "{}{}",
        image.digest.chars().take(19).collect::<String>(),
        image.pushed_at.map(|t| format!(", pushed {}", text::minute(t))).unwrap_or_default()
    )
}
