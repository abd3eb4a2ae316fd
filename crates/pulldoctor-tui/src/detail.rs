//! The right pane: what the selected entry holds, as lines wrapped to the pane's width, with the
//! selectable items among them (a pod, a cause, a command) and what Enter, `y` and `x` do on each.
//! A pure function of the report, the entry and the width.

use pulldoctor_diagnosis::report::{HopStatus, Report, Safety, Timing, Verdict as PathVerdict};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use pulldoctor_render::groups::{EvidenceLine, GapLine, PathFold};
use pulldoctor_render::{confidence, timing};

use crate::layers::{Entry, entry_of, hop_in, layer_of};
use crate::theme::Theme;

mod big;

/// What Enter does on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Show cause N with its evidence chain.
    Cause(usize),
    /// Show cause N's fix in the plan.
    Fix(usize),
    None,
}

/// A selectable run of lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub start: usize,
    pub end: usize,
    pub action: Action,
    /// What `y` copies.
    pub copy: Option<String>,
    /// The fix option it belongs to (cause, option), for `x`.
    pub fix: Option<(usize, usize)>,
    /// The cause it is about (for `f`).
    pub cause: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Detail {
    pub lines: Vec<Line<'static>>,
    pub items: Vec<Item>,
}

impl Detail {
    /// The first item about cause `cause` (its entry in Causes, its first command in the plan).
    pub fn item_of_cause(&self, cause: usize) -> Option<usize> {
        self.items.iter().position(|i| i.cause == Some(cause))
    }

    /// Each line as plain text (search, tests).
    pub fn text(&self) -> Vec<String> {
        self.lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }
}

/// Word-wrap (an empty text is one empty line, so labels still show).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let lines = pulldoctor_render::wrap_words(text, width);
    if lines.is_empty() { vec![String::new()] } else { lines }
}

struct Builder {
    lines: Vec<Line<'static>>,
    items: Vec<Item>,
    width: usize,
    theme: Theme,
    open: Option<Item>,
}

impl Builder {
    fn text(&mut self, text: &str, indent: usize, style: Style) {
        let pad = " ".repeat(indent);
        for part in wrap(text, self.width.saturating_sub(indent)) {
            self.lines.push(Line::from(Span::styled(format!("{pad}{part}"), style)));
        }
    }

    /// `label` in its own style, then the text, wrapped under itself.
    fn labelled(&mut self, indent: usize, label: &str, label_style: Style, text: &str, style: Style) {
        let pad = " ".repeat(indent);
        let room = self.width.saturating_sub(indent + label.chars().count());
        let mut parts = wrap(text, room).into_iter();
        let first = parts.next().unwrap_or_default();
        self.lines.push(Line::from(vec![Span::raw(pad.clone()), Span::styled(label.to_string(), label_style), Span::styled(first, style)]));
        let hang = " ".repeat(indent + label.chars().count());
        for part in parts {
            self.lines.push(Line::from(Span::styled(format!("{hang}{part}"), style)));
        }
    }

    fn blank(&mut self) {
        self.lines.push(Line::default());
    }

    fn heading(&mut self, text: &str) {
        let style = self.theme.accent();
        self.text(text, 0, style);
    }

    fn begin(&mut self, action: Action) {
        self.end();
        self.open = Some(Item { start: self.lines.len(), end: self.lines.len(), action, copy: None, fix: None, cause: None });
    }

    fn about(&mut self, cause: usize) {
        if let Some(item) = &mut self.open {
            item.cause = Some(cause);
        }
    }

    fn end(&mut self) {
        if let Some(mut item) = self.open.take() {
            item.end = self.lines.len().max(item.start + 1);
            self.items.push(item);
        }
    }

    fn command(&mut self, command: &str, safety: Safety, fix: Option<(usize, usize)>, cause: Option<usize>, indent: usize) {
        self.begin(Action::None);
        if let Some(item) = &mut self.open {
            item.copy = Some(command.to_string());
            item.fix = fix;
            item.cause = cause;
        }
        let label = match safety {
            Safety::ReadOnly => "$ ",
            Safety::Mutating => "$ ",
            Safety::DisplayOnly => "  ",
        };
        let style = self.theme.command();
        self.labelled(indent, label, self.theme.dim(), command, style);
        if safety == Safety::Mutating {
            let dim = self.theme.dim();
            self.text("(changes state: run the --dry-run line above first)", indent + 2, dim);
        }
        self.end();
    }

    fn finish(mut self) -> Detail {
        self.end();
        Detail { lines: self.lines, items: self.items }
    }
}

