//! View Audit Log as pure state transitions: opened by its id, it queues
//! the read-only task and shows the records the task answers with; where
//! the trail is not readable the item says why. (The trail parsers are
//! unit-tested in `features::audit_log`.)

mod common;
use std::time::Instant;

use common::screen::{draw, text};
use nodeconsole::app::effect::{Effect, GatePurpose};
use nodeconsole::app::window::Window;
use nodeconsole::app::{App, Screen, Update, UpdateData};
use nodeconsole::config::Role;
use nodeconsole::features::audit_log;
use nodeconsole::features::task::Reply;
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;

fn past_gate(s: nodeconsole::app::Settings) -> App {
    let mut a = App::new_at(s, testdata::now(), Instant::now());
    a.open_gate(GatePurpose::SystemConfiguration);
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::Auth {
            purpose: GatePurpose::SystemConfiguration,
            result: Ok(()),
        },
    });
    assert_eq!(a.screen, Screen::SysConfig);
    a
}

#[test]
fn view_audit_log_reads_the_trail_and_shows_the_last_records() {
    let mut a = past_gate(testdata::zstack_like_settings(Theme::MONO_ASCII));
    common::menu::open(&mut a, audit_log::ID);
    let e = a.take_effects();
    assert!(
        matches!(&e[..], [Effect::Task(t)] if t.get::<audit_log::Request>().is_some()),
        "{e:?}"
    );
    assert!(matches!(a.window, Some(Window::Progress(..))));
    assert!(text(&draw(&a, 80, 24)).contains("Reading the audit trail"));
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::TaskDone(Reply::Done(Ok(vec![
            "12-03 08:00:01 authentication of root on /dev/tty1 succeeded".into(),
        ]))),
    });
    let s = text(&draw(&a, 80, 24));
    assert!(
        s.contains("View Audit Log") && s.contains("authentication of root on /dev/tty1"),
        "{s}"
    );
}

#[test]
fn view_audit_log_without_a_trail_says_why() {
    let mut a = past_gate(testdata::settings(Role::Compute, Theme::MONO_ASCII));
    common::menu::open(&mut a, audit_log::ID);
    assert!(a.take_effects().is_empty(), "nothing runs");
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("Not available: not built yet"), "{s}");
}
