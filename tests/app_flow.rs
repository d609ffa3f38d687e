//! The privileged flows as pure state transitions: the gate, the menu,
//! Change Passwords, Reboot/Poweroff, idle timeout and brute-force delay,
//! with PAM's answers injected as updates. (PAM itself is tested against
//! pam_wrapper in ops_pam.rs and end to end in e2e_auth.rs.)

mod common;
use std::time::{Duration, Instant};

use common::screen::{draw, text};
use nodeconsole::app::effect::{Effect, GatePurpose};
use nodeconsole::app::keys::Key;
use nodeconsole::app::window::Window;
use nodeconsole::app::{App, Screen, Update, UpdateData};
use nodeconsole::config::Role;
use nodeconsole::engine::ServiceAction;
use nodeconsole::features::change_passwords::RootRequest;
use nodeconsole::features::power::{self, PowerChoice};
use nodeconsole::features::task::{Reply, Task};
use nodeconsole::features::{service_control, terminal_info, FeatureId};
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;

fn app(role: Role) -> (App, Instant) {
    let t0 = Instant::now();
    let s = testdata::settings(role, Theme::MONO_ASCII);
    let a = App::new_at(s, testdata::now(), t0);
    (a, t0)
}

fn typ(a: &mut App, s: &str) {
    for c in s.chars() {
        a.on_key(Key::Char(c));
    }
}

fn auth(a: &mut App, purpose: GatePurpose, ok: bool) {
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::Auth {
            purpose,
            result: if ok {
                Ok(())
            } else {
                Err("Authentication failure".into())
            },
        },
    });
}

/// What F12's task asks logind for.
fn power_choice(t: &Task) -> Option<PowerChoice> {
    t.get::<power::Request>().map(|r| r.choice)
}

/// F2, type a password, Enter: returns the password the effect carries.
fn submit_password(a: &mut App, key: Key, pw: &str) -> (String, GatePurpose) {
    a.on_key(key);
    assert!(matches!(a.window, Some(Window::Password { .. })));
    typ(a, pw);
    a.on_key(Key::Enter);
    let effects = a.take_effects();
    assert_eq!(effects.len(), 1, "{effects:?}");
    match &effects[0] {
        Effect::Authenticate { password, purpose } => (password.expose().to_string(), *purpose),
        e => panic!("unexpected {e:?}"),
    }
}

#[test]
fn f2_wrong_password_shows_error_then_main() {
    let (mut a, _) = app(Role::Management);
    let (pw, purpose) = submit_password(&mut a, Key::F(2), "wrong");
    assert_eq!(pw, "wrong");
    assert_eq!(purpose, GatePurpose::SystemConfiguration);
    auth(&mut a, purpose, false);
    assert!(matches!(a.window, Some(Window::Message(..))));
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("Authentication failed"), "{s}");
    a.on_key(Key::Enter);
    assert!(a.window.is_none());
    assert_eq!(a.screen, Screen::Main);
    assert!(!a.authenticated());
}

#[test]
fn right_password_opens_the_menu_and_f2_leaves_and_asks_again() {
    let (mut a, _) = app(Role::Management);
    let (_, p) = submit_password(&mut a, Key::Char('c'), "demo");
    auth(&mut a, p, true);
    assert_eq!(a.screen, Screen::SysConfig);
    let s = text(&draw(&a, 80, 24));
    for label in [
        "Change Passwords",
        "Rename NIC",
        "Set Management Network",
        "Start/Stop/Restart libvirt Service",
        "Reset libvirt Service & Drop Database",
        "12. Terminal Info",
    ] {
        assert!(s.contains(label), "{label}\n{s}");
    }
    insta::assert_snapshot!("sysconfig_management_80x24", s);
    a.on_key(Key::Char('j'));
    a.on_key(Key::Char('j'));
    assert_eq!(a.menu_cursor, 2);
    a.on_key(Key::Char('k'));
    assert_eq!(a.menu_cursor, 1);
    a.on_key(Key::End);
    assert_eq!(a.menu_cursor, a.settings.menu.len() - 1);
    common::menu::open(&mut a, terminal_info::ID);
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("Ctrl+Alt+F2"), "{s}");
    insta::assert_snapshot!("terminal_info_80x24", s);
    a.on_key(Key::Esc);
    assert!(a.window.is_none());
    assert_eq!(a.screen, Screen::SysConfig);
    a.on_key(Key::F(2));
    assert_eq!(a.screen, Screen::Main);
    assert!(!a.authenticated());
    a.on_key(Key::F(2));
    assert!(
        matches!(a.window, Some(Window::Password { .. })),
        "asks again"
    );
}

