//! The troubleshooter without a terminal: state changes key by key on real reports (the seed
//! incident and scenarios), and screens drawn into ratatui's `TestBackend`, snapshotted at 80x24
//! and 160x48. `crates/pulldoctor/tests/tui_tmux.rs` drives the real binary in tmux.

use std::path::{Path, PathBuf};

use pulldoctor_diagnosis::report::Report;
use pulldoctor_tui::app::{App, Effect, Focus};
use pulldoctor_tui::layers::{Entry, Verdict, verdict};
use pulldoctor_tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn report(bundle: &str) -> Report {
    let mut paths = Vec::new();
    walk(&root().join(bundle), &mut paths);
    paths.sort();
    let files: Vec<(PathBuf, Vec<u8>)> = paths.into_iter().map(|p| (p.clone(), std::fs::read(p).unwrap())).collect();
    let bundle = pulldoctor_bundle::read_contents(files.iter().map(|(p, b)| (p.as_path(), Ok(b.as_slice()))), &Default::default()).unwrap();
    pulldoctor_diagnosis::diagnose(&bundle.model, &Default::default())
}

const SEED: &str = "examples/rosa-ecr-main-route-table";

/// The seed grown to `copies` times its pods, each copy with its own events (the same nodes and
/// errors, each copy dialling another of the registry's addresses): a big outage.
fn grown_seed(copies: usize) -> Report {
    use serde_json::Value;
    let mut paths = Vec::new();
    walk(&root().join(SEED), &mut paths);
    paths.sort();
    let grow = |path: &Path, bytes: Vec<u8>| -> Vec<u8> {
        let name = path.file_name().unwrap().to_string_lossy();
        let (pods, events) = (name.starts_with("pods-"), name.starts_with("events-"));
        if !pods && !events {
            return bytes;
        }
        let mut list: Value = serde_json::from_slice(&bytes).unwrap();
        let items = list["items"].as_array().unwrap().clone();
        let mut grown = Vec::new();
        for copy in 0..copies {
            for item in &items {
                let mut item = item.clone();
                let field = if pods { &mut item["metadata"] } else { &mut item["involvedObject"] };
                field["name"] = Value::String(format!("{}-c{copy}", field["name"].as_str().unwrap()));
                if events {
                    item["metadata"]["name"] = Value::String(format!("{}-c{copy}", item["metadata"]["name"].as_str().unwrap()));
                    if let Some(message) = item["message"].as_str() {
                        item["message"] = Value::String(message.replace("52.207.2.251", &format!("52.207.2.{}", 1 + copy % 200)));
                    }
                } else {
                    item["metadata"]["uid"] = Value::String(format!("uid-{copy}-{}", item["metadata"]["name"]));
                }
                grown.push(item);
            }
        }
        list["items"] = Value::Array(grown);
        serde_json::to_vec(&list).unwrap()
    };
    let files: Vec<(PathBuf, Vec<u8>)> = paths.into_iter().map(|p| (p.clone(), grow(&p, std::fs::read(&p).unwrap()))).collect();
    let bundle = pulldoctor_bundle::read_contents(files.iter().map(|(p, b)| (p.as_path(), Ok(b.as_slice()))), &Default::default()).unwrap();
    pulldoctor_diagnosis::diagnose(&bundle.model, &Default::default())
}

fn open(bundle: &str, size: (u16, u16)) -> App {
    let mut app = App::new(format!("bundle {bundle}"), false, Theme { color: false });
    app.size = size;
    app.loaded(report(bundle), Vec::new());
    app
}

fn key(app: &mut App, code: KeyCode) -> Effect {
    app.key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn keys(app: &mut App, codes: &[KeyCode]) {
    for code in codes {
        key(app, *code);
    }
}

fn screen(app: &mut App) -> String {
    let (width, height) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| pulldoctor_tui::view::draw(frame, app)).unwrap();
    terminal.backend().to_string()
}

fn snapshot(name: &str, app: &mut App) {
    let text = screen(app);
    insta::assert_snapshot!(name, text);
}

