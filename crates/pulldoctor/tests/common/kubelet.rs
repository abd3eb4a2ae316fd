//! A stand-in for the Kubernetes API *and* the kubelets behind it, for the in-cluster probe: it
//! answers list and get with recorded objects (as `serve` does), and runs the probe pods it is
//! given: a created pod becomes Running on the next look, its container's command is run on this
//! machine as the kubelet would run it on its node (the pulldoctor image's `/pulldoctor` is the
//! binary under test; a copy pod runs the bytes that were copied in through `exec`), its output is
//! the pod's log, its exit code the container's. Exec is a real WebSocket (`v4.channel.k8s.io`) the
//! kube-rs client speaks to. Every call that matters is recorded in order, so a test can assert the
//! launcher's create / wait / copy / log / delete sequence.
//!
//! What a real kubelet would refuse is refused here the same way: an image the node does not hold
//! under `imagePullPolicy: Never` (`ErrImageNeverPull`), an image without a shell (any image whose
//! name contains `no-shell`: `StartError`, exit 127).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::{Request, read_request, reply};

/// One probe pod the stand-in holds.
struct PodState {
    pod: Value,
    looks: usize,
    /// The copied binary, once `exec` took it.
    copied: Option<PathBuf>,
    /// The process's end: exit code and output.
    finished: Arc<Mutex<Option<(i32, String)>>>,
    started: bool,
}

pub struct Kubelet {
    pub port: u16,
    /// `create NAME on NODE`, `running NAME`, `upload NAME N bytes`, `exited NAME CODE`, `never
    /// starts NAME REASON`, `log NAME`, `delete NAME`, `denied create`: in the order they happened.
    pub calls: Arc<Mutex<Vec<String>>>,
    /// Pods still there (not deleted).
    pods: Arc<Mutex<HashMap<String, PodState>>>,
    _work: Arc<tempfile::TempDir>,
}

impl Kubelet {
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    pub fn pods_left(&self) -> Vec<String> {
        self.pods.lock().unwrap().keys().cloned().collect()
    }
}

fn reply_text(stream: &mut TcpStream, text: &str) {
    let _ =
        write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len());
}

fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": reason, "message": message, "code": code})
}

/// The images each node holds, from the recorded Node objects.
fn node_images(objects: &[Value]) -> HashMap<String, Vec<String>> {
    objects
        .iter()
        .filter(|o| o["kind"] == "Node")
        .map(|node| {
            let names = node["status"]["images"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|i| i["names"].as_array().into_iter().flatten().filter_map(|n| n.as_str().map(str::to_string)))
                .collect();
            (node["metadata"]["name"].as_str().unwrap_or_default().to_string(), names)
        })
        .collect()
}

/// Runs the container's program as its kubelet would, in a thread; the end goes to `finished`.
/// `node_env` is what the node's image gives every process (a trust store: `SSL_CERT_FILE`).
fn start(pod: &Value, program: PathBuf, finished: Arc<Mutex<Option<(i32, String)>>>, node_env: &[(String, String)]) {
    let container = &pod["spec"]["containers"][0];
    let node = pod["spec"]["nodeName"].as_str().unwrap_or_default().to_string();
    let name = pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let args: Vec<String> = container["args"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(str::to_string)).collect();
    let mut command = std::process::Command::new(program);
    command.args(&args).env_clear().env("PATH", "/usr/bin:/bin").envs(node_env.iter().map(|(k, v)| (k, v)));
    for variable in container["env"].as_array().into_iter().flatten() {
        let key = variable["name"].as_str().unwrap_or_default();
        let value = match variable["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
            Some("spec.nodeName") => node.clone(),
            Some("metadata.name") => name.clone(),
            _ => variable["value"].as_str().unwrap_or_default().to_string(),
        };
        command.env(key, value);
    }
    std::thread::spawn(move || {
        let end = match command.output() {
            // the log has the container's standard output and error, as the runtime keeps them
            Ok(output) => (
                output.status.code().unwrap_or(128),
                String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr),
            ),
            Err(error) => (127, format!("exec: {error}")),
        };
        *finished.lock().unwrap() = Some(end);
    });
}

