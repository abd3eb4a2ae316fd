//! `pulldoctor fix` against moto, for every network scenario of `fixtures/gen/net`: build the
//! fault in moto with the generator's live mode, then
//!
//! 1. `diagnose` (live) names the scenario's cause;
//! 2. `fix --yes --record R` makes the preferred option's changes and says `fixed:`, or says that
//!    pulldoctor leaves the change to the user (only the scenarios in [`LEFT_TO_USER`]);
//! 3. `diagnose` (live) no longer names the cause;
//! 4. `fix --yes` again finds nothing to fix and writes no record (twice is a no-op);
//! 5. `fix --undo R --yes` reverses it, and `diagnose` names the cause again;
//! 6. no change record or output holds a credential (the static test key never appears).
//!
//! moto ignores `DryRun` for several EC2 calls (CreateRoute, ReplaceRoute, DeleteRoute,
//! AssociateRouteTable, CreateNetworkAclEntry, ModifyVpcEndpoint, CreateVpcEndpoint: it makes the
//! change): pulldoctor sees the call succeed where AWS answers `DryRunOperation`, records the
//! change as `made-by-the-dry-run` and warns; the security group and gateway calls honour it.
//! Each group starts its own moto and resets it before each scenario (as `live_scenarios.rs`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use common::{AWS_ENV as ENV, Moto};

/// Scenarios whose preferred fix pulldoctor does not make itself, and why.
const LEFT_TO_USER: &[(&str, &str)] = &[
    ("net-endpoint-policy-denied", "the endpoint policy is a document a person writes"),
    ("net-path-leaves-scope-tgw", "the path leaves the VPC: only read-only commands"),
    ("access-ecr-policy-source-vpce", "the policy's condition needs a new interface endpoint and an edited policy"),
    ("net-nat-unavailable", "no working gateway to route to: a new NAT gateway needs a public subnet and an Elastic IP chosen by a person"),
    ("net-peering-no-egress", "no working gateway to route to, as net-nat-unavailable"),
    ("net-dns-custom-servers", "the DNS servers are the user's: a forwarder on them, or a new DHCP options set, is their decision"),
];
/// Scenarios where moto does not keep what the fix changes, so the verification rightly says
/// "not fixed": (scenario, why). The test asserts that it says so (the fix was made and checked).
const MOTO_DOES_NOT_KEEP: &[(&str, &str)] = &[
    ("net-endpoint-private-dns-disabled", "moto's ModifyVpcEndpoint ignores PrivateDnsEnabled: the endpoint keeps private DNS off"),
    ("net-endpoint-s3-unreachable", "moto's ModifyVpcEndpoint ignores AddRouteTableIds: the gateway endpoint keeps its route tables"),
];

/// The access scenarios with a fix pulldoctor makes or must refuse (the others' fixes are
/// kubectl or cluster configuration a person decides: a new secret's credentials, a proxy list).
const ACCESS: &[&str] = &["access-iam-ecr-denied", "access-ecr-repository-policy-denied", "access-ecr-policy-source-vpce"];

/// Scenarios where fix must refuse: (scenario, what standard error says, why).
const REFUSED: &[(&str, &str, &str)] = &[(
    "access-ecr-repository-policy-denied",
    "another account's registry",
    "the repository is in account 444455556666: its policy is that account's to change",
)];

/// Scenarios whose fix changes what the registry's name resolves to (a new interface endpoint):
/// the stand-in's pod errors are frozen and still name the public address they dialled, so the
/// diagnosis keeps the cause until pods pull again. The verification re-traces by name and says
/// so; the second run finds every change in effect and makes none. (scenario, why)
const STALE_ERRORS: &[(&str, &str)] = &[("net-endpoint-missing", "the pods' errors dialled the registry's public address")];

/// One run of pulldoctor: exit code, standard output, standard error.
type Ran = (Option<i32>, String, String);

