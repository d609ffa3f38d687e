# probe (collectors): the NIC test builds veth/bridge links with iproute2 inside
# a network namespace it creates itself; `timeout` bounds each `ip` call.
TEST_DEBS += iproute2 coreutils
