//! The event loop: one task that owns the app state and the terminal. It
//! waits on three sources — collector snapshots, terminal input, and the
//! clock's whole-second tick — and redraws only when the state changed.
//! Nothing in this loop does blocking I/O other than writing the frame.
//! Key events pass through [`EscKeys`] (VT100+ F-keys) and [`Reattach`]
//! (full redraws for a serial line's late arrivals, see `crate::input`).

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
use crate::input::{EscKeys, Reattach};
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
    reattach: &mut Reattach,
) -> io::Result<()>
where
    B: Backend,
    B::Error: Into<io::Error>,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut esc = EscKeys::default();
    let mut full = false;
    loop {
        for e in app.take_effects() {
            execute(e);
        }
        if full {
            // Forget what the far terminal is thought to show.
            terminal.clear().map_err(Into::into)?;
            reattach.redrawn(Instant::now());
            app.dirty = true;
            full = false;
        }
        if app.dirty {
            terminal.draw(|f| ui::render(f, app)).map_err(Into::into)?;
            app.dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        let wait = until_next_second(SystemTime::now());
        let esc_wait = esc
            .deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
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
                    let now = Instant::now();
                    full |= reattach.on_key(&k, now);
                    for k in esc.feed(k, now) {
                        if let Some(key) = Key::from_event(&k) {
                            app.on_key_at(key, now);
                        }
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
            _ = tokio::time::sleep(esc_wait.unwrap_or_default()), if esc_wait.is_some() => {
                let now = Instant::now();
                if let Some(key) = esc.expire(now).as_ref().and_then(Key::from_event) {
                    app.on_key_at(key, now);
                }
            }
            _ = tokio::time::sleep(wait) => {
                let (now, off) = local_clock();
                let mono = Instant::now();
                app.tick(now, off, mono);
                let carrier = if reattach.serial() {
                    crate::tty::carrier(libc::STDIN_FILENO)
                } else {
                    None
                };
                full |= reattach.on_tick(mono, carrier);
            }
        }
    }
}
