//! Test Network's diagnostics as pure state transitions: each opens from
//! the diagnostics list by its id, refuses a bad value under the field it
//! names without queueing anything, and queues its request otherwise.
//! The probes themselves are tested in namespaces (tests/diag_*.rs).

mod common;
use std::time::Instant;

use nodeconsole::app::effect::{Effect, GatePurpose};
use nodeconsole::app::keys::Key;
use nodeconsole::app::window::Window;
use nodeconsole::app::{App, Screen, Update, UpdateData};
use nodeconsole::features::task::Reply;
use nodeconsole::features::test_network::{dns, reach, route};
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;

fn app() -> App {
    let s = testdata::zstack_like_settings(Theme::MONO_ASCII);
    let mut a = App::new_at(s, testdata::now(), Instant::now());
    a.on_key(Key::F(2));
    a.on_key(Key::Char('p'));
    a.on_key(Key::Enter);
    a.take_effects();
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

fn set_fields(a: &mut App, values: &[&str]) {
    for (i, v) in values.iter().enumerate() {
        while !matches!(&a.window, Some(Window::Form(f, _)) if f.focus == i) {
            a.on_key(Key::Tab);
        }
        let n = match &a.window {
            Some(Window::Form(f, _)) => f.fields[i].text.chars().count(),
            w => panic!("no form: {w:?}"),
        };
        for _ in 0..n {
            a.on_key(Key::Backspace);
        }
        for c in v.chars() {
            a.on_key(Key::Char(c));
        }
    }
    while !matches!(&a.window, Some(Window::Form(f, _)) if f.focus + 1 == f.fields.len()) {
        a.on_key(Key::Tab);
    }
    a.on_key(Key::Enter);
}

fn errors(a: &App) -> Vec<Option<String>> {
    match &a.window {
        Some(Window::Form(f, _)) => f.fields.iter().map(|x| x.error.clone()).collect(),
        w => panic!("no form: {w:?}"),
    }
}

fn task<R: Clone + 'static>(a: &mut App) -> R {
    match &a.take_effects()[..] {
        [Effect::Task(t)] => t.get::<R>().cloned().expect("the expected request"),
        e => panic!("expected one task: {e:?}"),
    }
}

#[test]
fn reachability_checks_the_extra_endpoint_fields() {
    let mut a = app();
    common::menu::open_diagnostic(&mut a, "reach");
    for (host, port, field) in [
        ("", "80", 0),
        ("db 1", "80", 0),
        ("db1", "", 1),
        ("db1", "0", 1),
    ] {
        set_fields(&mut a, &[host, port]);
        let e = errors(&a);
        assert!(e[field].is_some(), "{host:?}:{port:?} -> {e:?}");
        assert!(
            a.take_effects().is_empty(),
            "nothing queued for {host:?}:{port:?}"
        );
    }
    set_fields(&mut a, &["", ""]);
    let r: reach::Request = task(&mut a);
    assert_eq!(r.extra, None, "the engine's endpoints only");
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::TaskDone(Reply::Done(Ok(vec!["4 of 4 open".into()]))),
    });
    a.on_key(Key::Enter);
    assert!(a.window.is_none(), "back on the menu");
    common::menu::open_diagnostic(&mut a, "reach");
    set_fields(&mut a, &[" db1.lab ", "3306"]);
    let r: reach::Request = task(&mut a);
    assert_eq!(r.extra, Some(("db1.lab".into(), 3306)));
}

#[test]
fn dns_lookup_names_the_field_and_uses_the_configured_resolv_conf() {
    let mut a = app();
    common::menu::open_diagnostic(&mut a, "dns");
    for bad in ["", "10.0.0.1", "bad_name", "-x.example"] {
        set_fields(&mut a, &[bad]);
        let e = errors(&a);
        assert!(
            e[0].as_deref().is_some_and(|m| m.starts_with("Name:")),
            "{bad:?} -> {e:?}"
        );
        assert!(a.take_effects().is_empty(), "{bad:?}");
    }
    set_fields(&mut a, &["mn.lab.example."]);
    let r: dns::Request = task(&mut a);
    assert_eq!(r.name, "mn.lab.example");
    assert_eq!(r.resolv_conf, std::path::PathBuf::from("/etc/resolv.conf"));
}

#[test]
fn route_takes_an_ipv4_target() {
    let mut a = app();
    common::menu::open_diagnostic(&mut a, "route");
    for bad in ["", "10.0.0", "300.1.1.1"] {
        set_fields(&mut a, &[bad]);
        let e = errors(&a);
        assert!(
            e[0].as_deref().is_some_and(|m| m.starts_with("Target:")),
            "{bad:?} -> {e:?}"
        );
        assert!(a.take_effects().is_empty(), "{bad:?}");
    }
    set_fields(&mut a, &["10.0.0.1"]);
    let r: route::Request = task(&mut a);
    assert_eq!(r.target, std::net::Ipv4Addr::new(10, 0, 0, 1));
}
