//! The engine items of System Configuration (ZStack-like engine) as pure
//! state transitions: MySQL and RabbitMQ password forms, Configure Console
//! Proxy, the typed phrases of service control and reset, Collect Logs and
//! Backup Database. Engine answers are injected as updates; the engine
//! itself is tested in engine_zstack.rs.

mod common;
use std::net::Ipv4Addr;
use std::time::Instant;

use common::screen::{draw, text};
use nodeconsole::app::effect::{Effect, GatePurpose};
use nodeconsole::app::keys::Key;
use nodeconsole::app::window::Window;
use nodeconsole::app::{App, Screen, Update, UpdateData};
use nodeconsole::engine::{ConsoleProxy, DbAccount, ServiceAction};
use nodeconsole::features::change_passwords::{DatabaseRequest, MessageBusRequest};
use nodeconsole::features::task::{Payload, Reply, Task};
use nodeconsole::features::{
    backup_database, collect_logs, console_proxy, reset, service_control, FeatureId,
};
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;

const PASSWORDS: FeatureId = FeatureId("change-passwords");
const CONSOLE_PROXY: FeatureId = FeatureId("console-proxy");
const COLLECT_LOGS: FeatureId = FeatureId("collect-logs");
const BACKUP: FeatureId = FeatureId("backup-database");
const SERVICE: FeatureId = FeatureId("service-control");
const RESET: FeatureId = FeatureId("reset");
const RESET_DROP: FeatureId = FeatureId("reset-drop-database");

/// Every screen a test drew, so that it can check no password leaked.
struct T {
    a: App,
    screens: Vec<String>,
}

impl T {
    /// A ZStack-like management node with every item available, past the
    /// gate and on the menu.
    fn new() -> T {
        let t0 = Instant::now();
        let mut s = testdata::zstack_like_settings(Theme::MONO_ASCII);
        s.cluster_logs = true;
        let mut t = T {
            a: App::new_at(s, testdata::now(), t0),
            screens: Vec::new(),
        };
        t.key(Key::F(2));
        t.typ(GATE);
        t.key(Key::Enter);
        assert!(
            matches!(&t.effects()[..], [Effect::Authenticate { password, .. }] if password.expose() == GATE)
        );
        t.update(UpdateData::Auth {
            purpose: GatePurpose::SystemConfiguration,
            result: Ok(()),
        });
        assert_eq!(t.a.screen, Screen::SysConfig);
        t
    }

    fn key(&mut self, k: Key) {
        self.a.on_key(k);
        let s = self.screen();
        self.screens.push(s);
    }

    fn typ(&mut self, s: &str) {
        for c in s.chars() {
            self.key(Key::Char(c));
        }
    }

    fn screen(&self) -> String {
        text(&draw(&self.a, 80, 24))
    }

    fn update(&mut self, data: UpdateData) {
        self.a.apply(Update {
            at: testdata::now(),
            data,
        });
        let s = self.screen();
        self.screens.push(s);
    }

    /// Opens feature `id` with keys, recording every screen.
    fn open(&mut self, id: FeatureId) {
        let mut screens = std::mem::take(&mut self.screens);
        common::menu::open_with(&mut self.a, id, &mut |a, k| {
            a.on_key(k);
            screens.push(text(&draw(a, 80, 24)));
        });
        self.screens = screens;
    }

    fn choose(&mut self, i: usize) {
        self.key(Key::Home);
        for _ in 0..i {
            self.key(Key::Down);
        }
        self.key(Key::Enter);
    }

    fn focus(&self) -> (usize, usize) {
        match &self.a.window {
            Some(Window::Form(f, _)) => (f.focus, f.fields.len()),
            w => panic!("no form: {w:?}"),
        }
    }

    fn field_error(&self, i: usize) -> Option<String> {
        match &self.a.window {
            Some(Window::Form(f, _)) => f.fields[i].error.clone(),
            w => panic!("no form: {w:?}"),
        }
    }

    fn form_error(&self) -> Option<String> {
        match &self.a.window {
            Some(Window::Form(f, _)) => f.error.clone(),
            w => panic!("no form: {w:?}"),
        }
    }

