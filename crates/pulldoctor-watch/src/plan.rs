//! What live collection reads for a baseline: more than a diagnosis needs. A diagnosis follows the
//! failing pods; a baseline covers every pod, so every ECR repository in use (for the node roles'
//! and repositories' policies) and every pull secret a pod can use (for their expiry).

use pulldoctor_diagnosis::credentials;
use pulldoctor_diagnosis::plan::{Plan, Repository};
use pulldoctor_model::{Model, parse_image};

/// Widen the diagnosis' plan (made from the same cluster-only model) to every pod.
pub fn widen(plan: &mut Plan, model: &Model) {
    for pod in model.pods.values() {
        for container in &pod.containers {
            if let Ok(image) = parse_image(&container.image)
                && let Some(ecr) = &image.ecr
            {
                plan.repositories.insert(Repository {
                    account: ecr.account.clone(),
                    region: ecr.region.clone(),
                    name: image.repository.clone(),
                });
            }
        }
        for reaching in credentials::reaching(model, pod) {
            if let Some((namespace, name)) = reaching.name.split_once('/') {
                plan.secrets.insert((namespace.to_string(), name.to_string()));
            }
        }
    }
}
