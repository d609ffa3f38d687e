//! `nodeconsole-virt`: the helper process that makes nodeconsole's libvirt
//! calls, so the console itself never loads libvirt's library chain (see
//! `nodeconsole::engine::libvirt::helper`). Started by the console with
//! `--uri URI`; requests on stdin, replies on stdout, one JSON object per
//! line; it exits when its stdin closes.

fn main() -> std::process::ExitCode {
    // Like the console: no core dumps (libvirt's credentials live here).
    let _ = nodeconsole::ops::process::harden();
    nodeconsole::engine::libvirt::helper::server::main(std::env::args().skip(1))
}
