//! The event loop: one task that owns the app state and the terminal. It
//! waits on three sources — collector snapshots, terminal input, and the
//! clock's whole-second tick — and redraws only when the state changed.
//! Nothing in this loop does blocking I/O other than writing the frame.

use std::io;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossterm::event::{Event, KeyEventKind};
use futures::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::sync::mpsc::UnboundedReceiver;

use super::effect::Effect;
use super::keys::Key;
use super::state::App;
use super::update::Update;
use crate::ui;

/// Wall clock and local UTC offset.
pub fn local_clock() -> (SystemTime, i32) {
    let now = SystemTime::now();
    let off = chrono::Local::now().offset().local_minus_utc();
    (now, off)
}

/// Time until the next whole second, so the clock display ticks on time.
fn until_next_second(now: SystemTime) -> Duration {
    let sub = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    Duration::from_nanos(1_000_000_000 - sub as u64) + Duration::from_millis(2)
}

/// Runs until the app asks to quit (demo mode) or input ends.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    updates: &mut UnboundedReceiver<Update>,
    mut events: S,
    execute: &mut dyn FnMut(Effect),
) -> io::Result<()>
where
    B: Backend,
    B::Error: Into<io::Error>,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    loop {
        for e in app.take_effects() {
            execute(e);
        }
        if app.dirty {
            terminal.draw(|f| ui::render(f, app)).map_err(Into::into)?;
            app.dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        let wait = until_next_second(SystemTime::now());
        tokio::select! {
            Some(u) = updates.recv() => {
                app.apply(u);
                // Take everything that is already queued before drawing once.
                while let Ok(u) = updates.try_recv() {
                    app.apply(u);
                }
            }
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    if let Some(key) = Key::from_event(&k) {
                        app.on_key_at(key, Instant::now());
                    }
                }
                Some(Ok(Event::Resize(_, _))) => {
                    terminal.autoresize().map_err(Into::into)?;
                    app.dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            _ = tokio::time::sleep(wait) => {
                let (now, off) = local_clock();
                app.tick(now, off, Instant::now());
            }
        }
    }
}
