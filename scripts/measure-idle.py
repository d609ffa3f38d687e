#!/usr/bin/env python3
"""Measures the console at rest, as the README reports it.

Runs the release binary in a private tmux server at 80x24 with --demo
(main screen, 1 s refresh), records everything it writes to the terminal
(tmux pipe-pane) and samples /proc for 60 s (or --seconds):

  first frame   time from exec to the first full frame on the terminal
  idle CPU      (utime + stime) / wall time, in % of one core, of the
                console and of its libvirt helper (nodeconsole-virt) together
  RSS           peak VmRSS of the console, sampled every second; the
                helper's peak RSS and the peak PSS of both are reported beside
  output rate   bytes written to the terminal per second

Usage: scripts/measure-idle.py [--bin target/release/nodeconsole] [--seconds 60]
"""
import argparse, os, subprocess, sys, tempfile, time

p = argparse.ArgumentParser()
p.add_argument("--bin", default="target/release/nodeconsole")
p.add_argument("--seconds", type=int, default=60)
p.add_argument("--role", default="management")
a = p.parse_args()
binary = os.path.abspath(a.bin)
if not os.path.exists(binary):
    sys.exit(f"{binary} not found: run `make build` first")

sock = f"measure-{os.getpid()}"
tmp = tempfile.mkdtemp()
out = os.path.join(tmp, "tty.out")
go = os.path.join(tmp, "go")
os.mkfifo(go)
tmux = ["tmux", "-L", sock, "-f", "/dev/null"]
# The program waits on a fifo so pipe-pane is attached before its first byte.
cmd = f"cat {go} >/dev/null; exec env TERM=xterm {binary} --demo --role {a.role}"
subprocess.run(tmux + ["new-session", "-d", "-x", "80", "-y", "24", "-s", "m", cmd], check=True)
try:
    subprocess.run(tmux + ["pipe-pane", "-o", "-t", "m", f"cat >> {out}"], check=True)
    pid = int(subprocess.check_output(tmux + ["display", "-p", "-t", "m", "#{pane_pid}"]).strip())
    open(out, "a").close()
    t0 = time.monotonic()
    with open(go, "w") as f:
        f.write("go\n")
    # First frame: the footer is the last thing drawn in a frame.
    first = None
    while time.monotonic() - t0 < 10:
        with open(out, "rb") as f:
            if b"Reboot/Poweroff" in f.read():
                first = time.monotonic() - t0
                break
        time.sleep(0.002)
    time.sleep(3)  # let start-up settle (collectors' first rounds)

    def helpers():
        """The console's nodeconsole-virt children (pids)."""
        found = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    found += [int(c) for c in f.read().split()]
        except OSError:
            pass
        def comm(p):
            try:
                with open(f"/proc/{p}/comm") as f:
                    return f.read().strip()
            except OSError:
                return ""
        return [c for c in found if comm(c).startswith("nodeconsole-vir")]

    def cpu_ticks(p):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except OSError:
            return 0

    def field_kib(path, name):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(name):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def all_ticks():
        return cpu_ticks(pid) + sum(cpu_ticks(h) for h in helpers())

    hz = os.sysconf("SC_CLK_TCK")
    def helper_ticks():
        return sum(cpu_ticks(h) for h in helpers())

    c0, h0, b0, w0 = all_ticks(), helper_ticks(), os.path.getsize(out), time.monotonic()
    peak = peak_helper = peak_pss = 0
    for _ in range(a.seconds):
        time.sleep(1)
        peak = max(peak, field_kib(f"/proc/{pid}/status", "VmRSS:"))
        hs = helpers()
        peak_helper = max(peak_helper, sum(field_kib(f"/proc/{h}/status", "VmRSS:") for h in hs))
        peak_pss = max(peak_pss, sum(field_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in [pid] + hs))
    c1, h1, b1, w1 = all_ticks(), helper_ticks(), os.path.getsize(out), time.monotonic()
    wall = w1 - w0
    print(f"role:            {a.role} (--demo, 80x24, refresh 1 s)")
    print(f"first frame:     {first * 1000:.0f} ms" if first else "first frame:     not seen within 10 s")
    print(f"idle CPU:        {100.0 * (c1 - c0) / hz / wall:.2f} % of one core over {wall:.0f} s (console + helper; helper {100.0 * (h1 - h0) / hz / wall:.2f} %)")
    print(f"peak RSS:        {peak / 1024:.1f} MiB (console)")
    print(f"helper RSS:      {peak_helper / 1024:.1f} MiB (nodeconsole-virt, libvirt's calls)")
    print(f"PSS, both:       {peak_pss / 1024:.1f} MiB (shared pages split between processes)")
    print(f"terminal output: {(b1 - b0) / wall:.0f} bytes/s")
finally:
    subprocess.run(tmux + ["kill-server"], stderr=subprocess.DEVNULL)
