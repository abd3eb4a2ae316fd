//! The real terminal: refuses to start when standard input or output is not one (a pipe gets no
//! escape codes), raw mode and the alternate screen restored on every way out (panics too), the
//! load on a thread of its own with progress over a channel, and the effects of keys carried out.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use base64::Engine as _;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};

use crate::app::{App, Effect};
use crate::source::{Archiver, Loaded, Progress, Source};
use crate::theme::Theme;
use crate::{Error, Options, view};

enum Message {
    Started(String),
    Finished(String, bool),
    Done(Box<Result<Loaded, String>>),
}

struct ChannelProgress(std::sync::Mutex<Sender<Message>>);

impl Progress for ChannelProgress {
    fn started(&self, call: &str) {
        let _ = self.0.lock().map(|s| s.send(Message::Started(call.to_string())));
    }
    fn finished(&self, call: &str, ok: bool) {
        let _ = self.0.lock().map(|s| s.send(Message::Finished(call.to_string(), ok)));
    }
}

fn start_load(source: Arc<dyn Source>, sender: Sender<Message>) {
    std::thread::spawn(move || {
        let progress = ChannelProgress(std::sync::Mutex::new(sender.clone()));
        let result = source.load(&progress);
        let _ = sender.send(Message::Done(Box::new(result)));
    });
}

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(std::io::stdout(), DisableMouseCapture, LeaveAlternateScreen, ratatui::crossterm::cursor::Show);
}

/// OSC 52: the terminal (and tmux with `set-clipboard on`) puts the text on the clipboard.
fn copy_to_clipboard(text: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut stdout = std::io::stdout();
    let _ = write!(stdout, "\x1b]52;c;{encoded}\x07");
    let _ = stdout.flush();
}

pub fn run(source: Arc<dyn Source>, options: Options) -> Result<(), Error> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::NotATerminal);
    }
    enable_raw_mode().map_err(Error::Terminal)?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    let mut stdout = std::io::stdout();
    let entered =
        if options.mouse { execute!(stdout, EnterAlternateScreen, EnableMouseCapture) } else { execute!(stdout, EnterAlternateScreen) };
    if let Err(error) = entered {
        restore();
        return Err(Error::Terminal(error));
    }
    let result = event_loop(source, options);
    restore();
    result
}

fn event_loop(source: Arc<dyn Source>, mut options: Options) -> Result<(), Error> {
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(Error::Terminal)?;
    let mut app = App::new(source.describe(), source.is_live(), Theme { color: options.color });
    let (sender, receiver): (Sender<Message>, Receiver<Message>) = channel();
    start_load(source.clone(), sender.clone());
    let mut archiver: Option<Archiver> = None;
    loop {
        while let Ok(message) = receiver.try_recv() {
            match message {
                Message::Started(call) => app.progress_started(&call),
                Message::Finished(call, ok) => app.progress_finished(&call, ok),
                Message::Done(result) => match *result {
                    Ok(loaded) => {
                        archiver = loaded.archive;
                        app.loaded(loaded.report, loaded.warnings);
                    }
                    Err(error) => app.failed(error),
                },
            }
        }
        terminal.draw(|frame| view::draw(frame, &mut app)).map_err(Error::Terminal)?;
        if !event::poll(Duration::from_millis(120)).map_err(Error::Terminal)? {
            continue;
        }
        let effect = match event::read().map_err(Error::Terminal)? {
            Event::Key(key) if key.kind != KeyEventKind::Release => app.key(key),
            Event::Mouse(mouse) => {
                app.mouse(mouse);
                Effect::None
            }
            Event::Resize(width, height) => {
                app.resize(width, height);
                Effect::None
            }
            _ => Effect::None,
        };
        match effect {
            Effect::None => {}
            Effect::Quit => return Ok(()),
            Effect::Reload => start_load(source.clone(), sender.clone()),
            Effect::Copy(text) => copy_to_clipboard(&text),
            Effect::Archive => {
                app.status = Some(match &archiver {
                    Some(write) => match write() {
                        Ok(done) => done,
                        Err(error) => format!("cannot write the package: {error}"),
                    },
                    None => "nothing loaded to package yet".to_string(),
                });
            }
            Effect::Apply(cause, option) => {
                let report = app.report.as_ref();
                let chosen = report.and_then(|r| r.causes.get(cause)).and_then(|c| c.fix.options.get(option).map(|o| (c, o)));
                app.status = Some(match (&mut options.apply, chosen) {
                    (Some(apply), Some((cause, option))) => {
                        // `pulldoctor fix` shows its plan and asks on the ordinary screen; then
                        // the troubleshooter comes back and collects again to show the result.
                        restore();
                        let text = apply.apply(cause, option).unwrap_or_else(|error| format!("not applied: {error}"));
                        print!("\r\n{text}\r\npress Enter to return to the troubleshooter ");
                        let _ = std::io::stdout().flush();
                        let _ = std::io::stdin().read_line(&mut String::new());
                        enable_raw_mode().map_err(Error::Terminal)?;
                        let entered = if options.mouse {
                            execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)
                        } else {
                            execute!(std::io::stdout(), EnterAlternateScreen)
                        };
                        entered.map_err(Error::Terminal)?;
                        terminal.clear().map_err(Error::Terminal)?;
                        if app.loading.is_none() {
                            app.loading = Some(crate::app::Loading::default());
                            start_load(source.clone(), sender.clone());
                        }
                        text
                    }
                    (None, _) => "applying needs live access: build with --features live; y copies the command".to_string(),
                    (_, None) => "no such fix".to_string(),
                });
            }
        }
    }
}
