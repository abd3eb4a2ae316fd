//! A stand-in for the Kubernetes API: answers list and get requests with recorded objects.
#![allow(dead_code)]

pub mod kubelet;
pub mod registry;
pub mod tmux;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// Lists are served in pages of at most [`PAGE`] items (fewer than the `limit` the client asks
/// for), with a `continue` token, so every collection exercises the client's pagination.
pub const PAGE: usize = 2;

fn respond(objects: &[Value], target: &str) -> (u16, Value) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let param = |name: &str| query.split('&').find_map(|p| p.strip_prefix(name).and_then(|v| v.strip_prefix('=')));
    let offset: usize = param("continue").and_then(|c| c.strip_prefix("offset-")).and_then(|c| c.parse().ok()).unwrap_or(0);
    let page = param("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(usize::MAX).min(PAGE);
    let list_in = |kind: &str, namespace: Option<&str>| {
        let all: Vec<&Value> =
            objects.iter().filter(|o| o["kind"] == kind && namespace.is_none_or(|n| o["metadata"]["namespace"] == n)).collect();
        let items: Vec<&Value> = all.iter().skip(offset).take(page).copied().collect();
        let next = offset + items.len();
        let token = if next < all.len() { format!("offset-{next}") } else { String::new() };
        (
            200,
            json!({"apiVersion": "v1", "kind": format!("{kind}List"), "metadata": {"resourceVersion": "1", "continue": token}, "items": items}),
        )
    };
    let list = |kind: &str| list_in(kind, None);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", "v1", "namespaces", namespace, plural @ ("pods" | "events" | "serviceaccounts")] => {
            list_in(&kind_of(plural), Some(namespace))
        }
        ["apis", "networking.k8s.io", "v1", "namespaces", namespace, "networkpolicies"] => list_in("NetworkPolicy", Some(namespace)),
        ["api", "v1", "pods"] => list("Pod"),
        ["api", "v1", "events"] => list("Event"),
        ["api", "v1", "nodes"] => list("Node"),
        ["api", "v1", "serviceaccounts"] => list("ServiceAccount"),
        ["api", "v1", "namespaces"] => list("Namespace"),
        ["apis", "networking.k8s.io", "v1", "networkpolicies"] => list("NetworkPolicy"),
        ["api", "v1", "namespaces", namespace, "secrets", name] => {
            match objects
                .iter()
                .find(|o| o["kind"] == "Secret" && o["metadata"]["namespace"] == *namespace && o["metadata"]["name"] == *name)
            {
                Some(secret) => (200, secret.clone()),
                None => not_found(),
            }
        }
        ["apis", "operator.openshift.io", "v1alpha1", "imagecontentsourcepolicies"] => list("ImageContentSourcePolicy"),
        ["apis", "config.openshift.io", "v1", "imagedigestmirrorsets"] => list("ImageDigestMirrorSet"),
        ["apis", "config.openshift.io", "v1", "imagetagmirrorsets"] => list("ImageTagMirrorSet"),
        ["apis", "config.openshift.io", "v1", plural, "cluster"] => {
            let kind = if *plural == "proxies" { "Proxy" } else { "Image" };
            match objects.iter().find(|o| o["kind"] == kind) {
                Some(object) => (200, object.clone()),
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn kind_of(plural: &str) -> String {
    match plural {
        "pods" => "Pod",
        "events" => "Event",
        _ => "ServiceAccount",
    }
    .to_string()
}

fn not_found() -> (u16, Value) {
    (
        404,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "not found", "reason": "NotFound", "code": 404}),
    )
}

/// A minimal HTTP/1.1 server on loopback: one request per connection.
pub fn serve(objects: Vec<Value>) -> u16 {
    serve_forbidding(objects, &[])
}

/// Like [`serve`], but requests whose path contains one of `forbidden` get the 403 Status an
/// identity without that RBAC permission gets.
pub fn serve_forbidding(objects: Vec<Value>, forbidden: &[&str]) -> u16 {
    let forbidden: Vec<String> = forbidden.iter().map(|f| f.to_string()).collect();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Some(request) = read_request(&mut BufReader::new(stream.try_clone().unwrap())) else {
                continue;
            };
            let path = request.target;
            let (status, body) = match forbidden.iter().find(|f| path.contains(f.as_str())) {
                Some(what) => (
                    403,
                    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Forbidden", "code": 403,
                           "message": format!("{what} is forbidden: User \"system:serviceaccount:ops:pulldoctor\" cannot list resource \"{what}\"")}),
                ),
                None => respond(&objects, &path),
            };
            reply(&mut { stream }, status, &body);
        }
    });
    port
}

