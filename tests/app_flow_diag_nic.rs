//! Test Network's path MTU, duplicate-address, NIC details and identify
//! port entries as pure state transitions: opened by id from the
//! diagnostics list, a bad value refused under the field it names with
//! nothing queued, the request queued otherwise. The probes themselves run
//! in namespaces in tests/diag_net.rs.

mod common;
use std::net::Ipv4Addr;
use std::time::Instant;

use nodeconsole::app::effect::{Effect, GatePurpose};
use nodeconsole::app::keys::Key;
use nodeconsole::app::window::Window;
use nodeconsole::app::{App, Screen, Update, UpdateData};
use nodeconsole::features::test_network::{
    duplicate_address, identify_port, nic_details, path_mtu,
};
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;

fn app() -> App {
    let s = testdata::zstack_like_settings(Theme::MONO_ASCII);
    let mut a = App::new_at(s, testdata::now(), Instant::now());
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::Nics(Ok(testdata::nics())),
    });
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

fn set_field(a: &mut App, v: &str) {
    let n = match &a.window {
        Some(Window::Form(f, _)) => f.fields[0].text.chars().count(),
        w => panic!("no form: {w:?}"),
    };
    for _ in 0..n {
        a.on_key(Key::Backspace);
    }
    for c in v.chars() {
        a.on_key(Key::Char(c));
    }
    a.on_key(Key::Enter);
}

fn error(a: &App) -> Option<String> {
    match &a.window {
        Some(Window::Form(f, _)) => f.fields[0].error.clone(),
        w => panic!("no form: {w:?}"),
    }
}

fn task<R: Clone + 'static>(a: &mut App) -> R {
    match &a.take_effects()[..] {
        [Effect::Task(t)] => t.get::<R>().cloned().expect("the expected request"),
        e => panic!("expected one task: {e:?}"),
    }
}

/// Chooses the NIC named `name` in the open NIC choice.
fn choose_nic(a: &mut App, name: &str) {
    let i = match &a.window {
        Some(Window::Choice(c, _)) => c
            .options
            .iter()
            .position(|(l, _)| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed: {:?}", c.options)),
        w => panic!("no NIC choice: {w:?}"),
    };
    a.on_key(Key::Home);
    for _ in 0..i {
        a.on_key(Key::Down);
    }
    a.on_key(Key::Enter);
}

fn first_nic() -> String {
    testdata::nics().nics[0].name.clone()
}

#[test]
fn path_mtu_refuses_a_bad_target_and_queues_a_good_one() {
    let mut a = app();
    common::menu::open_diagnostic(&mut a, "path-mtu");
    for bad in ["", "1.2.3.400", "a b"] {
        set_field(&mut a, bad);
        assert!(
            error(&a).is_some_and(|e| e.starts_with("Target:")),
            "{bad:?}: {:?}",
            error(&a)
        );
        assert!(a.take_effects().is_empty(), "{bad:?}");
    }
    set_field(&mut a, "10.0.0.9");
    let r: path_mtu::Request = task(&mut a);
    assert_eq!(r.target, "10.0.0.9");
}

#[test]
fn duplicate_address_names_the_field() {
    let mut a = app();
    common::menu::open_diagnostic(&mut a, "duplicate-address");
    let nic = first_nic();
    choose_nic(&mut a, &nic);
    for bad in ["", "10.0.0", "0.0.0.0", "224.0.0.1"] {
        set_field(&mut a, bad);
        assert!(
            error(&a).is_some_and(|e| e.starts_with("Address:")),
            "{bad:?}: {:?}",
            error(&a)
        );
        assert!(a.take_effects().is_empty());
    }
    set_field(&mut a, "10.0.0.5");
    let r: duplicate_address::Request = task(&mut a);
    assert_eq!((r.nic, r.ip), (nic, Ipv4Addr::new(10, 0, 0, 5)));
}

#[test]
fn identify_port_checks_the_seconds() {
    let mut a = app();
    common::menu::open_diagnostic(&mut a, "identify-port");
    let nic = first_nic();
    choose_nic(&mut a, &nic);
    for bad in ["0", "301", ""] {
        set_field(&mut a, bad);
        assert!(
            error(&a).is_some_and(|e| e.starts_with("Seconds:")),
            "{bad:?}: {:?}",
            error(&a)
        );
        assert!(a.take_effects().is_empty());
    }
    set_field(&mut a, "15");
    let r: identify_port::Request = task(&mut a);
    assert_eq!((r.nic, r.seconds), (nic, 15));
}

#[test]
fn nic_details_listens_for_lldp_30_s() {
    let mut a = app();
    common::menu::open_diagnostic(&mut a, "nic-details");
    let nic = first_nic();
    choose_nic(&mut a, &nic);
    let r: nic_details::Request = task(&mut a);
    assert_eq!(r.nic.name, nic);
    assert_eq!(r.listen, std::time::Duration::from_secs(30));
}
