//! What people already have, read as the JSON bundle is: every scenario written as YAML gives the
//! identical model and report; the seed as a must-gather tree, as its `.tar.gz` and as a `.zip`
//! (with the AWS side beside it) gives the seed's diagnosis; archive bombs, path traversal and
//! cut archives are refused with clear errors.

mod scenario_library;

use std::io::Write;
use std::path::{Path, PathBuf};

use pulldoctor::fs::{self, Error, Limits, Options};
use pulldoctor_diagnosis::Options as DiagnoseOptions;
use serde_json::Value;

use scenario_library::workspace;

/// Every file under `dir`, following links to folders (the expired-events example links the
/// seed's `aws/`).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out.sort();
    out
}

/// The JSON file as YAML: a Kubernetes `List` of several items as a `---` stream (one document
/// per object, as `kubectl get ... -o yaml` piped through yq prints it), anything else as one
/// document.
fn to_yaml(value: &Value) -> String {
    match value.get("items").and_then(Value::as_array) {
        Some(items) if value.get("kind").and_then(Value::as_str) == Some("List") && items.len() > 1 => {
            items.iter().map(|item| format!("---\n{}", serde_saphyr::to_string(item).unwrap())).collect()
        }
        _ => serde_saphyr::to_string(value).unwrap(),
    }
}

fn report_json(bundle: &pulldoctor_bundle::Bundle) -> String {
    let report = pulldoctor_diagnosis::diagnose(&bundle.model, &DiagnoseOptions::default());
    pulldoctor_render::json(&report)
}

#[test]
fn every_scenario_reads_the_same_as_yaml() {
    let mut compared = 0;
    for scenario in scenario_library::scenarios() {
        let source = scenario_library::bundle_dir(&scenario);
        let temp = tempfile::tempdir().unwrap();
        for file in files_under(&source) {
            let relative = file.strip_prefix(&source).unwrap();
            let is_json = file.extension().is_some_and(|e| e == "json");
            let target = temp.path().join(if is_json { relative.with_extension("yaml") } else { relative.to_path_buf() });
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            if is_json {
                let value: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
                std::fs::write(&target, to_yaml(&value)).unwrap();
            } else {
                std::fs::copy(&file, &target).unwrap();
            }
        }
        let json = fs::read_bundle(&source, &Options::default()).unwrap();
        let yaml = fs::read_bundle(temp.path(), &Options::default()).unwrap();
        // the same facts and the same report, up to the files' names
        let rename =
            |text: String| text.replace(&temp.path().display().to_string(), &source.display().to_string()).replace(".yaml", ".json");
        let name = scenario.file_name().unwrap().to_string_lossy();
        assert_eq!(
            rename(serde_json::to_string_pretty(&yaml.model).unwrap()),
            serde_json::to_string_pretty(&json.model).unwrap(),
            "{name}: the model read from YAML differs"
        );
        assert_eq!(rename(report_json(&yaml)), report_json(&json), "{name}: the report read from YAML differs");
        assert!(!json.model.pods.is_empty() || name.contains("healthy"), "{name}: nothing was compared");
        compared += 1;
    }
    assert!(compared > 40, "only {compared} scenarios");
}

fn seed() -> PathBuf {
    workspace().join("examples/rosa-ecr-main-route-table")
}

fn must_gather() -> PathBuf {
    workspace().join("fixtures/must-gather/rosa-ecr-main-route-table")
}