/// A kubeconfig whose current context points at the stand-in on `port`.
pub fn kubeconfig(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: recorded\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: recorded\n  context:\n    cluster: recorded\n    user: nobody\ncurrent-context: recorded\nusers:\n- name: nobody\n  user:\n    token: not-a-real-token\n"
        ),
    )
    .unwrap();
    path
}

/// A stand-in for CloudTrail's `LookupEvents` (moto has none), pointed at with
/// `AWS_ENDPOINT_URL_CLOUDTRAIL`. It answers with the recorded events whose name is asked for,
/// or, when `deny`, with the AccessDeniedException an identity without `cloudtrail:LookupEvents`
/// gets. Every request body is kept in `requests`.
pub struct Trail {
    pub port: u16,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

pub fn serve_cloudtrail(events: Vec<Value>, deny: bool) -> Trail {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let body = read_request(&mut BufReader::new(stream.try_clone().unwrap())).map(|request| request.body).unwrap_or_default();
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            seen.lock().unwrap().push(request.clone());
            let (status, error_type, answer) = if deny {
                (
                    400,
                    Some("AccessDeniedException"),
                    json!({"__type": "AccessDeniedException", "message": "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudtrail:LookupEvents"}),
                )
            } else {
                let name = request["LookupAttributes"][0]["AttributeValue"].as_str().unwrap_or_default().to_string();
                let matching: Vec<&Value> = events.iter().filter(|e| e["EventName"] == name.as_str()).collect();
                (200, None, json!({"Events": matching}))
            };
            let answer = answer.to_string();
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {}\r\nContent-Type: application/x-amz-json-1.1\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                if status == 200 { "OK" } else { "Bad Request" },
                error_type.map(|t| format!("x-amzn-ErrorType: {t}\r\n")).unwrap_or_default(),
                answer.len()
            );
        }
    });
    Trail { port, requests }
}

/// What every test that talks to AWS sets: static credentials, a region, no instance metadata, no
/// configuration file, no pager; nothing can leave this machine with it.
pub const AWS_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ("AWS_PAGER", ""),
];

/// A moto server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: std::process::Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `moto_server` on 127.0.0.1 with `env` (e.g. `MOTO_ACCOUNT_ID`) and wait until it answers.
pub fn start_moto(env: &[(String, String)]) -> Moto {
    use std::time::{Duration, Instant};
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto_server is needed for this test: `pip install 'moto[server]'` (scripts/test.sh installs it)");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "moto_server did not start on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto { child, url: format!("http://127.0.0.1:{port}") }
}

/// Every object of every `*.json` under `dir` (recursively, in path order): the items of a List,
/// or the object itself.
pub fn objects_in(dir: &Path) -> Vec<Value> {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap().flatten() {
            match entry.path() {
                path if path.is_dir() => stack.push(path),
                path if path.extension().is_some_and(|e| e == "json") => paths.push(path),
                _ => {}
            }
        }
    }
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        match value["items"].as_array() {
            Some(items) if value["kind"].as_str().is_some_and(|k| k.ends_with("List")) => out.extend(items.iter().cloned()),
            _ => out.push(value),
        }
    }
    out
}

/// Like [`serve`], and it takes `POST .../events`: each Event posted is kept in the returned list
/// and answered 201 with itself, as the API server does.
pub fn serve_recording_events(objects: Vec<Value>) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let posted = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = posted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Some(request) = read_request(&mut BufReader::new(stream.try_clone().unwrap())) else {
                continue;
            };
            let path = request.target;
            let (status, body) = if request.method == "POST" && path.split('?').next().unwrap_or("").ends_with("/events") {
                let event: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                kept.lock().unwrap().push(event.clone());
                (201, event)
            } else {
                respond(&objects, &path)
            };
            reply(&mut { stream }, status, &body);
        }
    });
    (port, posted)
}

/// Objects a stand-in serves and may change, and every write request it took (method and path).
pub type Shared = std::sync::Arc<std::sync::Mutex<(Vec<Value>, Vec<String>)>>;

