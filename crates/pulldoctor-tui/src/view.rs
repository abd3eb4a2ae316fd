//! Drawing the state: a title bar with the headline, the layers and the report's sections on the
//! left with their verdicts, the selected entry on the right (the selected item marked in the
//! gutter), a status bar with the keys or the last action, and the help over it all.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use crate::app::{App, Focus, left_width};
use crate::layers::{Entry, Verdict, verdict};

pub const HELP: &[(&str, &str)] = &[
    ("↑ ↓  k j", "move in the pane"),
    ("← →  h l  Tab", "switch pane (Enter on a layer opens it)"),
    ("Enter", "pod: its cause · cause: its fix · command: copy"),
    ("f", "the fix plan of the selected cause (or the top one)"),
    ("c", "the evidence chain of the selected cause"),
    ("y", "copy the selected command (OSC 52)"),
    ("x", "apply the selected fix (`pulldoctor fix`: plan, confirm, verify)"),
    ("/  n  N", "search every pane; next, previous match"),
    ("PgUp PgDn  g G", "page, first, last"),
    ("r", "collect again (live) or read the bundle again"),
    ("a", "write the escalation package (.tar.gz)"),
    ("?", "this help"),
    ("q  Esc", "quit (Esc: back to the layers first)"),
];

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    app.size = (area.width, area.height);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)])
        .split(area);
    title(frame, app, rows[0]);
    let columns = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(left_width(area.width)), Constraint::Min(10)])
        .split(rows[1]);
    layers(frame, app, columns[0]);
    detail(frame, app, columns[1]);
    status(frame, app, rows[2]);
    if app.help {
        help(frame, app, area);
    }
}

fn title(frame: &mut Frame, app: &App, area: Rect) {
    let theme = app.theme;
    let (headline, style) = match (&app.report, &app.error) {
        (_, Some(error)) => (format!("cannot load: {error}"), theme.bad()),
        (Some(report), _) if report.affected.is_empty() => (report.headline.clone(), theme.good()),
        (Some(report), _) => (report.headline.clone(), theme.bad()),
        (None, _) => ("loading…".to_string(), theme.dim()),
    };
    let prefix = format!(" pulldoctor · {} · ", app.source);
    let room = usize::from(area.width).saturating_sub(prefix.chars().count());
    let line = Line::from(vec![Span::styled(prefix, theme.bold()), Span::styled(truncate(&headline, room), style)]);
    frame.render_widget(Paragraph::new(line), area);
}

fn layers(frame: &mut Frame, app: &App, area: Rect) {
    let theme = app.theme;
    let n_layers = Entry::ALL.iter().filter(|e| e.is_layer()).count() as u16;
    let parts =
        Layout::default().direction(Direction::Vertical).constraints([Constraint::Length(n_layers + 2), Constraint::Min(3)]).split(area);
    let width = usize::from(area.width.saturating_sub(2));
    let item = |entry: Entry| -> ListItem<'static> {
        let (mark, note, style) = match &app.report {
            Some(report) => {
                let (v, note) = verdict(report, entry);
                (v.mark(), note, theme.verdict(v))
            }
            None => ("…", String::new(), theme.dim()),
        };
        let name = format!("{mark} {:<15}", entry.title());
        let room = width.saturating_sub(name.chars().count() + 1);
        ListItem::new(Line::from(vec![Span::styled(name, style), Span::raw(" "), Span::styled(truncate(&note, room), theme.dim())]))
    };
    let focused = app.focus == Focus::Layers;
    let border = if focused { theme.accent() } else { Style::default() };
    for (part, (title, range)) in
        [("Layers", 0..n_layers as usize), ("Report", n_layers as usize..Entry::ALL.len())].into_iter().enumerate()
    {
        let items: Vec<ListItem> = Entry::ALL[range.clone()].iter().map(|e| item(*e)).collect();
        let mut state = ListState::default();
        if range.contains(&app.entry) {
            state.select(Some(app.entry - range.start));
        }
        let list = List::new(items)
            .block(Block::default().borders(Borders::ALL).title(title).border_style(border))
            .highlight_style(theme.selected())
            .highlight_symbol("");
        frame.render_stateful_widget(list, parts[part], &mut state);
    }
}

