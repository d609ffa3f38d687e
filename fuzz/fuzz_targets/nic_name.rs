//! Fuzzes the NIC-name validator; the part after the first NUL is a taken name.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (name, taken) = text.split_once('\0').unwrap_or((&text, "eth0"));
    nodeconsole::net::validate::fuzz_check_nic_name(name, &[taken, "eth0"]);
});
