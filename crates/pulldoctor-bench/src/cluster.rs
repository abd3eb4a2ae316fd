//! `--cluster N[,N...]`: the seed example grown on its cluster side (issue 17's measurement). Its
//! own pods are copied with new names (the same specs: OpenShift-sized, with their owners) onto
//! copies of the seed's nodes (each with its own EC2 instance in its original's subnet: 300 nodes
//! in all), and each copy of a failing pod fails too: most with the seed's timeout (dialling one
//! of 200 of the registry's addresses), one in ten with `not found` and one in ten with `401
//! Unauthorized`. Each pod's events are copied with it. The rest of the AWS side is the seed's. Per size a fresh process of
//! this benchmark (`--measure-cluster DIR`) reads the bundle and diagnoses it, and reports its
//! times and its peak resident memory (`VmHWM`), so generating the bundle does not count.

use std::path::Path;
use std::time::Instant;

use pulldoctor::fs::read_bundle;
use serde_json::Value;

/// The process's peak resident set, in bytes (Linux), if known.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn items(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    value["items"].as_array().cloned().unwrap_or_default()
}

/// The dialled address of a copy's pull error: the seed's ECR address with its last part varied
/// (200 addresses), so a big outage's messages are not all one text.
fn vary_address(text: &str, copy: usize) -> String {
    text.replace("52.207.2.251", &format!("52.207.2.{}", 1 + copy % 200))
}

/// How a copy's events are chosen when fewer per pod are asked for: the pull error first, then
/// the back-off, then the rest, in the seed's order.
fn event_rank(event: &Value) -> u8 {
    let message = event["message"].as_str().unwrap_or_default();
    match event["reason"].as_str().unwrap_or_default() {
        "Failed" if message.starts_with("Failed to pull image") => 0,
        "BackOff" => 1,
        _ => 2,
    }
}

/// How many nodes the grown cluster has (the seed's copied, each with its own instance).
const NODES: usize = 300;

/// A copy's pull error: the seed's timeout for most copies; `not found` for one in ten and `401
/// Unauthorized` for another one in ten (the image named as in the original message).
fn vary_error(message: &str, copy: usize) -> String {
    let image = message.split('"').nth(1).unwrap_or_default();
    match copy % 10 {
        3 => format!(
            "Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found"
        ),
        7 => format!(
            "Failed to pull image \"{image}\": rpc error: code = Unknown desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": pulling from host {} failed with status code [manifests latest]: 401 Unauthorized",
            image.split('/').next().unwrap_or_default()
        ),
        _ => vary_address(message, copy),
    }
}

