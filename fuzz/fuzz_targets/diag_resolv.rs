//! Fuzzes the resolv.conf parser of Test Network → DNS lookup.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nodeconsole::diag::fuzz::check_resolv(&String::from_utf8_lossy(data));
});