    fn field_text(&self, i: usize) -> String {
        match &self.a.window {
            Some(Window::Form(f, _)) => f.fields[i].text.clone(),
            w => panic!("no form: {w:?}"),
        }
    }

    /// Focuses field `i`, clears it, types `s`.
    fn set(&mut self, i: usize, s: &str) {
        while self.focus().0 != i {
            self.key(Key::Tab);
        }
        let n = match &self.a.window {
            Some(Window::Form(f, _)) => f.fields[i].display().chars().count(),
            _ => unreachable!(),
        };
        for _ in 0..n {
            self.key(Key::Backspace);
        }
        self.typ(s);
    }

    fn submit(&mut self) {
        loop {
            let (f, n) = self.focus();
            if f + 1 == n {
                break;
            }
            self.key(Key::Tab);
        }
        self.key(Key::Enter);
    }

    fn effects(&mut self) -> Vec<Effect> {
        self.a.take_effects()
    }

    fn job(&mut self) -> Task {
        match <[Effect; 1]>::try_from(self.effects()) {
            Ok([Effect::Task(j)]) => j,
            Ok([other]) => panic!("not a job: {other:?}"),
            Err(e) => panic!("expected one effect: {e:?}"),
        }
    }

    /// No rendered screen so far contains any of `secrets`.
    fn assert_never_shown(&self, secrets: &[&str]) {
        assert!(!self.screens.is_empty());
        for s in &self.screens {
            for p in secrets.iter().chain(&[GATE]) {
                assert!(!s.contains(p), "password {p:?} on screen:\n{s}");
            }
        }
    }
}

// ------------------------------------------------------------ DB passwords

/// Opens the form of Change Passwords entry `entry` (1 MySQL root,
/// 2 MySQL zstack, 3 RabbitMQ).
fn open_password(t: &mut T, entry: usize) {
    t.open(PASSWORDS);
    t.choose(entry);
    assert!(
        matches!(t.a.window, Some(Window::Form(..))),
        "{:?}",
        t.a.window
    );
}

fn fill(t: &mut T, cur: &str, new: &str, confirm: &str) {
    t.set(0, cur);
    t.set(1, new);
    t.set(2, confirm);
    t.submit();
}

/// The root password typed at the gate.
const GATE: &str = "gate-pw";
const CUR: &str = "Cur-r00t-pw";
const NEW: &str = "N3w-Pass!word";

/// Runs every refusal of the password rule on an open password form.
fn refusals(t: &mut T) {
    // All empty: the first field is named.
    t.submit();
    assert_eq!(t.field_error(0).as_deref(), Some("must not be empty"));
    assert!(t.effects().is_empty());
    for (i, (c, n, f)) in [(CUR, "", NEW), (CUR, NEW, "")].into_iter().enumerate() {
        fill(t, c, n, f);
        assert_eq!(t.field_error(i + 1).as_deref(), Some("must not be empty"));
        assert!(t.effects().is_empty());
    }
    fill(t, CUR, NEW, "N3w-Pass!wore");
    assert_eq!(
        t.field_error(2).as_deref(),
        Some("the new passwords do not match")
    );
    assert_eq!(t.focus().0, 2);
    assert!(t.screen().contains("the new passwords do not match"));
    assert!(t.effects().is_empty());
    for (pw, why) in [
        ("Ab1!xyz", "at least 8 characters"),
        ("abcdefgh!", "a digit"),
        ("12345678!", "a letter"),
        ("Abcdefgh1", "a special character"),
        ("abc", "at least 8 characters, a digit, a special character"),
    ] {
        fill(t, CUR, pw, pw);
        let e = t.field_error(1).unwrap_or_else(|| panic!("{pw} accepted"));
        assert!(e.contains(why), "{pw}: {e}");
        assert_eq!(t.focus().0, 1);
        assert!(t.effects().is_empty(), "{pw}");
        let s = text(&draw(&t.a, 200, 40));
        assert!(s.contains(why), "{pw}: not shown\n{s}");
    }
}

