//! `pulldoctor baseline`, `drift` and `alarms` on the seed incident's three states (before the
//! disassociations, the incident, after the fix), with the real binary; and the drift from the
//! healthy twin of every failing net-* scenario (`twins` below).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const BEFORE: &str = "examples/rosa-ecr-main-route-table-before";
const BROKEN: &str = "examples/rosa-ecr-main-route-table";
const FIXED: &str = "examples/rosa-ecr-main-route-table-fixed";
/// The three node subnets, the association each lost and its two nodes.
const DISASSOCIATED: [(&str, &str, [&str; 2]); 3] = [
    ("subnet-0c104627900ff8d78", "rtbassoc-01a5b7e6941b61913", ["ip-10-0-18-203.ec2.internal", "ip-10-0-21-144.ec2.internal"]),
    ("subnet-0b0f98778e7c55bce", "rtbassoc-04d0f5d60585ea4d9", ["ip-10-0-37-91.ec2.internal", "ip-10-0-44-17.ec2.internal"]),
    ("subnet-0591e7f615056cdc1", "rtbassoc-0699de6921bac8857", ["ip-10-0-55-140.ec2.internal", "ip-10-0-60-229.ec2.internal"]),
];

/// The issue's "done when": drift on the seed's before/after bundles names the three
/// disassociations as breaking the path of the three subnets' nodes, exits 1, and says running
/// pods are unaffected until their next pull. Through a baseline file, as cron would.
#[test]
fn the_three_disassociations_break_the_three_subnets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("before.json");
    let file = file.to_str().unwrap();
    let (code, stdout, stderr) = run(&["baseline", BEFORE, "--now", "2025-08-22T16:00:00Z", "-o", file]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("12 reachable, 0 blocked"), "{stdout}");
    let baseline: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(baseline["kind"], "PulldoctorBaseline");
    assert!(baseline["paths"].as_array().unwrap().iter().all(|p| p["verdict"] == "reachable"));
    let (code, text, stderr) = run(&["drift", file, BROKEN]);
    assert_eq!(code, 1, "{text}{stderr}");
    let (_, json, _) = run(&["drift", file, BROKEN, "--format", "json"]);
    let drift: Value = serde_json::from_str(&json).unwrap();
    let breaks: Vec<&Value> = drift["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "breaks").collect();
    assert_eq!(breaks.len(), 3, "{text}");
    for (subnet, association, nodes) in DISASSOCIATED {
        let finding = breaks.iter().find(|f| f["subnets"] == serde_json::json!([subnet])).unwrap_or_else(|| panic!("{subnet}: {text}"));
        assert_eq!(finding["code"], "route.no-route");
        assert_eq!(finding["nodes"], serde_json::json!(nodes));
        let summary = finding["summary"].as_str().unwrap();
        assert!(
            summary.starts_with(&format!(
                "{subnet} no longer has an explicit route-table association (it was associated with rtb-02eb0e56a2969fb0a through {association}): it now uses the VPC's main route table rtb-04d162c9e2b6a4cbd, which has no route out of the VPC"
            )),
            "{summary}"
        );
        assert!(summary.contains("Running pods are unaffected until their next pull"), "{summary}");
        assert_eq!(
            finding["whatChanged"],
            serde_json::json!([format!("2025-08-22 16:42 UTC DisassociateRouteTable by terraform-ci ({association})")])
        );
        assert_eq!(
            finding["restore"],
            serde_json::json!([format!("aws ec2 associate-route-table --subnet-id {subnet} --route-table-id rtb-02eb0e56a2969fb0a")])
        );
    }
    // breaks first, then the warnings (the expired and the expiring pull secret), nothing else
    let severities: Vec<&str> = drift["findings"].as_array().unwrap().iter().map(|f| f["severity"].as_str().unwrap()).collect();
    assert_eq!(severities, ["breaks", "breaks", "breaks", "warns", "warns"], "{text}");
    assert!(json.contains("harness-delegate-ng/regcred: its ECR token for 818140567777.dkr.ecr.us-east-1.amazonaws.com expires at 2025-08-25 21:14 UTC (in 9h44m)"), "{text}");
    // the endpoints the engineers created are changes, but none of them changed a path
    assert_eq!(drift["otherChanges"].as_array().unwrap().len(), 3, "{text}");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("crates/pulldoctor/tests/snapshots/cli"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("drift_seed_before_to_incident", text));
}

/// Two bundle directories, no file: the same findings.
#[test]
fn drift_takes_two_bundles() {
    let (code, text, stderr) = run(&["drift", BEFORE, BROKEN, "--before-now", "2025-08-22T16:00:00Z"]);
    assert_eq!(code, 1, "{stderr}");
    for (subnet, _, _) in DISASSOCIATED {
        assert!(text.contains(&format!("{subnet} no longer has an explicit route-table association")), "{text}");
    }
}

