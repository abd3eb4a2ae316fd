//! Building blocks of fix plans, shared by every check: commands marked with their safety
//! (read-only, mutating, display-only), EC2 changes shown with `--dry-run` first, and the step that
//! shows a pod pulls again.

use crate::change::Change;
use crate::report::{Command, Safety};

pub(crate) fn mutating(command: impl Into<String>, changes: impl Into<String>) -> Command {
    Command { command: command.into(), safety: Safety::Mutating, changes: changes.into(), change: None }
}

pub(crate) fn read_only(command: impl Into<String>, changes: impl Into<String>) -> Command {
    Command { command: command.into(), safety: Safety::ReadOnly, changes: changes.into(), change: None }
}

pub(crate) fn display(command: impl Into<String>, changes: impl Into<String>) -> Command {
    Command { command: command.into(), safety: Safety::DisplayOnly, changes: changes.into(), change: None }
}

/// `aws ec2 ...` twice: once with `--dry-run` to check permissions, once for real.
pub(crate) fn ec2(args: &str, changes: &str) -> Vec<Command> {
    vec![
        read_only(format!("aws ec2 {args} --dry-run"), "checks that you may make the change (prints DryRunOperation) and changes nothing"),
        mutating(format!("aws ec2 {args}"), changes),
    ]
}

/// [`ec2`] for a change pulldoctor can also make itself: the command is the change's own.
pub(crate) fn ec2_change(change: Change, changes: &str) -> Vec<Command> {
    let mut commands = ec2(&change.aws_cli(), changes);
    if let Some(last) = commands.last_mut() {
        // the same as `aws ec2 ARGS` but for a change of several calls (a new group and its rules)
        last.command = change.command();
        last.change = Some(change);
    }
    commands
}

/// The step that proves the fix: recreate one affected pod and watch it pull.
pub(crate) fn verify_pods(pods: &[String]) -> Vec<Command> {
    let mut out = Vec::new();
    if let Some(first) = pods.first() {
        let (namespace, pod) = first.split_once('/').unwrap_or(("default", first));
        out.push(read_only(
            format!("kubectl delete pod -n {namespace} {pod} --wait=false && kubectl get pods -n {namespace} -w"),
            "recreates one affected pod (its controller starts a new one) and watches it pull",
        ));
    }
    out
}
