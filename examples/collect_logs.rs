//! Measuring binary for log collection (used by scripts/measure-collect-logs.sh).
//!
//! `collect_logs generate ROOT MIB` writes MIB MiB of log-like text files
//! under ROOT/var/log (varied lines, so gzip works about as hard as on real
//! logs); `collect_logs collect ROOT DEST` runs the real node log collection
//! over ROOT into DEST and prints the bytes, seconds and MB/s. Peak memory is
//! measured from outside (`/usr/bin/time -v`).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use nodeconsole::export::{collect_node_logs, CollectSpec, CommandSpec};
use nodeconsole::job::Recorder;

fn generate(root: &Path, mib: u64) -> std::io::Result<()> {
    let dirs = ["var/log", "var/log/libvirt/qemu", "var/log/zstack"];
    for d in dirs {
        std::fs::create_dir_all(root.join(d))?;
    }
    let files = 16u64;
    let per_file = (mib << 20) / files;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let words = [
        "kernel:",
        "systemd[1]:",
        "libvirtd[812]:",
        "qemu-kvm:",
        "Started",
        "Stopped",
        "session",
        "eth0",
        "bond0",
        "link",
        "up",
        "down",
        "error",
        "warning",
        "info",
        "vm-",
        "disk",
        "iscsi",
        "connection",
        "timeout",
        "retry",
        "ok",
        "uuid=",
        "state=Running",
        "host",
        "mn",
    ];
    for i in 0..files {
        let name = match i % 3 {
            0 => format!("var/log/messages-{i}"),
            1 => format!("var/log/libvirt/qemu/vm-{i}.log"),
            _ => format!("var/log/zstack/management-server-{i}.log"),
        };
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(root.join(name))?);
        let mut written = 0u64;
        let mut line = String::with_capacity(256);
        let mut t = 1_700_000_000u64;
        while written < per_file {
            line.clear();
            t += x % 3;
            line.push_str(&format!(
                "2026-11-22T{:02}:{:02}:{:02}.{:06} node1 ",
                (t / 3600) % 24,
                (t / 60) % 60,
                t % 60,
                x % 1_000_000
            ));
            for _ in 0..(6 + x % 10) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                line.push_str(words[(x % words.len() as u64) as usize]);
                if x % 4 == 0 {
                    line.push_str(&format!("{:x}", x >> 40));
                }
                line.push(' ');
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
            written += line.len() as u64;
        }
        w.flush()?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("generate") if args.len() == 4 => {
            let mib: u64 = args[3].parse().expect("MIB is a number");
            generate(Path::new(&args[2]), mib).expect("generate logs");
        }
        Some("collect") if args.len() == 4 => {
            let spec = CollectSpec {
                root: args[2].clone().into(),
                journal: None,
                globs: vec![
                    "/var/log/messages*".into(),
                    "/var/log/libvirt/**".into(),
                    "/var/log/zstack/**".into(),
                ],
                commands: vec![CommandSpec::new("uptime", &["uptime"])],
                max_bytes: 64 << 30,
                name_prefix: "bench".into(),
            };
            let mut rec = Recorder::default();
            let start = Instant::now();
            let out = collect_node_logs(&spec, Path::new(&args[3]), &mut rec).expect("collect");
            let secs = start.elapsed().as_secs_f64();
            let input: u64 = walk_size(&Path::new(&args[2]).join("var/log"));
            let output = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            println!("input_bytes={input}");
            println!("output_bytes={output}");
            println!("seconds={secs:.2}");
            println!("throughput_mb_s={:.1}", input as f64 / 1e6 / secs);
            println!("tarball={}", out.display());
        }
        _ => {
            eprintln!("usage: collect_logs generate ROOT MIB | collect_logs collect ROOT DEST");
            std::process::exit(2);
        }
    }
}

fn walk_size(p: &Path) -> u64 {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let m = match e.metadata() {
                Ok(m) => m,
                Err(_) => continue,
            };
            if m.is_dir() {
                n += walk_size(&e.path());
            } else {
                n += m.len();
            }
        }
    }
    n
}