/// The fix, both ways: restored (exit 0, the CreateRoute named), and broken again (exit 1, the
/// route that went).
#[test]
fn the_fix_both_ways() {
    let (code, json, stderr) = run(&["drift", BROKEN, FIXED, "--format", "json", "--warn-expiry", "1h"]);
    assert_eq!(code, 0, "{stderr}");
    let drift: Value = serde_json::from_str(&json).unwrap();
    let restored: Vec<&Value> = drift["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "restores").collect();
    assert_eq!(restored.len(), 1, "{json}");
    assert_eq!(restored[0]["nodes"].as_array().unwrap().len(), 6);
    assert_eq!(
        restored[0]["whatChanged"],
        serde_json::json!(["2025-08-25 11:41 UTC CreateRoute by sid (rtb-04d162c9e2b6a4cbd, nat-01d1f2b5f9a3b8d14)"])
    );
    assert!(!drift["findings"].as_array().unwrap().iter().any(|f| f["severity"] == "breaks"));

    let (code, text, stderr) = run(&["drift", FIXED, BROKEN, "--warn-expiry", "1h"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        text.contains("[route.no-route] rtb-04d162c9e2b6a4cbd no longer has a route for\n    818140567777.dkr.ecr.us-east-1.amazonaws.com (in the baseline: 0.0.0.0/0 ->\n    nat-01d1f2b5f9a3b8d14 (active))"),
        "{text}"
    );
}

#[test]
fn the_same_state_has_no_drift() {
    let (code, text, stderr) = run(&["drift", FIXED, FIXED, "--warn-expiry", "1h"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!text.contains("BREAKS") && !text.contains("RESTORED") && !text.contains("CHANGED"), "{text}");
}

#[test]
fn a_file_that_is_not_a_baseline_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.json");
    std::fs::write(&file, r#"{"kind": "PodList", "items": []}"#).unwrap();
    let (code, _, stderr) = run(&["drift", file.to_str().unwrap(), BROKEN]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a pulldoctor baseline"), "{stderr}");
    std::fs::write(&file, r#"{"kind": "PulldoctorBaseline", "apiVersion": "pulldoctor/v1", "paths": 3}"#).unwrap();
    let (code, _, stderr) = run(&["drift", file.to_str().unwrap(), BROKEN]);
    assert_eq!(code, 2);
    assert!(stderr.contains("at `"), "{stderr}");
}

/// The generated CloudFormation passes cfn-lint (PyPI; scripts/test.sh installs it), and names
/// every network-changing call the diagnosis' timeline uses; the Terraform JSON parses, has the
/// resources of the AWS provider we mean, and escapes the flow-log format's `${...}`.
#[test]
fn alarms_pass_their_validators() {
    let dir = tempfile::tempdir().unwrap();
    let cfn = dir.path().join("alarms.json");
    let (code, _, stderr) = run(&["alarms", BROKEN, "--format", "cloudformation", "-o", cfn.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let lint =
        Command::new("cfn-lint").arg(&cfn).output().expect("cfn-lint is needed: `pip install cfn-lint` (scripts/test.sh installs it)");
    assert!(lint.status.success(), "cfn-lint: {}{}", String::from_utf8_lossy(&lint.stdout), String::from_utf8_lossy(&lint.stderr));
    let template: Value = serde_json::from_slice(&std::fs::read(&cfn).unwrap()).unwrap();
    let resources = template["Resources"].as_object().unwrap();
    let mut calls: Vec<String> = Vec::new();
    for resource in resources.values().filter(|r| r["Type"] == "AWS::Events::Rule") {
        assert_eq!(resource["Properties"]["Targets"][0]["Arn"], serde_json::json!({"Ref": "PullPathAlarmTopic"}));
        calls = resource["Properties"]["EventPattern"]["detail"]["eventName"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert!(resource["Properties"]["EventPattern"].to_string().len() <= 2000);
    }
    assert_eq!(calls, pulldoctor_diagnosis::NETWORK_CHANGES.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    let flow_logs: Vec<&Value> = resources.values().filter(|r| r["Type"] == "AWS::EC2::FlowLog").collect();
    assert_eq!(flow_logs.len(), 3, "one per node subnet");
    // every association the seed's subnets had is a scope id of the rules
    let patterns: String = resources.values().filter(|r| r["Type"] == "AWS::Events::Rule").map(|r| r.to_string()).collect();
    assert!(patterns.contains("rtbassoc-0df586b32b030cb4c") && patterns.contains("rtb-04d162c9e2b6a4cbd"), "{patterns}");

    let (code, tf, stderr) = run(&["alarms", BROKEN, "--format", "terraform"]);
    assert_eq!(code, 0, "{stderr}");
    let tf: Value = serde_json::from_str(&tf).unwrap();
    for kind in [
        "aws_sns_topic",
        "aws_sns_topic_policy",
        "aws_cloudwatch_event_rule",
        "aws_cloudwatch_event_target",
        "aws_cloudwatch_log_group",
        "aws_iam_role",
        "aws_flow_log",
        "aws_cloudwatch_query_definition",
    ] {
        assert!(tf["resource"][kind].is_object(), "{kind}");
    }
    let flow = &tf["resource"]["aws_flow_log"]["subnet_0591e7f615056cdc1"];
    assert!(flow["log_format"].as_str().unwrap().starts_with("$${version} $${account-id}"), "{flow}");
    for rule in tf["resource"]["aws_cloudwatch_event_rule"].as_object().unwrap().values() {
        let pattern: Value = serde_json::from_str(rule["event_pattern"].as_str().unwrap()).unwrap();
        assert_eq!(pattern["source"], serde_json::json!(["aws.ec2"]));
    }

    let (code, plain, _) = run(&["alarms", BROKEN, "--format", "json", "--sns-topic-arn", "arn:aws:sns:us-east-1:818140567777:oncall"]);
    assert_eq!(code, 0);
    let plain: Value = serde_json::from_str(&plain).unwrap();
    let commands: Vec<&str> = plain["commands"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(!commands.iter().any(|c| c.starts_with("aws sns create-topic")), "an existing topic is used");
    assert!(commands.iter().any(|c| c.starts_with("aws ec2 create-flow-logs --resource-type Subnet --resource-ids subnet-0591e7f615056cdc1 subnet-0b0f98778e7c55bce subnet-0c104627900ff8d78 --traffic-type ALL")));
}

/// Every failing net-* scenario against its healthy twin (`fixtures/scenarios/NAME/twin/`: the
/// same cluster built by the generator before the fault, with the same ids): the twin's paths are
/// all open, drift from it names the scenario's own cause code as a break (exit 1), and drift
/// back restores the paths without a break (exit 0). `path.leaves-scope` (a transit gateway: the
/// verdict is unknown, not blocked) has no twin.
#[test]
fn twins() {
    let scenarios = root().join("fixtures/scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&scenarios)
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().join("twin").is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut codes = std::collections::BTreeSet::new();
    for name in &names {
        let bundle = format!("fixtures/scenarios/{name}/bundle");
        let twin = format!("fixtures/scenarios/{name}/twin");
        let expect: toml::Value = std::fs::read_to_string(scenarios.join(name).join("expect.toml")).unwrap().parse().unwrap();
        let code = expect["top_cause"].as_str().unwrap().to_string();

        // the twin is healthy: every path of its baseline open (its k8s/ is the scenario's, so a
        // diagnosis of it would still read the pods' old errors)
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("twin.json");
        let (status, stdout, stderr) = run(&["baseline", &twin, "-o", file.to_str().unwrap()]);
        assert_eq!(status, 0, "{name}: {stderr}");
        let baseline: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let paths = baseline["paths"].as_array().unwrap();
        assert!(!paths.is_empty() && paths.iter().all(|p| p["verdict"] == "reachable"), "{name}: the twin is not healthy: {stdout}");

        // healthy -> the fault: a break with the scenario's code
        let (status, json, stderr) = run(&["drift", &twin, &bundle, "--format", "json", "--warn-expiry", "1h"]);
        assert_eq!(status, 1, "{name}: drift from the twin must break: {json}{stderr}");
        let drift: Value = serde_json::from_str(&json).unwrap();
        let findings = drift["findings"].as_array().unwrap();
        let breaks: Vec<&Value> = findings.iter().filter(|f| f["severity"] == "breaks").collect();
        assert!(breaks.iter().any(|f| f["code"] == code.as_str()), "{name}: no break with {code}: {json}");
        assert_eq!(findings[0]["severity"], "breaks", "{name}: breaks come first: {json}");
        codes.insert(code);

        // the fault -> healthy: restored, nothing breaks
        let (status, json, stderr) = run(&["drift", &bundle, &twin, "--format", "json", "--warn-expiry", "1h"]);
        assert_eq!(status, 0, "{name}: drift back to the twin must not break: {json}{stderr}");
        let drift: Value = serde_json::from_str(&json).unwrap();
        let findings = drift["findings"].as_array().unwrap();
        assert!(findings.iter().any(|f| f["severity"] == "restores"), "{name}: nothing restored: {json}");
        assert!(!findings.iter().any(|f| f["severity"] == "breaks"), "{name}: {json}");
    }
    // one twin per network cause code that blocks a path
    let expected: std::collections::BTreeSet<String> = [
        "route.no-route",
        "route.blackhole",
        "route.wrong-target",
        "nat.unavailable",
        "nat.no-internet-route",
        "igw.detached",
        "sg.egress-denied",
        "nacl.egress-denied",
        "nacl.return-denied",
        "endpoint.private-dns-disabled",
        "endpoint.sg-denied",
        "endpoint.s3-unreachable",
        "endpoint.missing",
        "endpoint.policy-denied",
        "dns.vpc-resolver-disabled",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(codes, expected, "twins: {names:?}");
}
