//! The network items of System Configuration as pure state transitions:
//! Rename NIC, Test Network, Configure Networks (with the keep-or-revert
//! window and bond creation) and Set Management Network. The operations
//! themselves are tested against namespaces in net_*.rs; here the job
//! results are injected as updates.

mod common;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use common::screen::{draw, text};
use nodeconsole::app::effect::{Effect, GatePurpose};
use nodeconsole::app::keys::Key;
use nodeconsole::app::window::Window;
use nodeconsole::app::{App, Screen, Update, UpdateData};
use nodeconsole::features::configure_networks::{BondRequest, Ipv4Request, CREATE_BOND};
use nodeconsole::features::task::Reply;
use nodeconsole::features::{rename_nic, set_management_network, test_network, FeatureId};
use nodeconsole::net::validate::BondMode;
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;

const RENAME: FeatureId = FeatureId("rename-nic");
const TEST_NETWORK: FeatureId = FeatureId("test-network");
const CONFIGURE: FeatureId = FeatureId("configure-networks");
const MANAGEMENT: FeatureId = FeatureId("set-management-network");

/// A ZStack-like management node with every item available, NICs known,
/// past the gate and on the menu.
fn app() -> (App, Instant) {
    let t0 = Instant::now();
    let s = testdata::zstack_like_settings(Theme::MONO_ASCII);
    let mut a = App::new_at(s, testdata::now(), t0);
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::Nics(Ok(testdata::nics())),
    });
    a.on_key(Key::F(2));
    typ(&mut a, "pw");
    a.on_key(Key::Enter);
    let e = a.take_effects();
    assert!(
        matches!(&e[..], [Effect::Authenticate { .. }]),
        "gate asks PAM: {e:?}"
    );
    a.apply(Update {
        at: testdata::now(),
        data: UpdateData::Auth {
            purpose: GatePurpose::SystemConfiguration,
            result: Ok(()),
        },
    });
    assert_eq!(a.screen, Screen::SysConfig);
    (a, t0)
}

fn typ(a: &mut App, s: &str) {
    for c in s.chars() {
        a.on_key(Key::Char(c));
    }
}

fn screen(a: &App) -> String {
    text(&draw(a, 80, 24))
}

/// Moves the menu cursor to feature `id` with keys and opens it.
fn open(a: &mut App, id: FeatureId) {
    common::menu::open(a, id);
}

fn choice_labels(a: &App) -> Vec<String> {
    match &a.window {
        Some(Window::Choice(c, _)) => c.options.iter().map(|(l, _)| l.clone()).collect(),
        w => panic!("no choice window: {w:?}"),
    }
}

/// Chooses entry `i` of the open choice list.
fn choose(a: &mut App, i: usize) {
    a.on_key(Key::Home);
    for _ in 0..i {
        a.on_key(Key::Down);
    }
    a.on_key(Key::Enter);
}

fn form_focus(a: &App) -> (usize, usize) {
    match &a.window {
        Some(Window::Form(f, _)) => (f.focus, f.fields.len()),
        w => panic!("no form: {w:?}"),
    }
}

fn field_text(a: &App, i: usize) -> String {
    match &a.window {
        Some(Window::Form(f, _)) => f.fields[i].text.clone(),
        w => panic!("no form: {w:?}"),
    }
}

fn field_error(a: &App, i: usize) -> Option<String> {
    match &a.window {
        Some(Window::Form(f, _)) => f.fields[i].error.clone(),
        w => panic!("no form: {w:?}"),
    }
}

fn form_error(a: &App) -> Option<String> {
    match &a.window {
        Some(Window::Form(f, _)) => f.error.clone(),
        w => panic!("no form: {w:?}"),
    }
}

/// Focuses field `i` with Tab, clears it with Backspace, types `s`.
fn set_field(a: &mut App, i: usize, s: &str) {
    while form_focus(a).0 != i {
        a.on_key(Key::Tab);
    }
    for _ in 0..field_text(a, i).chars().count() {
        a.on_key(Key::Backspace);
    }
    assert_eq!(field_text(a, i), "");
    typ(a, s);
}

