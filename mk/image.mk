# Node disk images and the VM test bed (issue 12).
#
#   make image [ROLE=management|compute|storage] [IMAGE_DEB_BIN=...]
#   make demo-vm [ROLE=management] [VM_IMAGE=product|test]
#   make test-vm [VM_TEST=name]          (the VM suite alone, tests/vm.rs)
#
# The image holds the .deb of `make deb`, built from IMAGE_DEB_BIN (the
# release binary by default; tests use the debug one so they need no
# release build). Outputs and the root fs cache live in target/image/.
ROLE ?= management
IMAGE_OUT ?= target/image
IMAGE_DEB_BIN ?= $(RELEASE_BIN)
VM_IMAGE ?= product
VM_DEBS := mmdebstrap debian-archive-keyring qemu-system-x86 ipxe-qemu qemu-utils e2fsprogs openssl
TEST_DEBS += $(VM_DEBS)

.PHONY: deps-vm image demo-vm test-vm

deps-vm:
	@scripts/ensure-debs $(VM_DEBS)

image: deps-vm deps-build
	@test -x "$(IMAGE_DEB_BIN)" || $(CARGO) build --release --locked
	$(MAKE) --no-print-directory deb NODECONSOLE_BIN=$(IMAGE_DEB_BIN)
	scripts/build-image --role $(ROLE) --out $(IMAGE_OUT) \
		--deb "$$(ls -t $(PKG_OUT)/nodeconsole_*_amd64.deb | head -n1)"

demo-vm: image
	scripts/run-vm --role $(ROLE) --dir $(IMAGE_OUT) --image $(VM_IMAGE)

# The VM suite alone; the image is built (debug binary) by the test itself.
test-vm: deps-vm deps-build
	$(CARGO) build --locked --bins
	$(CARGO) test --locked --test vm -- --test-threads=1 $(VM_TEST)