#[test]
fn from_the_failing_pod_to_the_fix_in_three_keys() {
    let mut app = open(SEED, (160, 48));
    assert_eq!((app.entry(), app.focus), (Entry::Symptoms, Focus::Layers));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focus, Focus::Detail);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.entry(), Entry::Causes, "Enter on a pod shows the cause that explains it");
    assert!(app.detail().text()[app.detail().items[app.item].start].contains("route.no-route"));
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.entry(), Entry::FixPlan);
    let detail = app.detail();
    let selected = &detail.items[app.item];
    let command = selected.copy.clone().unwrap();
    assert!(command.starts_with("aws ec2 create-route --route-table-id rtb-04d162c9e2b6a4cbd"), "{command}");
    assert!(command.ends_with("--dry-run"), "the dry run comes first: {command}");
    assert_eq!(key(&mut app, KeyCode::Char('y')), Effect::Copy(command));
    assert_eq!(key(&mut app, KeyCode::Char('x')), Effect::Apply(0, 0), "the seam for applying gets the cause and option");
    // down to the mutating command, then the alternative's commands
    key(&mut app, KeyCode::Char('j'));
    let next = app.detail().items[app.item].copy.clone().unwrap();
    assert!(!next.contains("--dry-run") && next.contains("create-route"), "{next}");
    snapshot("seed_fix_160x48", &mut app);
}

#[test]
fn layers_have_their_verdicts() {
    let seed = report(SEED);
    let v = |entry| verdict(&seed, entry).0;
    assert_eq!(v(Entry::Symptoms), Verdict::Broken);
    assert_eq!(verdict(&seed, Entry::NetworkPath), (Verdict::Broken, "route.no-route".to_string()));
    assert_eq!(v(Entry::Access), Verdict::Clear, "the node role was cleared");
    assert_eq!(v(Entry::Image), Verdict::Clear, "both images exist");
    assert_eq!(v(Entry::Gaps), Verdict::Clear);
    let endpoints = report("fixtures/scenarios/net-endpoint-sg-denied/bundle");
    assert_eq!(verdict(&endpoints, Entry::Endpoints), (Verdict::Broken, "endpoint.sg-denied".to_string()));
    assert_eq!(verdict(&endpoints, Entry::NetworkPath).0, Verdict::Clear, "the node's own hops pass");
    let expired = report("fixtures/scenarios/access-pullsecret-expired/bundle");
    assert_eq!(verdict(&expired, Entry::Access).0, Verdict::Broken);
    let tgw = report("fixtures/scenarios/net-path-leaves-scope-tgw/bundle");
    assert_eq!(verdict(&tgw, Entry::NetworkPath).0, Verdict::Broken, "path.leaves-scope is a cause");
    let healthy = report("examples/rosa-ecr-main-route-table-fixed");
    assert_eq!(verdict(&healthy, Entry::Symptoms).0, Verdict::Clear);
    assert_eq!(verdict(&healthy, Entry::NetworkPath).0, Verdict::NotChecked, "nothing failed, so no path was traced: not called healthy");
}

#[test]
fn keys_move_search_help_and_quit() {
    let mut app = open(SEED, (80, 24));
    keys(&mut app, &[KeyCode::Down, KeyCode::Char('j')]);
    assert_eq!(app.entry(), Entry::NetworkPath);
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(app.entry(), Entry::Scope);
    keys(&mut app, &[KeyCode::Char('G')]);
    assert_eq!(app.entry(), Entry::FixPlan);
    keys(&mut app, &[KeyCode::Char('g')]);
    assert_eq!(app.entry(), Entry::Symptoms);
    // l / h switch panes, Esc goes back before it quits
    key(&mut app, KeyCode::Char('l'));
    assert_eq!(app.focus, Focus::Detail);
    key(&mut app, KeyCode::Char('h'));
    assert_eq!(app.focus, Focus::Layers);
    key(&mut app, KeyCode::Tab);
    assert_eq!(key(&mut app, KeyCode::Esc), Effect::None);
    assert_eq!(app.focus, Focus::Layers);
    // search: every pane, typed after /
    key(&mut app, KeyCode::Char('/'));
    for c in "rtb-02eb0e56".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert_eq!(app.typing.as_deref(), Some("rtb-02eb0e56"));
    key(&mut app, KeyCode::Enter);
    assert!(app.typing.is_none());
    assert_eq!(app.focus, Focus::Detail);
    let found = app.entry();
    assert!(matches!(found, Entry::Causes | Entry::FixPlan), "{found:?}");
    assert!(app.detail().text().iter().skip(app.scroll).any(|l| l.contains("rtb-02eb0e56")), "the match is on screen");
    key(&mut app, KeyCode::Char('n'));
    assert!(app.detail().text().iter().skip(app.scroll).any(|l| l.contains("rtb-02eb0e56")));
    key(&mut app, KeyCode::Char('/'));
    for c in "no-such-text".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.status.as_deref(), Some("/no-such-text: not found"));
    // help
    key(&mut app, KeyCode::Char('?'));
    assert!(app.help);
    assert!(screen(&mut app).contains("From a failing pod to its fix: Enter, Enter, f."));
    assert_eq!(key(&mut app, KeyCode::Char('q')), Effect::None, "q closes the help first");
    assert!(!app.help);
    // reload, package, quit
    assert_eq!(key(&mut app, KeyCode::Char('r')), Effect::Reload);
    assert!(app.loading.is_some());
    assert_eq!(key(&mut app, KeyCode::Char('r')), Effect::None, "one load at a time");
    app.loaded(report(SEED), vec!["a warning".into()]);
    assert_eq!(app.status.as_deref(), Some("reloaded"));
    assert_eq!(key(&mut app, KeyCode::Char('a')), Effect::Archive);
    assert_eq!(key(&mut app, KeyCode::Char('q')), Effect::Quit);
    assert_eq!(app.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Effect::Quit);
}