/// The seed's nodes copied to `NODES` in all, each copy with an instance of its own (a new id and
/// address in its original's subnet); returns each original node's names, copies included.
fn grow_nodes(seed: &Path, dir: &Path) -> std::collections::HashMap<String, Vec<String>> {
    let mut nodes = items(&seed.join("k8s/nodes.json"));
    let instances_file = seed.join("aws/ec2-describe-instances.json");
    let mut instances: Value = serde_json::from_slice(&std::fs::read(&instances_file).unwrap()).unwrap();
    let originals: Vec<Value> = instances["Reservations"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["Instances"].as_array().cloned().unwrap_or_default())
        .collect();
    let per_node = NODES.div_ceil(nodes.len().max(1));
    let mut names: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    let mut clones = Vec::new();
    let mut new_instances = Vec::new();
    for (position, node) in nodes.iter().enumerate() {
        let name = node["metadata"]["name"].as_str().unwrap_or_default().to_string();
        names.entry(name.clone()).or_default().push(name.clone());
        let provider = node["spec"]["providerID"].as_str().unwrap_or_default().to_string();
        let Some(instance) = originals.iter().find(|i| provider.ends_with(i["InstanceId"].as_str().unwrap_or("?"))) else { continue };
        let ip = instance["PrivateIpAddress"].as_str().unwrap_or_default().to_string();
        let parts: Vec<u32> = ip.split('.').filter_map(|p| p.parse().ok()).collect();
        let [a, b, c, d] = parts[..] else { continue };
        for copy in 1..per_node {
            let new_ip = format!("{a}.{b}.{c}.{}", (d + copy as u32) % 250 + 3);
            let dns = format!("ip-{}.ec2.internal", new_ip.replace('.', "-"));
            let id = format!("i-{:017x}", 0x1000_0000u64 * (position as u64 + 1) + copy as u64);
            let mut clone = instance.clone();
            clone["InstanceId"] = Value::String(id.clone());
            clone["PrivateIpAddress"] = Value::String(new_ip.clone());
            clone["PrivateDnsName"] = Value::String(dns.clone());
            for interface in clone["NetworkInterfaces"].as_array_mut().into_iter().flatten() {
                interface["PrivateIpAddress"] = Value::String(new_ip.clone());
                interface["NetworkInterfaceId"] =
                    Value::String(format!("eni-{:017x}", 0x1000_0000u64 * (position as u64 + 1) + copy as u64));
                for address in interface["PrivateIpAddresses"].as_array_mut().into_iter().flatten() {
                    address["PrivateIpAddress"] = Value::String(new_ip.clone());
                }
            }
            new_instances.push(clone);
            let mut node = node.clone();
            node["metadata"]["name"] = Value::String(dns.clone());
            node["spec"]["providerID"] =
                Value::String(provider.rsplit_once('/').map(|(zone, _)| format!("{zone}/{id}")).unwrap_or_default());
            for address in node["status"]["addresses"].as_array_mut().into_iter().flatten() {
                let value = if address["type"] == "InternalIP" { new_ip.clone() } else { dns.clone() };
                address["address"] = Value::String(value);
            }
            names.entry(name.clone()).or_default().push(dns);
            clones.push(node);
        }
    }
    nodes.extend(clones);
    if let Some(reservations) = instances["Reservations"].as_array_mut()
        && let Some(first) = reservations.first().cloned()
    {
        let mut reservation = first;
        reservation["Instances"] = Value::Array(new_instances);
        reservations.push(reservation);
    }
    std::fs::write(dir.join("aws/ec2-describe-instances.json"), serde_json::to_vec(&instances).unwrap()).unwrap();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "NodeList", "items": nodes});
    std::fs::write(dir.join("k8s/nodes.json"), serde_json::to_vec(&list).unwrap()).unwrap();
    names
}

