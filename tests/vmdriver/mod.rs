//! Driver of the VM test bed (issue #12): builds the node image with
//! `make image` (cached), boots it in QEMU and talks to it the way a person
//! and a test need:
//! - the VGA keyboard through QMP `send-key` (real PS/2 scancodes into the
//!   guest's keyboard driver, so Ctrl+Alt+F2 switches VTs in the kernel);
//! - the serial line ttyS0 through a unix socket (raw bytes, logged);
//! - a root shell of the test overlay (image/test-overlay/) on a
//!   virtio-serial port, to read any VT's text from `/dev/vcsuN` and to
//!   look at or poke the system (systemctl, kill, /dev/kmsg).
//!
//! Networking is QEMU user mode with `restrict=on`: the guest reaches
//! nothing outside QEMU. Every wait has a deadline, and a failure names the
//! step and the log directory (target/vm-tests/PID/).
#![allow(dead_code)]

pub mod ctl;
pub mod keys;
pub mod qmp;

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ctl::Ctl;
use qmp::Qmp;

/// The known root password of the test overlay (scripts/build-image).
pub const TEST_ROOT_PASSWORD: &str = "nodeconsole-test";
/// Boot to console, generous for TCG on a loaded 2-core machine.
pub const BOOT_DEADLINE: Duration = Duration::from_secs(300);

/// Repository root (the test binary runs with the package root as cwd).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails the run with a clear message when a prerequisite is missing. Never
/// a silent skip: the Makefile (`make deps-vm`) installs these.
pub fn require_tools() {
    for tool in ["qemu-system-x86_64", "qemu-img", "mmdebstrap", "mke2fs"] {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
            .unwrap_or(false);
        assert!(
            found,
            "VM tests need {tool}: run `make deps-vm` (it apt-get installs mmdebstrap, qemu-system-x86, ipxe-qemu, qemu-utils, e2fsprogs)"
        );
    }
}

