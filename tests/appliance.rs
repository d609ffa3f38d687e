//! The appliance around the binary: systemd units and generator, the CLI
//! wrapper, `make install`, the Debian and RPM packages, the kickstarts and
//! the ISO builder. Every check runs the real tool as a child process
//! (systemd-analyze, make, cargo-deb, cargo-generate-rpm, dpkg, rpm,
//! ksvalidator, xorriso); nothing here is mocked.
//!
//! A missing tool fails the test when `CI=true` and prints a loud
//! "SKIPPED: ..." otherwise (see `need`). The binary packaged and installed
//! is the debug build cargo made for this test run (`CARGO_BIN_EXE_nodeconsole`),
//! so no release build is needed.

use nodeconsole::config::{Config, Role};
use std::borrow::BorrowMut;
use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nodeconsole");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn in_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// Finds `tool` (a name on PATH, or a path). Missing: panics under CI=true,
/// otherwise prints SKIPPED and returns None so the test returns early.
fn need(tool: &str, why: &str) -> Option<PathBuf> {
    let found = if tool.contains('/') {
        Some(PathBuf::from(tool)).filter(|p| p.exists())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(tool))
                .find(|p| p.is_file())
        })
    };
    if found.is_none() {
        let msg = format!("{tool} not found ({why}); `make deps-test` installs it");
        if in_ci() {
            panic!("CI=true and a test prerequisite is missing: {msg}");
        }
        eprintln!("\n!!!!!!!! SKIPPED: {msg} !!!!!!!!\n");
    }
    found
}

/// ksvalidator: $KSVALIDATOR, the venv `make appliance-tools` makes, or PATH.
fn ksvalidator() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KSVALIDATOR") {
        return need(&p.to_string_lossy(), "pykickstart");
    }
    let venv = repo().join("target/appliance-tools/ksvenv/bin/ksvalidator");
    if venv.exists() {
        return Some(venv);
    }
    need(
        "ksvalidator",
        "pykickstart, `make appliance-tools` puts it in a venv",
    )
}

/// Runs a child to completion with a hard timeout (killed and panics past it).
fn run<C: BorrowMut<Command>>(mut cmd: C, timeout: Duration) -> Output {
    let cmd = cmd.borrow_mut();
    let desc = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {desc}: {e}"));
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for child") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{desc} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok<C: BorrowMut<Command>>(mut cmd: C, timeout: Duration) -> Output {
    let cmd = cmd.borrow_mut();
    let desc = format!("{cmd:?}");
    let out = run(cmd, timeout);
    assert!(
        out.status.success(),
        "{desc} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// `make -C repo ARGS...` with the make environment of an outer make
/// (jobserver, MAKEFLAGS) removed, so the child is independent of how
/// `cargo test` was started.
fn make(args: &[&str]) -> Command {
    let mut c = Command::new("make");
    c.arg("-s").arg("-C").arg(repo()).args(args);
    for v in [
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "DESTDIR",
        "PREFIX",
        "NODECONSOLE_BIN",
    ] {
        c.env_remove(v);
    }
    c
}

const MIN: Duration = Duration::from_secs(60);

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("nodeconsole-appliance-")
        .tempdir()
        .unwrap()
}

/// All regular files and symlinks under `root`, as "/relative/path".
fn tree(root: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let ft = fs::symlink_metadata(&p).unwrap().file_type();
            if ft.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(format!("/{}", p.strip_prefix(root).unwrap().display()));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

// ---------------------------------------------------------------- config

fn example_config() -> String {
    fs::read_to_string(repo().join("assets/config.example.toml")).unwrap()
}

#[test]
fn example_config_parses_to_the_defaults() {
    let cfg = Config::parse(&example_config(), Path::new("assets/config.example.toml"))
        .unwrap_or_else(|e| panic!("the example config must parse: {e}"));
    assert_eq!(
        cfg,
        Config::default(),
        "assets/config.example.toml must show every key with its DEFAULT value"
    );
}

/// The `pub field: Type` lines of `pub struct NAME { ... }` in config.rs.
fn struct_fields(src: &str, name: &str) -> Option<Vec<(String, String)>> {
    let start = src.find(&format!("pub struct {name} {{"))?;
    let body = &src[start..];
    let end = body.find("\n}")?;
    let fields = body[..end]
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("pub ")?;
            let (field, ty) = rest.split_once(':')?;
            let field = field.trim();
            if field.contains(' ') || field.contains('(') {
                return None;
            }
            Some((
                field.to_string(),
                ty.trim().trim_end_matches(',').to_string(),
            ))
        })
        .collect();
    Some(fields)
}

/// Every key config.rs accepts appears in the example, with its section,
/// either set (`key = ...`) or, for keys without a default, commented
/// (`# key = ...`). Reads config.rs itself, so a key added there without
/// documentation fails here.
#[test]
fn example_config_documents_every_key_of_config_rs() {
    // Sections whose structs live next to their code are read from there.
    let mut src = fs::read_to_string(repo().join("src/config.rs")).unwrap();
    src.push_str(&fs::read_to_string(repo().join("src/export/config.rs")).unwrap());
    let top = struct_fields(&src, "Config").expect("pub struct Config in src/config.rs");
    let mut wanted: Vec<(String, String)> = Vec::new(); // (section, key)
    for (field, ty) in &top {
        let ty = ty.rsplit("::").next().unwrap_or(ty);
        match struct_fields(&src, ty) {
            Some(sub) => {
                for (k, _) in sub {
                    wanted.push((field.clone(), k));
                }
            }
            None => wanted.push((String::new(), field.clone())),
        }
    }
    assert!(
        wanted.len() > 10,
        "parsed too few keys from config.rs: {wanted:?}"
    );

    let mut documented: BTreeSet<(String, String)> = BTreeSet::new();
    let mut section = String::new();
    for line in example_config().lines() {
        let l = line.trim();
        if let Some(s) = l.strip_prefix('[') {
            section = s.trim_end_matches(']').trim().to_string();
            continue;
        }
        let l = l.strip_prefix('#').map(str::trim).unwrap_or(l);
        if let Some((k, _)) = l.split_once('=') {
            let k = k.trim();
            if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                documented.insert((section.clone(), k.to_string()));
            }
        }
    }
    let missing: Vec<String> = wanted
        .iter()
        .filter(|w| !documented.contains(*w))
        .map(|(s, k)| {
            if s.is_empty() {
                k.clone()
            } else {
                format!("[{s}] {k}")
            }
        })
        .collect();
    assert!(
        missing.is_empty(),
        "assets/config.example.toml does not document: {missing:?}"
    );
}

