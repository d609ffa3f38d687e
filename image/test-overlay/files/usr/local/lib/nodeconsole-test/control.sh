#!/bin/bash
# nodeconsole TEST OVERLAY ONLY: serves the VM test harness (tests/vmdriver/) on a
# virtio-serial port. One request a line: "ID BASE64(bash script)"; one
# reply a line: "@@ID RC BASE64(stdout+stderr)". Base64 both ways, so the
# framing survives any byte (a /dev/vcsu read has NULs). Each script runs
# with a timeout, so a hung command cannot wedge the channel.
port=/dev/virtio-ports/nodeconsole.test-control
while :; do
    # The port appears when udev has loaded virtio_console.
    [ -e "$port" ] || { sleep 0.2; continue; }
    # A virtio port opens only once: one descriptor for both directions.
    exec 3<>"$port" || { sleep 0.5; continue; }
    # Requests queued while the port was closed (the harness polls during
    # boot) are stale: drop them, or a slow guest spends minutes on them.
    # The harness repeats its request until answered.
    while IFS= read -r -t 0.5 _ <&3; do :; done
    while IFS=' ' read -r id b64 <&3; do
        [ -n "$id" ] || continue
        script=$(printf %s "$b64" | base64 -d 2>/dev/null)
        enc=$(timeout -k 5 120 bash -c "$script" </dev/null 2>&1 | base64 -w0; exit "${PIPESTATUS[0]}")
        rc=$?
        printf '@@%s %d %s\n' "$id" "$rc" "$enc" >&3
    done
    # EOF: the host side is not connected (yet, or any more).
    exec 3>&-
    sleep 0.2
done
