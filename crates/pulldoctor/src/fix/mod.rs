//! `pulldoctor fix`: carry out the chosen cause's fix, carefully, then show whether it worked.
//!
//! The steps, in order: diagnose live (and, given a bundle, refuse when the live state no longer
//! shows what the bundle's plan was made from); choose the cause and its option; check that every
//! change names resources of the cluster's own VPCs in the caller's own account; show the plan;
//! ask (or take `--yes`; never act from a pipe without it); then per change look at the resource
//! now (already in effect: skip, so twice is a no-op), check the call with `DryRun`, make it. A
//! change record is written before the first call and after the last, with the undo of each
//! change. Last, collect and diagnose again and say fixed, partly fixed or not fixed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use pulldoctor_diagnosis::change::Change;
use pulldoctor_diagnosis::report::{Cause, FixOption, Report, Safety};
use pulldoctor_diagnosis::{Options, diagnose};
use pulldoctor_live::{Checked, Fixer};
use pulldoctor_model::Model;

use crate::cli::FixArgs;
use crate::shared::{load, threads};

mod observed;
mod record;
mod verify;

use record::{Entry, Record, RecordBody, now, write_record};
use verify::verify;

/// Where the diagnosis came from and what it found.
struct Seen {
    model: Model,
    report: Report,
    region: Option<String>,
}

/// Documents to read with the collected files (the verification's probes), made from what was
/// collected.
type Extra<'a> = &'a dyn Fn(&Model) -> Vec<(String, serde_json::Value)>;

/// Collect, read and diagnose live; `extra` adds documents made from the collected cluster.
fn diagnose_live(args: &FixArgs, extra: Option<Extra>) -> Result<Seen> {
    let mut gathered = crate::live::gather(crate::live::cluster_request(&args.from)).context(
        "pulldoctor fix reads the cluster and its AWS account live, before and after a change (a bundle only proposes the plan)",
    )?;
    crate::live::print_failures(&gathered.collected, args.from.verbose);
    if let Some(extra) = extra {
        crate::live::add_documents(&mut gathered.collected, |cluster| Ok(extra(cluster)))?;
    }
    let options = pulldoctor_bundle::ReadOptions { strict: args.from.strict, threads: pulldoctor::fs::available_threads() };
    let bundle = crate::live::read(&gathered.collected, &options)?;
    let report = diagnose(&bundle.model, &Options { threads: threads(), ..Options::default() });
    let region = args.from.region.clone().or(gathered.plan.region.clone());
    Ok(Seen { model: bundle.model, report, region })
}

/// `--cause`: a 1-based number or a code.
fn pick<'a>(report: &'a Report, wanted: &str) -> Result<Option<&'a Cause>> {
    if report.causes.is_empty() {
        return Ok(None);
    }
    if let Ok(number) = wanted.parse::<usize>() {
        return report
            .causes
            .get(number.wrapping_sub(1))
            .map(Some)
            .ok_or_else(|| anyhow!("--cause {number}: the report has {} cause(s)", report.causes.len()));
    }
    match report.causes.iter().find(|c| c.code.as_str() == wanted) {
        Some(cause) => Ok(Some(cause)),
        None => {
            let codes: Vec<&str> = report.causes.iter().map(|c| c.code.as_str()).collect();
            bail!("--cause {wanted}: no such cause now (the report has: {})", codes.join(", "))
        }
    }
}

/// `--option`: 1-based, or the preferred one.
fn choose(cause: &Cause, wanted: Option<usize>) -> Result<(usize, &FixOption)> {
    let options = &cause.fix.options;
    match wanted {
        Some(n) => options
            .get(n.wrapping_sub(1))
            .map(|o| (n, o))
            .ok_or_else(|| anyhow!("--option {n}: {} has {} option(s)", cause.code, options.len())),
        None => options
            .iter()
            .enumerate()
            .find(|(_, o)| o.preferred)
            .or(options.iter().enumerate().next())
            .map(|(i, o)| (i + 1, o))
            .ok_or_else(|| anyhow!("{} has no fix option", cause.code)),
    }
}

/// The changes pulldoctor makes for `option`, or why it leaves the option to the user.
fn changes_of(option: &FixOption) -> Result<Vec<Change>, String> {
    let by_hand: Vec<&str> = option
        .commands
        .iter()
        .filter(|c| c.change.is_none() && matches!(c.safety, Safety::Mutating | Safety::DisplayOnly))
        .map(|c| c.command.as_str())
        .collect();
    if !by_hand.is_empty() {
        return Err(format!(
            "pulldoctor does not make this change itself (it needs a decision or an id the input does not give, or it is not an EC2 network change); run it yourself:\n{}",
            by_hand.iter().map(|c| format!("  {c}")).collect::<Vec<_>>().join("\n")
        ));
    }
    let changes: Vec<Change> = option.commands.iter().filter_map(|c| c.change.clone()).collect();
    if changes.is_empty() {
        return Err("this option changes nothing pulldoctor can make".into());
    }
    Ok(changes)
}