fn db_password_flow(entry: usize, account: DbAccount, title: &str) {
    let mut t = T::new();
    open_password(&mut t, entry);
    let s = t.screen();
    assert!(
        s.contains(title) && s.contains("Current MySQL root password"),
        "{s}"
    );
    refusals(&mut t);
    fill(&mut t, CUR, NEW, NEW);
    let s = t.screen();
    assert!(s.contains(&format!("{title}?")), "{s}");
    assert!(t.effects().is_empty(), "nothing before Y");
    t.key(Key::Char('Y'));
    let j = t.job();
    let dbg = format!("{j:?}");
    match j.get::<DatabaseRequest>() {
        Some(DatabaseRequest {
            account: a,
            current_root,
            new,
        }) => {
            assert_eq!(*a, account);
            assert_eq!(current_root.expose(), CUR);
            assert_eq!(new.expose(), NEW);
        }
        None => panic!("{j:?}"),
    }
    for p in [CUR, NEW, "N3w-Pass", "Cur-r00t"] {
        assert!(!dbg.contains(p), "Debug shows {p}: {dbg}");
    }
    assert!(
        !format!("{:?}", t.a).contains(NEW),
        "App Debug shows a password"
    );
    t.update(UpdateData::TaskDone(Reply::Done(Ok(vec![
        "The password was changed.".into(),
    ]))));
    assert!(t.screen().contains("The password was changed."));
    t.key(Key::Enter);
    assert_eq!(t.a.screen, Screen::SysConfig);
    t.assert_never_shown(&[
        CUR,
        NEW,
        "N3w-Pass!wore",
        "abcdefgh!",
        "Abcdefgh1",
        "12345678!",
        "Ab1!xyz",
    ]);
}

#[test]
fn mysql_root_password_flow() {
    db_password_flow(1, DbAccount::Root, "Change MySQL root password");
}

#[test]
fn mysql_zstack_password_flow() {
    db_password_flow(2, DbAccount::Zstack, "Change MySQL zstack password");
}

#[test]
fn password_form_with_inline_error_snapshot() {
    let mut t = T::new();
    open_password(&mut t, 1);
    fill(&mut t, CUR, "abcdefgh!", "abcdefgh!");
    let b = draw(&t.a, 80, 24);
    common::screen::assert_mono_ascii(&b);
    let s = text(&b);
    assert!(s.contains("The password needs a digit."), "{s}");
    insta::assert_snapshot!("db_password_inline_error_80x24", s);
    t.assert_never_shown(&[CUR, "abcdefgh!"]);
}

#[test]
fn n_on_the_confirm_cancels_the_password_change() {
    let mut t = T::new();
    open_password(&mut t, 1);
    fill(&mut t, CUR, NEW, NEW);
    t.key(Key::Char('N'));
    assert!(t.effects().is_empty());
    assert!(t.a.window.is_none());
    assert_eq!(t.a.screen, Screen::SysConfig);
}

#[test]
fn rabbitmq_password_flow() {
    let mut t = T::new();
    open_password(&mut t, 3);
    let s = t.screen();
    assert!(
        s.contains("Change RabbitMQ zstack password") && s.contains("System root password"),
        "{s}"
    );
    refusals(&mut t);
    fill(&mut t, CUR, NEW, NEW);
    t.key(Key::Char('y'));
    let j = t.job();
    let dbg = format!("{j:?}");
    match j.get::<MessageBusRequest>() {
        Some(MessageBusRequest { root, new }) => {
            assert_eq!(root.expose(), CUR);
            assert_eq!(new.expose(), NEW);
        }
        None => panic!("{j:?}"),
    }
    assert!(!dbg.contains(CUR) && !dbg.contains(NEW), "{dbg}");
    let s = t.screen();
    assert!(s.contains("Change RabbitMQ zstack password"), "{s}");
    t.update(UpdateData::TaskDone(Reply::Done(Err(
        "the system root password is wrong: nothing was changed".into(),
    ))));
    assert!(t.screen().contains("the system root password is wrong"));
    t.assert_never_shown(&[CUR, NEW, "abcdefgh!", "Abcdefgh1"]);
}

// ------------------------------------------------------- Console proxy

fn open_console_proxy(t: &mut T) {
    t.open(CONSOLE_PROXY);
    assert!(t.job().get::<console_proxy::Load>().is_some());
    assert!(matches!(t.a.window, Some(Window::Progress(..))));
    let s = t.screen();
    assert!(s.contains("Reading the current settings"), "{s}");
    t.update(UpdateData::TaskDone(Reply::Value(Payload::new(
        ConsoleProxy {
            ip: Some(Ipv4Addr::new(192, 168, 10, 23)),
            port: Some(4900),
        },
    ))));
}

