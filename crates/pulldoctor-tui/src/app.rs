//! The troubleshooter's state and what each key does to it, without a terminal: tests drive it
//! key by key. Effects that reach outside (quit, reload, copy, write the package, apply) are
//! returned for the terminal loop to carry out.

use pulldoctor_diagnosis::report::Report;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use crate::detail::{Action, Detail, detail};
use crate::layers::Entry;
use crate::theme::Theme;

/// Which pane the arrows move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Layers,
    Detail,
}

/// What the terminal loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    Quit,
    /// Collect (live) or read the bundle again.
    Reload,
    /// Write the escalation package.
    Archive,
    /// Put this text on the clipboard.
    Copy(String),
    /// Apply fix option (cause, option).
    Apply(usize, usize),
}

/// A live collection in progress.
#[derive(Debug, Clone, Default)]
pub struct Loading {
    pub done: usize,
    pub failed: usize,
    pub running: Vec<String>,
}

pub struct App {
    pub report: Option<Report>,
    /// Where the report comes from, for the title.
    pub source: String,
    pub live: bool,
    pub entry: usize,
    pub focus: Focus,
    /// The selected item of the right pane.
    pub item: usize,
    /// The first line the right pane shows.
    pub scroll: usize,
    /// The text being typed after `/`.
    pub typing: Option<String>,
    /// The last search.
    pub query: Option<String>,
    pub help: bool,
    /// One line for the status bar: what the last action did.
    pub status: Option<String>,
    pub loading: Option<Loading>,
    /// Why the last load failed.
    pub error: Option<String>,
    pub warnings: Vec<String>,
    pub theme: Theme,
    /// The terminal's size at the last draw (the right pane's width follows from it).
    pub size: (u16, u16),
}

/// The left pane's width for a terminal `width` columns wide.
pub fn left_width(width: u16) -> u16 {
    if width >= 120 { 34 } else { 28 }
}

impl App {
    pub fn new(source: String, live: bool, theme: Theme) -> App {
        App {
            report: None,
            source,
            live,
            entry: 0,
            focus: Focus::Layers,
            item: 0,
            scroll: 0,
            typing: None,
            query: None,
            help: false,
            status: None,
            loading: Some(Loading::default()),
            error: None,
            warnings: Vec::new(),
            theme,
            size: (80, 24),
        }
    }

    /// A new report (first load or reload): the place in it is kept where it still exists.
    pub fn loaded(&mut self, report: Report, warnings: Vec<String>) {
        let first = self.report.is_none();
        let failing = !report.affected.is_empty();
        self.report = Some(report);
        self.warnings = warnings;
        self.loading = None;
        self.error = None;
        if first {
            self.entry = 0;
            self.item = 0;
            self.scroll = 0;
        }
        self.status = Some(match (first, failing) {
            (true, true) => "Enter: the failing pods · ? help".into(),
            (true, false) => "no pod fails to pull · ? help".into(),
            (false, _) => "reloaded".into(),
        });
        self.clamp();
    }

    pub fn failed(&mut self, error: String) {
        self.loading = None;
        self.error = Some(error);
    }

    pub fn progress_started(&mut self, call: &str) {
        let loading = self.loading.get_or_insert_with(Loading::default);
        loading.running.push(call.to_string());
    }

    pub fn progress_finished(&mut self, call: &str, ok: bool) {
        let loading = self.loading.get_or_insert_with(Loading::default);
        if let Some(at) = loading.running.iter().position(|c| c == call) {
            loading.running.remove(at);
        }
        loading.done += 1;
        loading.failed += usize::from(!ok);
    }

    pub fn entry(&self) -> Entry {
        Entry::ALL[self.entry.min(Entry::ALL.len() - 1)]
    }

    /// The right pane's inner width.
    pub fn detail_width(&self) -> usize {
        usize::from(self.size.0.saturating_sub(left_width(self.size.0) + 4)).max(20)
    }

    /// The right pane's inner height.
    pub fn detail_height(&self) -> usize {
        usize::from(self.size.1.saturating_sub(4)).max(3)
    }

    pub fn detail(&self) -> Detail {
        match &self.report {
            Some(report) => detail(report, self.entry(), self.detail_width(), self.theme),
            None => Detail::default(),
        }
    }

    fn clamp(&mut self) {
        let detail = self.detail();
        if self.item >= detail.items.len() {
            self.item = detail.items.len().saturating_sub(1);
        }
        let max_scroll = detail.lines.len().saturating_sub(self.detail_height());
        self.scroll = self.scroll.min(max_scroll);
    }