/// The right pane for `entry`, `width` columns wide.
pub fn detail(report: &Report, entry: Entry, width: usize, theme: Theme) -> Detail {
    let mut b = Builder { lines: Vec::new(), items: Vec::new(), width: width.max(20), theme, open: None };
    match entry {
        Entry::Symptoms => symptoms(report, &mut b),
        Entry::Scope => scope(report, &mut b),
        Entry::Causes => causes(report, &mut b),
        Entry::Comparison => comparison(report, &mut b),
        Entry::Gaps => gaps(report, &mut b),
        Entry::FixPlan => plan(report, &mut b),
        layer => layer_view(report, layer, &mut b),
    }
    b.finish()
}

fn symptoms(report: &Report, b: &mut Builder) {
    if report.affected.is_empty() {
        let style = b.theme.good();
        b.text("No pod fails to pull.", 0, style);
        return;
    }
    if big::is_big(report) {
        return big::symptom_groups(report, b);
    }
    let causes = big::cause_index(report);
    b.heading(&format!("{} failing container(s), with the runtime's own error", report.affected.len()));
    let dim = b.theme.dim();
    b.text("Enter on a pod: the cause that explains it, with its evidence. f: the fix.", 0, dim);
    for affected in &report.affected {
        b.blank();
        let key = format!("{}/{}", affected.namespace, affected.pod);
        let cause = causes.get(key.as_str()).copied();
        b.begin(cause.map_or(Action::None, Action::Cause));
        if let Some(cause) = cause {
            b.about(cause);
        }
        let bold = b.theme.bold();
        b.text(&format!("{key}  [{}]", affected.container), 0, bold);
        let bad = b.theme.bad();
        b.labelled(2, "class: ", dim, &affected.error_class, bad);
        b.labelled(2, "node: ", dim, affected.node.as_deref().unwrap_or("(not scheduled)"), Style::default());
        b.labelled(2, "image: ", dim, &affected.image, Style::default());
        let message = affected.error_message.as_deref().or(affected.waiting_reason.as_deref()).unwrap_or("(only a back-off is left)");
        b.labelled(2, &format!("error ({}): ", affected.message_source), dim, message, Style::default());
        if let Some(cause) = cause {
            let accent = b.theme.accent();
            b.labelled(2, "explained by: ", dim, report.causes[cause].code.as_str(), accent);
        }
    }
}

fn scope(report: &Report, b: &mut Builder) {
    if report.scope.pattern.is_empty() {
        b.text("No failure, so no pattern.", 0, Style::default());
        return;
    }
    b.heading("The pattern");
    for line in &report.scope.pattern {
        b.labelled(0, "• ", Style::default(), line, Style::default());
    }
    b.blank();
    b.heading("Groups (failing / working pods of the same registry)");
    for group in &report.scope.groups {
        b.text(&format!("{:<12} {:>4} / {:<4} {}", group.by, group.failing, group.working, group.value), 0, Style::default());
    }
}

/// One traced path, for the nodes of its group (and, folded, of the paths alike to other
/// addresses of its host).
fn path_group(fold: &PathFold, layer: Entry, b: &mut Builder) {
    let group = fold.group;
    let result = &group.result;
    let (verdict, style) = match result.verdict {
        PathVerdict::Reachable => ("REACHABLE", b.theme.good()),
        PathVerdict::Blocked => ("BLOCKED", b.theme.bad()),
        PathVerdict::Unknown => ("UNKNOWN", b.theme.warn()),
    };
    let names: Vec<String> = group.members.iter().map(|m| m.node.clone().unwrap_or_else(|| m.from.clone())).collect();
    let names = if names.is_empty() || fold.nodes.len() > group.nodes.len() { fold.nodes.clone() } else { names };
    b.begin(Action::None);
    let bold = b.theme.bold();
    let code = result.blocker.as_ref().map(|bl| format!(" {}", bl.code)).unwrap_or_default();
    b.lines.push(Line::from(vec![
        Span::styled(format!("{verdict}{code}"), style),
        Span::styled(format!("  {} node(s) → {}", names.len(), result.to), bold),
    ]));
    let dim = b.theme.dim();
    b.labelled(2, "from: ", dim, &pulldoctor_render::list(&names, pulldoctor_render::LIST_LIMIT), Style::default());
    if !fold.more_addresses.is_empty() {
        let more = &fold.more_addresses;
        let shown = pulldoctor_render::groups::first_addresses(more);
        b.labelled(2, "and: ", dim, &format!("{} more of its addresses, the same way ({shown})", more.len()), Style::default());
    }
    let hops: Vec<_> = result.hops.iter().filter(|h| hop_in(layer, h.kind, h.resource.as_deref())).collect();
    if hops.is_empty() {
        b.text("no hop of this layer on this path", 2, dim);
    }
    for hop in hops {
        let (mark, mark_style) = match hop.status {
            HopStatus::Pass => ("ok", b.theme.good()),
            HopStatus::Fail => ("XX", b.theme.bad()),
            HopStatus::Unknown => ("??", b.theme.warn()),
            HopStatus::Info => ("..", b.theme.dim()),
        };
        let label = format!("{mark} {:<16} ", hop.kind);
        let pad = "  ";
        let room = b.width.saturating_sub(2 + label.chars().count());
        let mut parts = wrap(&hop.detail, room).into_iter();
        b.lines.push(Line::from(vec![
            Span::raw(pad),
            Span::styled(label.clone(), mark_style),
            Span::raw(parts.next().unwrap_or_default()),
        ]));
        let hang = " ".repeat(2 + label.chars().count());
        for part in parts {
            b.lines.push(Line::from(format!("{hang}{part}")));
        }
        if let Some(rule) = &hop.rule
            && hop.status != HopStatus::Info
        {
            let hang = 2 + label.chars().count();
            b.labelled(hang, "rule: ", dim, rule, if hop.status == HopStatus::Fail { b.theme.bad() } else { Style::default() });
        }
    }
    b.end();
}