/// Tab to the last field and press Enter (submits the form).
fn submit(a: &mut App) {
    loop {
        let (f, n) = form_focus(a);
        if f + 1 == n {
            break;
        }
        a.on_key(Key::Tab);
    }
    a.on_key(Key::Enter);
}

fn confirm_lines(a: &App) -> Vec<String> {
    match &a.window {
        Some(Window::Confirm(c, _)) => c.lines.clone(),
        w => panic!("no confirm window: {w:?}"),
    }
}

/// The one task queued, as the request type `R` the test expects.
fn job<R: Clone + 'static>(a: &mut App) -> R {
    let e = a.take_effects();
    match <[Effect; 1]>::try_from(e) {
        Ok([Effect::Task(t)]) => t
            .get::<R>()
            .cloned()
            .unwrap_or_else(|| panic!("not the expected request: {t:?}")),
        Ok([other]) => panic!("not a job: {other:?}"),
        Err(e) => panic!("expected one effect: {e:?}"),
    }
}

fn update(a: &mut App, data: UpdateData) {
    a.apply(Update {
        at: testdata::now(),
        data,
    });
}

// ---------------------------------------------------------------- Rename NIC

#[test]
fn rename_lists_every_nic_and_refuses_bad_names_inline() {
    let (mut a, _) = app();
    open(&mut a, RENAME);
    let labels = choice_labels(&a);
    assert_eq!(labels.len(), 5, "{labels:?}");
    for (l, name) in labels.iter().zip(["eth0", "eth1", "eth2", "eth3", "bond0"]) {
        assert!(l.starts_with(name), "{l}");
    }
    assert!(labels[0].contains("(MN)") && labels[0].contains("192.168.10.23/24"));
    assert!(labels[3].contains("DOWN"), "{}", labels[3]);
    choose(&mut a, 0);
    assert_eq!(
        field_text(&a, 0),
        "eth0",
        "pre-filled with the current name"
    );
    for (input, why) in [
        ("eth0", "the new name is the same as the current one"),
        ("abcdefghijklmnop", "16 bytes long: at most 15"),
        ("eth 0", "the character ' ' is not allowed"),
        ("my/nic", "the character '/' is not allowed"),
        ("bond0", "a NIC named \"bond0\" already exists"),
        ("eth3", "a NIC named \"eth3\" already exists"),
        ("", "the name is empty"),
    ] {
        set_field(&mut a, 0, input);
        submit(&mut a);
        let err = field_error(&a, 0).unwrap_or_else(|| panic!("{input:?} accepted"));
        assert!(err.contains(why), "{input:?}: {err}");
        assert!(a.take_effects().is_empty(), "{input:?} queued an effect");
        let s = text(&draw(&a, 120, 30));
        assert!(s.contains(why), "{input:?} not shown inline:\n{s}");
    }
}

#[test]
fn rename_the_management_nic_is_guarded_and_warned() {
    let (mut a, _) = app();
    open(&mut a, RENAME);
    choose(&mut a, 0);
    set_field(&mut a, 0, "mgmt0");
    submit(&mut a);
    let lines = confirm_lines(&a);
    assert_eq!(lines[0], "Rename eth0 to mgmt0?");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("WARNING: eth0 carries the management network")),
        "{lines:?}"
    );
    let s = screen(&a);
    assert!(s.contains("WARNING"), "{s}");
    assert!(a.take_effects().is_empty(), "nothing before Y");
    a.on_key(Key::Char('x'));
    assert!(a.take_effects().is_empty());
    a.on_key(Key::Char('Y'));
    let rename_nic::Request {
        old,
        mac,
        new,
        guard,
    } = job(&mut a);
    assert_eq!((old.as_str(), new.as_str(), guard), ("eth0", "mgmt0", true));
    assert_eq!(mac.as_deref(), Some("52:54:00:a1:00:01"));
    assert!(matches!(a.window, Some(Window::Progress(..))));
}

