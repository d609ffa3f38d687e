# ops (src/ops, tests/ops_*.rs) — run-time packages of the tests:
# - libpam-wrapper: pam_wrapper + pam_matrix (PAM tests, demo PAM);
#   libpam-modules: pam_succeed_if (unknown-user case);
# - libpwquality1: library of the real pam_pwquality module, which
#   tests/ops_pam.rs unpacks from libpam-pwquality (apt-get download +
#   dpkg-deb -x into target/tmp) WITHOUT installing it: installing would run
#   pam-auth-update on the machine's real PAM stack;
# - dbus-daemon: private bus for the logind contract double;
# - systemd, dbus-user-session, util-linux: a real `systemd --user` (with its
#   socket-activated user bus) in a private mount namespace made by unshare.
TEST_DEBS += libpam-wrapper libpam-modules libpwquality1 dbus-daemon systemd dbus-user-session util-linux