#[test]
fn compute_menu_is_the_subset() {
    let (mut a, _) = app(Role::Compute);
    let (_, p) = submit_password(&mut a, Key::F(2), "x");
    auth(&mut a, p, true);
    let s = text(&draw(&a, 80, 24));
    insta::assert_snapshot!("sysconfig_compute_80x24", s);
    assert!(s.contains("7. Terminal Info"), "{s}");
    assert!(!s.contains("Backup Database"), "{s}");
}

#[test]
fn disabled_items_explain_why() {
    let (mut a, _) = app(Role::Management);
    let (_, p) = submit_password(&mut a, Key::F(2), "x");
    auth(&mut a, p, true);
    // Rename NIC: not built in the test settings
    common::menu::open(&mut a, FeatureId("rename-nic"));
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("Not available: not built yet"), "{s}");
    a.on_key(Key::Enter);
    assert_eq!(a.screen, Screen::SysConfig);
}

#[test]
fn root_password_change_flow() {
    let (mut a, _) = app(Role::Management);
    let (_, p) = submit_password(&mut a, Key::F(2), "x");
    auth(&mut a, p, true);
    common::menu::open(&mut a, FeatureId("change-passwords"));
    let s = text(&draw(&a, 80, 24));
    assert!(
        s.contains("System root password") && s.contains("MySQL root password (unavailable)"),
        "{s}"
    );
    a.on_key(Key::Down);
    a.on_key(Key::Enter);
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("not supported by the libvirt engine"), "{s}");
    a.on_key(Key::Up);
    a.on_key(Key::Enter); // root password form
    typ(&mut a, "old-pw");
    a.on_key(Key::Tab);
    typ(&mut a, "New-pw-1!");
    a.on_key(Key::Tab);
    typ(&mut a, "New-pw-2!");
    a.on_key(Key::Enter);
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("the new passwords do not match"), "{s}");
    assert!(
        !s.contains("New-pw") && !s.contains("old-pw"),
        "masked:\n{s}"
    );
    assert!(a.take_effects().is_empty(), "nothing changes on mismatch");
    typ(&mut a, "New-pw-1!");
    a.on_key(Key::Enter);
    let s = text(&draw(&a, 80, 24));
    insta::assert_snapshot!("root_password_confirm_80x24", s);
    a.on_key(Key::Char('x'));
    assert!(a.take_effects().is_empty());
    a.on_key(Key::Char('Y'));
    let e = a.take_effects();
    match &e[..] {
        [Effect::Task(t)] => {
            let RootRequest { old, new } = t.get::<RootRequest>().expect("root password task");
            assert_eq!(old.expose(), "old-pw");
            assert_eq!(new.expose(), "New-pw-1!");
            assert!(!format!("{e:?}").contains("New-pw"), "Debug must redact");
        }
        other => panic!("{other:?}"),
    }
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::TaskDone(Reply::Done(Err(
            "BAD PASSWORD: it is based on a dictionary word".into(),
        ))),
    });
    let s = text(&draw(&a, 80, 24));
    assert!(
        s.contains("NOT changed") && s.contains("dictionary word"),
        "{s}"
    );
    a.on_key(Key::Enter);
    assert_eq!(a.screen, Screen::SysConfig);
}

