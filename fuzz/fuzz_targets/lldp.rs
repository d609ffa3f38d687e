//! Fuzzes the LLDP frame parser (frames off the wire are untrusted).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nodeconsole::diag::lldp::fuzz_check_parse(data);
});
