//! Styles, with and without colour: under `NO_COLOR` (or `--color never`) only bold and reverse
//! remain, and every state also reads from its mark (✗ ! ? ✓ ·), never from colour alone.

use ratatui::style::{Color, Modifier, Style};

use crate::layers::Verdict;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn colored(self, color: Color) -> Style {
        if self.color { Style::default().fg(color) } else { Style::default() }
    }
    pub fn bad(self) -> Style {
        self.colored(Color::LightRed).add_modifier(Modifier::BOLD)
    }
    pub fn good(self) -> Style {
        self.colored(Color::Green)
    }
    pub fn warn(self) -> Style {
        self.colored(Color::Yellow)
    }
    pub fn dim(self) -> Style {
        if self.color { Style::default().fg(Color::Gray) } else { Style::default() }
    }
    pub fn bold(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn command(self) -> Style {
        self.colored(Color::Cyan)
    }
    pub fn accent(self) -> Style {
        self.colored(Color::LightBlue).add_modifier(Modifier::BOLD)
    }
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn matched(self) -> Style {
        if self.color { Style::default().bg(Color::Yellow).fg(Color::Black) } else { Style::default().add_modifier(Modifier::UNDERLINED) }
    }
    pub fn verdict(self, verdict: Verdict) -> Style {
        match verdict {
            Verdict::Broken => self.bad(),
            Verdict::AfterFix | Verdict::Unknown => self.warn(),
            Verdict::Clear => self.good(),
            Verdict::NotChecked | Verdict::Info => self.dim(),
        }
    }
}
