//! Shared helpers of the network integration tests: private namespaces, and
//! the house rule for missing prerequisites (fail under CI=true, else a loud
//! SKIPPED).
#![allow(dead_code)]

use nodeconsole::net::netns::NetnsThread;

/// Fails under CI, else prints a loud SKIPPED line; returns `None` either way
/// the caller should stop.
pub fn skip(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite missing under CI: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// A private network namespace, or `None` after [`skip`] when this process
/// may not create one (not root).
pub fn netns(name: &str) -> Option<NetnsThread> {
    match NetnsThread::new(name) {
        Ok(t) => Some(t),
        Err(e) => {
            skip(&format!("cannot create a network namespace: {e}"));
            None
        }
    }
}

/// Runs a shell command inside the namespace thread and returns stdout (a
/// second opinion next to our own netlink read-back).
pub fn sh(ns: &NetnsThread, cmd: &str) -> String {
    let cmd = cmd.to_string();
    ns.run(move || {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .output()
            .expect("run sh");
        assert!(
            out.status.success(),
            "`{cmd}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
}
