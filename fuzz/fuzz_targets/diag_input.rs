//! Fuzzes the diagnostics' input validation (host, port, name; fields
//! split at NUL bytes) with the invariants of `nodeconsole::diag::fuzz`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let host = parts.next().unwrap_or("");
    let port = parts.next().unwrap_or("");
    let name = parts.next().unwrap_or("");
    nodeconsole::diag::fuzz::check_input(host, port, name);
});