/// What of `change` lies outside what the cluster uses (its VPCs, node roles, pull secrets, and
/// repositories of its own account), as collected live.
fn outside(model: &Model, account: Option<&str>, change: &Change) -> Vec<String> {
    match change {
        Change::AttachRolePolicy { role, .. } | Change::DetachRolePolicy { role, .. } => {
            if model.iam_roles.values().any(|r| r.name == *role) { vec![] } else { vec![format!("role {role}")] }
        }
        Change::SetRepositoryPolicy { registry, repository, .. } | Change::DeleteRepositoryPolicy { registry, repository, .. } => {
            if account.is_some_and(|a| a == registry) {
                vec![]
            } else {
                vec![format!("{registry}/{repository} (another account's registry)")]
            }
        }
        Change::RefreshPullSecret { namespace, name, .. } => {
            let key = format!("{namespace}/{name}");
            if model.secrets.contains_key(&key) { vec![] } else { vec![format!("secret {key}")] }
        }
        ec2 => ec2.resources().into_iter().filter(|id| !in_scope(model, id)).map(str::to_string).collect(),
    }
}

/// Whether the model (the cluster's own VPCs, as collected) holds `id`.
fn in_scope(model: &Model, id: &str) -> bool {
    model.vpcs.contains_key(id)
        || model.subnets.contains_key(id)
        || model.route_tables.contains_key(id)
        || model.nat_gateways.contains_key(id)
        || model.internet_gateways.contains_key(id)
        || model.vpc_endpoints.contains_key(id)
        || model.security_groups.contains_key(id)
        || model.network_acls.contains_key(id)
        || model.transit_gateway_attachments.values().any(|a| a.transit_gateway_id.as_deref() == Some(id))
        || model.peering_connections.contains_key(id)
}

fn ask(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// Act only with `--yes` or a "yes" typed at a terminal.
fn confirmed(args: &FixArgs, question: &str) -> Result<bool> {
    if args.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to change anything: standard input is not a terminal, so nobody can confirm (pass --yes to act without asking, or --dry-run to see the calls)"
        );
    }
    ask(question)
}

fn print_plan(cause: &Cause, number: usize, option: &FixOption, changes: &[Change]) {
    println!("cause: {} ({})", cause.code, cause.summary);
    println!("fix option {number}: {}", option.title);
    println!("blast radius: {}", option.blast_radius);
    println!("why: {}", option.rationale);
    let others: Vec<String> = cause
        .fix
        .options
        .iter()
        .enumerate()
        .filter(|(i, _)| i + 1 != number)
        .map(|(i, o)| format!("  --option {}: {}", i + 1, o.title))
        .collect();
    if !others.is_empty() {
        println!("alternatives:\n{}", others.join("\n"));
    }
    println!("changes ({}; EC2 calls are checked with DryRun first):", changes.len());
    for change in changes {
        println!("  {}", change.api_call());
        println!("    = {}", change.command());
    }
}