// ---------------------------------------------------- install, systemd

/// `make install` into `prefix` itself (no DESTDIR), so the units name
/// files that exist and systemd-analyze can check them as installed.
fn install_into_prefix(dir: &Path) -> PathBuf {
    let prefix = dir.join("prefix");
    let p = prefix.to_str().unwrap();
    ok(
        make(&[
            "install",
            &format!("PREFIX={p}"),
            &format!("SYSCONFDIR={p}/etc"),
            &format!("NODECONSOLE_BIN={BIN}"),
        ]),
        MIN,
    );
    prefix
}

/// systemd-analyze verify of one unit, found through SYSTEMD_UNIT_PATH
/// (`dirs` first, then the system's own units for getty.target & co.).
/// Fails on a non-zero exit AND on any message about our files: verify
/// only warns (exit 0) about unknown keys or bad values.
fn verify_unit(analyze: &Path, dirs: &[&Path], unit: &str) -> Result<(), String> {
    let mut path: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    path.push(String::new()); // trailing ':' appends the default search path
    let out = run(
        Command::new(analyze)
            .args(["verify", "--man=no", unit])
            .env("SYSTEMD_UNIT_PATH", path.join(":"))
            .env("SYSTEMD_COLORS", "0"),
        MIN,
    );
    let stderr = text(&out.stderr);
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            l.contains("nodeconsole")
                || l.contains("bad@")
                || dirs.iter().any(|d| l.contains(&*d.to_string_lossy()))
        })
        .collect();
    if !out.status.success() || !ours.is_empty() {
        return Err(format!("{unit}: exit {}:\n{stderr}", out.status));
    }
    if !stderr.trim().is_empty() {
        eprintln!("note: systemd-analyze said about other units:\n{stderr}");
    }
    Ok(())
}

/// The symlink `systemctl enable nodeconsole-cli@tty3.service` makes; the
/// getty drop-in skips getty@tty3 while it exists.
const CLI_ENABLED: &str = "/etc/systemd/system/getty.target.wants/nodeconsole-cli@tty3.service";

#[test]
fn units_pass_systemd_analyze_verify() {
    let Some(analyze) = need("systemd-analyze", "package systemd") else {
        return;
    };
    let dir = tempdir();
    let prefix = install_into_prefix(dir.path());
    let unitdir = prefix.join("lib/systemd/system");
    for unit in [
        "nodeconsole@tty1.service",
        "nodeconsole-serial@ttyS0.service",
        "nodeconsole-cli@tty3.service",
        "nodeconsole-cloud-install.service",
    ] {
        verify_unit(&analyze, &[&unitdir], unit).unwrap_or_else(|e| panic!("{e}"));
    }

    // The units, as installed, run the installed files.
    let console = fs::read_to_string(unitdir.join("nodeconsole@.service")).unwrap();
    assert!(console.contains(&format!("ExecStart={}/bin/nodeconsole\n", prefix.display())));
    let serial = fs::read_to_string(unitdir.join("nodeconsole-serial@.service")).unwrap();
    assert!(serial.contains("--ascii") && serial.contains("Environment=TERM=vt100"));
    for key in [
        "TTYPath=/dev/%I",
        "TTYReset=yes",
        "TTYVHangup=yes",
        "Restart=always",
        "RestartSec=1",
        "StandardInput=tty",
    ] {
        assert!(console.contains(key), "nodeconsole@.service lacks {key}");
    }
    assert!(
        console.contains("TTYVTDisallocate=yes") && console.contains("Conflicts=getty@%i.service")
    );

    // tty3: the CLI must win over a getty started on its own (Debian's
    // getty-static.service without D-Bus, an admin). A Conflicts= on the
    // CLI would let the getty stop it; the getty's drop-in skips it instead.
    let cli = fs::read_to_string(unitdir.join("nodeconsole-cli@.service")).unwrap();
    let conflicts: Vec<&str> = cli
        .lines()
        .filter(|l| l.starts_with("Conflicts="))
        .collect();
    assert_eq!(conflicts, ["Conflicts=rescue.service"], "{cli}");
    assert!(
        cli.contains("ExecStartPre=-systemctl --no-block stop getty@%i.service autovt@%i.service")
    );
    for g in ["getty", "autovt"] {
        let dropin = unitdir.join(format!("{g}@tty3.service.d/60-nodeconsole-cli.conf"));
        let text = fs::read_to_string(&dropin).unwrap();
        assert!(
            text.contains(&format!("ConditionPathExists=!{CLI_ENABLED}")),
            "{text}"
        );
    }
    // The getty with the drop-in, as systemd loads it (getty@.service from
    // the system's units, the drop-in from ours).
    if Path::new("/usr/lib/systemd/system/getty@.service").exists()
        || Path::new("/lib/systemd/system/getty@.service").exists()
    {
        verify_unit(&analyze, &[&unitdir], "getty@tty3.service").unwrap_or_else(|e| panic!("{e}"));
    }
    // The condition is one systemd evaluates (true here: no CLI enabled).
    ok(
        Command::new(&analyze).args(["condition", &format!("ConditionPathExists=!{CLI_ENABLED}")]),
        MIN,
    );

    // Negative control: the same check must catch a broken unit.
    let bad = dir.path().join("bad");
    fs::create_dir(&bad).unwrap();
    let broken = console
        .replace("Type=idle", "Type=idel")
        .replace("TTYReset=yes", "TTYReset=maybe");
    fs::write(bad.join("bad@.service"), broken).unwrap();
    let err = verify_unit(&analyze, &[&bad], "bad@tty1.service")
        .expect_err("systemd-analyze verify must report a broken unit");
    assert!(err.contains("idel") || err.contains("TTYReset"), "{err}");
}

