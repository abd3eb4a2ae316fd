//! The HTML report without a browser: what the drawing holds for the seed incident and every
//! scenario (the broken box, the subnets behind it, counts), that large estates fold, that the
//! page names no outside resource and its Content-Security-Policy matches its inline code, and
//! that text from the cluster cannot become markup. `tests/browser/` opens the same pages in
//! Chromium.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use pulldoctor_diagnosis::report::{PathMember, Report};
use pulldoctor_render::html::topology::{Column, MAX_PER_COLUMN, Status, Topology, topology};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn report(bundle: &str) -> Report {
    let model = pulldoctor::fs::read_bundle(&root().join(bundle), &Default::default()).unwrap().model;
    pulldoctor_diagnosis::diagnose(&model, &Default::default())
}

/// Snapshots in `tests/snapshots/html/`.
fn snapshot(name: &str, value: String) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("crates/pulldoctor/tests/snapshots/html"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, value));
}

/// The drawing as reviewable text: each box with its status and findings, then each arrow.
fn dump(topology: &Topology) -> String {
    let mut out = format!("paths: {}, grouped: {}\n", topology.paths, topology.grouped);
    for column in Column::ALL {
        for item in topology.column(column) {
            out.push_str(&format!("{:?} {} [{}] {}\n", column, item.key, item.status.as_str(), item.lines.join(" | ")));
            for finding in &item.findings {
                out.push_str(&format!("    ! {finding}\n"));
            }
        }
    }
    for edge in &topology.edges {
        out.push_str(&format!("{} -> {} [{}]\n", edge.from, edge.to, edge.status.as_str()));
    }
    out
}

const SEED_SUBNETS: [&str; 3] = ["subnet-0591e7f615056cdc1", "subnet-0b0f98778e7c55bce", "subnet-0c104627900ff8d78"];

#[test]
fn the_seed_draws_the_main_route_table_broken_with_its_three_subnets() {
    let drawing = topology(&report("examples/rosa-ecr-main-route-table"));
    let tables: Vec<_> = drawing.column(Column::RouteTable).collect();
    assert_eq!(tables.len(), 1, "{}", dump(&drawing));
    let table = tables[0];
    assert_eq!(table.title, "rtb-04d162c9e2b6a4cbd");
    assert_eq!(table.status, Status::Broken);
    assert!(table.main_table);
    assert!(table.lines.iter().any(|l| l.contains("main route table")), "{:?}", table.lines);
    assert_eq!(table.subnets.iter().map(String::as_str).collect::<Vec<_>>(), SEED_SUBNETS);
    assert!(table.findings.iter().any(|f| f.starts_with("route.no-route: routes: 10.0.0.0/16 -> local")), "{:?}", table.findings);
    // Three subnets in three zones, each with one node, each arrow into the table red.
    let sources: Vec<_> = drawing.column(Column::Source).collect();
    assert_eq!(sources.len(), 3);
    let zones: std::collections::BTreeSet<_> = sources.iter().flat_map(|s| s.zones.iter().cloned()).collect();
    assert_eq!(zones.len(), 3);
    for source in &sources {
        assert_eq!(source.status, Status::Passes, "{}", source.key);
        let edge = drawing.edges.iter().find(|e| e.from == source.key && e.to == table.key).unwrap();
        assert_eq!(edge.status, Status::Broken);
    }
    // Nothing leaves: no gateway on the way, the three hosts not reached.
    assert_eq!(drawing.column(Column::Egress).count(), 0);
    let hosts: Vec<_> = drawing.column(Column::Destination).collect();
    assert_eq!(hosts.len(), 3);
    assert!(hosts.iter().all(|h| h.status == Status::NotReached));
    assert_eq!(drawing.paths, 7, "3 nodes to the registry and to S3, one to the ECR API");
    snapshot("seed_topology", dump(&drawing));
}

#[test]
fn every_scenario_draws_its_break_where_the_path_breaks() {
    let dir = root().join("fixtures/scenarios");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let mut drawn = 0;
    for name in names {
        let report = report(&format!("fixtures/scenarios/{name}/bundle"));
        let drawing = topology(&report);
        assert_eq!(drawing.paths, report.paths.iter().map(|g| g.members.len().max(1)).sum::<usize>(), "{name}");
        for group in &report.paths {
            let expected = match group.result.verdict {
                pulldoctor_diagnosis::report::Verdict::Blocked => Status::Broken,
                pulldoctor_diagnosis::report::Verdict::Unknown => Status::Unknown,
                pulldoctor_diagnosis::report::Verdict::Reachable => Status::Working,
            };
            assert!(drawing.boxes.iter().any(|b| b.status == expected), "{name}: no {expected:?} box\n{}", dump(&drawing));
        }
        for item in &drawing.boxes {
            if matches!(item.status, Status::Broken | Status::Unknown) && item.column != Column::Destination {
                assert!(!item.findings.is_empty(), "{name}: {} is {:?} without the rule that breaks it", item.key, item.status);
            }
        }
        // The page embeds the drawing, whatever the scenario.
        let page = pulldoctor_render::html(&report);
        assert!(page.contains("<svg") || report.paths.is_empty(), "{name}");
        drawn += usize::from(!drawing.boxes.is_empty());
    }
    assert!(drawn >= 25, "only {drawn} scenarios drew anything");
}

