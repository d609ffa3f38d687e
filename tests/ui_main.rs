//! Snapshot tests of the main screen for every role, at 80x24, 120x40 and
//! 160x50 (VGA framebuffers and KVM consoles),
//! in colour and in the monochrome ASCII theme, with clock and data
//! injected (src/testdata.rs).

mod common;
use common::screen::{assert_ansi16, assert_mono_ascii, colours, draw, text};
use nodeconsole::config::Role;
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;

fn roles() -> [(Role, &'static str); 3] {
    [
        (Role::Management, "management"),
        (Role::Compute, "compute"),
        (Role::Storage, "storage"),
    ]
}

#[test]
fn main_screen_snapshots() {
    for (role, rname) in roles() {
        for (w, h) in [(80u16, 24u16), (120, 40), (160, 50)] {
            let app = testdata::app(role, Theme::COLOR, 14);
            let b = draw(&app, w, h);
            assert_ansi16(&b);
            insta::assert_snapshot!(format!("main_{rname}_{w}x{h}_color"), text(&b));
            insta::assert_snapshot!(format!("main_{rname}_{w}x{h}_color_styles"), colours(&b));
            let app = testdata::app(role, Theme::MONO_ASCII, 14);
            let b = draw(&app, w, h);
            assert_mono_ascii(&b);
            insta::assert_snapshot!(format!("main_{rname}_{w}x{h}_mono"), text(&b));
        }
    }
}

#[test]
fn storage_tables_switch_with_tab() {
    use nodeconsole::app::keys::Key;
    let mut app = testdata::app(Role::Storage, Theme::MONO_ASCII, 14);
    app.on_key(Key::Tab);
    insta::assert_snapshot!("storage_block_80x24", text(&draw(&app, 80, 24)));
    insta::assert_snapshot!("storage_block_120x40", text(&draw(&app, 120, 40)));
    insta::assert_snapshot!("storage_block_160x50", text(&draw(&app, 160, 50)));
    // Down selects sda (partitions, one mounted); Enter shows why it is in use.
    app.on_key(Key::Down);
    app.on_key(Key::Enter);
    insta::assert_snapshot!("storage_block_details_80x24", text(&draw(&app, 80, 24)));
    insta::assert_snapshot!("storage_block_details_120x40", text(&draw(&app, 120, 40)));
    app.on_key(Key::Esc);
    // The map dm-0 (first row): its paths, the offline one, the policy.
    app.on_key(Key::Home);
    app.on_key(Key::Enter);
    insta::assert_snapshot!("storage_map_details_80x24", text(&draw(&app, 80, 24)));
    app.on_key(Key::Esc);
    app.on_key(Key::Tab);
    insta::assert_snapshot!("storage_multipath_80x24", text(&draw(&app, 80, 24)));
    insta::assert_snapshot!("storage_multipath_120x40", text(&draw(&app, 120, 40)));
    app.on_key(Key::Tab);
    insta::assert_snapshot!("storage_iscsi_80x24", text(&draw(&app, 80, 24)));
    app.on_key(Key::Tab);
    insta::assert_snapshot!("storage_fc_80x24", text(&draw(&app, 80, 24)));
    app.on_key(Key::Tab);
    let vms = text(&draw(&app, 80, 24));
    assert!(vms.contains("[VMs]"), "{vms}");
    assert!(vms.contains("! MULTIPATH mpatha DEGRADED"), "{vms}");
}

#[test]
fn failing_sources_show_unavailable_and_stale() {
    let app = testdata::app_failing(Role::Management, Theme::MONO_ASCII);
    let s = text(&draw(&app, 80, 24));
    insta::assert_snapshot!("main_failing_80x24", s);
    assert!(s.contains("unavailable"), "{s}");
    assert!(s.contains("stale 2m"), "{s}");
    assert!(s.contains("waiting for data"), "{s}");
}

#[test]
fn vm_table_scrolls() {
    use nodeconsole::app::keys::Key;
    let mut app = testdata::app(Role::Compute, Theme::MONO_ASCII, 40);
    let first = text(&draw(&app, 120, 40));
    assert!(first.contains("[1-"), "{first}");
    app.on_key(Key::PageDown);
    let second = text(&draw(&app, 120, 40));
    assert!(second.contains("[11-"), "{second}");
    app.on_key(Key::End);
    let last = text(&draw(&app, 120, 40));
    assert!(last.contains("of 40]"), "{last}");
    assert!(last.contains("vm-00039"), "{last}");
    app.on_key(Key::Home);
    assert_eq!(text(&draw(&app, 120, 40)), first);
}

#[test]
fn small_terminals_degrade_without_panicking() {
    for role in [Role::Management, Role::Compute, Role::Storage] {
        let app = testdata::app(role, Theme::COLOR, 30);
        for w in [0u16, 1, 2, 5, 10, 20, 39, 40, 41, 59, 60, 79, 80, 81, 90] {
            for h in [0u16, 1, 2, 3, 4, 5, 8, 10, 15, 20, 23, 24, 25, 30] {
                let b = draw(&app, w, h);
                if (w < 80 || h < 24) && w >= 40 && h >= 1 {
                    assert!(text(&b).contains("terminal too small"), "{w}x{h}");
                }
            }
        }
    }
    let app = testdata::app(Role::Management, Theme::MONO_ASCII, 0);
    insta::assert_snapshot!("main_small_60x20", text(&draw(&app, 60, 20)));
}

#[test]
fn footer_shows_both_privileged_keys_with_letter_alternatives() {
    for (role, _) in roles() {
        let app = testdata::app(role, Theme::MONO_ASCII, 3);
        let s = text(&draw(&app, 80, 24));
        let footer = s.lines().nth(23).unwrap();
        assert!(
            footer.contains("F2/c") && footer.contains("System Configuration"),
            "{footer}"
        );
        assert!(
            footer.contains("F12/p") && footer.contains("Reboot/Poweroff"),
            "{footer}"
        );
    }
}

#[test]
fn engine_count_source_shows_in_host_and_vm_titles() {
    let mut app = testdata::app(Role::Management, Theme::MONO_ASCII, 14);
    if let Some(st) = app.node.value.as_mut() {
        st.extra
            .push(("Counts".into(), "database (REST down), 12 s ago".into()));
    }
    let s = text(&draw(&app, 220, 40));
    assert!(
        s.contains("HOST INFO (database (REST down), 12 s ago)"),
        "{s}"
    );
    assert!(
        s.contains("VM INFO (database (REST down), 12 s ago)"),
        "{s}"
    );
}

/// At 80x24 what does not fit is shortened so that it still says what it
/// is: the header keeps the role whole, VM INFO names its extra VMs,
/// a DISK INFO error is one word, a URI loses its middle.
#[test]
fn eighty_by_24_cuts_say_what_they_cut() {
    use nodeconsole::app::{Update, UpdateData};
    use nodeconsole::probe::DiskEntry;
    let mut app = testdata::app(Role::Management, Theme::MONO_ASCII, 14);
    app.settings.demo = true;
    app.settings.hostname = "vm".into();
    app.settings.demo_note = Some("root password: demo | q quits".into());
    let uri = "test:///work/main/assets/demo-node.xml".to_string();
    if let Some(st) = app.node.value.as_mut() {
        st.extra = vec![("URI".into(), uri)];
    }
    let err =
        nodeconsole::probe::disk::usage_of(std::path::Path::new("/nonexistent/x")).unwrap_err();
    app.apply(Update {
        at: app.now,
        data: UpdateData::Disks(Ok(vec![DiskEntry {
            path: "/var/lib/libvirt".into(),
            usage: Err(err),
        }])),
    });
    let s = text(&draw(&app, 80, 24));
    let header = s.lines().next().unwrap();
    assert!(header.contains("vm | management"), "{header}");
    assert!(header.contains("q quits"), "{header}");
    assert!(s.contains("+2 paused"), "{s}");
    assert!(s.contains(" missing"), "{s}");
    assert!(
        s.contains("test:///~") && s.contains("demo-node.xml|"),
        "{s}"
    );
    assert!(!s.contains("cannot stat /var"), "{s}");
}