#[test]
fn serial_console_device_takes_the_first_serial_console() {
    let dir = tempdir();
    let script = repo().join("scripts/serial-console-device");
    let cases: &[(&str, Option<&str>)] = &[
        (
            "BOOT_IMAGE=/vmlinuz ro console=tty0 console=ttyS1,115200n8 console=ttyS0,9600 quiet",
            Some("ttyS1 115200"),
        ),
        ("ro console=ttyS0", Some("ttyS0")),
        ("console=/dev/ttyUSB0,57600", Some("ttyUSB0 57600")),
        ("ro console=hvc0 console=ttyS0,115200", Some("hvc0")),
        (
            "ro dyndbg=\"file x.c console=ttyS3\" console=ttyAMA0,38400n8",
            Some("ttyAMA0 38400"),
        ),
        ("ro quiet -- console=ttyS0", None),
        ("ro console=tty0 console=tty1", None),
        ("ro console=uart8250,io,0x3f8,115200", None),
        ("ro", None),
        ("console=ttyS0,115200 nodeconsole.serial=0", None),
        ("console=ttyS0,115200 nodeconsole.serial=off", None),
        (
            "console=ttyS0,115200 nodeconsole.serial=1",
            Some("ttyS0 115200"),
        ),
    ];
    for (i, (cmdline, want)) in cases.iter().enumerate() {
        let f = dir.path().join(format!("cmdline{i}"));
        fs::write(&f, format!("{cmdline}\n")).unwrap();
        let out = run(Command::new(&script).arg(&f), MIN);
        match want {
            Some(w) => {
                assert!(out.status.success(), "{cmdline}: {}", text(&out.stderr));
                assert_eq!(text(&out.stdout).trim_end(), *w, "{cmdline}");
            }
            None => {
                assert_eq!(out.status.code(), Some(1), "{cmdline}");
                assert!(
                    out.stdout.is_empty(),
                    "{cmdline}: printed {}",
                    text(&out.stdout)
                );
            }
        }
    }
    let out = run(Command::new(&script).arg(dir.path().join("missing")), MIN);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unreadable file is a usage error"
    );
}

#[test]
fn serial_generator_starts_the_console_on_the_first_serial_port() {
    let dir = tempdir();
    let prefix = install_into_prefix(dir.path());
    let generator = prefix.join("lib/systemd/system-generators/nodeconsole-serial-generator");
    let unitdir = prefix.join("lib/systemd/system");
    let gen_run = |name: &str, cmdline: &str| -> PathBuf {
        let base = dir.path().join(name);
        for d in ["normal", "early", "late"] {
            fs::create_dir_all(base.join(d)).unwrap();
        }
        let f = base.join("cmdline");
        fs::write(&f, cmdline).unwrap();
        ok(
            Command::new(&generator)
                .args([base.join("normal"), base.join("early"), base.join("late")])
                .env("NODECONSOLE_CMDLINE", &f),
            MIN,
        );
        base.join("normal")
    };

    let normal = gen_run(
        "two",
        "ro console=tty0 console=ttyS1,115200n8 console=ttyS0 quiet\n",
    );
    let link = normal.join("getty.target.wants/nodeconsole-serial@ttyS1.service");
    assert_eq!(
        fs::read_link(&link).unwrap(),
        unitdir.join("nodeconsole-serial@.service")
    );
    assert_eq!(
        fs::read_link(normal.join("serial-getty@ttyS1.service")).unwrap(),
        Path::new("/dev/null"),
        "the serial getty on the same port must be masked"
    );
    let baud =
        fs::read_to_string(normal.join("nodeconsole-serial@ttyS1.service.d/50-baud.conf")).unwrap();
    assert!(
        baud.contains("ExecStartPre=-/usr/bin/stty -F /dev/ttyS1 115200"),
        "{baud}"
    );
    assert_eq!(
        tree(&normal),
        set(&[
            "/getty.target.wants/nodeconsole-serial@ttyS1.service",
            "/nodeconsole-serial@ttyS1.service.d/50-baud.conf",
            "/serial-getty@ttyS1.service",
        ]),
        "only ttyS1, the first serial console, gets the console"
    );
    if let Some(analyze) = need("systemd-analyze", "package systemd") {
        verify_unit(
            &analyze,
            &[&normal, &unitdir],
            "nodeconsole-serial@ttyS1.service",
        )
        .unwrap_or_else(|e| panic!("generated unit: {e}"));
    }

    for (name, cmdline) in [
        ("none", "ro quiet console=tty0\n"),
        ("optout", "console=ttyS0,115200 nodeconsole.serial=0\n"),
    ] {
        let normal = gen_run(name, cmdline);
        assert!(tree(&normal).is_empty(), "{cmdline}: {:?}", tree(&normal));
    }
}

fn cli_config(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, body).unwrap();
    p
}

#[test]
fn cli_wrapper_runs_terminals_cli_command() {
    let dir = tempdir();
    let script = repo().join("scripts/nodeconsole-cli");
    let print = |cfg: &Path| {
        run(
            Command::new(&script)
                .arg("--print")
                .env("NODECONSOLE_CONFIG", cfg),
            MIN,
        )
    };
    // Agrees with config.rs on every form it accepts.
    let cases = [
        ("default.toml", "role = \"compute\"\n"),
        ("basic.toml", "[terminals]\ncli_command = \"zstack-cli -H 10.0.0.1\"  # comment\n"),
        ("literal.toml", "role = \"compute\"\n[ terminals ]\nshell = \"tty2\"\ncli_command = 'virsh --readonly'\n"),
        ("escaped.toml", "[terminals]\ncli_command = \"say \\\"x\\\"\"\n[log]\nlevel = \"info\"\n"),
        ("other-table.toml", "[zstack]\nhome = \"/x\"\n[terminals]\nconsole = \"tty1\"\n"),
    ];
    for (name, body) in cases {
        let cfg = cli_config(dir.path(), name, body);
        let want = Config::parse(body, &cfg).unwrap().terminals.cli_command;
        let out = print(&cfg);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let want_words: Vec<&str> = want.split_whitespace().collect();
        assert_eq!(text(&out.stdout).trim_end(), want_words.join(" "), "{name}");
    }
    // A missing file means the default, like nodeconsole itself.
    let out = print(&dir.path().join("absent.toml"));
    assert_eq!(
        text(&out.stdout).trim_end(),
        Config::default().terminals.cli_command
    );
    // What it cannot read safely is refused with the line number.
    let cfg = cli_config(
        dir.path(),
        "multi.toml",
        "[terminals]\ncli_command = \"\"\"x\"\"\"\n",
    );
    let out = print(&cfg);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    let cfg = cli_config(
        dir.path(),
        "blank.toml",
        "[terminals]\ncli_command = \"  \"\n",
    );
    assert_eq!(print(&cfg).status.code(), Some(1));

    // It really runs the command, split on blanks, without a shell.
    let cfg = cli_config(
        dir.path(),
        "echo.toml",
        "[terminals]\ncli_command = \"echo hello $HOME;\"\n",
    );
    let out = ok(Command::new(&script).env("NODECONSOLE_CONFIG", &cfg), MIN);
    assert!(
        text(&out.stdout).contains("\nhello $HOME;\n"),
        "{}",
        text(&out.stdout)
    );
    let cfg = cli_config(
        dir.path(),
        "nope.toml",
        "[terminals]\ncli_command = \"no-such-cli-xyz\"\n",
    );
    let out = run(Command::new(&script).env("NODECONSOLE_CONFIG", &cfg), MIN);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("command not found: no-such-cli-xyz"));
}

