//! A big outage in the troubleshooter: more than [`LIST_LIMIT`] failing containers. The report's
//! groups stand where the one-by-one lists stood, as in the text report (`pulldoctor_render`'s
//! `groups`): failing containers by class, namespace and image, gaps by reason, traced paths that
//! differ only in the dialled address once, a cause's pods and traced paths counted past the first
//! few. 150,000 failing pods are then a few screens, and every view is built in milliseconds (it
//! is rebuilt on each key).

use std::collections::HashMap;

use pulldoctor_diagnosis::report::Report;
use pulldoctor_render::LIST_LIMIT;
use ratatui::style::Style;

use super::{Action, Builder};

/// Whether the report is read in groups.
pub(super) fn is_big(report: &Report) -> bool {
    report.affected.len() > LIST_LIMIT
}

/// `namespace/pod` -> the first cause that names it (built once per view, not a scan per pod).
pub(super) fn cause_index(report: &Report) -> HashMap<&str, usize> {
    let mut index = HashMap::new();
    for (position, cause) in report.causes.iter().enumerate() {
        for pod in &cause.pods {
            index.entry(pod.as_str()).or_insert(position);
        }
    }
    index
}

/// The symptoms of a big outage: the groups, largest first, each an item whose Enter shows the
/// cause that explains its first example.
pub(super) fn symptom_groups(report: &Report, b: &mut Builder) {
    let groups = &report.affected_groups;
    b.heading(&format!("{} failing containers in {} groups, with the runtime's own error class", report.affected.len(), groups.len()));
    let dim = b.theme.dim();
    b.text("Enter on a group: the cause that explains it, with its evidence. `pulldoctor diagnose --all` lists each container.", 0, dim);
    let causes = cause_index(report);
    for group in groups {
        b.blank();
        let cause = group
            .examples
            .first()
            .and_then(|example| example.split(" [").next())
            .and_then(|pod| causes.get(format!("{}/{pod}", group.namespace).as_str()).copied());
        b.begin(cause.map_or(Action::None, Action::Cause));
        if let Some(cause) = cause {
            b.about(cause);
        }
        let bold = b.theme.bold();
        let bad = b.theme.bad();
        b.labelled(0, &format!("{} × ", group.count), bold, &group.error_class, bad);
        b.labelled(2, "namespace: ", dim, &group.namespace, Style::default());
        b.labelled(2, "image: ", dim, &group.image, Style::default());
        b.labelled(2, "on: ", dim, &format!("{} node{}", group.nodes, if group.nodes == 1 { "" } else { "s" }), Style::default());
        b.labelled(2, "e.g.: ", dim, &group.examples.join(", "), Style::default());
        if let Some(cause) = cause {
            let accent = b.theme.accent();
            b.labelled(2, "explained by: ", dim, report.causes[cause].code.as_str(), accent);
        }
    }
}