#[test]
fn rename_a_plain_nic_is_unguarded_and_n_cancels() {
    let (mut a, _) = app();
    open(&mut a, RENAME);
    choose(&mut a, 3);
    assert_eq!(field_text(&a, 0), "eth3");
    set_field(&mut a, 0, "data-3");
    submit(&mut a);
    let lines = confirm_lines(&a);
    assert_eq!(lines, ["Rename eth3 to data-3?"]);
    a.on_key(Key::Char('n'));
    assert!(a.take_effects().is_empty());
    assert!(a.window.is_none());
    assert_eq!(a.screen, Screen::SysConfig);
    open(&mut a, RENAME);
    choose(&mut a, 3);
    set_field(&mut a, 0, "data-3");
    submit(&mut a);
    a.on_key(Key::Char('y'));
    let rename_nic::Request {
        old, new, guard, ..
    } = job(&mut a);
    assert_eq!(
        (old.as_str(), new.as_str(), guard),
        ("eth3", "data-3", false)
    );
}

#[test]
fn rename_without_known_nics_explains() {
    let (mut a, _) = app();
    a.nics = Default::default();
    open(&mut a, RENAME);
    let s = screen(&a);
    assert!(s.contains("No NIC is known yet"), "{s}");
    a.on_key(Key::Enter);
    assert_eq!(a.screen, Screen::SysConfig);
    assert!(a.window.is_none());
}

// -------------------------------------------------------------- Test Network

#[test]
fn test_network_prefilled_refuses_bad_targets_and_cancels() {
    let (mut a, _) = app();
    open(&mut a, TEST_NETWORK);
    let l = choice_labels(&a);
    assert_eq!(l[0], "Ping", "ping first: {l:?}");
    a.on_key(Key::Esc);
    assert!(a.window.is_none(), "Esc leaves the diagnostics list");
    common::menu::open_diagnostic(&mut a, "ping");
    assert_eq!(field_text(&a, 0), "114.114.114.114");
    for bad in ["", "1.2.3", "300.1.1.1", "bad_host!", "-x.example"] {
        set_field(&mut a, 0, bad);
        submit(&mut a);
        assert!(field_error(&a, 0).is_some(), "{bad:?} accepted");
        assert!(a.take_effects().is_empty(), "{bad:?}");
    }
    set_field(&mut a, 0, " 192.168.10.1 ");
    submit(&mut a);
    let test_network::Request { target } = job(&mut a);
    assert_eq!(target, "192.168.10.1", "trimmed");
    let s = screen(&a);
    assert!(
        s.contains("Test Network: 192.168.10.1") && s.contains("Esc cancels"),
        "{s}"
    );
    update(
        &mut a,
        UpdateData::Job(nodeconsole::app::update::JobEvent::Line(
            "64 bytes from 192.168.10.1: icmp_seq=1".into(),
        )),
    );
    a.on_key(Key::Esc);
    assert!(matches!(&a.take_effects()[..], [Effect::CancelJob]));
    a.on_key(Key::Esc);
    assert!(a.take_effects().is_empty(), "cancel asked once");
    let s = screen(&a);
    assert!(s.contains("cancelling"), "{s}");
    update(
        &mut a,
        UpdateData::TaskDone(Reply::Done(Ok(vec![
            "4 packets transmitted, 4 received, 0% packet loss".into(),
            "rtt min/avg/max = 0.1/0.2/0.4 ms".into(),
        ]))),
    );
    let s = screen(&a);
    assert!(
        s.contains("4 packets transmitted, 4 received, 0% packet loss")
            && s.contains("Test Network: 192.168.10.1"),
        "{s}"
    );
    a.on_key(Key::Enter);
    assert!(a.window.is_none());
    assert_eq!(a.screen, Screen::SysConfig);
}

#[test]
fn test_network_accepts_a_host_name_and_shows_failure() {
    let (mut a, _) = app();
    common::menu::open_diagnostic(&mut a, "ping");
    set_field(&mut a, 0, "mirrors.example.org");
    submit(&mut a);
    assert!(
        matches!(job(&mut a), test_network::Request { target } if target == "mirrors.example.org")
    );
    update(
        &mut a,
        UpdateData::TaskDone(Reply::Done(Err("no reply from mirrors.example.org".into()))),
    );
    let s = screen(&a);
    assert!(s.contains("no reply from mirrors.example.org"), "{s}");
}