const INSTALLED_USR: &[&str] = &[
    "/usr/bin/nodeconsole",
    "/usr/libexec/nodeconsole/nodeconsole-virt",
    "/usr/libexec/nodeconsole/cli",
    "/usr/libexec/nodeconsole/serial-console-device",
    "/usr/lib/systemd/system/nodeconsole@.service",
    "/usr/lib/systemd/system/nodeconsole-serial@.service",
    "/usr/lib/systemd/system/nodeconsole-cli@.service",
    "/usr/lib/systemd/system/nodeconsole-cloud-install.service",
    "/usr/lib/systemd/system-generators/nodeconsole-serial-generator",
    "/usr/lib/systemd/system.conf.d/60-nodeconsole.conf",
    "/usr/lib/sysctl.d/60-nodeconsole.conf",
    "/usr/lib/systemd/system/getty@tty3.service.d/60-nodeconsole-cli.conf",
    "/usr/lib/systemd/system/autovt@tty3.service.d/60-nodeconsole-cli.conf",
    "/usr/share/doc/nodeconsole/examples/config.toml",
    "/usr/share/doc/nodeconsole/install.md",
    "/etc/pam.d/nodeconsole",
    "/etc/nodeconsole/config.toml",
];

/// Other assets (banner, strings, themes) the install copies to
/// /usr/share/nodeconsole.
fn other_assets() -> BTreeSet<String> {
    tree(&repo().join("assets"))
        .into_iter()
        .filter(|p| !p.starts_with("/pam.d/") && p != "/config.example.toml")
        .map(|p| format!("/usr/share/nodeconsole{p}"))
        .collect()
}

#[test]
fn make_install_destdir_produces_the_expected_tree() {
    let dir = tempdir();
    let dest = dir.path().join("dest");
    let d = dest.to_str().unwrap();
    let install = || {
        ok(
            make(&[
                "install",
                &format!("DESTDIR={d}"),
                "PREFIX=/usr",
                "PAM_FLAVOUR=debian",
                &format!("NODECONSOLE_BIN={BIN}"),
            ]),
            MIN,
        )
    };
    install();
    let mut want = set(INSTALLED_USR);
    want.extend(other_assets());
    assert_eq!(tree(&dest), want);
    for exe in [
        "usr/bin/nodeconsole",
        "usr/libexec/nodeconsole/nodeconsole-virt",
        "usr/libexec/nodeconsole/cli",
        "usr/lib/systemd/system-generators/nodeconsole-serial-generator",
    ] {
        assert_eq!(mode(&dest.join(exe)), 0o755, "{exe}");
    }
    for f in [
        "usr/lib/systemd/system/nodeconsole@.service",
        "etc/pam.d/nodeconsole",
        "etc/nodeconsole/config.toml",
    ] {
        assert_eq!(mode(&dest.join(f)), 0o644, "{f}");
    }
    assert_eq!(
        fs::read(dest.join("usr/bin/nodeconsole")).unwrap(),
        fs::read(BIN).unwrap()
    );
    assert_eq!(
        fs::read(dest.join("usr/libexec/nodeconsole/nodeconsole-virt")).unwrap(),
        fs::read(env!("CARGO_BIN_EXE_nodeconsole-virt")).unwrap()
    );
    // The installed console finds the installed helper (PREFIX/libexec).
    assert_eq!(
        nodeconsole::engine::libvirt::helper::locate(None, Some(&dest.join("usr/bin/nodeconsole"))),
        dest.join("usr/libexec/nodeconsole/nodeconsole-virt")
    );
    // PREFIX=/usr: the installed units equal the packaged ones.
    assert_eq!(
        fs::read_to_string(dest.join("usr/lib/systemd/system/nodeconsole@.service")).unwrap(),
        fs::read_to_string(repo().join("systemd/nodeconsole@.service")).unwrap()
    );
    assert_eq!(
        fs::read_to_string(dest.join("etc/pam.d/nodeconsole")).unwrap(),
        fs::read_to_string(repo().join("assets/pam.d/nodeconsole")).unwrap()
    );
    let printk = fs::read_to_string(dest.join("usr/lib/sysctl.d/60-nodeconsole.conf")).unwrap();
    assert!(printk
        .lines()
        .any(|l| l.trim() == "kernel.printk = 3 4 1 3"));
    assert!(
        Path::new("/proc/sys/kernel/printk").exists(),
        "kernel.printk is a real sysctl"
    );
    let sysconf =
        fs::read_to_string(dest.join("usr/lib/systemd/system.conf.d/60-nodeconsole.conf")).unwrap();
    assert!(sysconf.contains("[Manager]\nShowStatus=no"));

    // A second install keeps the operator's configuration.
    let cfg = dest.join("etc/nodeconsole/config.toml");
    fs::write(&cfg, "role = \"storage\"\n").unwrap();
    install();
    assert_eq!(fs::read_to_string(&cfg).unwrap(), "role = \"storage\"\n");

    // uninstall removes what install put there, except the configuration.
    ok(
        make(&["uninstall", &format!("DESTDIR={d}"), "PREFIX=/usr"]),
        MIN,
    );
    assert_eq!(tree(&dest), set(&["/etc/nodeconsole/config.toml"]));
}