/// Like [`serve`], over objects that writes change, as the API server does: `PUT .../secrets/NAME`
/// replaces the secret, `DELETE .../pods/NAME` removes the pod. Each write is also recorded.
pub fn serve_writable(objects: Vec<Value>) -> (u16, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let shared: Shared = std::sync::Arc::new(std::sync::Mutex::new((objects, Vec::new())));
    let state = shared.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Some(request) = read_request(&mut BufReader::new(stream.try_clone().unwrap())) else {
                continue;
            };
            let path = request.target.split('?').next().unwrap_or_default().to_string();
            let parts: Vec<String> = path.trim_matches('/').split('/').map(str::to_string).collect();
            let mut guard = state.lock().unwrap();
            let (objects, writes) = &mut *guard;
            let named = |o: &Value, kind: &str, namespace: &str, name: &str| {
                o["kind"] == kind && o["metadata"]["namespace"] == namespace && o["metadata"]["name"] == name
            };
            let (status, body) = match (request.method.as_str(), parts.iter().map(String::as_str).collect::<Vec<_>>().as_slice()) {
                ("PUT", ["api", "v1", "namespaces", namespace, "secrets", name]) => {
                    writes.push(format!("PUT {path}"));
                    let mut secret: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                    secret["kind"] = json!("Secret");
                    secret["apiVersion"] = json!("v1");
                    match objects.iter_mut().find(|o| named(o, "Secret", namespace, name)) {
                        Some(old) => {
                            *old = secret.clone();
                            (200, secret)
                        }
                        None => not_found(),
                    }
                }
                ("DELETE", ["api", "v1", "namespaces", namespace, "pods", name]) => {
                    writes.push(format!("DELETE {path}"));
                    match objects.iter().position(|o| named(o, "Pod", namespace, name)) {
                        Some(at) => (200, objects.remove(at)),
                        None => not_found(),
                    }
                }
                _ => respond(objects, &request.target),
            };
            drop(guard);
            reply(&mut { stream }, status, &body);
        }
    });
    (port, shared)
}

/// One JSON answer of the stand-in API server, then the connection closes.
pub(crate) fn reply(stream: &mut std::net::TcpStream, status: u16, body: &Value) {
    let body = body.to_string();
    let reason = match status {
        200 => "OK",
        201 => "Created",
        403 => "Forbidden",
        _ => "Not Found",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Run `command` to completion (killed after `limit`): exit code (None when killed), stdout, stderr.
pub fn run_bounded(command: &mut std::process::Command, limit: std::time::Duration) -> (Option<i32>, String, String) {
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let pipe = |mut reader: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = reader.read_to_string(&mut text);
            text
        })
    };
    let stdout = pipe(Box::new(child.stdout.take().unwrap()));
    let stderr = pipe(Box::new(child.stderr.take().unwrap()));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (stdout, mut stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    if status.is_none() {
        stderr.push_str(&format!("\n(killed after {limit:?})"));
    }
    (status.and_then(|s| s.code()), stdout, stderr)
}

/// The real `aws` CLI against moto, its JSON output (`Null` when it prints nothing).
pub fn aws_cli(moto: &Moto, args: &[&str]) -> Value {
    let output = std::process::Command::new("aws")
        .args(["--endpoint-url", &moto.url, "--output", "json"])
        .args(args)
        .envs(AWS_ENV.iter().copied())
        .output()
        .expect("the aws CLI is needed for this test: `pip install awscli` (scripts/test.sh installs it)");
    assert!(output.status.success(), "aws {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
    if output.stdout.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The string at a path of keys and indexes (`["Instances", "0", "InstanceId"]`).
pub fn string_at(value: &Value, path: &[&str]) -> String {
    let mut at = value;
    for key in path {
        at = match key.parse::<usize>() {
            Ok(index) => &at[index],
            Err(_) => &at[*key],
        };
    }
    at.as_str().unwrap_or_else(|| panic!("no {path:?} in {value}")).to_string()
}

/// One HTTP/1.1 request as the stand-ins read it: method, target, lower-cased headers, body.
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: std::collections::HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

/// The request line, the headers up to the blank line, and `Content-Length` bytes of body.
pub(crate) fn read_request(reader: &mut BufReader<std::net::TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = std::collections::HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? <= 2 {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    std::io::Read::read_exact(reader, &mut body).ok()?;
    Some(Request { method, target, headers, body })
}
