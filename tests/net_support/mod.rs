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

/// Two namespaces joined by a veth pair: `a` has pa0 10.66.`n`.1/24 and
/// `b` has pb0 10.66.`n`.2/24, both up (each test file picks its own `n`
/// so that their subnets never meet). `None` after [`skip`] when this
/// process may not create namespaces.
pub fn veth_pair(tag: &str, n: u8) -> Option<(NetnsThread, NetnsThread)> {
    use nodeconsole::net::link;
    use std::net::Ipv4Addr;
    let a = netns(&format!("{tag}-a"))?;
    let b = netns(&format!("{tag}-b"))?;
    a.run(|| link::create_veth("pa0", "pb0").unwrap());
    let b_fd = b.ns_fd().try_clone_to_owned().unwrap();
    a.run(move || {
        link::move_to_netns("pb0", std::os::fd::AsFd::as_fd(&b_fd)).unwrap();
        link::add_ipv4("pa0", Ipv4Addr::new(10, 66, n, 1), 24).unwrap();
        link::set_up("pa0", true).unwrap();
    });
    b.run(move || {
        link::add_ipv4("pb0", Ipv4Addr::new(10, 66, n, 2), 24).unwrap();
        link::set_up("pb0", true).unwrap();
    });
    Some((a, b))
}