#[test]
fn make_install_honours_prefix_and_refuses_a_missing_binary() {
    let dir = tempdir();
    let dest = dir.path().join("dest");
    let d = dest.to_str().unwrap();
    ok(
        make(&[
            "install",
            &format!("DESTDIR={d}"),
            "PREFIX=/usr/local",
            "PAM_FLAVOUR=redhat",
            &format!("NODECONSOLE_BIN={BIN}"),
        ]),
        MIN,
    );
    let unit =
        fs::read_to_string(dest.join("usr/local/lib/systemd/system/nodeconsole@.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/local/bin/nodeconsole\n"),
        "{unit}"
    );
    let cli =
        fs::read_to_string(dest.join("usr/local/lib/systemd/system/nodeconsole-cli@.service"))
            .unwrap();
    assert!(
        cli.contains("ExecStart=/usr/local/libexec/nodeconsole/cli\n"),
        "{cli}"
    );
    let generator = fs::read_to_string(
        dest.join("usr/local/lib/systemd/system-generators/nodeconsole-serial-generator"),
    )
    .unwrap();
    assert!(generator.contains("UNITDIR=/usr/local/lib/systemd/system\n"));
    assert!(generator.contains("/usr/local/libexec/nodeconsole}"));
    // PAM and the configuration stay in /etc whatever the prefix.
    let pam = fs::read_to_string(dest.join("etc/pam.d/nodeconsole")).unwrap();
    assert!(pam.contains("include      system-auth"), "{pam}");
    assert!(dest.join("etc/nodeconsole/config.toml").exists());

    let out = run(
        &mut make(&[
            "install",
            &format!("DESTDIR={d}/2"),
            "NODECONSOLE_BIN=/nonexistent/nodeconsole",
        ]),
        MIN,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("run 'make build' first"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !dest.join("2").exists(),
        "a refused install must not write anything"
    );
}

// ------------------------------------------------------------ packages

/// Whether `cargo SUB` works (cargo also finds subcommands in
/// $CARGO_HOME/bin when that is not on PATH); like `need` otherwise.
fn need_cargo_subcommand(sub: &str) -> bool {
    let found = run(Command::new("cargo").args([sub, "--version"]), MIN)
        .status
        .success();
    if !found {
        let msg = format!(
            "`cargo {sub}` not found; `make appliance-tools` compiles it with cargo install"
        );
        if in_ci() {
            panic!("CI=true and a test prerequisite is missing: {msg}");
        }
        eprintln!("\n!!!!!!!! SKIPPED: {msg} !!!!!!!!\n");
    }
    found
}

fn package(target: &str, dir: &Path) -> Option<PathBuf> {
    let sub = if target == "deb" {
        "deb"
    } else {
        "generate-rpm"
    };
    if !need_cargo_subcommand(sub) {
        return None;
    }
    let out_dir = dir.join("out");
    ok(
        make(&[
            target,
            &format!("NODECONSOLE_BIN={BIN}"),
            &format!("PKG_OUT={}", out_dir.display()),
            &format!("PKG_TARGET_DIR={}", dir.join("pkgtarget").display()),
            // The debug binaries without their debug info: compressing
            // 380 MB took longer than the test's bound on a loaded machine.
            "PKG_STRIP=1",
        ]),
        Duration::from_secs(600),
    );
    let pkgs: Vec<PathBuf> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == target))
        .collect();
    assert_eq!(
        pkgs.len(),
        1,
        "one .{target} in {}: {pkgs:?}",
        out_dir.display()
    );
    Some(pkgs[0].clone())
}

#[test]
fn deb_lists_the_expected_files_and_takes_tty1() {
    let dir = tempdir();
    let Some(_) = need("dpkg-deb", "package dpkg") else {
        return;
    };
    let Some(deb) = package("deb", dir.path()) else {
        return;
    };

    let listing = text(&ok(Command::new("dpkg-deb").arg("-c").arg(&deb), MIN).stdout);
    let files: BTreeSet<String> = listing
        .lines()
        .filter(|l| !l.starts_with('d'))
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|p| p.trim_start_matches('.').to_string())
        .collect();
    let mut want = set(INSTALLED_USR);
    want.extend(other_assets());
    want.insert("/usr/share/doc/nodeconsole/copyright".into());
    assert_eq!(files, want, "dpkg-deb -c:\n{listing}");

    // D-Bus and logind (F12 reboots through logind; without D-Bus Debian
    // starts gettys on tty2-6 through getty-static.service).
    let depends = text(
        &ok(
            Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Depends"),
            MIN,
        )
        .stdout,
    );
    let depends: Vec<&str> = depends.trim().split(", ").collect();
    for want in [
        "systemd",
        "util-linux",
        "default-dbus-system-bus | dbus-system-bus",
        "libpam-systemd",
    ] {
        assert!(depends.contains(&want), "Depends lacks {want}: {depends:?}");
    }

    let conffiles = text(
        &ok(
            Command::new("dpkg-deb")
                .args(["-I"])
                .arg(&deb)
                .arg("conffiles"),
            MIN,
        )
        .stdout,
    );
    assert!(
        conffiles.contains("/etc/nodeconsole/config.toml")
            && conffiles.contains("/etc/pam.d/nodeconsole"),
        "{conffiles}"
    );

    // Install into an empty tree with the real dpkg (chrootless scripts,
    // DPKG_ROOT set): the postinst must enable the console on tty1 and
    // disable the getty there; removal gives tty1 back to getty.
    let Some(_) = need("systemctl", "package systemd") else {
        return;
    };
    let root = dir.path().join("root");
    for d in [
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
        "etc/systemd/system/getty.target.wants",
        "usr/lib/systemd/system",
    ] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    let getty = [
        "/usr/lib/systemd/system/getty@.service",
        "/lib/systemd/system/getty@.service",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("getty@.service of the systemd package");
    fs::copy(getty, root.join("usr/lib/systemd/system/getty@.service")).unwrap();
    let wants = root.join("etc/systemd/system/getty.target.wants");
    std::os::unix::fs::symlink(
        "/usr/lib/systemd/system/getty@.service",
        wants.join("getty@tty1.service"),
    )
    .unwrap();
    let dpkg = |args: &[&str]| {
        ok(
            Command::new("dpkg")
                .arg(format!("--root={}", root.display()))
                .args([
                    "--force-script-chrootless",
                    "--force-depends",
                    "--log=/dev/null",
                ])
                .args(args),
            MIN,
        )
    };
    dpkg(&["-i", deb.to_str().unwrap()]);
    let enabled = tree(&wants);
    assert_eq!(
        enabled,
        set(&["/nodeconsole-cli@tty3.service", "/nodeconsole@tty1.service"]),
        "after install: console on tty1 and CLI on tty3, no getty on tty1"
    );
    let cli_enabled = root.join(CLI_ENABLED.trim_start_matches('/'));
    assert!(
        cli_enabled.is_symlink(),
        "the getty drop-in's condition names what the postinst enables"
    );
    assert!(root
        .join("usr/lib/systemd/system/getty@tty3.service.d/60-nodeconsole-cli.conf")
        .exists());
    assert_eq!(
        fs::read_link(wants.join("nodeconsole@tty1.service")).unwrap(),
        Path::new("/usr/lib/systemd/system/nodeconsole@.service")
    );
    assert!(root.join("usr/bin/nodeconsole").exists());
    dpkg(&["-r", "nodeconsole"]);
    assert_eq!(
        tree(&wants),
        set(&["/getty@tty1.service"]),
        "after removal: getty back on tty1"
    );
}

