//! The footer tells the truth: for every screen and every kind of window,
//! each key the footer hints at does something — it changes the state,
//! queues an effect, or closes the window. The hints come from the widget
//! or screen that handles the keys, so this holds by construction; this
//! test keeps it so.

mod common;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::screen::{draw, text};
use nodeconsole::app::effect::GatePurpose;
use nodeconsole::app::window::{After, Window};
use nodeconsole::app::{App, Screen, Update, UpdateData};
use nodeconsole::config::Role;
use nodeconsole::features::step::Start;
use nodeconsole::features::task::Task;
use nodeconsole::features::{backup_database, change_passwords, service_control, test_network};
use nodeconsole::kit::{
    Choice, Confirm, Field, FieldKind, Form, Keep, Message, Password, Phrase, Progress, Tone,
};
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;

/// Every kind of window; the match has no catch-all, so a new kind does
/// not compile until this test covers it.
fn kind(w: &Window) -> &'static str {
    match w {
        Window::Password(..) => "password",
        Window::Message(..) => "message",
        Window::Details(..) => "details",
        Window::Choice(..) => "choice",
        Window::Phrase(..) => "phrase",
        Window::Confirm(..) => "confirm",
        Window::Form(..) => "form",
        Window::Progress(..) => "progress",
        Window::Keep(..) => "keep",
    }
}
const KINDS: [&str; 9] = [
    "password", "message", "details", "choice", "phrase", "confirm", "form", "progress", "keep",
];

/// A management node with data in every panel, past the gate.
fn base(role: Role) -> App {
    let mut a = testdata::app(role, Theme::MONO_ASCII, 30);
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::Nics(Ok(testdata::nics())),
    });
    a
}

