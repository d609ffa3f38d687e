# Network operations (src/net): test prerequisites and fuzzing.
# iproute2: the netns tests inspect links with `ip`; dbus-daemon: private
# system bus for the NetworkManager backend test (the daemon itself is
# unpacked from network-manager's .deb into a temp dir by the test, never
# installed on the host).
TEST_DEBS += iproute2 dbus-daemon

.PHONY: fuzz-net
# Short fuzzing run of the network validators (needs nightly + cargo-fuzz).
fuzz-net:
	cd fuzz && cargo +nightly fuzz run ipv4_config -- -max_total_time=60
	cd fuzz && cargo +nightly fuzz run nic_name -- -max_total_time=60

.PHONY: fuzz-diag
# Short fuzzing run of Test Network's parsers (input, resolv.conf, DNS).
fuzz-diag:
	cd fuzz && cargo +nightly fuzz run diag_input -- -max_total_time=60
	cd fuzz && cargo +nightly fuzz run diag_resolv -- -max_total_time=60
	cd fuzz && cargo +nightly fuzz run diag_dns -- -max_total_time=60