#[test]
fn rpm_lists_the_expected_files_and_takes_tty1() {
    let dir = tempdir();
    let Some(_) = need("rpm", "package rpm") else {
        return;
    };
    let Some(rpm) = package("rpm", dir.path()) else {
        return;
    };
    let rpmq = |args: &[&str]| text(&ok(Command::new("rpm").args(args).arg(&rpm), MIN).stdout);
    let files: BTreeSet<String> = rpmq(&["-qlp"]).lines().map(str::to_string).collect();
    let mut want = set(INSTALLED_USR);
    want.extend(other_assets());
    assert_eq!(files, want, "rpm -qlp");
    let config: BTreeSet<String> = rpmq(&["-qcp"]).lines().map(str::to_string).collect();
    assert_eq!(
        config,
        set(&["/etc/nodeconsole/config.toml", "/etc/pam.d/nodeconsole"]),
        "rpm -qcp"
    );
    let scripts = rpmq(&["-qp", "--scripts"]);
    assert!(
        scripts.contains("systemctl disable getty@tty1.service"),
        "{scripts}"
    );
    assert!(
        scripts.contains("systemctl enable nodeconsole@tty1.service nodeconsole-cli@tty3.service"),
        "{scripts}"
    );
    assert!(scripts.contains("preuninstall scriptlet"), "{scripts}");
    let requires = rpmq(&["-qp", "--requires"]);
    for want in ["systemd", "util-linux", "dbus", "systemd-pam"] {
        assert!(
            requires
                .lines()
                .any(|l| l.split_whitespace().next() == Some(want)),
            "Requires lacks {want}:\n{requires}"
        );
    }
    let info = rpmq(&["-qip"]);
    assert!(info.contains("Name        : nodeconsole"), "{info}");
    // The EL PAM stack (system-auth), not Debian's common-auth.
    let pam = fs::read_to_string(repo().join("assets/pam.d/nodeconsole.redhat")).unwrap();
    assert!(pam.contains("system-auth") && !pam.contains("common-auth"));
}

// ----------------------------------------------------------- kickstarts

const MODES: [&str; 4] = ["management", "compute", "storage", "expert"];

fn ks(mode: &str) -> String {
    fs::read_to_string(repo().join(format!("iso/ks/{mode}.ks"))).unwrap()
}

