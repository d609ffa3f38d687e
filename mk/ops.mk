# ops: PAM (pam_wrapper + pam_matrix, libpwquality for the real pam_pwquality
# module, which tests/ops_pam.rs unpacks from libpam-pwquality without
# installing it: installing would run pam-auth-update on the machine's real
# PAM stack), D-Bus (private dbus-daemon for the logind contract double),
# systemd --user in a private mount namespace (util-linux: unshare).
TEST_DEBS += libpam-wrapper libpam-modules libpwquality1 dbus-daemon systemd util-linux