const CLEARED: &[&str] = &["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "KUBECONFIG", "PULLDOCTOR_AWS_CLI"];
const LIMIT: Duration = Duration::from_secs(120);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The scenario generator under fixtures/gen: `net` or `access`.
fn generator(which: &str, args: &[&str]) -> Command {
    let mut command = Command::new("python3");
    command.arg(repo().join("fixtures/gen").join(which).join("generate.py")).args(args).current_dir(repo());
    for name in CLEARED {
        command.env_remove(name);
    }
    command.envs(ENV.iter().copied());
    command
}

fn run(command: &mut Command) -> Ran {
    common::run_bounded(command, LIMIT)
}

/// pulldoctor in `dir`, against the AWS endpoint `aws` and the cluster of `kubeconfig`.
fn pulldoctor_in(dir: &Path, aws: &str, kubeconfig: &Path, args: &[&str]) -> Ran {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulldoctor"));
    command.args(args).current_dir(dir);
    for name in CLEARED {
        command.env_remove(name);
    }
    command.envs(ENV.iter().copied()).env("AWS_ENDPOINT_URL", aws).env("KUBECONFIG", kubeconfig).env("NO_COLOR", "1");
    run(&mut command)
}

/// A scenario built in moto by a generator's live mode, its cluster served by a writable API
/// stand-in, and a directory of its own where pulldoctor runs.
struct World {
    root: tempfile::TempDir,
    aws: String,
    kubeconfig: PathBuf,
    /// The writable API stand-in's objects and writes (without kubelets).
    shared: Option<common::Shared>,
    /// The API stand-in with kubelets that run probe pods (`build_probed`).
    kubelet: Option<common::kubelet::Kubelet>,
}

impl World {
    /// `name` of the `which` generator (`net`, `access`, `seed`) in `moto`; Err: the generator's complaint.
    fn build(which: &str, moto: &Moto, name: &str) -> Result<World, String> {
        let (root, objects) = Self::generate(which, moto, name)?;
        let (port, shared) = common::serve_writable(objects);
        let kubeconfig = common::kubeconfig(root.path(), port);
        Ok(World { root, aws: moto.url.clone(), kubeconfig, shared: Some(shared), kubelet: None })
    }

    /// As [`World::build`], its cluster served by the stand-in whose kubelets run probe pods on
    /// this machine (`common::kubelet`): every node holds the pulldoctor image (as the agent
    /// keeps it), which runs the binary under test; `node_env` is what the nodes' image sets.
    fn build_probed(which: &str, moto: &Moto, name: &str, node_env: Vec<(String, String)>) -> Result<World, String> {
        let (root, mut objects) = Self::generate(which, moto, name)?;
        for node in objects.iter_mut().filter(|o| o["kind"] == "Node") {
            if let Some(images) = node["status"]["images"].as_array_mut() {
                images.push(serde_json::json!({"names": ["quay.io/acme/pulldoctor:0.1.0"], "sizeBytes": 14_000_000}));
            }
        }
        let kubelet = common::kubelet::serve_with_env(objects, PathBuf::from(env!("CARGO_BIN_EXE_pulldoctor")), false, node_env);
        let kubeconfig = common::kubeconfig(root.path(), kubelet.port);
        Ok(World { root, aws: moto.url.clone(), kubeconfig, shared: None, kubelet: Some(kubelet) })
    }

    /// The fault built in moto; the cluster's objects as the generator wrote them.
    fn generate(which: &str, moto: &Moto, name: &str) -> Result<(tempfile::TempDir, Vec<Value>), String> {
        let root = tempfile::tempdir().unwrap();
        let generated = root.path().join("generated");
        let (code, _, stderr) = run(&mut generator(which, &["--live", &moto.url, "--out", generated.to_str().unwrap(), "--reset", name]));
        if code != Some(0) {
            return Err(format!("the generator's live mode failed:\n{stderr}"));
        }
        let objects = common::objects_in(&generated.join("k8s"));
        Ok((root, objects))
    }

    fn pulldoctor(&self, args: &[&str]) -> Ran {
        pulldoctor_in(self.root.path(), &self.aws, &self.kubeconfig, args)
    }
}

fn lines(which: &str, flag: &str) -> Vec<String> {
    let (code, stdout, stderr) = run(&mut generator(which, &[flag]));
    assert_eq!(code, Some(0), "generate.py {flag}: {stderr}");
    stdout.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect()
}

fn causes(report: &Value) -> Vec<String> {
    report["causes"].as_array().map(|c| c.iter().map(|c| c["code"].as_str().unwrap_or("?").to_string()).collect()).unwrap_or_default()
}

/// One scenario; everything wrong with it (empty: all is well).
fn scenario(which: &str, moto: &Moto, name: &str) -> Vec<String> {
    let world = match World::build(which, moto, name) {
        Ok(world) => world,
        Err(problem) => return vec![problem],
    };
    let root = &world.root;
    let mut seen = String::new();
    let mut pulldoctor = |args: &[&str]| {
        let out = world.pulldoctor(args);
        seen.push_str(&out.1);
        seen.push_str(&out.2);
        out
    };
    let diagnose = |pulldoctor: &mut dyn FnMut(&[&str]) -> Ran| -> Result<Vec<String>, String> {
        let (code, stdout, stderr) = pulldoctor(&["diagnose", "--format", "json"]);
        if !matches!(code, Some(0 | 1)) {
            return Err(format!("diagnose exited {code:?}: {stderr}"));
        }
        serde_json::from_str::<Value>(&stdout).map(|r| causes(&r)).map_err(|e| format!("diagnose printed no JSON ({e})"))
    };
    let mut problems = Vec::new();
    let before = match diagnose(&mut pulldoctor) {
        Ok(causes) => causes,
        Err(e) => return vec![e],
    };
    if name.starts_with("net-healthy-") {
        // Nothing to fix, and fix says so without a record.
        let record = root.path().join("healthy.json");
        let (code, stdout, stderr) = pulldoctor(&["fix", "--yes", "--record", record.to_str().unwrap()]);
        if !before.is_empty() || code != Some(0) || !stdout.contains("nothing to fix") || record.exists() {
            return vec![format!("a healthy scenario (causes {before:?}): fix exited {code:?}:\n{stdout}\n{stderr}")];
        }
        return Vec::new();
    }
    if before.is_empty() {
        return vec!["the fault's live diagnosis found no cause".into()];
    }
    let fault = before[0].clone();
    let record = root.path().join("fix.json");
    let (code, stdout, stderr) = pulldoctor(&["fix", "--yes", "--record", record.to_str().unwrap()]);
    if let Some((_, expected, why)) = REFUSED.iter().find(|(s, _, _)| *s == name) {
        if code != Some(2) || !stderr.contains(expected) || record.exists() {
            problems.push(format!("fix must refuse ({why}): exit {code:?}, record written {}:\n{stdout}\n{stderr}", record.exists()));
        }
        return problems;
    }
    let left = LEFT_TO_USER.iter().find(|(s, _)| *s == name);
    if stdout.contains("does not make this change itself") || stdout.contains("changes nothing pulldoctor can make") {
        if left.is_none() {
            problems.push(format!("fix left {fault} to the user; list it in LEFT_TO_USER or make it:\n{stdout}"));
        }
        if record.exists() {
            problems.push("a fix left to the user wrote a change record".into());
        }
        return problems;
    }
    if let Some((_, why)) = left {
        problems.push(format!("fix acted on a scenario listed in LEFT_TO_USER ({why}): remove it from the list"));
    }
    if let Some((_, why)) = MOTO_DOES_NOT_KEEP.iter().find(|(s, _)| *s == name) {
        if code != Some(1) || !stdout.contains("\nnot fixed: ") {
            problems.push(format!("moto does not keep this change ({why}), so the verification must say `not fixed:` (exit {code:?}); if moto keeps it now, remove the entry:\n{stdout}"));
        }
        return problems;
    }
    if code != Some(0) || !stdout.contains("\nfixed: ") {
        problems.push(format!("fix did not end `fixed:` (exit {code:?}):\n{stdout}\n{stderr}"));
        return problems;
    }
    let stale = STALE_ERRORS.iter().any(|(s, _)| *s == name);
    if stale && !stdout.contains("they clear when the pods pull again") {
        problems.push(format!("the verification does not say the pods' errors predate the change:\n{stdout}"));
    }
    match diagnose(&mut pulldoctor) {
        Ok(after) if after.contains(&fault) && !stale => problems.push(format!("after the fix, diagnose still names {fault}: {after:?}")),
        Ok(_) => {}
        Err(e) => problems.push(e),
    }
    // Twice: nothing to fix, no record (or, with frozen errors, every change already in effect).
    let again = root.path().join("again.json");
    let (code, stdout, stderr) = pulldoctor(&["fix", "--yes", "--record", again.to_str().unwrap()]);
    let no_op = if stale {
        stdout.contains("nothing changed: every change was already in effect") && !stdout.contains("\nmade")
    } else {
        stdout.contains("nothing to fix") && !again.exists()
    };
    if code != Some(0) || !no_op {
        problems.push(format!("the second fix was not a no-op (exit {code:?}, record written: {}):\n{stdout}\n{stderr}", again.exists()));
    }
    // Undo: the fault is back.
    let (code, stdout, stderr) = pulldoctor(&["fix", "--undo", record.to_str().unwrap(), "--yes"]);
    if code != Some(0) || !stdout.contains("undone:") {
        problems.push(format!("undo failed (exit {code:?}):\n{stdout}\n{stderr}"));
    }
    match diagnose(&mut pulldoctor) {
        Ok(after) if after.first() != Some(&fault) => problems.push(format!("after the undo, diagnose names {after:?}, not {fault}")),
        Ok(_) => {}
        Err(e) => problems.push(e),
    }
    let text = std::fs::read_to_string(&record).unwrap_or_default();
    let record_json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if record_json["PulldoctorFix"]["status"] != "applied"
        || record_json["PulldoctorFix"]["changes"].as_array().is_none_or(|c| c.is_empty())
    {
        problems.push(format!("the change record is not an applied one with its changes: {text}"));
    }
    let secret = ENV.iter().find(|(k, _)| *k == "AWS_SECRET_ACCESS_KEY").map(|(_, v)| *v).unwrap_or("never");
    if text.contains(secret) || seen.contains(secret) {
        problems.push("the secret access key appears in the output or the record".into());
    }
    eprintln!("{name}: {fault} fixed, no-op the second time, undone");
    problems
}

fn moto_for(which: &str) -> Moto {
    let env: Vec<(String, String)> =
        lines(which, "--moto-env").iter().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    common::start_moto(&env)
}

fn group(index: usize, groups: usize) {
    let names = lines("net", "--list");
    let moto = moto_for("net");
    let mut failures = Vec::new();
    for name in names.iter().enumerate().filter(|(i, _)| i % groups == index).map(|(_, n)| n) {
        let problems = scenario("net", &moto, name);
        if !problems.is_empty() {
            failures.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn net_fixes_1() {
    group(0, 3);
}

#[test]
fn net_fixes_2() {
    group(1, 3);
}

#[test]
fn net_fixes_3() {
    group(2, 3);
}

#[test]
fn access_fixes() {
    let moto = moto_for("access");
    let failures: Vec<String> = ACCESS
        .iter()
        .filter_map(|name| {
            let problems = scenario("access", &moto, name);
            (!problems.is_empty()).then(|| format!("{name}:\n  {}", problems.join("\n  ")))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// access-pullsecret-expired with `--option 1` (the 12-hour refresh; the preferred option, a
/// credential provider, is a person's to configure): a new ECR token from moto is written into
/// the secret through the API (a PUT the stand-in keeps), no token byte is printed or recorded,
/// and the record says there is no undo (the old token had expired).
#[test]
fn the_pull_secret_refresh_writes_the_secret_and_prints_no_token() {
    let moto = moto_for("access");
    let world = World::build("access", &moto, "access-pullsecret-expired").unwrap_or_else(|e| panic!("{e}"));
    let shared = world.shared.as_ref().unwrap();
    let secret_before: Vec<Value> = shared.lock().unwrap().0.iter().filter(|o| o["kind"] == "Secret").cloned().collect();
    let record = world.root.path().join("refresh.json");
    let (code, stdout, stderr) =
        world.pulldoctor(&["fix", "--cause", "pullsecret.expired", "--option", "1", "--yes", "--record", record.to_str().unwrap()]);
    assert!(stdout.contains("made: ecr:GetAuthorizationToken"), "exit {code:?}\n{stdout}\n{stderr}");
    let (objects, writes) = shared.lock().unwrap().clone();
    assert_eq!(writes.iter().filter(|w| w.starts_with("PUT ") && w.contains("/secrets/")).count(), 1, "{writes:?}");
    let written = objects.iter().find(|o| o["kind"] == "Secret" && !secret_before.contains(o)).expect("a secret changed");
    use base64::Engine as _;
    let data = written["data"][".dockerconfigjson"].as_str().or(written["data"][".dockercfg"].as_str()).expect("docker config data");
    let config: Value = serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(data).unwrap()).unwrap();
    let auths = config.get("auths").unwrap_or(&config);
    let entry = auths.as_object().unwrap().values().find(|e| e["username"] == "AWS").expect("an AWS entry");
    let password = entry["password"].as_str().unwrap();
    assert!(!password.is_empty());
    let text = std::fs::read_to_string(&record).unwrap();
    for (what, shown) in [("standard output", &stdout), ("standard error", &stderr), ("the record", &text)] {
        assert!(!shown.contains(password), "the token's password appears in {what}");
        assert!(!shown.contains(entry["auth"].as_str().unwrap()), "the token's auth appears in {what}");
    }
    let record: Value = serde_json::from_str(&text).unwrap();
    assert!(record["PulldoctorFix"]["changes"][0].get("undo").is_none(), "a refresh has no undo: {record}");
}

/// The seed incident, live: one `fix --yes --restart-failing` turns route.no-route into a healthy
/// diagnosis, prints the verification, and deletes the failing pods a ReplicaSet owns so they
/// pull again now, never the bare `ecr-pull-test` pod.
#[test]
fn the_seed_incident_is_fixed_with_one_command() {
    let moto = moto_for("seed");
    let world = World::build("seed", &moto, "rosa-ecr-main-route-table").unwrap_or_else(|e| panic!("{e}"));
    let pulldoctor = |args: &[&str]| world.pulldoctor(args);
    let (_, stdout, stderr) = pulldoctor(&["fix", "--dry-run"]);
    assert!(stdout.contains("cause: route.no-route") && stdout.contains("dry run: nothing was changed"), "{stdout}\n{stderr}");
    // In a pipe, without --yes: refused, nothing changed.
    let (code, _, stderr) = pulldoctor(&["fix"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("standard input is not a terminal"), "{stderr}");
    let (code, stdout, stderr) = pulldoctor(&["fix", "--yes", "--restart-failing", "--record", "seed.json"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("verifying: collecting, tracing and diagnosing again") && stdout.contains("\nfixed: route.no-route is gone"),
        "{stdout}"
    );
    let writes = world.shared.as_ref().unwrap().lock().unwrap().1.clone();
    let deleted: Vec<&str> = writes.iter().filter_map(|w| w.strip_prefix("DELETE /api/v1/namespaces/")).collect();
    assert!(!deleted.is_empty() && deleted.iter().all(|d| d.contains("/pods/")), "{writes:?}\n{stdout}");
    assert!(!deleted.iter().any(|d| d.ends_with("/ecr-pull-test")), "a bare pod was deleted: {deleted:?}");
    assert!(stdout.contains("not restarted (no Deployment, StatefulSet or DaemonSet owns it): cf-dev/ecr-pull-test"), "{stdout}");
    let (_, stdout, _) = pulldoctor(&["diagnose", "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(causes(&report).is_empty(), "after the fix: {:?}", causes(&report));
}

/// `fix --probe`: after the change the in-cluster probe runs from the cause's nodes (in pods the
/// kubelet stand-in runs on this machine) and what it observes decides the verdict.
///
/// 1. Probing a registry where nothing listens (`127.0.0.1:1`): moto's route table now routes to
///    the NAT gateway, so the configuration shows nothing blocking, but every probe is refused at
///    connect: `not fixed`, exit 1, and the probe pods are deleted.
/// 2. Undone, then fixed again probing an image in a real registry (Debian's docker-registry over
///    TLS on 127.0.0.1, its test CA the nodes' trust store): every probe pulls, `fixed`.
///
/// The probes run on this machine, so what they meet is this machine's network, not moto's route
/// tables: the test proves that the verification probes the cause's nodes after the change,
/// reads what they observed and lets a failed pull outweigh the configuration; the probe lab
/// (scripts/probe-lab.sh) is where the probe meets real network faults.
#[test]
fn the_seed_fix_is_proved_by_the_probe() {
    let moto = moto_for("seed");
    let registry = common::registry::start("team/app", "v1");
    let trust = vec![("SSL_CERT_FILE".to_string(), registry.ca.display().to_string())];
    let world = World::build_probed("seed", &moto, "rosa-ecr-main-route-table", trust).unwrap_or_else(|e| panic!("{e}"));
    let kubelet = world.kubelet.as_ref().unwrap();
    let (code, stdout, stderr) = world.pulldoctor(&["fix", "--yes", "--probe=127.0.0.1:1/team/app:v1", "--record", "refused.json"]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    // the pods of the cause are on three nodes, one per subnet: each is probed, in a pod deleted after
    assert!(stdout.contains("probing the pull from 3 of the cause's 3 node(s)"), "{stdout}");
    let mut created: Vec<String> = kubelet
        .calls()
        .iter()
        .filter_map(|c| c.split_once(" on ").filter(|_| c.starts_with("create ")).map(|(_, n)| n.to_string()))
        .collect();
    created.sort();
    assert_eq!(created, ["ip-10-0-21-144.ec2.internal", "ip-10-0-44-17.ec2.internal", "ip-10-0-60-229.ec2.internal"], "{stdout}");
    assert!(kubelet.pods_left().is_empty(), "probe pods left behind: {:?}", kubelet.pods_left());
    assert!(stderr.contains("a node of the fixed cause's pods"), "{stderr}");
    assert_eq!(stdout.matches("  probe from ip-").count(), 3, "{stdout}");
    assert!(stdout.contains("0 blocked, 0 unknown"), "the configuration traces open: {stdout}");
    assert!(
        stdout.contains("\nnot fixed: the configuration shows nothing blocking the path, but the probe from ip-")
            && stdout.contains("still fails at connect (connection-refused)"),
        "{stdout}"
    );
    assert!(!stdout.contains("\nfixed: "), "{stdout}");
    // undone: the fault is back
    let (code, stdout, stderr) = world.pulldoctor(&["fix", "--undo", "refused.json", "--yes"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // fixed again, probing an image the registry holds: every probe pulls
    let target = format!("--probe={}/team/app:v1", registry.address);
    let (code, stdout, stderr) = world.pulldoctor(&["fix", "--yes", &target, "--record", "pulled.json"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(stdout.matches(": every step passed (through blob) in ").count(), 3, "{stdout}");
    assert!(stdout.contains("\nfixed: route.no-route is gone") && stdout.contains("(the probe pulled from 3 node(s): ip-"), "{stdout}");
    assert!(kubelet.pods_left().is_empty(), "probe pods left behind: {:?}", kubelet.pods_left());
    let secret = ENV.iter().find(|(k, _)| *k == "AWS_SECRET_ACCESS_KEY").map(|(_, v)| *v).unwrap();
    assert!(!stdout.contains(secret) && !stderr.contains(secret));
}

/// The seed incident's other option: associating the subnets with the table that already routes
/// to the NAT gateway (`--option 2`, one `AssociateRouteTable` per subnet), undone with
/// `DisassociateRouteTable`; and a bundle collected before the fix no longer drives a change.
#[test]
fn the_seed_by_association_and_a_stale_bundle_refused() {
    let moto = moto_for("seed");
    let world = World::build("seed", &moto, "rosa-ecr-main-route-table").unwrap_or_else(|e| panic!("{e}"));
    let root = &world.root;
    let pulldoctor = |args: &[&str]| world.pulldoctor(args);
    let (code, _, stderr) = pulldoctor(&["collect", "-o", "before"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = pulldoctor(&["fix", "before", "--option", "2", "--yes", "--record", "assoc.json"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.matches("made: ec2:AssociateRouteTable").count() + stdout.matches("made-by-the-dry-run: ec2:AssociateRouteTable").count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("\nfixed: route.no-route is gone"), "{stdout}");
    // The bundle still shows the fault; the live state does not: refused, nothing changed.
    let (code, _, stderr) = pulldoctor(&["fix", "before", "--yes", "--record", "stale.json"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("the live state no longer shows route.no-route"), "{stderr}");
    assert!(!root.path().join("stale.json").exists());
    let record: Value = serde_json::from_str(&std::fs::read_to_string(root.path().join("assoc.json")).unwrap()).unwrap();
    let undos: Vec<&str> =
        record["PulldoctorFix"]["changes"].as_array().unwrap().iter().filter_map(|c| c["undo_command"].as_str()).collect();
    assert_eq!(undos.len(), 3, "{record}");
    assert!(undos.iter().all(|u| u.starts_with("aws ec2 disassociate-route-table --association-id rtbassoc-")), "{undos:?}");
    let (code, stdout, stderr) = pulldoctor(&["fix", "--undo", "assoc.json", "--yes"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let (_, stdout, _) = pulldoctor(&["diagnose", "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(causes(&report).first().map(String::as_str), Some("route.no-route"), "{:?}", causes(&report));
}

/// Bad input to `fix --undo` (no file, a truncated one, a record of the wrong shape) is an input
/// error naming the file (exit 2), and without a cluster `fix` says what it needs: nothing is
/// changed and nothing is asked of AWS.
#[test]
fn bad_records_and_no_cluster_are_input_errors() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("cut.json"), "{\"PulldoctorFix\": {\"cau").unwrap();
    std::fs::write(root.path().join("shape.json"), "{\"PulldoctorFix\": {\"cause\": 3}}").unwrap();
    let pulldoctor = |args: &[&str]| pulldoctor_in(root.path(), "http://127.0.0.1:9", Path::new("/nonexistent"), args);
    for (file, says) in [
        ("missing.json", "cannot read the change record `missing.json`"),
        ("cut.json", "`cut.json` is not a pulldoctor fix record"),
        ("shape.json", "`shape.json` is not a pulldoctor fix record"),
    ] {
        let (code, _, stderr) = pulldoctor(&["fix", "--undo", file, "--yes"]);
        assert_eq!(code, Some(2), "{file}: {stderr}");
        assert!(stderr.contains(says), "{file}: {stderr}");
    }
    let (code, _, stderr) = pulldoctor(&["fix", "--yes"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("pulldoctor fix reads the cluster and its AWS account live"), "{stderr}");
}