fn authed(role: Role) -> App {
    let mut a = base(role);
    a.open_gate(GatePurpose::SystemConfiguration);
    if let Some(Window::Password(p, _)) = &mut a.window {
        p.checking = true;
    }
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

fn with(mut a: App, w: Window) -> App {
    a.window = Some(w);
    a
}

fn form(fields: usize) -> Form {
    Form::new(
        "Form",
        (0..fields)
            .map(|i| Field::new(format!("f{i}"), FieldKind::Text).with_text("x"))
            .collect(),
    )
}

/// A named way to build one state (built fresh for every key).
type State = (&'static str, Box<dyn Fn() -> App>);

/// The states checked.
fn states() -> Vec<State> {
    let mut v: Vec<State> = Vec::new();
    for role in [Role::Management, Role::Compute, Role::Storage] {
        v.push(("main screen", Box::new(move || base(role))));
        v.push(("System Configuration", Box::new(move || authed(role))));
    }
    v.push((
        "storage block table",
        Box::new(|| {
            let mut a = base(Role::Storage);
            a.on_key(nodeconsole::app::keys::Key::Tab);
            a
        }),
    ));
    v.push((
        "block device details",
        Box::new(|| {
            let mut a = base(Role::Storage);
            a.on_key(nodeconsole::app::keys::Key::Tab);
            a.on_key(nodeconsole::app::keys::Key::Enter);
            assert!(matches!(a.window, Some(Window::Details(_))));
            a
        }),
    ));
    let mut demo = base(Role::Management);
    demo.settings.demo = true;
    v.push(("demo main screen", Box::new(move || demo.clone())));
    v.push((
        "password, typed",
        Box::new(|| {
            let mut a = base(Role::Management);
            a.open_gate(GatePurpose::SystemConfiguration);
            a.on_key(nodeconsole::app::keys::Key::Char('x'));
            a
        }),
    ));
    v.push((
        "password, empty",
        Box::new(|| {
            let mut a = base(Role::Management);
            a.open_gate(GatePurpose::Power);
            a
        }),
    ));
    v.push((
        "message",
        Box::new(|| {
            with(
                authed(Role::Management),
                Window::Message(
                    Message::new("M", vec!["line".into()], Tone::Info),
                    After::Menu,
                ),
            )
        }),
    ));
    v.push((
        "choice",
        Box::new(|| {
            with(
                authed(Role::Management),
                Window::choice(
                    Choice::new(
                        "C",
                        vec![("a".into(), None), ("b".into(), Some("why".into()))],
                    ),
                    change_passwords::ChooseAccount,
                ),
            )
        }),
    ));
    v.push((
        "choice of one",
        Box::new(|| {
            with(
                authed(Role::Management),
                Window::choice(
                    Choice::new("C", vec![("a".into(), None)]),
                    service_control::ChooseAction,
                ),
            )
        }),
    ));
    v.push((
        "phrase",
        Box::new(|| {
            with(
                authed(Role::Management),
                Window::phrase(
                    Phrase::new("P", vec![], "reset libvirt"),
                    Start(Task::new(backup_database::Request)),
                ),
            )
        }),
    ));
    v.push((
        "confirm",
        Box::new(|| {
            with(
                authed(Role::Management),
                Window::confirm(
                    Confirm {
                        title: "Y/N".into(),
                        lines: vec!["sure?".into()],
                        warn: true,
                    },
                    Start(Task::new(backup_database::Request)),
                ),
            )
        }),
    ));
    for n in [1, 3] {
        v.push((
            if n == 1 { "form of one" } else { "form" },
            Box::new(move || {
                with(
                    authed(Role::Management),
                    Window::form(form(n), test_network::Submit),
                )
            }),
        ));
    }
    for cancellable in [true, false] {
        v.push((
            if cancellable {
                "progress, cancellable"
            } else {
                "progress"
            },
            Box::new(move || {
                let mut p = Progress::new("Job", "Working...");
                p.cancellable = cancellable;
                with(authed(Role::Management), Window::Progress(p, None))
            }),
        ));
    }
    v.push((
        "keep",
        Box::new(|| {
            let a = authed(Role::Management);
            let deadline = a.mono_now + Duration::from_secs(60);
            with(
                a,
                Window::Keep(Keep {
                    lines: vec!["eth0 changed".into()],
                    deadline,
                }),
            )
        }),
    ));
    v
}

/// Everything a key can change, as one comparable value.
fn fingerprint(a: &App) -> String {
    format!("{a:?}")
}

#[test]
fn every_hinted_key_does_something_on_every_screen_and_window() {
    let mut kinds = BTreeSet::new();
    for (name, make) in states() {
        let a = make();
        if let Some(w) = &a.window {
            kinds.insert(kind(w));
        }
        let hints = a.hints();
        let footer = text(&draw(&a, 200, 40));
        let last = footer.lines().nth(39).unwrap_or_default().to_string();
        for h in &hints {
            assert!(
                last.contains(&h.keys_label()) && last.contains(h.label),
                "{name}: footer {last:?} lacks {h:?}"
            );
        }
        for h in &hints {
            for &k in &h.keys {
                let mut b = make();
                let before = fingerprint(&b);
                b.on_key_at(k, b.mono_now);
                let changed = fingerprint(&b) != before;
                assert!(
                    changed,
                    "{name}: hinted key {} ({}) did nothing",
                    k.label(),
                    h.label
                );
            }
        }
    }
    let all: BTreeSet<&str> = KINDS.into_iter().collect();
    assert_eq!(kinds, all, "every kind of window is checked");
}

#[test]
fn a_password_window_waiting_out_the_delay_hints_no_enter() {
    let mut a = base(Role::Management);
    let t0 = Instant::now();
    a.window = Some(Window::Password(
        Password::new("System Configuration", Some(t0 + Duration::from_secs(5))),
        GatePurpose::SystemConfiguration,
    ));
    a.on_key_at(nodeconsole::app::keys::Key::Char('x'), t0);
    let labels: Vec<&str> = a.hints().iter().map(|h| h.label).collect();
    assert_eq!(labels, ["Cancel"]);
}