#[test]
fn copy_and_apply_need_a_command() {
    let mut app = open(SEED, (80, 24));
    assert_eq!(key(&mut app, KeyCode::Char('y')), Effect::None);
    assert!(app.status.as_deref().unwrap().starts_with("select a command first"));
    assert_eq!(key(&mut app, KeyCode::Char('x')), Effect::None);
    // gaps carry their command: the healthy example has none, a scenario with gaps does
    let mut gaps = open("fixtures/scenarios/net-path-leaves-scope-tgw/bundle", (80, 24));
    let index = Entry::ALL.iter().position(|e| *e == Entry::Gaps).unwrap();
    for _ in 0..index {
        key(&mut gaps, KeyCode::Down);
    }
    key(&mut gaps, KeyCode::Enter);
    let with_command = gaps.detail().items.iter().position(|i| i.copy.is_some());
    if let Some(at) = with_command {
        gaps.item = at;
        assert!(matches!(key(&mut gaps, KeyCode::Char('y')), Effect::Copy(_)));
    }
}

#[test]
fn resizing_keeps_the_selection_on_screen() {
    let mut app = open(SEED, (160, 48));
    keys(&mut app, &[KeyCode::Enter, KeyCode::Enter, KeyCode::Char('f')]);
    for _ in 0..8 {
        key(&mut app, KeyCode::Char('j'));
    }
    app.resize(80, 24);
    let item = app.detail().items[app.item].clone();
    assert!(item.start >= app.scroll && item.start < app.scroll + app.detail_height(), "{item:?} scroll {}", app.scroll);
    snapshot("seed_fix_scrolled_80x24", &mut app);
}

#[test]
fn the_mouse_selects_and_scrolls() {
    let mut app = open(SEED, (120, 40));
    // the third layer's row: title bar, the box's border, then one row per layer
    app.mouse(MouseEvent { kind: MouseEventKind::Down(MouseButton::Left), column: 3, row: 4, modifiers: KeyModifiers::NONE });
    assert_eq!(app.entry(), Entry::NetworkPath);
    app.mouse(MouseEvent { kind: MouseEventKind::Down(MouseButton::Left), column: 3, row: 12, modifiers: KeyModifiers::NONE });
    assert_eq!(app.entry(), Entry::Causes, "the first row of the Report box");
    app.mouse(MouseEvent { kind: MouseEventKind::Down(MouseButton::Left), column: 60, row: 3, modifiers: KeyModifiers::NONE });
    assert_eq!(app.focus, Focus::Detail);
    app.mouse(MouseEvent { kind: MouseEventKind::ScrollDown, column: 60, row: 10, modifiers: KeyModifiers::NONE });
    assert_eq!(app.scroll, 3, "one long cause: its lines scroll");
    app.mouse(MouseEvent { kind: MouseEventKind::ScrollUp, column: 60, row: 10, modifiers: KeyModifiers::NONE });
    assert_eq!(app.scroll, 0);
}

#[test]
fn live_progress_shows_until_the_report_comes() {
    let mut app = App::new("live collection (kubeconfig context current, AWS profile default chain)".into(), true, Theme { color: false });
    app.progress_started("list pods");
    app.progress_started("ec2:DescribeRouteTables");
    app.progress_finished("list pods", true);
    app.progress_finished("ec2:DescribeRouteTables", false);
    app.progress_started("ecr:DescribeImages");
    let loading = app.loading.clone().unwrap();
    assert_eq!((loading.done, loading.failed, loading.running), (2, 1, vec!["ecr:DescribeImages".to_string()]));
    let text = screen(&mut app);
    assert!(text.contains("Collecting from the cluster, then AWS") && text.contains("2 calls done, 1 failed, 1 running"), "{text}");
    assert!(text.contains("ecr:DescribeImages"));
    app.failed("no kubeconfig".into());
    assert!(screen(&mut app).contains("cannot load: no kubeconfig"));
    app.loaded(report(SEED), Vec::new());
    assert!(app.loading.is_none() && app.error.is_none());
}

