//! Fuzzes the DNS response decoder on arbitrary datagrams.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nodeconsole::diag::fuzz::check_dns(data);
});