/// The pod as the API shows it now: one look further in its life.
fn look(
    state: &mut PodState,
    images: &HashMap<String, Vec<String>>,
    binary: &std::path::Path,
    calls: &Mutex<Vec<String>>,
    node_env: &[(String, String)],
) -> Value {
    state.looks += 1;
    let name = state.pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let container = state.pod["spec"]["containers"][0].clone();
    let image = container["image"].as_str().unwrap_or_default().to_string();
    let node = state.pod["spec"]["nodeName"].as_str().unwrap_or_default();
    let held = images.get(node).is_some_and(|names| names.contains(&image));
    let copy_pod = container["command"][0] == "sh";
    let mut pod = state.pod.clone();
    let container_status = |state_value: Value| json!({"phase": "Running", "containerStatuses": [{"name": "probe", "image": image, "ready": false, "restartCount": 0, "state": state_value}]});
    if state.looks == 1 {
        pod["status"] = json!({"phase": "Pending"});
        return pod;
    }
    if container["imagePullPolicy"] == "Never" && !held {
        let message = format!("Container image \"{image}\" is not present with pull policy of Never");
        pod["status"] = container_status(json!({"waiting": {"reason": "ErrImageNeverPull", "message": message}}));
        record_once(calls, format!("never starts {name} ErrImageNeverPull"));
        return pod;
    }
    if copy_pod && image.contains("no-shell") {
        let terminated =
            json!({"terminated": {"exitCode": 127, "reason": "StartError", "message": "exec: \"sh\": executable file not found in $PATH"}});
        pod["status"] = container_status(terminated);
        pod["status"]["phase"] = json!("Failed");
        record_once(calls, format!("never starts {name} StartError"));
        return pod;
    }
    let program = if copy_pod { state.copied.clone() } else { Some(binary.to_path_buf()) };
    if let Some(program) = program
        && !state.started
    {
        state.started = true;
        start(&state.pod, program, state.finished.clone(), node_env);
    }
    match state.finished.lock().unwrap().clone() {
        Some((code, _)) => {
            pod["status"] =
                container_status(json!({"terminated": {"exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" }}}));
            pod["status"]["phase"] = json!(if code == 0 { "Succeeded" } else { "Failed" });
            record_once(calls, format!("exited {name} {code}"));
        }
        None => {
            pod["status"] = container_status(json!({"running": {"startedAt": "2025-08-25T11:41:06Z"}}));
            record_once(calls, format!("running {name}"));
        }
    }
    pod
}

fn record_once(calls: &Mutex<Vec<String>>, call: String) {
    let mut calls = calls.lock().unwrap();
    if !calls.contains(&call) {
        calls.push(call);
    }
}

// ---------------------------------------------------------------- a WebSocket, as small as it gets

