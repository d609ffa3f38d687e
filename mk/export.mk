# export (logs, backups, HTTP): GNU tar checks the tarballs in tests;
# /usr/bin/time measures peak memory in scripts/measure-collect-logs.sh.
TEST_DEBS += tar time

.PHONY: measure-collect-logs
measure-collect-logs: deps-build
	scripts/measure-collect-logs.sh