    /// Scroll so the selected item is on screen.
    fn show_item(&mut self) {
        let detail = self.detail();
        if let Some(item) = detail.items.get(self.item) {
            let height = self.detail_height();
            if item.start < self.scroll {
                self.scroll = item.start.saturating_sub(1);
            } else if item.end > self.scroll + height {
                self.scroll = (item.end.saturating_sub(height)).min(item.start);
            }
        }
    }

    fn select_entry(&mut self, entry: usize) {
        if entry != self.entry {
            self.entry = entry.min(Entry::ALL.len() - 1);
            self.item = 0;
            self.scroll = 0;
        }
    }

    /// Show `entry` with the first item about `cause` selected.
    fn jump(&mut self, entry: Entry, cause: usize) {
        let index = Entry::ALL.iter().position(|e| *e == entry).unwrap_or(0);
        self.select_entry(index);
        self.focus = Focus::Detail;
        self.item = self.detail().item_of_cause(cause).unwrap_or(0);
        self.scroll = 0;
        self.show_item();
    }

    fn move_by(&mut self, delta: isize) {
        match self.focus {
            Focus::Layers => {
                let next = (self.entry as isize + delta).clamp(0, Entry::ALL.len() as isize - 1) as usize;
                self.select_entry(next);
            }
            Focus::Detail => {
                let detail = self.detail();
                let next = (self.item as isize + delta).clamp(0, detail.items.len() as isize - 1).max(0) as usize;
                if detail.items.is_empty() || next == self.item {
                    // no item to move to (none, or the last one is long): the lines scroll
                    let max = detail.lines.len().saturating_sub(self.detail_height()) as isize;
                    self.scroll = (self.scroll as isize + delta).clamp(0, max.max(0)) as usize;
                } else {
                    self.item = next;
                    self.show_item();
                }
            }
        }
    }

    /// The cause the selection is about: the selected item's, else the top one.
    fn current_cause(&self) -> Option<usize> {
        let report = self.report.as_ref()?;
        if report.causes.is_empty() {
            return None;
        }
        let detail = self.detail();
        Some(detail.items.get(self.item).and_then(|i| i.cause).filter(|_| self.focus == Focus::Detail).unwrap_or(0))
    }