/// The body of the first `%<section>` ... `%end` block whose header starts
/// with `header`.
fn ks_section(ks: &str, header: &str) -> Option<String> {
    let mut out = None::<String>;
    for line in ks.lines() {
        match &mut out {
            None if line.starts_with(header) => out = Some(String::new()),
            Some(body) if line.trim() == "%end" => return Some(body.clone()),
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    None
}

fn ksvalidate(ksv: &Path, file: &Path) -> Output {
    run(Command::new(ksv).args(["-e", "-v", "RHEL9"]).arg(file), MIN)
}

#[test]
fn kickstarts_pass_ksvalidator() {
    let Some(ksv) = ksvalidator() else { return };
    for mode in MODES {
        let f = repo().join(format!("iso/ks/{mode}.ks"));
        for version in ["RHEL9", "RHEL8"] {
            let out = run(Command::new(&ksv).args(["-e", "-v", version]).arg(&f), MIN);
            assert!(
                out.status.success(),
                "ksvalidator -v {version} {mode}.ks:\n{}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
    }
    // Negative control: the validator must reject a broken kickstart.
    let dir = tempdir();
    let bad = dir.path().join("bad.ks");
    fs::write(
        &bad,
        ks("compute").replace(
            "timezone Asia/Shanghai --utc",
            "timezone Asia/Shanghai --utx",
        ),
    )
    .unwrap();
    assert!(
        !ksvalidate(&ksv, &bad).status.success(),
        "ksvalidator accepted --utx"
    );
}

#[test]
fn kickstarts_carry_the_spec_defaults_and_the_role() {
    for mode in MODES {
        let k = ks(mode);
        for line in [
            "cdrom",
            "repo --name=nodeconsole --baseurl=file:///run/install/repo/nodeconsole",
            "lang en_US.UTF-8",
            "keyboard --vckeymap=us --xlayouts=us",
            "timezone Asia/Shanghai --utc",
            "%include /tmp/nodeconsole-network.ks",
        ] {
            assert!(k.lines().any(|l| l == line), "{mode}.ks lacks `{line}`");
        }
        assert!(
            !k.lines().any(|l| l.starts_with("url ")),
            "{mode}.ks must install offline"
        );
        let packages = ks_section(&k, "%packages").unwrap();
        assert!(
            packages.lines().any(|l| l == "nodeconsole"),
            "{mode}.ks installs nodeconsole"
        );
        let post = ks_section(&k, "%post --interpreter").unwrap();
        if mode == "expert" {
            assert!(
                !post.contains("config.toml"),
                "expert mode writes no console config"
            );
            assert!(post.contains("systemctl disable nodeconsole@tty1.service"));
            assert!(post.contains("systemctl enable getty@tty1.service"));
            assert!(!k.contains("consoleblank=0"));
            continue;
        }
        assert!(
            post.contains("systemctl disable getty@tty1.service"),
            "{mode}"
        );
        assert!(post.contains("systemctl enable nodeconsole@tty1.service nodeconsole-cli@tty3.service getty@tty2.service"), "{mode}");
        assert!(
            k.contains("bootloader --append=\"consoleblank=0\""),
            "{mode}"
        );
        // The config the %post writes parses, with the mode's role.
        let start = post.find("<<'EOF'\n").expect("config heredoc") + 8;
        let body = &post[start..start + post[start..].find("\nEOF\n").unwrap() + 1];
        let cfg =
            Config::parse(body, Path::new(&format!("{mode}.ks"))).unwrap_or_else(|e| panic!("{e}"));
        let want = match mode {
            "management" => Role::Management,
            "compute" => Role::Compute,
            _ => Role::Storage,
        };
        assert_eq!(cfg.role, want, "{mode}");
        let cli = if mode == "management" {
            "zstack-cli"
        } else {
            "virsh --readonly"
        };
        assert_eq!(cfg.terminals.cli_command, cli);
    }
    // Every script section is valid shell (anaconda runs them with /bin/sh).
    let dir = tempdir();
    for mode in MODES {
        let k = ks(mode);
        let mut n = 0;
        for header in ["%pre", "%post --nochroot", "%post --interpreter"] {
            if let Some(body) = ks_section(&k, header) {
                let f = dir.path().join(format!("{mode}-{n}.sh"));
                fs::write(&f, body).unwrap();
                ok(Command::new("sh").arg("-n").arg(&f), MIN);
                n += 1;
            }
        }
        assert!(n >= 2, "{mode}.ks: %pre and %post expected");
    }
    // The same %pre (the bond) in every mode.
    let pre = ks_section(&ks("compute"), "%pre").unwrap();
    for mode in MODES {
        assert_eq!(
            ks_section(&ks(mode), "%pre").unwrap(),
            pre,
            "{mode}.ks %pre differs"
        );
    }
    let storage = ks_section(&ks("storage"), "%packages").unwrap();
    for p in [
        "kernel-uek",
        "ocfs2-tools",
        "iscsi-initiator-utils",
        "device-mapper-multipath",
    ] {
        assert!(storage.lines().any(|l| l == p), "storage.ks lacks {p}");
    }
    let mgmt = ks_section(&ks("management"), "%packages").unwrap();
    assert!(
        mgmt.lines().any(|l| l == "mariadb-server") && mgmt.lines().any(|l| l == "rabbitmq-server")
    );
}

/// Runs the kickstarts' %pre (the bond) on a fake /sys/class/net and a fake
/// kernel command line, and validates the kickstart with its output spliced
/// in place of the %include.
#[test]
fn kickstart_pre_writes_a_valid_bond() {
    let dir = tempdir();
    let pre = dir.path().join("pre.sh");
    fs::write(&pre, ks_section(&ks("compute"), "%pre").unwrap()).unwrap();
    let net = dir.path().join("net");
    // eth0 down, eth1/eth2 up, eth3 up; lo and br0 are not physical.
    for (nic, physical, carrier) in [
        ("lo", false, "1"),
        ("br0", false, "1"),
        ("eth0", true, "0"),
        ("eth1", true, "1"),
        ("eth2", true, "1"),
        ("eth3", true, "1"),
    ] {
        let d = net.join(nic);
        fs::create_dir_all(&d).unwrap();
        if physical {
            fs::create_dir(d.join("device")).unwrap();
        }
        fs::write(d.join("carrier"), format!("{carrier}\n")).unwrap();
    }
    let run_pre = |name: &str, cmdline: &str, net: &Path| -> String {
        let cl = dir.path().join(format!("{name}.cmdline"));
        fs::write(&cl, cmdline).unwrap();
        let out = dir.path().join(format!("{name}.ks"));
        ok(
            Command::new("sh")
                .arg(&pre)
                .env("NC_SYSFS_NET", net)
                .env("NC_CMDLINE", &cl)
                .env("NC_OUT", &out),
            MIN,
        );
        fs::read_to_string(out).unwrap()
    };
    let auto = run_pre(
        "auto",
        "BOOT_IMAGE=vmlinuz inst.ks=hd:LABEL=X:/ks/compute.ks quiet\n",
        &net,
    );
    assert_eq!(
        auto.trim_end(),
        "network --device=bond0 --bondslaves=eth1,eth2 --bondopts=mode=active-backup,miimon=100 --bootproto=dhcp --onboot=yes --activate"
    );
    let manual = run_pre(
        "manual",
        "quiet nodeconsole.bond=ens1f0,ens1f1 nodeconsole.bondmode=802.3ad nodeconsole.ip=10.1.2.3 nodeconsole.netmask=255.255.255.0 nodeconsole.gateway=10.1.2.1 nodeconsole.nameserver=10.1.2.2 nodeconsole.hostname=node7\n",
        &net,
    );
    assert_eq!(
        manual.trim_end(),
        "network --device=bond0 --bondslaves=ens1f0,ens1f1 --bondopts=mode=802.3ad,miimon=100 --bootproto=static --ip=10.1.2.3 --netmask=255.255.255.0 --gateway=10.1.2.1 --nameserver=10.1.2.2 --onboot=yes --activate --hostname=node7"
    );
    // No link anywhere: the first physical NIC alone.
    let down = dir.path().join("down");
    for nic in ["eno2", "eno1"] {
        fs::create_dir_all(down.join(nic).join("device")).unwrap();
        fs::write(down.join(nic).join("carrier"), "0\n").unwrap();
    }
    assert!(run_pre("down", "quiet\n", &down).contains("--bondslaves=eno1 "));
    // No NIC at all: a comment, the installer asks.
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert!(run_pre("empty", "quiet\n", &empty).starts_with('#'));

    let Some(ksv) = ksvalidator() else { return };
    for (name, network) in [("auto", &auto), ("manual", &manual)] {
        for mode in MODES {
            let spliced = ks(mode).replace("%include /tmp/nodeconsole-network.ks\n", network);
            assert_ne!(spliced, ks(mode));
            let f = dir.path().join(format!("{mode}-{name}-full.ks"));
            fs::write(&f, spliced).unwrap();
            let out = ksvalidate(&ksv, &f);
            assert!(
                out.status.success(),
                "{mode} + {name}:\n{network}\n{}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
    }
}

// ---------------------------------------------------------------- ISO

/// build-iso.sh on a small stand-in for a stock EL DVD (made here with
/// xorriso: the EL boot menus, a FAT efiboot.img, a volume id). It checks
/// the rewritten menus and the added content; booting it is not tested.
#[test]
fn build_iso_adds_kickstarts_repo_and_boot_entries() {
    for (tool, pkg) in [
        ("xorriso", "xorriso"),
        ("createrepo_c", "createrepo-c"),
        ("mcopy", "mtools"),
        ("mkfs.vfat", "dosfstools"),
    ] {
        if need(tool, &format!("package {pkg}")).is_none() {
            return;
        }
    }
    let dir = tempdir();
    let src = dir.path().join("src");
    let label = "Rocky-9-4-x86_64-dvd";
    for d in ["isolinux", "EFI/BOOT", "images/pxeboot"] {
        fs::create_dir_all(src.join(d)).unwrap();
    }
    let grub = format!(
        "set default=\"1\"\nset timeout=60\n\
         menuentry 'Install Rocky Linux 9.4' --class fedora --class gnu-linux --class gnu --class os {{\n\
         \tlinuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL={label} quiet\n\
         \tinitrdefi /images/pxeboot/initrd.img\n}}\n\
         menuentry 'Test this media & install Rocky Linux 9.4' --class fedora --class gnu-linux --class gnu --class os {{\n\
         \tlinuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL={label} rd.live.check quiet\n\
         \tinitrdefi /images/pxeboot/initrd.img\n}}\n"
    );
    fs::write(src.join("EFI/BOOT/grub.cfg"), &grub).unwrap();
    fs::write(
        src.join("isolinux/isolinux.cfg"),
        format!(
            "default vesamenu.c32\ntimeout 600\n\
             label linux\n  menu label ^Install Rocky Linux 9.4\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL={label} quiet\n\n\
             label check\n  menu label Test this ^media\n  menu default\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL={label} rd.live.check quiet\n"
        ),
    )
    .unwrap();
    let efi = src.join("images/efiboot.img");
    ok(
        Command::new("mkfs.vfat").arg("-C").arg(&efi).arg("1440"),
        MIN,
    );
    ok(
        Command::new("mmd")
            .arg("-i")
            .arg(&efi)
            .args(["::/EFI", "::/EFI/BOOT"]),
        MIN,
    );
    ok(
        Command::new("mcopy")
            .arg("-i")
            .arg(&efi)
            .arg(src.join("EFI/BOOT/grub.cfg"))
            .arg("::/EFI/BOOT/grub.cfg"),
        MIN,
    );
    let stock = dir.path().join("stock.iso");
    ok(
        Command::new("xorriso")
            .args(["-as", "mkisofs", "-quiet", "-V", label, "-o"])
            .arg(&stock)
            .args([
                "-eltorito-alt-boot",
                "-e",
                "images/efiboot.img",
                "-no-emul-boot",
            ])
            .arg(&src),
        MIN,
    );
    let rpms = dir.path().join("rpms");
    fs::create_dir(&rpms).unwrap();
    // Placeholder packages: createrepo_c indexes real RPMs only, so the
    // nodeconsole one must be real; build it when cargo-generate-rpm exists.
    let Some(rpm) = package("rpm", &dir.path().join("pkg")) else {
        return;
    };
    fs::copy(&rpm, rpms.join(rpm.file_name().unwrap())).unwrap();
    let script = repo().join("iso/build-iso.sh");
    let out_iso = dir.path().join("out.iso");

    // Refuses when a mode's packages are missing from --rpms.
    let refused = run(
        Command::new(&script)
            .arg("--iso")
            .arg(&stock)
            .arg("--rpms")
            .arg(&rpms)
            .arg("--out")
            .arg(&out_iso),
        MIN,
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("rabbitmq-server kernel-uek ocfs2-tools"),
        "{}",
        text(&refused.stderr)
    );
    assert!(!out_iso.exists());

    let installer = dir.path().join("zstack-installer.bin");
    fs::write(&installer, "#!/bin/bash\necho installing\n").unwrap();
    ok(
        Command::new(&script)
            .arg("--iso")
            .arg(&stock)
            .arg("--rpms")
            .arg(&rpms)
            .arg("--out")
            .arg(&out_iso)
            .arg("--allow-missing")
            .arg("--cloud-installer")
            .arg(&installer)
            .args(["--cloud-installer-args", "-a -z"]),
        Duration::from_secs(300),
    );
    let ex = dir.path().join("ex");
    fs::create_dir(&ex).unwrap();
    ok(
        Command::new("xorriso")
            .args(["-osirrox", "on", "-indev"])
            .arg(&out_iso)
            .args(["-extract", "/", ex.to_str().unwrap()]),
        MIN,
    );
    for mode in MODES {
        assert_eq!(
            fs::read_to_string(ex.join(format!("ks/{mode}.ks"))).unwrap(),
            ks(mode)
        );
    }
    assert!(ex.join("nodeconsole/repodata/repomd.xml").exists());
    assert!(ex
        .join(format!(
            "nodeconsole/{}",
            rpm.file_name().unwrap().to_string_lossy()
        ))
        .exists());
    assert_eq!(
        fs::read_to_string(ex.join("nodeconsole/cloud/args.env")).unwrap(),
        "INSTALLER_ARGS=-a -z\n"
    );
    assert!(ex.join("nodeconsole/cloud/installer.bin").exists());

    let new_grub = fs::read_to_string(ex.join("EFI/BOOT/grub.cfg")).unwrap();
    assert!(new_grub.starts_with("set default=\"0\"\n"));
    let entries: Vec<&str> = new_grub
        .lines()
        .filter(|l| l.starts_with("menuentry "))
        .collect();
    assert_eq!(entries.len(), 6, "{new_grub}");
    assert!(entries[0].starts_with("menuentry 'nodeconsole: Management node'"));
    for mode in MODES {
        let line = format!("\tlinuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL={label} quiet inst.ks=hd:LABEL={label}:/ks/{mode}.ks");
        assert!(
            new_grub.lines().any(|l| l == line),
            "grub.cfg lacks {line}\n{new_grub}"
        );
    }
    let iso_cfg = fs::read_to_string(ex.join("isolinux/isolinux.cfg")).unwrap();
    assert_eq!(iso_cfg.matches("menu default").count(), 1, "{iso_cfg}");
    assert!(iso_cfg.contains("label nodeconsole-management\n  menu label nodeconsole: ^Management node\n  menu default\n"));
    assert!(iso_cfg.contains(&format!("append initrd=initrd.img inst.stage2=hd:LABEL={label} quiet inst.ks=hd:LABEL={label}:/ks/expert.ks")));
    // The copy of grub.cfg inside the UEFI boot image is the new one too.
    let inner = ok(
        Command::new("mtype")
            .arg("-i")
            .arg(ex.join("images/efiboot.img"))
            .arg("::/EFI/BOOT/grub.cfg"),
        MIN,
    );
    assert_eq!(text(&inner.stdout).replace("\r\n", "\n"), new_grub);
    // Volume id kept (inst.stage2=hd:LABEL= depends on it), UEFI boot kept.
    let pvd = text(
        &ok(
            Command::new("xorriso")
                .args(["-indev"])
                .arg(&out_iso)
                .arg("-pvd_info"),
            MIN,
        )
        .stdout,
    );
    assert!(
        pvd.lines()
            .any(|l| l.starts_with("Volume Id") && l.trim_end().ends_with(&format!(": {label}"))),
        "{pvd}"
    );
    let report = ok(
        Command::new("xorriso")
            .arg("-indev")
            .arg(&out_iso)
            .args(["-report_el_torito", "plain"]),
        MIN,
    );
    assert!(
        text(&report.stdout).contains("/images/efiboot.img"),
        "{}",
        text(&report.stdout)
    );
}