#[test]
fn clock_offset_prefills_the_time_info_reference_and_refuses_bad_servers() {
    use nodeconsole::features::test_network::clock;
    let (mut a, _) = app();
    common::menu::open_diagnostic(&mut a, "clock");
    assert_eq!(field_text(&a, 0), "", "no reference known yet");
    a.on_key(Key::Esc);
    // TIME INFO measured against 10.0.0.2.
    let full = testdata::app(nodeconsole::config::Role::Management, Theme::MONO_ASCII, 0);
    a.clock = full.clock.clone();
    common::menu::open_diagnostic(&mut a, "clock");
    assert_eq!(field_text(&a, 0), "10.0.0.2");
    for bad in ["", "none", "bad host", "ntp:0", "ntp:70000"] {
        set_field(&mut a, 0, bad);
        submit(&mut a);
        assert!(field_error(&a, 0).is_some(), "{bad:?} accepted");
        assert!(a.take_effects().is_empty(), "{bad:?}");
    }
    set_field(&mut a, 0, "ntp1.example:1123");
    submit(&mut a);
    let r: clock::Request = job(&mut a);
    assert_eq!((r.host.as_str(), r.port), ("ntp1.example", 1123));
    assert_eq!(r.max_offset_s, 1.0, "time.max_offset_s");
    assert!(screen(&a).contains("clock offset against ntp1.example"));
}

// -------------------------------------------------------- Configure Networks

#[test]
fn configure_lists_bonds_first_then_create_a_bond() {
    let (mut a, _) = app();
    open(&mut a, CONFIGURE);
    let l = choice_labels(&a);
    assert_eq!(l.len(), 3, "up, non-slave NICs plus the bond entry: {l:?}");
    assert!(l[0].starts_with("bond0"), "{l:?}");
    assert!(l[1].starts_with("eth0") && l[1].contains("(MN)"), "{l:?}");
    assert_eq!(l[2], CREATE_BOND);
    assert!(!l
        .iter()
        .any(|x| x.starts_with("eth1") || x.starts_with("eth3")));
}

#[test]
fn configure_prefills_ip_and_mask_but_not_gateway() {
    let (mut a, _) = app();
    open(&mut a, CONFIGURE);
    choose(&mut a, 0);
    assert_eq!(field_text(&a, 0), "10.20.0.23");
    assert_eq!(field_text(&a, 1), "255.255.0.0");
    assert_eq!(field_text(&a, 2), "");
    let s = screen(&a);
    assert!(!s.contains("rolled back"), "bond0 is not guarded:\n{s}");
    a.on_key(Key::Esc);
    open(&mut a, CONFIGURE);
    choose(&mut a, 1);
    assert_eq!(field_text(&a, 0), "192.168.10.23");
    assert_eq!(field_text(&a, 1), "255.255.255.0");
    assert_eq!(field_text(&a, 2), "");
    match &a.window {
        Some(Window::Form(f, _)) => assert!(
            f.note
                .as_deref()
                .unwrap_or("")
                .contains("eth0 carries the management network"),
            "{:?}",
            f.note
        ),
        w => panic!("{w:?}"),
    }
}

