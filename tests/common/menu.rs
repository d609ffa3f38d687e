//! Opening a System Configuration item by its feature id, never by its
//! menu position (rows move when features are added).

use nodeconsole::app::keys::Key;
use nodeconsole::app::App;
use nodeconsole::features::FeatureId;

/// The menu row of `id`; panics with a clear message if this node's menu
/// lacks it.
pub fn row(a: &App, id: FeatureId) -> usize {
    a.menu_row(id)
        .unwrap_or_else(|| panic!("feature {id} is not on this node's menu"))
}

/// Moves the cursor to feature `id` with keys (Home, then Down) and
/// presses Enter; `key` is how the test presses a key (so it can record
/// every screen).
pub fn open_with(a: &mut App, id: FeatureId, key: &mut dyn FnMut(&mut App, Key)) {
    let i = row(a, id);
    key(a, Key::Home);
    for _ in 0..i {
        key(a, Key::Down);
    }
    assert_eq!(a.menu_cursor, i, "cursor on {id}");
    key(a, Key::Enter);
}

/// Opens feature `id` with plain key presses.
pub fn open(a: &mut App, id: FeatureId) {
    open_with(a, id, &mut |a, k| a.on_key(k));
}

/// Opens Test Network and chooses diagnostic `diag` (its stable id, e.g.
/// `"ping"`) by its row in the diagnostics list, moving there with keys.
pub fn open_diagnostic(a: &mut App, diag: &str) {
    use nodeconsole::app::window::Window;
    use nodeconsole::features::test_network;
    open(a, test_network::ID);
    let i = test_network::position(diag)
        .unwrap_or_else(|| panic!("diagnostic {diag} is not in Test Network"));
    match &a.window {
        Some(Window::Choice(c, _)) => assert_eq!(
            c.options[i].0,
            test_network::DIAGNOSTICS[i].label(),
            "the diagnostics list"
        ),
        w => panic!("Test Network opened no diagnostics list: {w:?}"),
    }
    a.on_key(Key::Home);
    for _ in 0..i {
        a.on_key(Key::Down);
    }
    a.on_key(Key::Enter);
}