#[test]
fn f12_reboot_requires_the_exact_phrase() {
    let (mut a, _) = app(Role::Management);
    let (_, p) = submit_password(&mut a, Key::F(12), "x");
    assert_eq!(p, GatePurpose::Power);
    auth(&mut a, p, true);
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("Reboot") && s.contains("Poweroff"), "{s}");
    a.on_key(Key::Enter); // Reboot
    typ(&mut a, "reboot");
    a.on_key(Key::Enter);
    assert!(a.take_effects().is_empty(), "lower case refused");
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("Type exactly: REBOOT"), "{s}");
    typ(&mut a, "REBOOT");
    a.on_key(Key::Enter);
    let e = a.take_effects();
    assert!(
        matches!(&e[..], [Effect::Task(t)] if power_choice(t) == Some(PowerChoice::Reboot)),
        "{e:?}"
    );
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::TaskDone(Reply::Done(Ok(vec!["Demo mode: nothing was done.".into()]))),
    });
    a.on_key(Key::Enter);
    assert_eq!(a.screen, Screen::Main);
    assert!(!a.authenticated(), "F12's end ends the session");
}

#[test]
fn poweroff_phrase() {
    let (mut a, _) = app(Role::Compute);
    let (_, p) = submit_password(&mut a, Key::Char('p'), "x");
    auth(&mut a, p, true);
    a.on_key(Key::Down);
    a.on_key(Key::Enter);
    typ(&mut a, "POWEROFF");
    a.on_key(Key::Enter);
    assert!(matches!(
        &a.take_effects()[..],
        [Effect::Task(t)] if power_choice(t) == Some(PowerChoice::PowerOff)
    ));
}

#[test]
fn idle_timeout_drops_the_session() {
    let (mut a, t0) = app(Role::Management);
    let (_, p) = submit_password(&mut a, Key::F(2), "x");
    auth(&mut a, p, true);
    a.tick(testdata::now(), 0, t0 + Duration::from_secs(299));
    assert_eq!(a.screen, Screen::SysConfig);
    a.on_key_at(Key::Down, t0 + Duration::from_secs(299));
    a.tick(testdata::now(), 0, t0 + Duration::from_secs(598));
    assert_eq!(a.screen, Screen::SysConfig, "a key renews the session");
    a.tick(testdata::now(), 0, t0 + Duration::from_secs(600));
    assert_eq!(a.screen, Screen::Main);
    assert!(!a.authenticated());
}

#[test]
fn brute_force_delay_blocks_enter_and_shows_countdown() {
    let (mut a, t0) = app(Role::Management);
    for _ in 0..3 {
        let (_, p) = submit_password(&mut a, Key::F(2), "bad");
        auth(&mut a, p, false);
        a.on_key(Key::Enter);
    }
    a.on_key(Key::F(2));
    typ(&mut a, "good");
    a.on_key(Key::Enter);
    assert!(a.take_effects().is_empty(), "blocked during the delay");
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("try again in 2 s"), "{s}");
    a.tick(testdata::now(), 0, t0 + Duration::from_secs(3));
    a.on_key(Key::Enter);
    assert_eq!(a.take_effects().len(), 1);
}

#[test]
fn service_control_needs_the_typed_phrase() {
    let (mut a, _) = app(Role::Management);
    let (_, p) = submit_password(&mut a, Key::F(2), "x");
    auth(&mut a, p, true);
    common::menu::open(&mut a, FeatureId("service-control"));
    a.on_key(Key::Down);
    a.on_key(Key::Down);
    a.on_key(Key::Enter); // Restart
    typ(&mut a, "restart libvirt");
    a.on_key(Key::Enter);
    let e = a.take_effects();
    assert!(
        matches!(
            &e[..],
            [Effect::Task(t)] if t.get::<service_control::Request>().map(|r| r.action)
                == Some(ServiceAction::Restart)
        ),
        "{e:?}"
    );
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("Restart libvirt Service"), "{s}");
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::TaskDone(Reply::Done(Ok(vec!["libvirtd.service restarted".into()]))),
    });
    let s = text(&draw(&a, 80, 24));
    assert!(s.contains("libvirtd.service restarted"), "{s}");
}

#[test]
fn window_snapshots_in_colour_use_only_ansi16() {
    let (mut a, _) = app(Role::Management);
    a.settings.theme = Theme::COLOR;
    a.on_key(Key::F(2));
    typ(&mut a, "secret");
    let b = draw(&a, 80, 24);
    common::screen::assert_ansi16(&b);
    let s = text(&b);
    assert!(s.contains("******") && !s.contains("secret"), "{s}");
    insta::assert_snapshot!("gate_80x24_color", s);
}