/// Write the seed grown to about `pods` pods into `dir`, each pod with at most `events_per_pod`
/// of its events (all when `None`); returns (pods, events, bytes written).
fn grow(seed: &Path, dir: &Path, pods: usize, events_per_pod: Option<usize>) -> (usize, usize, usize) {
    let k8s = dir.join("k8s");
    std::fs::create_dir_all(&k8s).unwrap();
    copy_dir(&seed.join("aws"), &dir.join("aws"));
    let node_names = grow_nodes(seed, dir);
    let (mut seed_pods, mut seed_events) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(seed.join("k8s")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("pods-") {
            seed_pods.extend(items(&entry.path()));
        } else if name.starts_with("events-") {
            seed_events.extend(items(&entry.path()));
        } else if name != "nodes.json" {
            std::fs::copy(entry.path(), k8s.join(&name)).unwrap();
        }
    }
    let copies = pods.div_ceil(seed_pods.len().max(1));
    let (mut out_pods, mut out_events) = (Vec::with_capacity(copies * seed_pods.len()), Vec::new());
    for copy in 0..copies {
        for pod in &seed_pods {
            let mut pod = pod.clone();
            let original = pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let name = format!("{original}-c{copy}");
            pod["metadata"]["name"] = Value::String(name.clone());
            pod["metadata"]["uid"] = Value::String(format!("uid-{copy}-{original}"));
            // on a copy of its original's node
            if let Some(names) = pod["spec"]["nodeName"].as_str().and_then(|n| node_names.get(n)) {
                pod["spec"]["nodeName"] = Value::String(names[copy % names.len()].clone());
            }
            for status in pod["status"]["containerStatuses"].as_array_mut().into_iter().flatten() {
                if let Some(message) = status["state"]["waiting"]["message"].as_str() {
                    status["state"]["waiting"]["message"] = Value::String(vary_address(message, copy));
                }
            }
            let mut events: Vec<&Value> = seed_events.iter().filter(|e| e["involvedObject"]["name"] == original.as_str()).collect();
            events.sort_by_key(|e| event_rank(e));
            for event in events.into_iter().take(events_per_pod.unwrap_or(usize::MAX)) {
                let mut event = event.clone();
                if let Some(message) = event["message"].as_str() {
                    let varied =
                        if message.starts_with("Failed to pull image") { vary_error(message, copy) } else { vary_address(message, copy) };
                    event["message"] = Value::String(varied);
                }
                event["involvedObject"]["name"] = Value::String(name.clone());
                let event_name = event["metadata"]["name"].as_str().unwrap_or_default().to_string();
                event["metadata"]["name"] = Value::String(format!("{event_name}-c{copy}"));
                out_events.push(event);
            }
            out_pods.push(pod);
        }
    }
    let mut bytes = 0;
    for (name, kind, list) in [("pods.json", "PodList", &out_pods), ("events.json", "EventList", &out_events)] {
        let text = serde_json::to_string(&serde_json::json!({"apiVersion": "v1", "kind": kind, "items": list})).unwrap();
        bytes += text.len();
        std::fs::write(k8s.join(name), text).unwrap();
    }
    (out_pods.len(), out_events.len(), bytes)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// In this process: read `dir` and diagnose it; one line: read s, diagnose s, peak bytes,
/// failing pods, text report lines, the troubleshooter's every view built s, its longest view's
/// lines.
pub fn measure(dir: &Path) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let bundle = read_bundle(dir, &Default::default()).expect("the grown seed must read");
    let read = started.elapsed();
    let started = Instant::now();
    let report = pulldoctor_diagnosis::diagnose(&bundle.model, &pulldoctor_diagnosis::Options { threads, ..Default::default() });
    let diagnose = started.elapsed();
    let lines = pulldoctor_render::text(&report, pulldoctor_render::Style { color: false }).lines().count();
    // the troubleshooter rebuilds the view on each key: every view once, at a 160-column terminal
    let started = Instant::now();
    let theme = pulldoctor_tui::theme::Theme { color: false };
    let tui_lines = pulldoctor_tui::layers::Entry::ALL
        .iter()
        .map(|entry| pulldoctor_tui::detail::detail(&report, *entry, 130, theme).lines.len())
        .max()
        .unwrap_or(0);
    let tui = started.elapsed();
    println!(
        "{} {} {} {} {lines} {} {tui_lines}",
        read.as_secs_f64(),
        diagnose.as_secs_f64(),
        peak_memory().unwrap_or(0),
        report.affected.len(),
        tui.as_secs_f64()
    );
}

/// Grow each size, measure it in a fresh process; print a Markdown table. With `keep`, each grown
/// bundle is left in `keep/PODS` (to profile or to try the report on), not deleted.
/// `events_per_pod` keeps at most that many of each pod's events (the seed has about four).
pub fn run(sizes: &[usize], keep: Option<&Path>, events_per_pod: Option<usize>) {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rosa-ecr-main-route-table");
    let me = std::env::current_exe().expect("the benchmark's own path");
    println!(
        "| pods / events (JSON) | failing pods | read | diagnose | peak memory | text report lines | TUI: every view built | TUI: longest view |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for &size in sizes {
        let dir = match keep {
            Some(keep) => keep.join(size.to_string()),
            None => std::env::temp_dir().join(format!("pulldoctor-bench-cluster-{}-{size}", std::process::id())),
        };
        let _ = std::fs::remove_dir_all(&dir);
        let (pods, events, bytes) = grow(&seed, &dir, size, events_per_pod);
        let output = std::process::Command::new(&me).arg("--measure-cluster").arg(&dir).output().expect("cannot run the measurement");
        if keep.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<f64> = text.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        let [read, diagnose, peak, failing, lines, tui, tui_lines] = fields[..] else {
            eprintln!("the measurement of {size} pods failed: {}", String::from_utf8_lossy(&output.stderr));
            continue;
        };
        println!(
            "| {pods} / {events} ({:.0} MB) | {failing} | {read:.2} s | {diagnose:.2} s | {:.2} GB | {lines} | {:.0} ms | {tui_lines} lines |",
            bytes as f64 / 1e6,
            peak / 1e9,
            tui * 1e3
        );
    }
}