fn accept_key(key: &str) -> String {
    use base64::Engine;
    use sha1::Digest;
    let digest = sha1::Sha1::digest(format!("{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&digest[..])
}

/// One frame from the client (always masked): opcode and payload.
fn read_frame(reader: &mut impl Read) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    reader.read_exact(&mut head).ok()?;
    let opcode = head[0] & 0x0f;
    let mut length = u64::from(head[1] & 0x7f);
    if length == 126 {
        let mut extended = [0u8; 2];
        reader.read_exact(&mut extended).ok()?;
        length = u64::from(u16::from_be_bytes(extended));
    } else if length == 127 {
        let mut extended = [0u8; 8];
        reader.read_exact(&mut extended).ok()?;
        length = u64::from_be_bytes(extended);
    }
    let mut mask = [0u8; 4];
    if head[1] & 0x80 != 0 {
        reader.read_exact(&mut mask).ok()?;
    }
    let mut payload = vec![0u8; length as usize];
    reader.read_exact(&mut payload).ok()?;
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
    Some((opcode, payload))
}

fn write_frame(stream: &mut TcpStream, opcode: u8, payload: &[u8]) {
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => frame.push(n as u8),
        n if n < 65536 => {
            frame.push(126);
            frame.extend((n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend((n as u64).to_be_bytes());
        }
    }
    frame.extend(payload);
    let _ = stream.write_all(&frame);
}

/// `exec`: the command must be the launcher's upload (`head -c N > ...`); N bytes of standard
/// input become the pod's copied binary.
fn exec(
    mut stream: TcpStream,
    reader: &mut BufReader<TcpStream>,
    request: &Request,
    name: &str,
    pods: &Mutex<HashMap<String, PodState>>,
    work: &std::path::Path,
    calls: &Mutex<Vec<String>>,
) {
    let key = request.headers.get("sec-websocket-key").cloned().unwrap_or_default();
    let _ = write!(
        stream,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n",
        accept_key(&key)
    );
    let query = request.target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let command: Vec<String> = query.split('&').filter_map(|p| p.strip_prefix("command=")).map(percent_decode).collect();
    let size: usize = command
        .get(2)
        .and_then(|script| script.strip_prefix("head -c "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut received = Vec::with_capacity(size);
    while received.len() < size {
        match read_frame(reader) {
            Some((0x2, payload)) if payload.first() == Some(&0) => received.extend_from_slice(&payload[1..]),
            Some((0x8, _)) | None => break,
            Some(_) => {}
        }
    }
    let ok = size > 0 && received.len() == size && command.first().map(String::as_str) == Some("sh");
    if ok {
        let path = work.join(name);
        std::fs::write(&path, &received).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        if let Some(pod) = pods.lock().unwrap().get_mut(name) {
            pod.copied = Some(path);
        }
        calls.lock().unwrap().push(format!("upload {name} {size} bytes"));
    }
    let result = if ok {
        json!({"metadata": {}, "status": "Success"})
    } else {
        json!({"metadata": {}, "status": "Failure", "message": "not the upload command"})
    };
    let mut status_frame = vec![3u8];
    status_frame.extend(result.to_string().as_bytes());
    write_frame(&mut stream, 0x2, &status_frame);
    write_frame(&mut stream, 0x8, &[0x03, 0xe8]);
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// The API with the recorded `objects` and kubelets that run probe pods with `binary` as the
/// pulldoctor image's `/pulldoctor`. With `deny_create`, creating a pod is forbidden (RBAC).
pub fn serve(objects: Vec<Value>, binary: PathBuf, deny_create: bool) -> Kubelet {
    serve_with_env(objects, binary, deny_create, Vec::new())
}

/// As [`serve`], each probe process also given `node_env` (what the nodes' image sets, such as
/// `SSL_CERT_FILE` for a trust store holding a test CA).
pub fn serve_with_env(objects: Vec<Value>, binary: PathBuf, deny_create: bool, node_env: Vec<(String, String)>) -> Kubelet {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let pods: Arc<Mutex<HashMap<String, PodState>>> = Arc::new(Mutex::new(HashMap::new()));
    let work = Arc::new(tempfile::tempdir().unwrap());
    let images = node_images(&objects);
    let (seen, held, dir) = (calls.clone(), pods.clone(), work.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (calls, pods, work, images, objects, binary, node_env) =
                (seen.clone(), held.clone(), dir.clone(), images.clone(), objects.clone(), binary.clone(), node_env.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let Some(request) = read_request(&mut reader) else { return };
                let mut stream = stream;
                let path = request.target.split('?').next().unwrap_or_default().to_string();
                let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
                match (request.method.as_str(), parts.as_slice()) {
                    ("POST", ["api", "v1", "namespaces", _, "pods"]) => {
                        if deny_create {
                            calls.lock().unwrap().push("denied create".into());
                            return reply(
                                &mut stream,
                                403,
                                &status(
                                    403,
                                    "Forbidden",
                                    "pods is forbidden: User \"system:serviceaccount:ops:pulldoctor\" cannot create resource \"pods\" in API group \"\" in the namespace \"pulldoctor\"",
                                ),
                            );
                        }
                        let pod: Value = serde_json::from_slice(&request.body).unwrap_or_default();
                        let name = pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
                        let node = pod["spec"]["nodeName"].as_str().unwrap_or_default();
                        calls.lock().unwrap().push(format!("create {name} on {node}"));
                        let mut created = pod.clone();
                        created["status"] = json!({"phase": "Pending"});
                        pods.lock()
                            .unwrap()
                            .insert(name, PodState { pod, looks: 0, copied: None, finished: Arc::new(Mutex::new(None)), started: false });
                        reply(&mut stream, 201, &created)
                    }
                    ("GET", ["api", "v1", "namespaces", _, "pods", name, "exec"])
                        if request.headers.get("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) =>
                    {
                        exec(stream, &mut reader, &request, name, &pods, work.path(), &calls)
                    }
                    ("GET", ["api", "v1", "namespaces", _, "pods", name, "log"]) => {
                        let output = pods.lock().unwrap().get(*name).and_then(|p| p.finished.lock().unwrap().clone()).map(|(_, o)| o);
                        calls.lock().unwrap().push(format!("log {name}"));
                        match output {
                            Some(output) => reply_text(&mut stream, &output),
                            None => reply_text(&mut stream, ""),
                        }
                    }
                    ("GET", ["api", "v1", "namespaces", _, "pods", name]) => {
                        let mut pods = pods.lock().unwrap();
                        match pods.get_mut(*name) {
                            Some(state) => {
                                let pod = look(state, &images, &binary, &calls, &node_env);
                                reply(&mut stream, 200, &pod)
                            }
                            None => reply(&mut stream, 404, &status(404, "NotFound", "not found")),
                        }
                    }
                    ("DELETE", ["api", "v1", "namespaces", _, "pods", name]) => {
                        let removed = pods.lock().unwrap().remove(*name);
                        calls.lock().unwrap().push(format!("delete {name}"));
                        match removed {
                            Some(state) => reply(&mut stream, 200, &state.pod),
                            None => reply(&mut stream, 404, &status(404, "NotFound", "not found")),
                        }
                    }
                    _ => {
                        let (code, body) = super::respond(&objects, &request.target);
                        reply(&mut stream, code, &body)
                    }
                }
            });
        }
    });
    Kubelet { port, calls, pods, _work: work }
}
