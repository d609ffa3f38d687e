//! Fuzzes the duplicate-address form and the identify-port duration: any
//! text gives Ok with a usable value or an error naming its field.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (nic, addr) = text.split_once('\0').unwrap_or(("eth0", &text));
    nodeconsole::diag::arp::fuzz_check_inputs(nic, addr);
});