#[test]
fn console_proxy_form_prefilled_and_validated() {
    let mut t = T::new();
    open_console_proxy(&mut t);
    assert_eq!(t.field_text(0), "192.168.10.23");
    assert_eq!(t.field_text(1), "4900");
    let s = t.screen();
    insta::assert_snapshot!("console_proxy_form_80x24", s);
    for (ip, port, why) in [
        ("", "", "Enter the console proxy IP, the port, or both."),
        (
            "192.168.10.23",
            "80",
            "Port \"80\" must be a number from 1024 to 65535.",
        ),
        (
            "192.168.10.23",
            "65536",
            "must be a number from 1024 to 65535",
        ),
        (
            "192.168.10.23",
            "1023",
            "must be a number from 1024 to 65535",
        ),
        (
            "300.1.1.1",
            "4900",
            "\"300.1.1.1\" is not a valid IPv4 address",
        ),
        ("192.168.10", "4900", "is not a valid IPv4 address"),
        (
            "0.0.0.0",
            "4900",
            "0.0.0.0 cannot be a console proxy address.",
        ),
        ("255.255.255.255", "", "cannot be a console proxy address"),
    ] {
        t.set(0, ip);
        t.set(1, port);
        t.submit();
        let e = t
            .form_error()
            .unwrap_or_else(|| panic!("{ip:?}:{port:?} accepted"));
        assert!(e.contains(why), "{ip:?}:{port:?}: {e}");
        assert!(t.effects().is_empty());
        let s = text(&draw(&t.a, 200, 40));
        assert!(s.contains(why), "not shown:\n{s}");
    }
    t.set(0, "192.168.10.50");
    t.set(1, "4901");
    t.submit();
    let s = t.screen();
    assert!(
        s.contains("Set the console proxy to 192.168.10.50:4901?"),
        "{s}"
    );
    assert!(t.effects().is_empty());
    t.key(Key::Char('Y'));
    let j = t.job();
    match j.get::<console_proxy::Set>() {
        Some(console_proxy::Set(p)) => assert_eq!(
            *p,
            ConsoleProxy {
                ip: Some(Ipv4Addr::new(192, 168, 10, 50)),
                port: Some(4901),
            }
        ),
        None => panic!("{j:?}"),
    }
}

#[test]
fn console_proxy_one_field_empty_leaves_it_unchanged() {
    let mut t = T::new();
    open_console_proxy(&mut t);
    t.set(0, "");
    t.set(1, "5000");
    t.submit();
    let s = t.screen();
    assert!(
        s.contains("Set the console proxy to (unchanged):5000?"),
        "{s}"
    );
    t.key(Key::Char('y'));
    assert!(matches!(
        t.job().get::<console_proxy::Set>(),
        Some(console_proxy::Set(ConsoleProxy {
            ip: None,
            port: Some(5000)
        }))
    ));
}

#[test]
fn console_proxy_load_error_is_shown() {
    let mut t = T::new();
    t.open(CONSOLE_PROXY);
    assert!(t.job().get::<console_proxy::Load>().is_some());
    t.update(UpdateData::TaskDone(Reply::Done(Err(
        "reading the console proxy failed: zstack-ctl timed out after 30 s".into(),
    ))));
    let s = t.screen();
    assert!(s.contains("zstack-ctl timed out after 30 s"), "{s}");
    t.key(Key::Enter);
    assert!(t.a.window.is_none());
    assert_eq!(t.a.screen, Screen::SysConfig);
    assert!(t.effects().is_empty());
}

// --------------------------------------------------------- Typed phrases

/// Types `wrong` (refused, nothing queued), then `right` (accepted).
fn phrase(t: &mut T, wrong: &[&str], right: &str) -> Task {
    for w in wrong {
        t.typ(w);
        t.key(Key::Enter);
        assert!(t.effects().is_empty(), "{w:?} accepted");
        let s = text(&draw(&t.a, 120, 30));
        assert!(s.contains(&format!("Type exactly: {right}")), "{s}");
    }
    t.typ(right);
    t.key(Key::Enter);
    t.job()
}