fn layer_view(report: &Report, layer: Entry, b: &mut Builder) {
    let causes: Vec<usize> = (0..report.causes.len()).filter(|&i| layer_of(&report.causes[i]) == layer).collect();
    let dim = b.theme.dim();
    if !causes.is_empty() {
        b.heading("Causes in this layer (Enter: the evidence)");
        for &i in &causes {
            let cause = &report.causes[i];
            b.begin(Action::Cause(i));
            b.about(i);
            let bad = if cause.timing == Timing::Now { b.theme.bad() } else { b.theme.warn() };
            b.labelled(0, &format!("✗ {}  ", cause.code), bad, &cause.summary, Style::default());
        }
        b.end();
        b.blank();
    }
    let path_bound = matches!(layer, Entry::NetworkPath | Entry::Dns | Entry::Endpoints);
    if path_bound && !report.paths.is_empty() {
        b.heading("Paths, hop by hop, one per group of nodes that share them");
        for fold in pulldoctor_render::groups::paths(&report.paths, big::is_big(report)) {
            path_group(&fold, layer, b);
            b.blank();
        }
    }
    let cleared: Vec<_> = report.ruled_out.iter().filter(|r| entry_of(r.layer) == layer).collect();
    if !cleared.is_empty() {
        b.heading("Ruled out");
        let good = b.theme.good();
        for item in cleared {
            b.labelled(0, &format!("✓ {}: ", item.check), good, &item.reason, Style::default());
        }
    }
    if causes.is_empty() && b.lines.is_empty() {
        b.text("Nothing in the report touches this layer: it is not checked, which is not the same as healthy. See Gaps for what would settle it.", 0, dim);
    }
}

fn causes(report: &Report, b: &mut Builder) {
    if report.causes.is_empty() {
        b.text("No cause found. See Gaps for what could not be checked.", 0, Style::default());
        return;
    }
    let dim = b.theme.dim();
    b.text("The evidence chain of each cause, from the error to the rule. Enter or f: its fix.", 0, dim);
    for (i, cause) in report.causes.iter().enumerate() {
        b.blank();
        b.begin(Action::Fix(i));
        b.about(i);
        let style = if cause.timing == Timing::Now { b.theme.bad() } else { b.theme.warn() };
        b.lines.push(Line::from(vec![
            Span::styled(format!("{}. {}", i + 1, cause.code), style),
            Span::styled(format!("  [{}, {}]", confidence(cause.confidence), timing(cause.timing)), dim),
        ]));
        b.text(&cause.summary, 2, Style::default());
        if !cause.resources.is_empty() {
            b.labelled(2, "resources: ", dim, &cause.resources.join(", "), Style::default());
        }
        if !cause.pods.is_empty() {
            let label =
                if cause.pods.len() > pulldoctor_render::LIST_LIMIT { format!("pods ({}): ", cause.pods.len()) } else { "pods: ".into() };
            b.labelled(2, &label, dim, &pulldoctor_render::list(&cause.pods, pulldoctor_render::LIST_LIMIT), Style::default());
        }
        let bold = b.theme.bold();
        b.text("evidence:", 2, bold);
        for (n, line) in pulldoctor_render::groups::evidence(cause, big::is_big(report)).into_iter().enumerate() {
            match line {
                EvidenceLine::One(evidence) => {
                    b.labelled(4, &format!("{}. {}: ", n + 1, evidence.source), dim, &evidence.text, Style::default())
                }
                EvidenceLine::MorePaths(more) => b.labelled(
                    4,
                    &format!("{}. path: ", n + 1),
                    dim,
                    &format!("and {more} more paths alike (Network path groups them)"),
                    dim,
                ),
            }
        }
    }
}

