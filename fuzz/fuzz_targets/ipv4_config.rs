//! Fuzzes the Configure Networks validator: three fields split from the input
//! at NUL bytes. The oracle asserts every accepted triple obeys the rules.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let ip = parts.next().unwrap_or("");
    let mask = parts.next().unwrap_or("");
    let gw = parts.next().unwrap_or("");
    nodeconsole::net::validate::fuzz_check_ipv4(ip, mask, gw);
});
