//! Fuzzes the storage node's file parsers (udev database record, mount
//! table, device-mapper multipath table/status lines, a DM_TABLE_STATUS
//! reply): any bytes give a value or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nodeconsole::probe::storage::fuzz_check_parsers(data);
});
