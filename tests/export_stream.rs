//! A 100 MB export streams with bounded memory: the server's peak resident
//! set (VmHWM of this process, which runs the server) grows by far less than
//! the file while a real client downloads it. This is a memory bound, not a
//! timing assertion. One test per binary, so no other test's allocations
//! move the peak.

use std::io::{Read, Write};
use std::time::Duration;

use nodeconsole::export::{ExportRegistry, ExportServer};

const SIZE: u64 = 100 << 20;
const BOUND_KIB: u64 = 32 << 10;

fn vm_hwm_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// Downloads `url`, returning (bytes, byte sum) without keeping the body.
fn fetch(url: &str) -> (u64, u64, Option<String>, String) {
    let resp = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(300))
        .build()
        .get(url)
        .call()
        .unwrap();
    let len = resp.header("content-length").map(str::to_string);
    let ctype = resp.header("content-type").unwrap_or("").to_string();
    let mut r = resp.into_reader();
    let mut buf = vec![0u8; 64 << 10];
    let (mut n, mut sum) = (0u64, 0u64);
    loop {
        let k = r.read(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        n += k as u64;
        sum = buf[..k].iter().fold(sum, |a, b| a.wrapping_add(*b as u64));
    }
    (n, sum, len, ctype)
}

#[test]
fn hundred_megabytes_stream_with_bounded_memory() {
    let work = tempfile::tempdir().unwrap();
    // A 100 MB log, written in 1 MiB chunks, and a tarball of it made by GNU tar.
    let logdir = work.path().join("logs");
    std::fs::create_dir(&logdir).unwrap();
    let log = logdir.join("big.log");
    let mut expected_sum = 0u64;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        let chunk: Vec<u8> = (0..(1u32 << 20))
            .map(|i| b"0123456789abcdef ;\n"[(i % 19) as usize])
            .collect();
        let chunk_sum = chunk.iter().fold(0u64, |a, b| a.wrapping_add(*b as u64));
        for _ in 0..(SIZE >> 20) {
            f.write_all(&chunk).unwrap();
            expected_sum = expected_sum.wrapping_add(chunk_sum);
        }
        f.flush().unwrap();
    }
    let tgz = work.path().join("big-logs.tar.gz");
    let st = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&tgz)
        .arg("-C")
        .arg(&logdir)
        .arg("big.log")
        .status()
        .expect("GNU tar is installed");
    assert!(st.success());
    // The raw 100 MB file is published too, to download it uncompressed.
    let reg = ExportRegistry::load(&work.path().join("state.json")).unwrap();
    let raw_export = reg.publish(&log, Duration::from_secs(3600)).unwrap();
    let tgz_export = reg.publish(&tgz, Duration::from_secs(3600)).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(ExportServer::start("127.0.0.1:0".parse().unwrap(), reg))
        .unwrap();
    let base = format!("http://{}", server.local_addr());
    // Warm up: the first request allocates the server's steady state.
    let _ = fetch(&format!("{base}/{}/", raw_export.token));
    let before = vm_hwm_kib();

    let (n, sum, len, ctype) = fetch(&format!("{base}/{}/big.log", raw_export.token));
    assert_eq!(n, SIZE);
    assert_eq!(sum, expected_sum);
    assert_eq!(len, Some(SIZE.to_string()));
    assert_eq!(ctype, "application/octet-stream");
    let after_download = vm_hwm_kib();

    // Browsing the tarball streams the 100 MB entry out of gzip as well.
    let (n, sum, len, ctype) = fetch(&format!("{base}/{}/browse/big.log", tgz_export.token));
    assert_eq!(n, SIZE);
    assert_eq!(sum, expected_sum);
    assert_eq!(len, Some(SIZE.to_string()));
    assert_eq!(ctype, "text/plain; charset=utf-8");
    let after_browse = vm_hwm_kib();

    eprintln!(
        "VmHWM: before {before} KiB, after download {after_download} KiB, after browse {after_browse} KiB"
    );
    assert!(
        after_download - before < BOUND_KIB,
        "download grew the peak RSS by {} KiB",
        after_download - before
    );
    assert!(
        after_browse - before < BOUND_KIB,
        "browse grew the peak RSS by {} KiB",
        after_browse - before
    );
}
