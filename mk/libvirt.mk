# libvirt engine: the tests and the demo use libvirt's in-process test driver
# (test:///default, test:///ABS/assets/demo-node.xml), which ships in libvirt0
# (no daemon needed). libvirt-dev (headers) is already in BUILD_DEBS.
TEST_DEBS += libvirt0
DEMO_DEBS += libvirt0
