# probe (collectors): the NIC test builds veth/bridge links with iproute2 inside
# a network namespace it creates itself; `timeout` bounds each `ip` call.
TEST_DEBS += iproute2 coreutils

# The storage node's file parsers (udev record, mountinfo, dm-multipath
# table/status, DM_TABLE_STATUS reply); needs nightly and cargo-fuzz.
.PHONY: fuzz-storage
fuzz-storage:
	cd fuzz && cargo +nightly fuzz run storage_parsers -- -max_total_time=60
