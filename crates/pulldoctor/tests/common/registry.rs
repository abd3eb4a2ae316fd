//! A real registry on this machine: Debian's `docker-registry` serving TLS on 127.0.0.1 with the
//! probe tests' certificate (`localhost`, 127.0.0.1, signed by the test CA of
//! `crates/pulldoctor-probe/tests/data`), and one small image pushed into it with `skopeo` from an
//! OCI layout written here. Stopped when dropped.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest;

pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`
    pub address: String,
    /// The test CA that signed the registry's certificate: a trust store for `SSL_CERT_FILE`.
    pub ca: PathBuf,
    work: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pulldoctor-probe/tests/data")
}

/// Write `bytes` as a blob of the OCI layout at `root`: its descriptor's digest and size.
fn blob(root: &Path, bytes: &[u8]) -> (String, usize) {
    let hex = format!("{:x}", sha2::Sha256::digest(bytes));
    std::fs::write(root.join("blobs/sha256").join(&hex), bytes).unwrap();
    (format!("sha256:{hex}"), bytes.len())
}

/// An OCI layout at `root` holding one image tagged `tag`: one small layer and its config.
fn oci_layout(root: &Path, tag: &str) {
    std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    let (layer, layer_size) = blob(root, b"pulldoctor fix --probe test layer\n");
    let (config, config_size) = blob(root, br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}],
    });
    let (digest, size) = blob(root, manifest.to_string().as_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size,
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }]});
    std::fs::write(root.join("index.json"), index.to_string()).unwrap();
    std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion": "1.0.0"}"#).unwrap();
}

/// Start the registry and push `repository:tag` into it.
pub fn start(repository: &str, tag: &str) -> Registry {
    let work = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = work.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {}\n    key: {}\n",
            work.path().join("data").display(),
            data().join("localhost.pem").display(),
            data().join("localhost.key").display()
        ),
    )
    .unwrap();
    let child = Command::new("docker-registry")
        .args(["serve", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Debian's docker-registry is needed for this test: `apt-get install docker-registry` (scripts/test.sh installs it)");
    let registry = Registry { child, address: format!("127.0.0.1:{port}"), ca: data().join("ca.pem"), work };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "docker-registry did not start on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let layout = registry.work.path().join("image");
    oci_layout(&layout, tag);
    let output = Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            &format!("oci:{}:{tag}", layout.display()),
            &format!("docker://{}/{repository}:{tag}", registry.address),
        ])
        .output()
        .expect("skopeo is needed for this test: `apt-get install skopeo` (scripts/test.sh installs it)");
    assert!(output.status.success(), "skopeo could not push the test image: {}", String::from_utf8_lossy(&output.stderr));
    registry
}