    /// Search every entry's text, from the line after the current place, for the query.
    fn search(&mut self, forward: bool) {
        let Some(query) = self.query.clone().filter(|q| !q.is_empty()) else { return };
        let Some(report) = &self.report else { return };
        let needle = query.to_lowercase();
        let width = self.detail_width();
        let count = Entry::ALL.len();
        let texts: Vec<Vec<String>> = Entry::ALL.iter().map(|e| detail(report, *e, width, self.theme).text()).collect();
        let here = (self.entry, if self.focus == Focus::Detail { self.scroll + 1 } else { 0 });
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        for step in 0..=count {
            let entry = if forward { (here.0 + step) % count } else { (here.0 + count - step % count) % count };
            let lines: Vec<usize> =
                texts[entry].iter().enumerate().filter(|(_, l)| l.to_lowercase().contains(&needle)).map(|(n, _)| n).collect();
            let pick = match (step, forward) {
                (0, true) => lines.into_iter().find(|&n| n >= here.1),
                (0, false) => lines.into_iter().rev().find(|&n| n + 1 < here.1),
                (_, true) => lines.into_iter().next(),
                (_, false) => lines.into_iter().next_back(),
            };
            if let Some(line) = pick {
                candidates.push((entry, line));
                break;
            }
        }
        match candidates.first() {
            Some(&(entry, line)) => {
                self.select_entry(entry);
                self.focus = Focus::Detail;
                let detail = self.detail();
                if let Some(item) = detail.items.iter().position(|i| i.start <= line && line < i.end) {
                    self.item = item;
                }
                self.scroll = line.saturating_sub(1);
                self.clamp();
                self.status = Some(format!("/{query}: in {} (n: next, N: previous)", Entry::ALL[entry].title()));
            }
            None => self.status = Some(format!("/{query}: not found")),
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Effect {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Effect::Quit;
        }
        if let Some(typing) = &mut self.typing {
            match key.code {
                KeyCode::Esc => self.typing = None,
                KeyCode::Enter => {
                    self.query = self.typing.take();
                    self.search(true);
                }
                KeyCode::Backspace => {
                    typing.pop();
                }
                KeyCode::Char(c) => typing.push(c),
                _ => {}
            }
            return Effect::None;
        }
        if self.help {
            if matches!(key.code, KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter) {
                self.help = false;
            }
            return Effect::None;
        }
        self.status = None;
        match key.code {
            KeyCode::Char('q') => return Effect::Quit,
            KeyCode::Esc => {
                if self.focus == Focus::Detail {
                    self.focus = Focus::Layers;
                } else {
                    return Effect::Quit;
                }
            }
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char('/') => self.typing = Some(String::new()),
            KeyCode::Char('n') => self.search(true),
            KeyCode::Char('N') => self.search(false),
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::PageUp => self.move_by(-(self.detail_height() as isize / 2).max(1)),
            KeyCode::PageDown | KeyCode::Char(' ') => self.move_by((self.detail_height() as isize / 2).max(1)),
            KeyCode::Home | KeyCode::Char('g') => self.move_by(-10_000),
            KeyCode::End | KeyCode::Char('G') => self.move_by(10_000),
            KeyCode::Tab => {
                self.focus = if self.focus == Focus::Layers { Focus::Detail } else { Focus::Layers };
            }
            KeyCode::Left | KeyCode::Char('h') => self.focus = Focus::Layers,
            KeyCode::Right | KeyCode::Char('l') => self.focus = Focus::Detail,
            KeyCode::Enter => match self.focus {
                Focus::Layers => self.focus = Focus::Detail,
                Focus::Detail => match self.detail().items.get(self.item).map(|i| i.action) {
                    Some(Action::Cause(cause)) => self.jump(Entry::Causes, cause),
                    Some(Action::Fix(cause)) => self.jump(Entry::FixPlan, cause),
                    _ => {
                        if let Some(copy) = self.detail().items.get(self.item).and_then(|i| i.copy.clone()) {
                            return self.copy(copy);
                        }
                    }
                },
            },
            KeyCode::Char('f') => match self.current_cause() {
                Some(cause) => self.jump(Entry::FixPlan, cause),
                None => self.status = Some("nothing to fix".into()),
            },
            KeyCode::Char('c') => match self.current_cause() {
                Some(cause) => self.jump(Entry::Causes, cause),
                None => self.status = Some("no cause found".into()),
            },
            KeyCode::Char('y') => {
                match self.detail().items.get(self.item).filter(|_| self.focus == Focus::Detail).and_then(|i| i.copy.clone()) {
                    Some(text) => return self.copy(text),
                    None => self.status = Some("select a command first (Fix plan or Gaps), then y".into()),
                }
            }
            KeyCode::Char('x') => match self.detail().items.get(self.item).filter(|_| self.focus == Focus::Detail).and_then(|i| i.fix) {
                Some((cause, option)) => return Effect::Apply(cause, option),
                None => self.status = Some("select a fix command in the Fix plan first, then x".into()),
            },
            KeyCode::Char('r') => {
                if self.loading.is_some() {
                    self.status = Some("already loading".into());
                } else {
                    self.loading = Some(Loading::default());
                    return Effect::Reload;
                }
            }
            KeyCode::Char('a') => return Effect::Archive,
            _ => {}
        }
        Effect::None
    }

    fn copy(&mut self, text: String) -> Effect {
        let shown: String = text.chars().take(60).collect();
        self.status = Some(format!("copied: {shown}{}", if text.chars().count() > 60 { "…" } else { "" }));
        Effect::Copy(text)
    }

    /// Clicks select (a layer on the left, an item on the right); the wheel scrolls.
    pub fn mouse(&mut self, event: MouseEvent) {
        let left = left_width(self.size.0);
        match event.kind {
            MouseEventKind::ScrollDown => self.move_by(3),
            MouseEventKind::ScrollUp => self.move_by(-3),
            MouseEventKind::Down(_) if event.column < left => {
                self.focus = Focus::Layers;
                // title bar, then the layers' box (border, 8 rows, border), then the report's
                let row = usize::from(event.row);
                let layers = Entry::ALL.iter().filter(|e| e.is_layer()).count();
                let index = match row {
                    r if (2..2 + layers).contains(&r) => Some(r - 2),
                    r if (4 + layers..4 + Entry::ALL.len()).contains(&r) => Some(r - 4),
                    _ => None,
                };
                if let Some(index) = index {
                    self.select_entry(index);
                }
            }
            MouseEventKind::Down(_) => {
                self.focus = Focus::Detail;
                let line = self.scroll + usize::from(event.row.saturating_sub(2));
                if let Some(item) = self.detail().items.iter().position(|i| i.start <= line && line < i.end) {
                    self.item = item;
                }
            }
            _ => {}
        }
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = (width, height);
        self.clamp();
        self.show_item();
    }
}