/// Runs `make image ROLE=role` with the debug binary (no release build),
/// once per test process and role; the root fs is cached under target/.
pub fn build_image(role: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let dir = repo().join("target/image");
    if !built.iter().any(|r| r == role) {
        require_tools();
        let started = Instant::now();
        let out = Command::new("make")
            .current_dir(repo())
            .args([
                "--no-print-directory",
                "image",
                &format!("ROLE={role}"),
                "IMAGE_DEB_BIN=target/debug/nodeconsole",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("step 'make image': could not run make");
        assert!(
            out.status.success(),
            "step 'make image ROLE={role}' failed (log: {}):\n{}{}",
            dir.join(format!("{role}.log")).display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("vm: make image ROLE={role}: {:?}", started.elapsed());
        built.push(role.to_string());
    }
    dir
}

/// KVM only where the CPU says it has hardware virtualisation: on these
/// machines /dev/kvm opens but a KVM guest hangs without a word, so its
/// presence alone proves nothing. NODECONSOLE_VM_ACCEL=kvm|tcg overrides.
pub fn accel() -> String {
    if let Ok(a) = std::env::var("NODECONSOLE_VM_ACCEL") {
        return a;
    }
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let hw = cpu
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"));
    let dev = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok();
    if hw && dev {
        "kvm".into()
    } else {
        "tcg".into()
    }
}

/// Spawns `cmd` so that it dies with this test process: the shared VM
/// lives in a static, which is never dropped, so without this QEMU would
/// outlive the run. PR_SET_PDEATHSIG fires when the spawning *thread*
/// ends, hence a spawner thread that never returns (libtest's test threads
/// end after each test). NODECONSOLE_VM_KEEP=1 keeps the VM instead.
fn spawn_tied(mut cmd: Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("NODECONSOLE_VM_KEEP").is_none() {
        // SAFETY: prctl is async-signal-safe; nothing else runs in the child.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(cmd.spawn());
        loop {
            std::thread::park();
        }
    });
    rx.recv().expect("the spawner thread died")
}

/// How to boot: which role, which extra kernel arguments.
#[derive(Clone, Debug)]
pub struct Spec {
    pub role: String,
    pub cmdline: String,
    pub nics: usize,
}

impl Spec {
    pub fn new(role: &str) -> Spec {
        Spec {
            role: role.into(),
            cmdline: "console=tty0 console=ttyS0,115200".into(),
            nics: 2,
        }
    }
}

/// A running VM of the test image.
pub struct Vm {
    pub spec: Spec,
    pub dir: PathBuf,
    child: Child,
    pub qmp: Qmp,
    pub ctl: Ctl,
    serial: Arc<Mutex<Vec<u8>>>,
    pub serial_tx: UnixStream,
    /// When QEMU started (the last power-on).
    pub started: Instant,
}

fn wait_for_socket(path: &Path, what: &str, child: &mut Child, log: &Path) -> UnixStream {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(s) = UnixStream::connect(path) {
            return s;
        }
        if let Ok(Some(st)) = child.try_wait() {
            panic!(
                "step 'start QEMU' failed: QEMU exited ({st}) before {what} was up; log: {}\n{}",
                log.display(),
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "step 'start QEMU': {what} socket {} not there after 60 s; log: {}",
            path.display(),
            log.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Vm {
    /// Builds the image if needed and boots a fresh copy-on-write overlay of
    /// ROLE-test.img; returns once QEMU's sockets are up (not the guest).
    pub fn start(spec: Spec) -> Vm {
        let images = build_image(&spec.role);
        let dir =
            repo()
                .join("target/vm-tests")
                .join(format!("{}-{}", std::process::id(), spec.role));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the VM directory");
        let img = images.join(format!("{}-test.img", spec.role));
        let disk = dir.join("disk.qcow2");
        let st = Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b"])
            .arg(&img)
            .arg(&disk)
            .status()
            .expect("run qemu-img");
        assert!(
            st.success(),
            "step 'qemu-img create' of {} failed",
            img.display()
        );
        let log = dir.join("qemu.log");
        let s = |p: &str| dir.join(p).display().to_string();
        let mut cmd = Command::new("qemu-system-x86_64");
        cmd.args(["-machine", "q35", "-accel", &accel()])
            .args(["-m", "1024", "-smp", "2", "-display", "none", "-vga", "std"])
            .arg("-kernel")
            .arg(images.join(format!("{}.vmlinuz", spec.role)))
            .arg("-initrd")
            .arg(images.join(format!("{}.initrd", spec.role)))
            .arg("-append")
            .arg(format!(
                "root=LABEL=nodeconsole-root rw quiet {}",
                spec.cmdline
            ))
            .arg("-drive")
            .arg(format!("file={},if=virtio,format=qcow2", disk.display()))
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", s("qmp.sock")))
            .arg("-chardev")
            .arg(format!(
                "socket,id=s0,path={},server=on,wait=off,logfile={}",
                s("ttyS0.sock"),
                s("ttyS0.log")
            ))
            .args(["-serial", "chardev:s0"])
            .args(["-device", "virtio-serial-pci"])
            .arg("-chardev")
            .arg(format!(
                "socket,id=ctl,path={},server=on,wait=off",
                s("ctl.sock")
            ))
            .args([
                "-device",
                "virtserialport,chardev=ctl,name=nodeconsole.test-control",
            ]);
        for i in 0..spec.nics {
            cmd.arg("-netdev")
                .arg(format!("user,id=n{i},restrict=on"))
                .arg("-device")
                .arg(format!(
                    "virtio-net-pci,netdev=n{i},mac=52:54:00:12:34:{:02x}",
                    0x10 + i
                ));
        }
        let logf = std::fs::File::create(&log).expect("create qemu.log");
        cmd.stdin(Stdio::null())
            .stdout(logf.try_clone().unwrap())
            .stderr(logf);
        let mut child =
            spawn_tied(cmd).expect("step 'start QEMU': qemu-system-x86_64 did not start");
        let started = Instant::now();
        let qmp_s = wait_for_socket(&dir.join("qmp.sock"), "QMP", &mut child, &log);
        let serial_s = wait_for_socket(&dir.join("ttyS0.sock"), "ttyS0", &mut child, &log);
        let ctl_s = wait_for_socket(&dir.join("ctl.sock"), "control", &mut child, &log);
        let qmp = Qmp::new(qmp_s)
            .unwrap_or_else(|e| panic!("step 'QMP handshake': {e}; log: {}", log.display()));
        let serial = Arc::new(Mutex::new(Vec::new()));
        let serial_tx = serial_s.try_clone().expect("clone the serial socket");
        {
            let serial = serial.clone();
            let mut rx = serial_s;
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = rx.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    serial.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
        let ctl = Ctl::new(ctl_s, dir.join("ctl.log"));
        eprintln!("vm: started {} (logs: {})", spec.role, dir.display());
        Vm {
            spec,
            dir,
            child,
            qmp,
            ctl,
            serial,
            serial_tx,
            started,
        }
    }

    /// Where this VM's logs are, for failure messages.
    pub fn logs(&self) -> String {
        self.dir.display().to_string()
    }

    /// Waits until the control shell answers (the guest reached sysinit).
    pub fn wait_control(&mut self, limit: Duration) {
        let logs = self.logs();
        self.ctl
            .wait_ready(limit)
            .unwrap_or_else(|e| panic!("step 'control shell up': {e}; logs: {logs}"));
    }

    /// Runs a shell script in the guest as root; panics (naming the step)
    /// on a transport failure or a non-zero exit.
    pub fn sh(&mut self, script: &str) -> String {
        let logs = self.logs();
        match self.ctl.run(script, Duration::from_secs(150)) {
            Ok((0, out)) => String::from_utf8_lossy(&out).into_owned(),
            Ok((rc, out)) => panic!(
                "guest command failed (exit {rc}): {script}\n{}\nlogs: {logs}",
                String::from_utf8_lossy(&out)
            ),
            Err(e) => panic!("guest command did not complete: {script}: {e}; logs: {logs}"),
        }
    }

    /// Like [`Vm::sh`] but returns the exit code instead of panicking on it.
    pub fn sh_rc(&mut self, script: &str) -> (i32, String) {
        let logs = self.logs();
        match self.ctl.run(script, Duration::from_secs(150)) {
            Ok((rc, out)) => (rc, String::from_utf8_lossy(&out).into_owned()),
            Err(e) => panic!("guest command did not complete: {script}: {e}; logs: {logs}"),
        }
    }

    /// The text of VT `n` (rows of `/dev/vcsuN`, trailing blanks trimmed).
    pub fn vt_text(&mut self, n: u32) -> Result<Vec<String>, String> {
        let script = format!("head -c4 /dev/vcsa{n} && cat /dev/vcsu{n}");
        let (rc, out) = self
            .ctl
            .run(&script, Duration::from_secs(60))
            .map_err(|e| e.to_string())?;
        if rc != 0 || out.len() < 4 {
            return Err(format!(
                "reading /dev/vcsu{n}: exit {rc}: {}",
                String::from_utf8_lossy(&out)
            ));
        }
        let (rows, cols) = (out[0] as usize, out[1] as usize);
        let cells = &out[4..];
        if cells.len() < rows * cols * 4 {
            return Err(format!(
                "short /dev/vcsu{n}: {} bytes for {rows}x{cols}",
                cells.len()
            ));
        }
        Ok((0..rows)
            .map(|r| {
                let row: String = (0..cols)
                    .map(|c| {
                        let i = (r * cols + c) * 4;
                        let u = u32::from_le_bytes(cells[i..i + 4].try_into().unwrap());
                        char::from_u32(u).unwrap_or('?')
                    })
                    .collect();
                row.trim_end().to_string()
            })
            .collect())
    }

    /// The foreground VT number (`fgconsole`).
    pub fn fg_vt(&mut self) -> u32 {
        self.sh("fgconsole").trim().parse().unwrap_or(0)
    }

    /// Waits until VT `n`'s text satisfies `pred`; panics naming `what`
    /// with the last screen seen.
    pub fn wait_vt(
        &mut self,
        n: u32,
        what: &str,
        limit: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let last = match self.vt_text(n) {
                Ok(rows) => rows.join("\n"),
                Err(e) => e,
            };
            if pred(&last) {
                return last;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {limit:?} waiting for {what} on tty{n}; logs: {}; last screen:\n{last}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Sends one key combination to the VGA keyboard, e.g. `&["ctrl", "alt", "f2"]`.
    pub fn key(&mut self, combo: &[&str]) {
        let logs = self.logs();
        self.qmp
            .send_key(combo)
            .unwrap_or_else(|e| panic!("QMP send-key {combo:?}: {e}; logs: {logs}"));
        // QMP returns before the guest has taken the key; a short gap keeps
        // a sequence in order (not a wait for a state: callers poll).
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Types text on the VGA keyboard (letters, digits, a few symbols).
    pub fn type_text(&mut self, text: &str) {
        for ch in text.chars() {
            let combo = keys::for_char(ch).unwrap_or_else(|| panic!("no key for {ch:?}"));
            let combo: Vec<&str> = combo.iter().map(String::as_str).collect();
            self.key(&combo);
        }
    }

    /// Everything the serial line has sent so far.
    pub fn serial_bytes(&self) -> Vec<u8> {
        self.serial.lock().unwrap().clone()
    }

    /// Writes bytes to ttyS0 (as a serial terminal's keyboard would).
    pub fn serial_write(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.serial_tx
            .write_all(bytes)
            .expect("write to ttyS0 socket");
    }

    /// QEMU's exit status, if it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The accelerator QEMU runs with ("kvm" or "tcg").
    pub fn accel(&mut self) -> String {
        match self.qmp.execute("query-kvm", None) {
            Ok(v) if v["enabled"].as_bool() == Some(true) => "kvm".into(),
            _ => "tcg".into(),
        }
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        if std::env::var_os("NODECONSOLE_VM_KEEP").is_some() {
            eprintln!(
                "vm: kept running (NODECONSOLE_VM_KEEP): pid {}, sockets in {}",
                self.child.id(),
                self.dir.display()
            );
            return;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