#[test]
fn service_control_phrases_name_zstack() {
    for (i, verb, action) in [
        (0, "start", ServiceAction::Start),
        (1, "stop", ServiceAction::Stop),
        (2, "restart", ServiceAction::Restart),
    ] {
        let mut t = T::new();
        t.open(SERVICE);
        let s = t.screen();
        assert!(s.contains("Restart ZStack Service"), "{s}");
        t.choose(i);
        let right = format!("{verb} zstack");
        let upper = right.to_uppercase();
        let spaced = format!("{right} ");
        let j = phrase(&mut t, &[&upper, &spaced, "restart libvirt", verb], &right);
        assert!(
            matches!(j.get::<service_control::Request>(), Some(r) if r.action == action),
            "{j:?}"
        );
        assert!(!j.0.cancellable());
    }
}

#[test]
fn reset_phrases_are_exact_and_case_sensitive() {
    let mut t = T::new();
    t.open(RESET);
    let j = phrase(
        &mut t,
        &["Reset zstack", "reset ZStack", "reset"],
        "reset zstack",
    );
    assert!(
        matches!(
            j.get::<reset::Request>(),
            Some(r) if !r.drop_database
        ),
        "{j:?}"
    );

    let mut t = T::new();
    t.open(RESET_DROP);
    let s = t.screen();
    assert!(s.contains("all cloud data is lost"), "{s}");
    let j = phrase(
        &mut t,
        &[
            "reset zstack",
            "reset zstack drop Database",
            "reset zstack drop database.",
        ],
        "reset zstack drop database",
    );
    assert!(
        matches!(
            j.get::<reset::Request>(),
            Some(r) if r.drop_database
        ),
        "{j:?}"
    );
    let s = t.screen();
    assert!(s.contains("Reset ZStack Service & Drop Database"), "{s}");
}

#[test]
fn esc_on_a_phrase_goes_back_to_the_menu() {
    let mut t = T::new();
    t.open(RESET_DROP);
    t.typ("reset zstack drop database");
    t.key(Key::Esc);
    assert!(t.effects().is_empty());
    assert!(t.a.window.is_none());
    assert_eq!(t.a.screen, Screen::SysConfig);
}

// ------------------------------------------------------ Logs and backup

#[test]
fn collect_logs_queues_the_job_and_shows_the_url() {
    let mut t = T::new();
    t.open(COLLECT_LOGS);
    let j = t.job();
    assert!(
        matches!(j.get::<collect_logs::Request>(), Some(r) if r.cluster),
        "{j:?}"
    );
    let s = t.screen();
    assert!(
        s.contains("Collect Logs (cluster)") && s.contains("Esc cancels"),
        "{s}"
    );
    t.update(UpdateData::TaskDone(Reply::Done(Ok(vec![
        "Download: http://192.168.10.23:8080/logs/cluster-20261122.tgz".into(),
        "Browse:   http://192.168.10.23:8080/logs/cluster-20261122/".into(),
    ]))));
    let s = t.screen();
    assert!(
        s.contains("http://192.168.10.23:8080/logs/cluster-20261122.tgz")
            && s.contains("http://192.168.10.23:8080/logs/cluster-20261122/"),
        "{s}"
    );
    t.key(Key::Enter);
    assert_eq!(t.a.screen, Screen::SysConfig);
}

#[test]
fn backup_database_queues_the_job_and_shows_the_url() {
    let mut t = T::new();
    t.open(BACKUP);
    let j = t.job();
    assert!(j.get::<backup_database::Request>().is_some(), "{j:?}");
    t.key(Key::Esc);
    assert!(matches!(&t.effects()[..], [Effect::CancelJob]));
    t.update(UpdateData::TaskDone(Reply::Done(Ok(vec![
        "Download: http://192.168.10.23:8080/db/zstack-db-20261122.sql.gz".into(),
    ]))));
    let s = t.screen();
    assert!(
        s.contains("Backup Database")
            && s.contains("http://192.168.10.23:8080/db/zstack-db-20261122.sql.gz"),
        "{s}"
    );
}
