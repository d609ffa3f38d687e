# Appliance: install tree, Debian and RPM packages (issue 7).
#
#   make install [DESTDIR=...] [PREFIX=/usr/local] [NODECONSOLE_BIN=...] [NODECONSOLE_HELPER=...]
#   make uninstall [DESTDIR=...] [PREFIX=...]
#   make deb | make rpm   [NODECONSOLE_BIN=...] [PKG_OUT=target/packages] [PKG_STRIP=1]
#
# NODECONSOLE_BIN is the binary to install or package; it defaults to the
# release build (`make build` first). Tests pass target/debug/nodeconsole so
# they need no release build. NODECONSOLE_HELPER, the libvirt helper
# (nodeconsole-virt, installed to LIBEXECDIR/nodeconsole/ where the console
# looks for it), defaults to the one beside NODECONSOLE_BIN. /etc files always go to SYSCONFDIR (/etc):
# PAM reads only /etc/pam.d, whatever the prefix.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR ?= $(PREFIX)/share
DOCDIR ?= $(DATADIR)/doc/nodeconsole
SYSTEMDDIR ?= $(PREFIX)/lib/systemd
UNITDIR ?= $(SYSTEMDDIR)/system
GENERATORDIR ?= $(SYSTEMDDIR)/system-generators
SYSTEMCONFDIR ?= $(SYSTEMDDIR)/system.conf.d
SYSCTLDIR ?= $(PREFIX)/lib/sysctl.d
SYSCONFDIR ?= /etc
NODECONSOLE_BIN ?= $(RELEASE_BIN)
NODECONSOLE_HELPER ?= $(dir $(NODECONSOLE_BIN))nodeconsole-virt
# Which /etc/pam.d stack the PAM file includes: debian (@include common-*),
# redhat (system-auth), or auto (whichever this machine has).
PAM_FLAVOUR ?= auto
PKG_OUT ?= target/packages
# Packaging copies NODECONSOLE_BIN here as release/nodeconsole, the path the
# package metadata names, so a debug binary can be packaged for tests
# without touching target/release.
PKG_TARGET_DIR ?= target/pkg
CARGO_DEB_VERSION ?= 3.8.0
CARGO_GENERATE_RPM_VERSION ?= 0.21.1

INSTALL ?= install
# The units and the generator name the packaged paths (/usr/...); a
# different prefix rewrites them while installing.
APPLIANCE_SUBST = sed -e 's|/usr/bin/nodeconsole|$(BINDIR)/nodeconsole|g' \
	-e 's|/usr/libexec/nodeconsole|$(LIBEXECDIR)/nodeconsole|g' \
	-e 's|/usr/share/doc/nodeconsole|$(DOCDIR)|g' \
	-e 's|^UNITDIR=.*|UNITDIR=$(UNITDIR)|'

APPLIANCE_UNITS := nodeconsole@.service nodeconsole-serial@.service nodeconsole-cli@.service nodeconsole-cloud-install.service

# systemd-analyze and systemctl (systemd), rpm -qlp (rpm), dpkg-shlibdeps for
# cargo-deb (dpkg-dev), ksvalidator (pykickstart from PyPI into a venv: Debian
# does not package it), the ISO builder's test (xorriso, createrepo-c,
# mtools, dosfstools).
TEST_DEBS += systemd rpm dpkg-dev python3-venv util-linux xorriso createrepo-c mtools dosfstools
KSVENV ?= target/appliance-tools/ksvenv
PYKICKSTART_VERSION ?= 3.78

.PHONY: install uninstall deb rpm appliance-tools appliance-check-bin appliance-stage-bin

appliance-check-bin:
	@test -x "$(NODECONSOLE_BIN)" || { echo "error: $(NODECONSOLE_BIN) not found: run 'make build' first, or set NODECONSOLE_BIN=path/to/nodeconsole" >&2; exit 1; }
	@test -x "$(NODECONSOLE_HELPER)" || { echo "error: $(NODECONSOLE_HELPER) not found: run 'make build' first, or set NODECONSOLE_HELPER=path/to/nodeconsole-virt" >&2; exit 1; }