#[test]
fn configure_refusals_are_inline_on_the_right_field() {
    let (mut a, _) = app();
    open(&mut a, CONFIGURE);
    choose(&mut a, 1); // eth0
                       // (ip, mask, gateway, field, message)
    let cases = [
        (
            "192.168.10.23",
            "255.255.255.0",
            "",
            2,
            "the gateway is empty",
        ),
        (
            "",
            "255.255.255.0",
            "192.168.10.1",
            0,
            "the IP address is empty",
        ),
        (
            "192.168.10.23",
            "",
            "192.168.10.1",
            1,
            "the netmask is empty",
        ),
        (
            "300.1.1.1",
            "255.255.255.0",
            "192.168.10.1",
            0,
            "is not a valid IPv4 address",
        ),
        (
            "192.168.10",
            "255.255.255.0",
            "192.168.10.1",
            0,
            "is not a valid IPv4 address",
        ),
        (
            "192.168.10.23",
            "255.255.255.0",
            "192.168.10.1.",
            2,
            "is not a valid IPv4 address",
        ),
        (
            "192.168.10.23",
            "255.0.255.0",
            "192.168.10.1",
            1,
            "is not contiguous",
        ),
        (
            "192.168.10.23",
            "255.255.255.0",
            "10.0.0.1",
            2,
            "is not in the subnet 192.168.10.0/24",
        ),
        (
            "192.168.10.0",
            "255.255.255.0",
            "192.168.10.1",
            0,
            "is the network address",
        ),
        (
            "192.168.10.255",
            "/24",
            "192.168.10.1",
            0,
            "is the broadcast address",
        ),
        (
            "192.168.10.23",
            "255.255.255.0",
            "192.168.10.23",
            2,
            "is the IP address itself",
        ),
    ];
    for (ip, mask, gw, field, why) in cases {
        set_field(&mut a, 0, ip);
        set_field(&mut a, 1, mask);
        set_field(&mut a, 2, gw);
        submit(&mut a);
        let label = format!("{ip:?} {mask:?} {gw:?}");
        let err = field_error(&a, field).unwrap_or_else(|| panic!("{label}: no error on {field}"));
        assert!(err.contains(why), "{label}: {err}");
        assert_eq!(form_focus(&a).0, field, "{label}: focus on the bad field");
        assert!(a.take_effects().is_empty(), "{label}");
        let s = text(&draw(&a, 200, 40));
        assert!(s.contains(why), "{label}: not shown\n{s}");
    }
}

/// Past the confirm of a guarded change on eth0; returns the app.
fn configure_eth0_confirmed() -> (App, Instant) {
    let (mut a, t0) = app();
    open(&mut a, CONFIGURE);
    choose(&mut a, 1);
    set_field(&mut a, 0, "192.168.10.30");
    set_field(&mut a, 1, "/25");
    set_field(&mut a, 2, "192.168.10.1");
    submit(&mut a);
    let lines = confirm_lines(&a);
    assert_eq!(
        lines[..5],
        [
            "eth0:",
            "  before: 192.168.10.23/24",
            "  after:  192.168.10.30/25 (255.255.255.128) default gateway 192.168.10.1",
            "Default route: via 192.168.10.1 (eth0) (unchanged)",
            "Management address: 192.168.10.23 -> 192.168.10.30",
        ]
    );
    assert!(
        lines[5].starts_with("Guarded (this NIC carries the management network)"),
        "{lines:?}"
    );
    assert!(a.take_effects().is_empty());
    a.on_key(Key::Char('Y'));
    let Ipv4Request {
        nic,
        mac,
        cfg,
        guard,
    } = job(&mut a);
    assert_eq!(nic, "eth0");
    assert_eq!(mac.as_deref(), Some("52:54:00:a1:00:01"));
    assert_eq!(cfg.ip, Ipv4Addr::new(192, 168, 10, 30));
    assert_eq!(cfg.prefix, 25);
    assert_eq!(cfg.gateway, Some(Ipv4Addr::new(192, 168, 10, 1)));
    assert!(guard);
    (a, t0)
}

/// Opens Configure Networks on bond0 (no default route) with gateway
/// 10.20.0.1: the console asks whether it becomes the default gateway.
fn bond0_gateway_choice() -> App {
    let (mut a, _) = app();
    open(&mut a, CONFIGURE);
    choose(&mut a, 0);
    set_field(&mut a, 2, "10.20.0.1");
    submit(&mut a);
    let s = screen(&a);
    assert!(s.contains("Gateway 10.20.0.1 on bond0"), "{s}");
    assert!(s.contains("10.20.0.1 for 10.20.0.0/16 only"), "{s}");
    assert!(s.contains("becomes the node's default gateway"), "{s}");
    a
}

