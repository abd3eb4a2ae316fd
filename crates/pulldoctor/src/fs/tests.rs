//! The walker on real directories and archives made in the test.

use super::*;

fn reader_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/reader").join(name)
}

/// Nested folders are walked, names and case of the extension do not matter, other files are
/// passed over and counted, and files come sorted by path.
#[test]
fn walks_nested_folders_and_counts_what_it_passes_over() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("deep/er");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::copy(reader_fixture("ec2-describe-route-tables.json"), dir.path().join("x.json")).unwrap();
    std::fs::copy(reader_fixture("k8s-pods.json"), nested.join("ROUTES.JSON")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not json").unwrap();
    let gathered = load(&[dir.path()], &Limits::default()).unwrap();
    let names: Vec<PathBuf> = gathered.files.iter().map(|f| f.path.strip_prefix(dir.path()).unwrap().to_path_buf()).collect();
    assert_eq!(names, vec![PathBuf::from("deep/er/ROUTES.JSON"), PathBuf::from("x.json")]);
    assert!(gathered.files.iter().all(|f| f.bytes.is_ok()));
    let bundle = read_bundle(dir.path(), &Options::default()).unwrap();
    assert!(bundle.model.inputs.contains(&pulldoctor_model::InputKind::RouteTables));
    assert!(bundle.model.inputs.contains(&pulldoctor_model::InputKind::Pods));
    assert_eq!(bundle.files_read, 2);
    let summary = bundle.passed_over_summary();
    assert_eq!(summary.len(), 1, "{summary:?}");
    assert!(summary[0].starts_with("passed over 1 file pulldoctor does not read: text that is not JSON, YAML"), "{summary:?}");
}

#[test]
fn missing_inputs_and_files_over_the_limit() {
    assert!(matches!(read_bundle(Path::new("/nonexistent/bundle"), &Options::default()), Err(Error::NotFound(_))));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    std::fs::copy(reader_fixture("ec2-describe-subnets.json"), &file).unwrap();
    // a single file is a bundle of one
    assert!(read_bundle(&file, &Options::default()).unwrap().model.inputs.contains(&pulldoctor_model::InputKind::Subnets));
    let limits = Limits { max_file_bytes: 10, ..Limits::default() };
    let gathered = load(&[dir.path()], &limits).unwrap();
    let error = gathered.files[0].bytes.as_ref().unwrap_err();
    assert_eq!(error.file, file);
    assert!(error.message.contains("more than the limit of 10 bytes"), "{error}");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `.gz` files are read decompressed, under their own name; broken gzip is an unreadable file.
#[test]
fn gzip_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pods.json.gz"), gzip(&std::fs::read(reader_fixture("k8s-pods.json")).unwrap())).unwrap();
    std::fs::write(dir.path().join("broken.json.gz"), b"\x1f\x8b\x08\x00not gzip").unwrap();
    let bundle = read_bundle(dir.path(), &Options::default()).unwrap();
    assert!(bundle.model.inputs.contains(&pulldoctor_model::InputKind::Pods));
    let [broken] = &bundle.model.unreadable_files[..] else { panic!("{:?}", bundle.model.unreadable_files) };
    assert!(broken.file.ends_with("broken.json.gz") && broken.message.starts_with("not valid gzip"), "{broken}");
}

/// A gzip bomb (1 GiB of zeros in ~1 MiB) is refused with a clear error after reading a bounded
/// amount, not decompressed to the end.
#[test]
fn a_gzip_bomb_is_refused() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    std::fs::write(dir.path().join("pods.json.gz"), &bomb).unwrap();
    let error = read_bundle(dir.path(), &Options::default()).unwrap_err().to_string();
    assert!(error.contains("pods.json.gz") && error.contains("compression bomb"), "{error}");
}