#[test]
fn scenarios_with_gateways_and_endpoints() {
    let drawing = topology(&report("fixtures/scenarios/net-endpoint-sg-denied/bundle"));
    let broken: Vec<&str> = drawing.column(Column::Egress).filter(|b| b.status == Status::Broken).map(|b| b.title.as_str()).collect();
    assert_eq!(broken.len(), 2, "the ecr.api and ecr.dkr endpoints\n{}", dump(&drawing));
    assert!(drawing.column(Column::Egress).any(|b| b.status == Status::Working && b.kind == "gateway-endpoint"), "S3 works");
    snapshot("endpoint_sg_denied_topology", dump(&drawing));

    let drawing = topology(&report("fixtures/scenarios/net-nat-no-internet-route/bundle"));
    let nat: Vec<_> = drawing.column(Column::Egress).collect();
    assert_eq!((nat.len(), nat[0].kind, nat[0].status), (1, "nat-gateway", Status::Broken), "{}", dump(&drawing));
    assert!(nat[0].findings[0].starts_with("nat.no-internet-route: "));

    // Only the answer is lost: the request's way is drawn as passing, the node's ACL as broken.
    let drawing = topology(&report("fixtures/scenarios/net-nacl-return-denied/bundle"));
    assert!(drawing.column(Column::Source).all(|b| b.status == Status::Broken), "{}", dump(&drawing));
    assert!(drawing.column(Column::Egress).all(|b| b.status == Status::Passes), "{}", dump(&drawing));

    let drawing = topology(&report("fixtures/scenarios/net-path-leaves-scope-tgw/bundle"));
    assert!(drawing.column(Column::Egress).all(|b| b.status == Status::Unknown && b.kind == "transit-gateway"), "{}", dump(&drawing));
    assert!(drawing.column(Column::Destination).all(|b| b.status == Status::Unknown));
}

/// A large estate: the seed's paths from 60 nodes in 30 subnets over 3 zones fold into one box
/// per zone.
#[test]
fn a_large_estate_folds_identical_subnets() {
    let mut report = report("examples/rosa-ecr-main-route-table");
    for group in &mut report.paths {
        let template = group.members[0].clone();
        group.members = (0..60)
            .map(|n| PathMember {
                from: format!("i-{n:017x}"),
                node: Some(format!("node-{n}")),
                subnet_id: Some(format!("subnet-{:017x}", n % 30)),
                zone: Some(format!("us-east-1{}", ["a", "b", "c"][n % 3])),
                ..template.clone()
            })
            .collect();
        group.nodes = group.members.iter().map(|m| m.from.clone()).collect();
    }
    let drawing = topology(&report);
    let sources: Vec<_> = drawing.column(Column::Source).collect();
    assert!(sources.len() <= MAX_PER_COLUMN, "{}", dump(&drawing));
    assert_eq!(sources.len(), 3, "one box per zone\n{}", dump(&drawing));
    assert!(sources.iter().all(|s| s.title == "10 subnets" && s.ids.len() == 10), "{}", dump(&drawing));
    assert_eq!(drawing.grouped, 27);
    let table = drawing.column(Column::RouteTable).next().unwrap();
    assert_eq!((table.status, table.subnets.len()), (Status::Broken, 30));
    let page = pulldoctor_render::html(&report);
    assert!(page.contains("boxes are grouped into others"));
}

fn attribute<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page.find(start).unwrap() + start.len();
    &page[from..from + page[from..].find(end).unwrap()]
}

#[test]
fn the_page_is_self_contained_and_its_policy_matches_its_code() {
    let page = pulldoctor_render::html(&report("examples/rosa-ecr-main-route-table"));
    // No attribute that could load anything from outside.
    for attribute in ["src=", "href=\"http", "href=\"//", "url(http", "@import", "<link rel=\"stylesheet"] {
        assert!(!page.contains(attribute), "the page loads something: {attribute}");
    }
    let policy = attribute(&page, "Content-Security-Policy\" content=\"", "\"");
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    let hash = |text: &str| {
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
    };
    let style = attribute(&page, "<style>", "</style>");
    let script = attribute(&page, "<script>", "</script>");
    assert!(policy.contains(&format!("style-src 'sha256-{}'", hash(style))), "{policy}");
    assert!(policy.contains(&format!("script-src 'sha256-{}'", hash(script))), "{policy}");
    assert_eq!(page.matches("<script").count(), 1);
    assert!(page.contains("<html lang=\"en\">"));
}

#[test]
fn cluster_text_never_becomes_markup() {
    let mut report = report("examples/rosa-ecr-main-route-table");
    report.affected[0].pod = "<img src=x onerror=alert(1)>".into();
    report.affected[0].error_message = Some("</td><script>alert(1)</script>".into());
    report.causes[0].fix.options[0].commands[0].command = "echo \"quoted\" 'and' <tags>".into();
    let page = pulldoctor_render::html(&report);
    assert!(!page.contains("<img src=x"));
    assert!(!page.contains("<script>alert"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("data-copy=\"echo &quot;quoted&quot; &#39;and&#39; &lt;tags&gt;\""));
}

#[test]
fn a_healthy_cluster_says_so() {
    let page = pulldoctor_render::html(&report("examples/rosa-ecr-main-route-table-fixed"));
    assert!(page.contains("class=\"headline ok\""));
    assert!(page.contains("No pod fails to pull, so no path was traced."));
    assert!(!page.contains("id=\"fix\""));
}