/// The defect of issue #13: a gateway on a NIC without the default route
/// no longer moves the node's default route by itself.
#[test]
fn configure_bond0_gateway_for_its_subnet_only_is_unguarded() {
    let mut a = bond0_gateway_choice();
    a.on_key(Key::Enter); // the preselected, safe answer
    let lines = confirm_lines(&a);
    assert!(
        lines[2].contains("10.20.0.23/16 (255.255.0.0) gateway 10.20.0.1 (this subnet only)"),
        "{lines:?}"
    );
    assert!(
        lines[3].contains("via 192.168.10.1 (eth0) (unchanged)"),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("Guarded")), "{lines:?}");
    a.on_key(Key::Char('y'));
    let Ipv4Request {
        nic, guard, cfg, ..
    } = job(&mut a);
    assert_eq!((nic.as_str(), guard), ("bond0", false));
    assert!(!cfg.default_route);
}

#[test]
fn configure_bond0_as_default_gateway_is_guarded() {
    let mut a = bond0_gateway_choice();
    choose(&mut a, 1);
    let lines = confirm_lines(&a);
    assert!(
        lines.contains(&"Default route before: via 192.168.10.1 (eth0)".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"Default route after:  via 10.20.0.1 (bond0)".to_string()),
        "{lines:?}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("Guarded (it changes the node's default route)"),
        "{lines:?}"
    );
    a.on_key(Key::Char('y'));
    let Ipv4Request {
        nic, guard, cfg, ..
    } = job(&mut a);
    assert_eq!((nic.as_str(), guard), ("bond0", true));
    assert!(cfg.default_route);
}

#[test]
fn configure_bond0_without_gateway_is_accepted() {
    let (mut a, _) = app();
    open(&mut a, CONFIGURE);
    choose(&mut a, 0);
    set_field(&mut a, 2, "");
    submit(&mut a);
    let lines = confirm_lines(&a);
    assert!(lines[2].ends_with("no gateway"), "{lines:?}");
    a.on_key(Key::Char('y'));
    let Ipv4Request { guard, cfg, .. } = job(&mut a);
    assert!(!guard && cfg.gateway.is_none());
}

#[test]
fn default_route_nic_keeps_a_required_gateway() {
    let (mut a, _) = app();
    open(&mut a, CONFIGURE);
    choose(&mut a, 1);
    set_field(&mut a, 2, "");
    submit(&mut a);
    let err = field_error(&a, 2).expect("an error on the gateway");
    assert!(err.contains("the gateway is empty"), "{err}");
    assert!(a.take_effects().is_empty());
}

fn keep_lines() -> Vec<String> {
    vec![
        "eth0: 192.168.10.23/24 -> 192.168.10.30/25".into(),
        "gateway 192.168.10.1".into(),
    ]
}

#[test]
fn keep_window_counts_down_and_y_keeps() {
    let (mut a, t0) = configure_eth0_confirmed();
    update(
        &mut a,
        UpdateData::ConfirmKeep {
            seconds: 60,
            lines: keep_lines(),
        },
    );
    assert!(matches!(a.window, Some(Window::Keep { .. })));
    let s = screen(&a);
    assert!(s.contains("reverted in 60 s"), "{s}");
    insta::assert_snapshot!("keep_window_80x24", s);
    a.tick(testdata::now(), 0, t0 + Duration::from_secs(25));
    let s = screen(&a);
    assert!(s.contains("reverted in 35 s"), "{s}");
    a.on_key(Key::Char('x'));
    assert!(a.take_effects().is_empty());
    a.on_key(Key::Char('Y'));
    assert!(matches!(&a.take_effects()[..], [Effect::KeepChange(true)]));
    assert!(matches!(a.window, Some(Window::Progress(..))));
    update(
        &mut a,
        UpdateData::KeepOutcome(Ok("The new configuration of eth0 is kept.".into())),
    );
    let s = screen(&a);
    assert!(s.contains("The new configuration of eth0 is kept."), "{s}");
    a.on_key(Key::Enter);
    assert!(a.window.is_none());
    assert_eq!(a.screen, Screen::SysConfig);
    assert!(a.authenticated());
}

#[test]
fn keep_window_n_and_esc_revert() {
    for key in [Key::Char('N'), Key::Char('n'), Key::Esc] {
        let (mut a, _) = configure_eth0_confirmed();
        update(
            &mut a,
            UpdateData::ConfirmKeep {
                seconds: 60,
                lines: keep_lines(),
            },
        );
        a.on_key(key);
        assert!(
            matches!(&a.take_effects()[..], [Effect::KeepChange(false)]),
            "{key:?}"
        );
        let s = screen(&a);
        assert!(s.contains("Restoring the previous configuration"), "{s}");
        update(
            &mut a,
            UpdateData::KeepOutcome(Err("reverting eth0 failed: timed out".into())),
        );
        let s = screen(&a);
        assert!(s.contains("reverting eth0 failed: timed out"), "{s}");
        a.on_key(Key::Enter);
        assert_eq!(a.screen, Screen::SysConfig);
    }
}

#[test]
fn idle_timeout_does_not_lock_under_the_keep_window() {
    let (mut a, t0) = configure_eth0_confirmed();
    update(
        &mut a,
        UpdateData::ConfirmKeep {
            seconds: 60,
            lines: keep_lines(),
        },
    );
    a.tick(testdata::now(), 0, t0 + Duration::from_secs(3600));
    assert!(a.authenticated(), "locked under the keep window");
    assert!(matches!(a.window, Some(Window::Keep { .. })));
    let s = screen(&a);
    assert!(s.contains("reverted in 0 s"), "{s}");
    // Once the outcome is shown, idle time counts again.
    update(
        &mut a,
        UpdateData::KeepOutcome(Ok("reverted: not confirmed in time".into())),
    );
    a.tick(testdata::now(), 0, t0 + Duration::from_secs(3601));
    assert!(!a.authenticated(), "locks after the outcome");
    assert_eq!(a.screen, Screen::Main);
}

// ------------------------------------------------------------- Create a bond

fn open_bond_form(a: &mut App) {
    open(a, CONFIGURE);
    a.on_key(Key::End);
    a.on_key(Key::Enter);
    match &a.window {
        Some(Window::Form(f, _)) => assert_eq!(f.title, "Create a bond"),
        w => panic!("{w:?}"),
    }
}

#[test]
fn bond_form_lists_only_free_physical_nics() {
    let (mut a, _) = app();
    open_bond_form(&mut a);
    let note = match &a.window {
        Some(Window::Form(f, _)) => f.note.clone().unwrap(),
        _ => unreachable!(),
    };
    // eth1/eth2 are slaves of bond0 already; bond0 is not physical; eth0
    // carries the management network; bond0 exists, so bond1 is proposed.
    assert!(note.ends_with("among: eth3."), "{note}");
    assert_eq!(
        (field_text(&a, 0), field_text(&a, 1), field_text(&a, 3)),
        ("bond1".into(), "active-backup".into(), "100".into())
    );
}

#[test]
fn bond_form_refusals() {
    let (mut a, _) = app();
    open_bond_form(&mut a);
    // (name, mode, slaves, miimon, message)
    let cases = [
        (
            "bond0",
            "active-backup",
            "eth3",
            "100",
            "a NIC named \"bond0\" already exists",
        ),
        (
            "",
            "active-backup",
            "eth3",
            "100",
            "bond name: the name is empty",
        ),
        ("bond one", "active-backup", "eth3", "100", "is not allowed"),
        (
            "bond1",
            "active",
            "eth3",
            "100",
            "\"active\" is not a bonding mode",
        ),
        (
            "bond1",
            "active-backup",
            "eth3",
            "x",
            "miimon \"x\" is not a number",
        ),
        (
            "bond1",
            "active-backup",
            "eth3",
            "0",
            "miimon 0 is out of range",
        ),
        (
            "bond1",
            "active-backup",
            "eth3",
            "60001",
            "miimon 60001 is out of range",
        ),
        (
            "bond1",
            "active-backup",
            "",
            "100",
            "no slave NIC is chosen",
        ),
        (
            "bond1",
            "active-backup",
            "eth3,eth3",
            "100",
            "\"eth3\" is chosen twice",
        ),
        (
            "bond1",
            "active-backup",
            "eth9",
            "100",
            "there is no NIC named \"eth9\"",
        ),
        ("bond1", "active-backup", "bond0", "100", "is a bond NIC"),
        (
            "bond1",
            "active-backup",
            "eth3, eth1",
            "100",
            "\"eth1\" is already a slave of \"bond0\"",
        ),
    ];
    for (name, mode, slaves, miimon, why) in cases {
        set_field(&mut a, 0, name);
        set_field(&mut a, 1, mode);
        set_field(&mut a, 2, slaves);
        set_field(&mut a, 3, miimon);
        submit(&mut a);
        let err =
            form_error(&a).unwrap_or_else(|| panic!("{name} {mode} {slaves} {miimon} accepted"));
        assert!(err.contains(why), "{slaves:?}: {err}");
        assert!(a.take_effects().is_empty());
        let s = text(&draw(&a, 200, 40));
        assert!(s.contains(why), "not shown:\n{s}");
    }
}

#[test]
fn bond_of_a_free_nic_is_confirmed_and_queued() {
    let (mut a, _) = app();
    open_bond_form(&mut a);
    set_field(&mut a, 0, "bond1");
    set_field(&mut a, 1, "802.3ad");
    set_field(&mut a, 2, "eth3");
    set_field(&mut a, 3, "");
    submit(&mut a);
    assert_eq!(confirm_lines(&a), ["Create bond1 (802.3ad) from eth3?"]);
    a.on_key(Key::Char('Y'));
    let BondRequest { bond, slaves } = job(&mut a);
    assert_eq!(bond.name, "bond1");
    assert_eq!(bond.mode, BondMode::Ieee8023ad);
    assert_eq!(bond.slaves, ["eth3"]);
    assert_eq!(bond.miimon_ms, 100, "empty miimon is the default");
    assert_eq!(
        slaves,
        [("eth3".to_string(), Some("52:54:00:a1:00:04".to_string()))]
    );
}

/// Enslaving the management NIC moves its address away from it: the
/// bond creation must either refuse eth0 or go through the keep window
/// like every other change to the management NIC.
#[test]
fn bond_of_the_management_nic_is_refused() {
    let (mut a, _) = app();
    open_bond_form(&mut a);
    set_field(&mut a, 0, "bond1");
    set_field(&mut a, 2, "eth0,eth3");
    submit(&mut a);
    assert!(
        matches!(a.window, Some(Window::Form(..))),
        "must be refused"
    );
    let s = screen(&a);
    assert!(s.contains("carries the management network"), "{s}");
    assert!(a.take_effects().is_empty());
}

// ---------------------------------------------------- Set Management Network

#[test]
fn set_management_network_lists_candidates_and_queues_the_job() {
    let (mut a, _) = app();
    open(&mut a, MANAGEMENT);
    let l = choice_labels(&a);
    assert_eq!(l.len(), 2, "{l:?}");
    assert!(
        l[0].starts_with("bond0") && l[0].ends_with("10.20.0.23"),
        "{l:?}"
    );
    assert!(
        l[1].starts_with("eth0") && l[1].ends_with("192.168.10.23 (current)"),
        "{l:?}"
    );
    choose(&mut a, 0);
    let lines = confirm_lines(&a);
    assert_eq!(lines[0], "Move the control plane to 10.20.0.23?");
    a.on_key(Key::Esc);
    assert!(a.take_effects().is_empty());
    assert_eq!(a.screen, Screen::SysConfig);
    open(&mut a, MANAGEMENT);
    choose(&mut a, 0);
    a.on_key(Key::Char('y'));
    let set_management_network::Request(ip) = job(&mut a);
    assert_eq!(ip, Ipv4Addr::new(10, 20, 0, 23));
    let s = screen(&a);
    assert!(s.contains("Set Management Network: 10.20.0.23"), "{s}");
    assert!(!s.contains("Esc cancels"), "not cancellable:\n{s}");
}

#[test]
fn set_management_network_without_addresses_explains() {
    let (mut a, _) = app();
    let mut nics = testdata::nics();
    for n in &mut nics.nics {
        n.ipv4.clear();
    }
    update(&mut a, UpdateData::Nics(Ok(nics)));
    open(&mut a, MANAGEMENT);
    let s = screen(&a);
    assert!(s.contains("No NIC has an IPv4 address to use."), "{s}");
}
