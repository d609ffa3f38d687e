//! Fuzzes the clock check's parsers: the SNTP reply, the time daemons'
//! configuration, and `time.reference` (see `net::sntp::fuzz_check`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nodeconsole::net::sntp::fuzz_check(data);
});