fn detail(frame: &mut Frame, app: &App, area: Rect) {
    let theme = app.theme;
    let entry = app.entry();
    let title = match &app.report {
        Some(report) => {
            let (v, note) = verdict(report, entry);
            Line::from(vec![Span::raw(format!(" {} ", entry.title())), Span::styled(format!("{} {note} ", v.mark()), theme.verdict(v))])
        }
        None => Line::from(" loading "),
    };
    let focused = app.focus == Focus::Detail;
    let block = Block::default().borders(Borders::ALL).title(title).border_style(if focused { theme.accent() } else { Style::default() });
    if app.report.is_none() {
        let mut lines = vec![Line::from(if app.live { "Collecting from the cluster, then AWS…" } else { "Reading the bundle…" })];
        if let Some(error) = &app.error {
            lines = vec![Line::styled(format!("cannot load: {error}"), theme.bad()), Line::from("r: try again · q: quit")];
        } else if let Some(loading) = &app.loading {
            lines.push(Line::from(format!("{} calls done, {} failed, {} running", loading.done, loading.failed, loading.running.len())));
            for call in loading.running.iter().rev().take(usize::from(area.height.saturating_sub(4))) {
                lines.push(Line::styled(format!("  {call}"), theme.dim()));
            }
        }
        frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
        return;
    }
    let detail = app.detail();
    let selected = detail.items.get(app.item).filter(|_| focused || !detail.items.is_empty());
    let height = usize::from(area.height.saturating_sub(2));
    let needle = app.query.as_deref().filter(|q| !q.is_empty()).map(str::to_lowercase);
    let lines: Vec<Line> = detail
        .lines
        .iter()
        .enumerate()
        .skip(app.scroll)
        .take(height)
        .map(|(n, line)| {
            let inside = selected.is_some_and(|i| i.start <= n && n < i.end);
            let gutter = match (inside, focused) {
                (true, true) => Span::styled("▌", theme.accent()),
                (true, false) => Span::styled("│", theme.dim()),
                _ => Span::raw(" "),
            };
            let mut spans = vec![gutter];
            for span in &line.spans {
                spans.extend(highlight(span, needle.as_deref(), theme.matched()));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// A span split where the search query matches.
fn highlight(span: &Span<'static>, needle: Option<&str>, style: Style) -> Vec<Span<'static>> {
    let Some(needle) = needle else { return vec![span.clone()] };
    let text = span.content.to_string();
    let lower = text.to_lowercase();
    if lower.len() != text.len() || !lower.contains(needle) {
        return vec![span.clone()];
    }
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(needle) {
        let start = at + found;
        if start > at {
            out.push(Span::styled(text[at..start].to_string(), span.style));
        }
        out.push(Span::styled(text[start..start + needle.len()].to_string(), span.style.patch(style)));
        at = start + needle.len();
    }
    if at < text.len() {
        out.push(Span::styled(text[at..].to_string(), span.style));
    }
    out
}

fn status(frame: &mut Frame, app: &App, area: Rect) {
    let theme = app.theme;
    let line = if let Some(typing) = &app.typing {
        Line::from(vec![
            Span::styled("/", theme.accent()),
            Span::raw(typing.clone()),
            Span::styled("▏  Enter: find · Esc: cancel", theme.dim()),
        ])
    } else if let Some(status) = &app.status {
        Line::from(Span::styled(format!(" {status}"), theme.bold()))
    } else if let Some(loading) = app.loading.as_ref().filter(|_| app.report.is_some()) {
        Line::from(Span::styled(format!(" reloading: {} calls done, {} running", loading.done, loading.running.len()), theme.dim()))
    } else if let Some(warning) = app.warnings.first() {
        Line::from(Span::styled(format!(" ! {warning}"), theme.warn()))
    } else {
        Line::from(Span::styled(" ↑↓ move · Enter open · f fix · / search · y copy · r reload · a package · ? help · q quit", theme.dim()))
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn help(frame: &mut Frame, app: &App, area: Rect) {
    let theme = app.theme;
    let width = area.width.saturating_sub(4).min(72);
    let height = (HELP.len() as u16 + 6).min(area.height.saturating_sub(2));
    let rect = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(keys, what)| Line::from(vec![Span::styled(format!(" {keys:<16}"), theme.accent()), Span::raw((*what).to_string())]))
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled(" From a failing pod to its fix: Enter, Enter, f.", theme.bold()));
    lines.push(Line::styled(" Marks: ✗ broken  ! after the fix  ? unknown  ✓ clear  · not checked", theme.dim()));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Keys (Esc closes) ")), rect);
    let _ = Verdict::Broken;
}