pub fn fix(args: FixArgs) -> Result<ExitCode> {
    if let Some(record) = &args.undo {
        return undo(&args, record);
    }
    let live = diagnose_live(&args, None)?;
    let planned = if args.from.bundles.is_empty() {
        None
    } else {
        let (model, _) = load(&crate::cli::Input { bundles: args.from.bundles.clone(), strict: args.from.strict })?;
        Some(diagnose(&model, &Options { threads: threads(), ..Options::default() }))
    };
    let plan_report = planned.as_ref().unwrap_or(&live.report);
    let Some(cause) = pick(plan_report, &args.cause)? else {
        println!(
            "nothing to fix: {} finds no cause of a failing pull",
            if planned.is_some() { "the bundle" } else { "the live diagnosis" }
        );
        return Ok(ExitCode::SUCCESS);
    };
    let (number, option) = choose(cause, args.option)?;
    let changes = match changes_of(option) {
        Ok(changes) => changes,
        Err(why) => {
            println!("cause: {} ({})\nfix option {number}: {}\n{why}", cause.code, cause.summary, option.title);
            return Ok(ExitCode::from(1));
        }
    };
    // No stale bundle drives a change: the live diagnosis must plan the same changes.
    if planned.is_some() {
        let live_changes = live
            .report
            .causes
            .iter()
            .find(|c| c.code == cause.code)
            .and_then(|c| c.fix.options.get(number - 1))
            .and_then(|o| changes_of(o).ok());
        match live_changes {
            None => bail!(
                "refusing: the live state no longer shows {} as the bundle does (it was fixed, or changed since the bundle was collected); run `pulldoctor fix` without the bundle to plan from what is there now",
                cause.code
            ),
            Some(now) if now != changes => bail!(
                "refusing: the live state differs from the bundle's: the bundle plans\n  {}\nbut the live state needs\n  {}",
                changes.iter().map(Change::api_call).collect::<Vec<_>>().join("\n  "),
                now.iter().map(Change::api_call).collect::<Vec<_>>().join("\n  ")
            ),
            Some(_) => {}
        }
    }
    let own_account = live.model.caller_identities.first().map(|c| c.account.clone());
    let beyond: Vec<String> = changes.iter().flat_map(|c| outside(&live.model, own_account.as_deref(), c)).collect();
    if !beyond.is_empty() {
        bail!(
            "refusing: {} not among what the cluster uses, as collected live (pulldoctor changes only the cluster's own VPCs, node roles, pull secrets and its account's repositories); make that change yourself if it is right",
            beyond.join(", ")
        );
    }
    print_plan(cause, number, option, &changes);
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    if !confirmed(&args, &format!("Make these {} change(s)?", changes.len()))? {
        println!("nothing was changed");
        return Ok(ExitCode::from(1));
    }
    let record_path = args
        .record
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("pulldoctor-fix-{}.json", chrono::Utc::now().format("%Y%m%dT%H%M%SZ"))));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let mut fixer = runtime.block_on(Fixer::connect(args.from.profile.as_deref(), live.region.as_deref())).map_err(failed)?;
    if changes.iter().any(|c| matches!(c, Change::RefreshPullSecret { .. })) {
        let options = pulldoctor_live::KubeOptions { context: args.from.context.clone(), namespace: None };
        fixer = fixer.with_cluster(runtime.block_on(pulldoctor_live::Cluster::connect(&options)).map_err(failed)?);
    }
    let (account, by) = runtime.block_on(fixer.caller()).map_err(failed)?;
    let accounts = live.model.accounts();
    if !accounts.is_empty() && !accounts.contains(account.as_str()) {
        bail!(
            "refusing: the credentials are for account {account}, the cluster's network is in {}",
            accounts.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let body = RecordBody {
        cause: cause.code.as_str().to_string(),
        option: option.title.clone(),
        by,
        account,
        region: live.region.clone().unwrap_or_default(),
        started: now(),
        finished: None,
        status: "planned".into(),
        changes: Vec::new(),
        error: None,
    };
    let mut record = Record { fix: body };
    let result = carry_out(&runtime, &fixer, &changes, &mut record, &record_path);
    record.fix.finished = Some(now());
    record.fix.status = if result.is_ok() { "applied" } else { "failed" }.into();
    record.fix.error = result.as_ref().err().map(|e| e.to_string());
    write_record(&record_path, &record)?;
    eprintln!("pulldoctor: change record written to {} (undo: pulldoctor fix --undo {})", record_path.display(), record_path.display());
    result?;
    let made = record.fix.changes.iter().filter(|e| e.result != "already-in-effect").count();
    if made == 0 {
        println!("nothing changed: every change was already in effect");
    }
    verify(&args, cause)
}

/// Look, DryRun, make, for each change; the record is written before the first call.
fn carry_out(runtime: &tokio::runtime::Runtime, fixer: &Fixer, changes: &[Change], record: &mut Record, path: &Path) -> Result<()> {
    let mut looks = Vec::new();
    for change in changes {
        let look = runtime.block_on(fixer.look(change)).map_err(failed)?;
        record.fix.changes.push(Entry {
            change: change.clone(),
            command: change.command(),
            result: if look.done { "already-in-effect" } else { "planned" }.into(),
            before: look.state.clone(),
            after: serde_json::Value::Null,
            undo: None,
            undo_command: None,
        });
        looks.push(look);
    }
    write_record(path, record)?;
    // Groups this fix creates, by name: the changes after them name the new id.
    let mut created = std::collections::BTreeMap::new();
    for (at, (change, look)) in changes.iter().zip(looks).enumerate() {
        if let (Change::CreateSecurityGroup { name, .. }, Some(id)) = (change, &look.previous) {
            created.insert(name.clone(), id.clone());
        }
        if look.done {
            println!("already in effect: {}", change.api_call());
            continue;
        }
        let change = &change.clone().with_created_groups(&created);
        // A replaced route's undo puts back the target it had.
        let change = filled(change.clone(), &look);
        let (made, how) = match runtime
            .block_on(fixer.check(&change))
            .map_err(|e| anyhow!("the DryRun check of {} failed, nothing more was changed: {}", change.api_call(), e.message))?
        {
            Checked::WouldSucceed | Checked::NotSupported => (runtime.block_on(fixer.make(&change)).map_err(failed)?, "made"),
            Checked::Made(made) => (made, "made-by-the-dry-run"),
        };
        let made = filled(made, &look);
        if let Change::CreateSecurityGroup { name, group: Some(id), .. } = &made {
            created.insert(name.clone(), id.clone());
        }
        if how == "made-by-the-dry-run" {
            eprintln!(
                "pulldoctor: warning: the endpoint made {} when asked only to check it (it ignores DryRun for this call)",
                made.api_call()
            );
        }
        println!("{how}: {}", made.api_call());
        let after = runtime.block_on(fixer.look(&made)).map(|l| l.state).unwrap_or(serde_json::Value::Null);
        let entry = &mut record.fix.changes[at];
        entry.undo = made.undo();
        entry.undo_command = entry.undo.as_ref().map(Change::command);
        entry.change = made;
        entry.result = how.into();
        entry.after = after;
        write_record(path, record)?;
    }
    Ok(())
}

/// What the change replaces, from the look just before it: a route's old target, a repository's
/// old policy (or that it had none), so the undo puts it back.
fn filled(change: Change, look: &pulldoctor_live::Look) -> Change {
    match change {
        Change::ReplaceRoute { table, destination, target, .. } => {
            Change::ReplaceRoute { table, destination, target, previous: look.previous.clone() }
        }
        Change::SetRepositoryPolicy { registry, region, repository, policy, .. } => {
            Change::SetRepositoryPolicy { registry, region, repository, policy, previous: look.previous.clone(), replaced: true }
        }
        other => other,
    }
}

fn failed(failed: pulldoctor_live::Failed) -> anyhow::Error {
    anyhow!("{}: {}", failed.call, failed.message)
}

/// `--undo RECORD`: reverse what the record says was made, newest first.
fn undo(args: &FixArgs, path: &Path) -> Result<ExitCode> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the change record `{}`", path.display()))?;
    let record: Record = serde_json::from_str(&text).with_context(|| format!("`{}` is not a pulldoctor fix record", path.display()))?;
    let undos: Vec<Change> = record.fix.changes.iter().rev().filter_map(|e| e.undo.clone()).collect();
    if undos.is_empty() {
        println!("nothing to undo: {} records no change that pulldoctor made", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    println!("undo of {} ({}, made by {} at {}):", record.fix.cause, record.fix.option, record.fix.by, record.fix.started);
    for change in &undos {
        println!("  {}\n    = {}", change.api_call(), change.command());
    }
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    if !confirmed(args, &format!("Undo these {} change(s)?", undos.len()))? {
        println!("nothing was changed");
        return Ok(ExitCode::from(1));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let region = args.from.region.clone().or(Some(record.fix.region.clone()).filter(|r| !r.is_empty()));
    let fixer = runtime.block_on(Fixer::connect(args.from.profile.as_deref(), region.as_deref())).map_err(failed)?;
    let (account, by) = runtime.block_on(fixer.caller()).map_err(failed)?;
    if account != record.fix.account {
        bail!("refusing: the record's changes were made in account {}, these credentials are for {account}", record.fix.account);
    }
    let undo_path = path.with_extension("undo.json");
    let mut undo_record = Record {
        fix: RecordBody {
            cause: "undo".into(),
            option: format!("undo of {}", path.display()),
            by,
            account,
            region: record.fix.region.clone(),
            started: now(),
            finished: None,
            status: "planned".into(),
            changes: Vec::new(),
            error: None,
        },
    };
    let result = carry_out(&runtime, &fixer, &undos, &mut undo_record, &undo_path);
    undo_record.fix.finished = Some(now());
    undo_record.fix.status = if result.is_ok() { "applied" } else { "failed" }.into();
    undo_record.fix.error = result.as_ref().err().map(|e| e.to_string());
    write_record(&undo_path, &undo_record)?;
    eprintln!("pulldoctor: undo record written to {}", undo_path.display());
    result?;
    println!("undone: {} change(s) reversed", undos.len());
    Ok(ExitCode::SUCCESS)
}