/// The causes (code and resources), the affected containers and their messages.
fn diagnosis(bundle: &pulldoctor_bundle::Bundle) -> Value {
    let report: Value = serde_json::from_str(&report_json(bundle)).unwrap();
    let causes: Vec<Value> = report["causes"].as_array().unwrap().iter().map(|c| serde_json::json!([c["code"], c["resources"]])).collect();
    let affected: Vec<Value> = report["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| serde_json::json!([a["pod"], a["container"], a["error_message"], a["error_class"]]))
        .collect();
    serde_json::json!({"causes": causes, "affected": affected})
}

fn gaps(bundle: &pulldoctor_bundle::Bundle) -> Vec<String> {
    let report: Value = serde_json::from_str(&report_json(bundle)).unwrap();
    report["gaps"].as_array().unwrap().iter().map(|g| g["what"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_seed_as_a_must_gather_tree_gives_the_seed_diagnosis() {
    let json = fs::read_bundle(&seed(), &Options::default()).unwrap();
    let tree = fs::read_bundles(&[must_gather(), seed().join("aws")], &Options::default()).unwrap();
    assert_eq!(diagnosis(&tree), diagnosis(&json));
    let report: Value = serde_json::from_str(&report_json(&tree)).unwrap();
    assert_eq!(report["causes"][0]["code"], "route.no-route");
    // what a must-gather cannot say is a gap, never "healthy": no secret values, no service accounts
    assert!(!tree.model.inputs.contains(&pulldoctor_model::InputKind::Secrets));
    assert!(tree.notes.iter().any(|n| n.contains("data elided")), "{:#?}", tree.notes);
    assert!(tree.notes.iter().any(|n| n.contains("must-gather")), "{:#?}", tree.notes);
    assert!(gaps(&tree).iter().any(|g| g.contains("pull secrets")), "{:#?}", gaps(&tree));
    assert!(tree.model.unreadable_files.is_empty(), "{:#?}", tree.model.unreadable_files);
    // container logs, HTML, the gather's own logs are passed over, and counted
    let summary = tree.passed_over_summary().join("\n");
    assert!(summary.contains("containers' own logs") && summary.contains("text that is not JSON"), "{summary}");
    // alone, the must-gather says what it lacks: the AWS side, with the commands that add it
    let alone = fs::read_bundle(&must_gather(), &Options::default()).unwrap();
    assert!(alone.notes.iter().any(|n| n.contains("collect --skip-kubernetes")), "{:#?}", alone.notes);
    assert!(gaps(&alone).iter().any(|g| g.contains("RouteTables")));
}

/// `tar czf`-style archive of a folder, entries named relative to its parent.
fn tar_gz(folder: &Path, into: &Path) {
    let file = std::fs::File::create(into).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()));
    builder.append_dir_all(folder.file_name().unwrap(), folder).unwrap();
    builder.into_inner().unwrap().finish().unwrap();
}

fn zip_of(folder: &Path, into: &Path) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(into).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for file in files_under(folder) {
        writer.start_file(file.strip_prefix(folder.parent().unwrap()).unwrap().to_string_lossy(), options).unwrap();
        writer.write_all(&std::fs::read(&file).unwrap()).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn the_must_gather_as_tar_gz_and_zip_reads_as_the_tree() {
    let temp = tempfile::tempdir().unwrap();
    let tree = fs::read_bundles(&[must_gather(), seed().join("aws")], &Options::default()).unwrap();
    let archive = temp.path().join("must-gather.tar.gz");
    tar_gz(&must_gather().join("must-gather.local.5035164916382721931"), &archive);
    let from_tar = fs::read_bundles(&[archive.clone(), seed().join("aws")], &Options::default()).unwrap();
    assert_eq!(diagnosis(&from_tar), diagnosis(&tree));
    assert_eq!(from_tar.model.pods, tree.model.pods);
    assert_eq!(from_tar.files_read, tree.files_read);
    let zip = temp.path().join("must-gather.zip");
    zip_of(&must_gather().join("must-gather.local.5035164916382721931"), &zip);
    let from_zip = fs::read_bundles(&[zip, seed().join("aws")], &Options::default()).unwrap();
    assert_eq!(diagnosis(&from_zip), diagnosis(&tree));
    // an archive in a folder beside the AWS side reads the same
    let folder = temp.path().join("case");
    std::fs::create_dir(&folder).unwrap();
    std::fs::rename(&archive, folder.join("must-gather.tar.gz")).unwrap();
    let in_folder = fs::read_bundles(&[folder, seed().join("aws")], &Options::default()).unwrap();
    assert_eq!(diagnosis(&in_folder), diagnosis(&tree));
}

/// Events expired, the kubelet's journal present: the real error is named, with the line it came
/// from, instead of a gap; without the journal, the gaps come back.
#[test]
fn a_kubelet_journal_names_the_error_the_events_lost() {
    let example = workspace().join("examples/rosa-ecr-events-expired");
    let with_journal = fs::read_bundle(&example, &Options::default()).unwrap();
    let report: Value = serde_json::from_str(&report_json(&with_journal)).unwrap();
    let affected = report["affected"].as_array().unwrap();
    assert!(!affected.is_empty());
    for failure in affected {
        assert_eq!(failure["message_source"], "node-log", "{failure}");
        assert!(failure["error_message"].as_str().unwrap().contains("dial tcp 52.207.2.251:443: i/o timeout"), "{failure}");
        assert_eq!(failure["error_class"], "network-timeout");
    }
    assert!(!gaps(&with_journal).iter().any(|g| g.starts_with("the pull error of")), "{:#?}", gaps(&with_journal));
    assert_eq!(report["causes"][0]["code"], "route.no-route");
    let evidence = report["causes"][0]["evidence"].to_string();
    assert!(evidence.contains("kubelet journal of ip-10-0-") && evidence.contains("workers-kubelet.log:"), "{evidence}");

    let temp = tempfile::tempdir().unwrap();
    for file in files_under(&example.join("k8s")).into_iter().filter(|f| !f.ends_with("workers-kubelet.log")) {
        std::fs::copy(&file, temp.path().join(file.file_name().unwrap())).unwrap();
    }
    let without = fs::read_bundles(&[temp.path().to_path_buf(), seed().join("aws")], &Options::default()).unwrap();
    assert!(gaps(&without).iter().any(|g| g.starts_with("the pull error of")), "{:#?}", gaps(&without));
}

/// Which credentials a self-managed kubelet uses is no longer an assumption when its journal is
/// in the bundle: the kubeadm scenario (its node role has no ECR permission) with the kubelet's
/// startup `FLAG` lines beside it. Started without the credential provider: the node role is
/// ruled out because the journal says so. Started with it: the node role is in the pull's path and
/// its missing permission becomes a cause.
#[test]
fn a_kubelet_journal_says_which_credentials_pull() {
    let scenario = workspace().join("fixtures/scenarios/access-kubeadm-secret-wrong-registry/bundle");
    let journal = |value: &str| {
        format!(
            "Feb 27 08:00:00 ip-10-0-137-44.ec2.internal kubelet[2215]: I0227 08:00:00.647605    2215 flags.go:64] FLAG: --image-credential-provider-bin-dir=\"\"\n\
             Feb 27 08:00:00 ip-10-0-137-44.ec2.internal kubelet[2215]: I0227 08:00:00.647622    2215 flags.go:64] FLAG: --image-credential-provider-config=\"{value}\"\n"
        )
    };
    let report = |value: &str| -> Value {
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join("kubelet.log"), journal(value)).unwrap();
        let bundle = fs::read_bundles(&[scenario.clone(), temp.path().to_path_buf()], &Options::default()).unwrap();
        serde_json::from_str(&report_json(&bundle)).unwrap()
    };
    let codes = |report: &Value| -> Vec<String> {
        report["causes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_string()).collect()
    };

    let without = report("");
    let ruled_out = without["ruled_out"].to_string();
    assert!(
        ruled_out.contains("ip-10-0-137-44.ec2.internal's kubelet was started without --image-credential-provider-config (its journal, "),
        "{ruled_out}"
    );
    assert!(!ruled_out.contains("assumed not"), "the journal answers it: {ruled_out}");
    assert_eq!(codes(&without)[0], "pullsecret.wrong-registry");
    assert!(!codes(&without).contains(&"iam.ecr-denied".to_string()), "{:?}", codes(&without));

    let with = report("/etc/kubernetes/image-credential-provider/config.yaml");
    assert!(codes(&with).contains(&"iam.ecr-denied".to_string()), "{:?}", codes(&with));
    let evidence = with["causes"].to_string();
    assert!(
        evidence.contains("was started with --image-credential-provider-config=/etc/kubernetes/image-credential-provider/config.yaml"),
        "{evidence}"
    );
}

fn refused(result: Result<pulldoctor_bundle::Bundle, Error>) -> String {
    match result {
        Err(error @ Error::Refused { .. }) => error.to_string(),
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, the archive was read"),
    }
}

fn tar_with(entries: &[(&str, &[u8])], gzip: bool) -> Vec<u8> {
    let mut raw = tar::Builder::new(Vec::new());
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        // set_path refuses `..`: write the name as a hostile archive would
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        raw.append(&header, *bytes).unwrap();
    }
    let bytes = raw.into_inner().unwrap();
    if !gzip {
        return bytes;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn path_traversal_and_absolute_names_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    for (name, file) in [("../../etc/passwd", "up.tar"), ("/etc/passwd", "absolute.tar"), ("bundle/../../x.json", "middle.tar")] {
        let path = temp.path().join(file);
        std::fs::write(&path, tar_with(&[("pods.json", b"{}"), (name, b"root:x:0:0")], false)).unwrap();
        let error = refused(fs::read_bundle(&path, &Options::default()));
        assert!(error.contains(name) && (error.contains("climbs out") || error.contains("absolute")), "{error}");
    }
    let zip = temp.path().join("up.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    writer.start_file("../../etc/passwd", zip::write::SimpleFileOptions::default()).unwrap();
    writer.write_all(b"root:x:0:0").unwrap();
    writer.finish().unwrap();
    let error = refused(fs::read_bundle(&zip, &Options::default()));
    assert!(error.contains("../../etc/passwd") && error.contains("climbs out"), "{error}");
}

#[test]
fn compression_bombs_are_refused_early() {
    let temp = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 160 << 20];
    // a gzip bomb inside a tar: the tar.gz's stream expands ~1000 times
    let bomb = temp.path().join("bomb.tar.gz");
    std::fs::write(&bomb, tar_with(&[("pods.json", &zeros)], true)).unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    let error = refused(fs::read_bundle(&bomb, &Options::default()));
    assert!(error.contains("bomb.tar.gz") && error.contains("compression bomb"), "{error}");
    // a zip bomb: one deflated entry of zeros
    let zip = temp.path().join("bomb.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    writer.start_file("events.json", options).unwrap();
    writer.write_all(&zeros).unwrap();
    writer.finish().unwrap();
    let error = refused(fs::read_bundle(&zip, &Options::default()));
    assert!(error.contains("bomb.zip") && error.contains("compression bomb"), "{error}");
}

#[test]
fn entry_counts_sizes_and_cut_archives() {
    let temp = tempfile::tempdir().unwrap();
    let many = temp.path().join("many.tar");
    let names: Vec<String> = (0..20).map(|i| format!("f{i}.json")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"{}".as_slice())).collect();
    std::fs::write(&many, tar_with(&entries, false)).unwrap();
    let limits = Limits { max_entries: 10, ..Limits::default() };
    let error = refused(fs::read_bundle(&many, &Options { limits, ..Options::default() }));
    assert!(error.contains("more than 10 entries"), "{error}");
    // an entry over the size limit is an unreadable file, the rest is read
    let pods = std::fs::read(workspace().join("fixtures/reader/k8s-pods.json")).unwrap();
    let big = temp.path().join("big.tar");
    std::fs::write(&big, tar_with(&[("pods.json", &pods), ("huge.json", &vec![b'{'; pods.len() + 1])], false)).unwrap();
    let limits = Limits { max_file_bytes: pods.len() as u64, ..Limits::default() };
    let bundle = fs::read_bundle(&big, &Options { limits, ..Options::default() }).unwrap();
    assert!(bundle.model.inputs.contains(&pulldoctor_model::InputKind::Pods));
    let [record] = &bundle.model.unreadable_files[..] else { panic!("{:?}", bundle.model.unreadable_files) };
    assert!(record.file.ends_with("big.tar/huge.json") && record.message.contains("limit"), "{record}");
    // a download cut short: refused whole, what came after the cut is unknown
    let whole = tar_with(&[("pods.json", &pods), ("more.json", &pods)], true);
    let cut = temp.path().join("cut.tar.gz");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let error = refused(fs::read_bundle(&cut, &Options::default()));
    assert!(error.contains("cut.tar.gz") && error.contains("cut short"), "{error}");
}

/// The binary says it plainly and exits 2.
#[test]
fn the_cli_refuses_a_bomb_with_exit_2() {
    let temp = tempfile::tempdir().unwrap();
    let bomb = temp.path().join("bomb.tar.gz");
    std::fs::write(&bomb, tar_with(&[("pods.json", &vec![0u8; 100 << 20])], true)).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pulldoctor")).arg("diagnose").arg(&bomb).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("compression bomb") && stderr.contains("bomb.tar.gz"), "{stderr}");
}