fn comparison(report: &Report, b: &mut Builder) {
    let compared: Vec<_> = report.comparisons.iter().filter(|c| c.working > 0).collect();
    if compared.is_empty() {
        b.text("No pod that pulls from a failing registry to compare with.", 0, Style::default());
    }
    let dim = b.theme.dim();
    for comparison in compared {
        b.heading(&format!("{}: {} failing, {} working", comparison.registry, comparison.failing, comparison.working));
        if !comparison.working_recent_only {
            b.text("the working pods all pulled before the failures began: their images are cached", 2, dim);
        }
        for difference in &comparison.differences {
            let (label, style) = if difference.separates { ("separates: ", b.theme.bad()) } else { ("differs: ", dim) };
            b.labelled(2, label, style, &difference.describe(), Style::default());
        }
        if !comparison.same.is_empty() {
            b.labelled(2, "same in both: ", dim, &comparison.same.join(", "), Style::default());
        }
        b.blank();
    }
}

fn gaps(report: &Report, b: &mut Builder) {
    if report.gaps.is_empty() {
        let style = b.theme.good();
        b.text("Nothing was left unchecked.", 0, style);
        return;
    }
    let dim = b.theme.dim();
    b.text("Not checked, so not called healthy. The command's output, added to the bundle, settles it (y copies).", 0, dim);
    for line in pulldoctor_render::groups::gaps(report, !big::is_big(report)) {
        b.blank();
        b.begin(Action::None);
        let warn = b.theme.warn();
        let (text, command, same) = match line {
            GapLine::One(gap) => (format!("{}: {}", gap.what, gap.why), gap.command.as_ref(), true),
            GapLine::Folded(group) => {
                (format!("{}: {}", pulldoctor_render::groups::alike(group), group.why), group.command.as_ref(), group.same_command)
            }
        };
        b.labelled(0, "? ", warn, &text, Style::default());
        if let Some(command) = command {
            if let Some(item) = &mut b.open {
                item.copy = Some(command.clone());
            }
            let style = b.theme.command();
            b.labelled(2, "$ ", dim, command, style);
            if !same {
                b.text("(for the first; the same with each one's names: `pulldoctor diagnose --all` lists them)", 2, dim);
            }
        }
        b.end();
    }
}

fn plan(report: &Report, b: &mut Builder) {
    if report.causes.is_empty() {
        b.text("Nothing to fix.", 0, Style::default());
        return;
    }
    let dim = b.theme.dim();
    b.text(
        "In the order of the causes. y copies the selected command; x applies it with `pulldoctor fix` (plan, confirm, verify).",
        0,
        dim,
    );
    for (i, cause) in report.causes.iter().enumerate() {
        b.blank();
        let style = if cause.timing == Timing::Now { b.theme.bad() } else { b.theme.warn() };
        b.lines.push(Line::from(vec![
            Span::styled(format!("{}. {}", i + 1, cause.code), style),
            Span::styled(format!("  ({})", timing(cause.timing)), dim),
        ]));
        if cause.fix.options.is_empty() {
            b.begin(Action::None);
            b.about(i);
            b.text(&format!("no command fixes this by itself: {}", cause.summary), 2, Style::default());
            b.end();
        }
        for (o, option) in cause.fix.options.iter().enumerate() {
            let bold = b.theme.bold();
            b.labelled(2, if option.preferred { "fix: " } else { "alternative: " }, bold, &option.title, bold);
            for command in &option.commands {
                b.command(&command.command, command.safety, Some((i, o)), Some(i), 4);
            }
            b.labelled(4, "blast radius: ", dim, &option.blast_radius, Style::default());
            b.labelled(4, "why: ", dim, &option.rationale, Style::default());
        }
        if !cause.fix.verify.is_empty() {
            let bold = b.theme.bold();
            b.text("verify:", 2, bold);
            for command in &cause.fix.verify {
                b.command(&command.command, command.safety, None, Some(i), 4);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_keeps_the_width() {
        let lines = super::wrap("aws ec2 create-route --route-table-id rtb-04d162c9e2b6a4cbd --destination-cidr-block 0.0.0.0/0", 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(super::wrap("", 10), vec![String::new()]);
    }
}