install: appliance-check-bin
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/nodeconsole \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(GENERATORDIR) $(DESTDIR)$(SYSTEMCONFDIR) \
		$(DESTDIR)$(SYSCTLDIR) $(DESTDIR)$(SYSCONFDIR)/pam.d \
		$(DESTDIR)$(SYSCONFDIR)/nodeconsole $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(DATADIR)/nodeconsole
	$(INSTALL) -m 0755 $(NODECONSOLE_BIN) $(DESTDIR)$(BINDIR)/nodeconsole
	$(INSTALL) -m 0755 $(NODECONSOLE_HELPER) $(DESTDIR)$(LIBEXECDIR)/nodeconsole/nodeconsole-virt
	$(INSTALL) -m 0755 scripts/serial-console-device $(DESTDIR)$(LIBEXECDIR)/nodeconsole/serial-console-device
	$(INSTALL) -m 0755 scripts/nodeconsole-cli $(DESTDIR)$(LIBEXECDIR)/nodeconsole/cli
	for u in $(APPLIANCE_UNITS); do \
		$(APPLIANCE_SUBST) systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	$(APPLIANCE_SUBST) systemd/nodeconsole-serial-generator > $(DESTDIR)$(GENERATORDIR)/nodeconsole-serial-generator
	chmod 0755 $(DESTDIR)$(GENERATORDIR)/nodeconsole-serial-generator
	$(INSTALL) -m 0644 systemd/system.conf.d/60-nodeconsole.conf $(DESTDIR)$(SYSTEMCONFDIR)/60-nodeconsole.conf
	$(INSTALL) -m 0644 systemd/sysctl.d/60-nodeconsole.conf $(DESTDIR)$(SYSCTLDIR)/60-nodeconsole.conf
	for g in getty autovt; do \
		$(INSTALL) -D -m 0644 'systemd/getty@tty3.service.d/60-nodeconsole-cli.conf' "$(DESTDIR)$(UNITDIR)/$$g@tty3.service.d/60-nodeconsole-cli.conf" || exit 1; \
	done
	@flavour=$(PAM_FLAVOUR); \
	if [ "$$flavour" = auto ]; then \
		if [ -e /etc/pam.d/common-auth ]; then flavour=debian; else flavour=redhat; fi; \
	fi; \
	case $$flavour in \
		debian) src=assets/pam.d/nodeconsole ;; \
		redhat) src=assets/pam.d/nodeconsole.redhat ;; \
		*) echo "error: PAM_FLAVOUR must be auto, debian or redhat" >&2; exit 1 ;; \
	esac; \
	echo "$(INSTALL) -m 0644 $$src $(DESTDIR)$(SYSCONFDIR)/pam.d/nodeconsole"; \
	$(INSTALL) -m 0644 $$src $(DESTDIR)$(SYSCONFDIR)/pam.d/nodeconsole
	$(INSTALL) -m 0644 assets/config.example.toml $(DESTDIR)$(DOCDIR)/examples/config.toml
	@# Never overwrite the operator's configuration.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/nodeconsole/config.toml ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/nodeconsole/config.toml"; \
	else \
		echo "$(INSTALL) -m 0644 assets/config.example.toml $(DESTDIR)$(SYSCONFDIR)/nodeconsole/config.toml"; \
		$(INSTALL) -m 0644 assets/config.example.toml $(DESTDIR)$(SYSCONFDIR)/nodeconsole/config.toml; \
	fi
	$(INSTALL) -m 0644 docs/install.md $(DESTDIR)$(DOCDIR)/install.md
	@# Other assets (banner, strings, themes) go to DATADIR/nodeconsole.
	@cd assets && find . -type f ! -path './pam.d/*' ! -name config.example.toml | sort | \
	while read -r f; do \
		$(INSTALL) -D -m 0644 "$$f" "$(DESTDIR)$(DATADIR)/nodeconsole/$${f#./}" || exit 1; \
	done
	@echo "Installed. Enable the console on tty1 with:"
	@echo "  systemctl daemon-reload; systemctl disable getty@tty1.service; systemctl enable nodeconsole@tty1.service nodeconsole-cli@tty3.service"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nodeconsole
	rm -rf $(DESTDIR)$(LIBEXECDIR)/nodeconsole $(DESTDIR)$(DATADIR)/nodeconsole $(DESTDIR)$(DOCDIR)
	for u in $(APPLIANCE_UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	for g in getty autovt; do rm -f "$(DESTDIR)$(UNITDIR)/$$g@tty3.service.d/60-nodeconsole-cli.conf"; rmdir "$(DESTDIR)$(UNITDIR)/$$g@tty3.service.d" 2>/dev/null || true; done
	rm -f $(DESTDIR)$(GENERATORDIR)/nodeconsole-serial-generator \
		$(DESTDIR)$(SYSTEMCONFDIR)/60-nodeconsole.conf \
		$(DESTDIR)$(SYSCTLDIR)/60-nodeconsole.conf \
		$(DESTDIR)$(SYSCONFDIR)/pam.d/nodeconsole
	@echo "Kept $(DESTDIR)$(SYSCONFDIR)/nodeconsole/ (your configuration). Re-enable a login prompt on tty1 with:"
	@echo "  systemctl disable nodeconsole@tty1.service nodeconsole-cli@tty3.service; systemctl enable getty@tty1.service"

# cargo-deb / cargo-generate-rpm are compiled once into ~/.cargo/bin.
appliance-tools:
	@$(CARGO) deb --version >/dev/null 2>&1 || $(CARGO) install --locked cargo-deb $(if $(CARGO_DEB_VERSION),--version $(CARGO_DEB_VERSION))
	@$(CARGO) generate-rpm --version >/dev/null 2>&1 || $(CARGO) install --locked cargo-generate-rpm $(if $(CARGO_GENERATE_RPM_VERSION),--version $(CARGO_GENERATE_RPM_VERSION))
	@scripts/ensure-debs python3-venv
	@test -x $(KSVENV)/bin/ksvalidator || { rm -rf $(KSVENV) && python3 -m venv $(KSVENV) && $(KSVENV)/bin/pip install -q pykickstart==$(PYKICKSTART_VERSION); }

# `make test` needs the packaging tools and ksvalidator (tests/appliance.rs).
deps-test: appliance-tools

# PKG_STRIP=1 strips the staged binaries: the tests package the debug
# build (about 380 MB with its debug info), whose compression alone took
# cargo-generate-rpm over ten minutes on a loaded 2-core machine.
PKG_STRIP ?=
appliance-stage-bin: appliance-check-bin
	$(INSTALL) -D -m 0755 $(if $(PKG_STRIP),-s) $(NODECONSOLE_BIN) $(PKG_TARGET_DIR)/release/nodeconsole
	$(INSTALL) -D -m 0755 $(if $(PKG_STRIP),-s) $(NODECONSOLE_HELPER) $(PKG_TARGET_DIR)/release/nodeconsole-virt

deb: appliance-stage-bin
	@$(CARGO) deb --version >/dev/null 2>&1 || $(CARGO) install --locked cargo-deb $(if $(CARGO_DEB_VERSION),--version $(CARGO_DEB_VERSION))
	mkdir -p $(PKG_OUT)
	CARGO_TARGET_DIR=$(PKG_TARGET_DIR) $(CARGO) deb --no-build --output $(PKG_OUT)/

rpm: appliance-stage-bin
	@$(CARGO) generate-rpm --version >/dev/null 2>&1 || $(CARGO) install --locked cargo-generate-rpm $(if $(CARGO_GENERATE_RPM_VERSION),--version $(CARGO_GENERATE_RPM_VERSION))
	mkdir -p $(PKG_OUT)
	$(CARGO) generate-rpm --target-dir $(PKG_TARGET_DIR) -o $(PKG_OUT)/