#[test]
fn no_color_draws_no_colour() {
    let mut app = open(SEED, (80, 24));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| pulldoctor_tui::view::draw(frame, &mut app)).unwrap();
    let buffer = terminal.backend().buffer();
    assert!(buffer.content().iter().all(|cell| cell.fg == ratatui::style::Color::Reset && cell.bg == ratatui::style::Color::Reset));
    let mut colored = App::new("x".into(), false, Theme { color: true });
    colored.size = (80, 24);
    colored.loaded(report(SEED), Vec::new());
    terminal.draw(|frame| pulldoctor_tui::view::draw(frame, &mut colored)).unwrap();
    assert!(terminal.backend().buffer().content().iter().any(|cell| cell.fg == ratatui::style::Color::LightRed));
}

/// Each screen of the seed and of a few scenarios, small and large.
#[test]
fn screens() {
    let cases: &[(&str, &str, &[KeyCode])] = &[
        ("seed_symptoms", SEED, &[]),
        ("seed_network_path", SEED, &[KeyCode::Down, KeyCode::Down, KeyCode::Enter]),
        ("seed_causes", SEED, &[KeyCode::Enter, KeyCode::Enter]),
        ("seed_help", SEED, &[KeyCode::Char('?')]),
        (
            "endpoint_sg_denied_endpoints",
            "fixtures/scenarios/net-endpoint-sg-denied/bundle",
            &[KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Enter],
        ),
        (
            "pullsecret_expired_access",
            "fixtures/scenarios/access-pullsecret-expired/bundle",
            &[KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Enter],
        ),
        ("tgw_gaps", "fixtures/scenarios/net-path-leaves-scope-tgw/bundle", &[KeyCode::Char('G'), KeyCode::Up]),
        ("healthy", "examples/rosa-ecr-main-route-table-fixed", &[]),
    ];
    for (name, bundle, codes) in cases {
        for (width, height) in [(80, 24), (160, 48)] {
            let mut app = open(bundle, (width, height));
            keys(&mut app, codes);
            snapshot(&format!("{name}_{width}x{height}"), &mut app);
        }
    }
}

/// A big outage (the seed grown to 400 copies: 1,600 failing containers) reads in groups, as the
/// text report does: the symptoms are the groups with their counts, Enter on one shows its cause;
/// the cause counts its pods past the first 20 and its traced paths past the first 3; each path
/// is shown once for all the registry's addresses dialled. Every view stays a few screens.
#[test]
fn a_big_outage_reads_in_groups() {
    let report = grown_seed(400);
    assert_eq!(report.affected.len(), 1600, "four failing containers per copy");
    let mut app = App::new("bundle grown".into(), false, Theme { color: false });
    app.size = (80, 24);
    app.loaded(report, Vec::new());
    let symptoms = app.detail().text();
    assert!(symptoms[0].contains("1600 failing containers in"), "{symptoms:#?}");
    assert_eq!(symptoms.iter().filter(|l| *l == "800 × network-timeout").count(), 2, "{symptoms:#?}");
    assert!(symptoms.len() < 60, "the symptoms are groups, not 1,600 pods: {} lines", symptoms.len());
    snapshot("big_outage_symptoms_80x24", &mut app);
    // Enter, Enter: the group's cause
    keys(&mut app, &[KeyCode::Enter, KeyCode::Enter]);
    assert_eq!(app.entry(), Entry::Causes);
    let causes = app.detail().text();
    let start = app.detail().items[app.item].start;
    assert!(causes[start].contains("route.no-route"), "{causes:#?}");
    let pods = causes.iter().find(|l| l.trim_start().starts_with("pods (")).expect("the cause's pods");
    assert!(pods.contains("pods (1600): "), "{pods}");
    assert!(causes.iter().any(|l| l.contains(" more")), "the pods past the first 20 are counted: {causes:#?}");
    assert!(causes.iter().any(|l| l.contains("more paths alike")), "the paths past the first 3 are counted: {causes:#?}");
    assert!(causes.len() < 200, "{} lines", causes.len());
    // the network path: each path once for the addresses dialled from any node
    let index = Entry::ALL.iter().position(|e| *e == Entry::NetworkPath).unwrap();
    let mut app2 = App::new("bundle grown".into(), false, Theme { color: false });
    app2.size = (160, 48);
    app2.loaded(grown_seed(400), Vec::new());
    for _ in 0..index {
        key(&mut app2, KeyCode::Down);
    }
    assert_eq!(app2.entry(), Entry::NetworkPath);
    let paths = app2.detail().text();
    assert!(paths.iter().any(|l| l.contains("more of its addresses, the same way")), "{paths:#?}");
    assert!(paths.len() < 300, "{} lines", paths.len());
}
