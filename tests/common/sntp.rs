//! A small NTP server (RFC 5905 server mode) on loopback whose clock is a
//! known amount off ours: the peer of the clock-check tests. It is a real
//! UDP peer speaking the protocol, not a stand-in for a console component.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use nodeconsole::net::sntp::NtpTime;

/// How the test server answers.
#[derive(Clone, Copy)]
pub enum Answer {
    /// Its clock is `skew` seconds ahead of ours.
    Skewed(f64),
    /// Kiss-o'-death RATE (stratum 0).
    Kiss,
    /// Answers once with a reply to someone else's request first.
    Stray(f64),
}

pub struct Server {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

pub fn serve(answer: Answer) -> Server {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let addr = sock.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut buf = [0u8; 128];
        while !s2.load(Ordering::SeqCst) {
            let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                continue;
            };
            if n < 48 {
                continue;
            }
            let skew = match answer {
                Answer::Skewed(s) | Answer::Stray(s) => s,
                Answer::Kiss => 0.0,
            };
            let clock = || {
                let now = SystemTime::now();
                let d = Duration::from_secs_f64(skew.abs());
                NtpTime::from_system(if skew >= 0.0 { now + d } else { now - d })
            };
            let mut reply = [0u8; 48];
            reply[0] = 4 << 3 | 4;
            reply[1] = 2;
            reply[24..32].copy_from_slice(&buf[40..48]);
            reply[32..40].copy_from_slice(&clock().0.to_be_bytes());
            if let Answer::Kiss = answer {
                reply[1] = 0;
                reply[12..16].copy_from_slice(b"RATE");
            }
            if let Answer::Stray(_) = answer {
                let mut stray = reply;
                stray[24..32].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
                stray[40..48].copy_from_slice(&clock().0.to_be_bytes());
                let _ = sock.send_to(&stray, peer);
            }
            reply[40..48].copy_from_slice(&clock().0.to_be_bytes());
            let _ = sock.send_to(&reply, peer);
        }
    });
    Server {
        addr,
        stop,
        handle: Some(handle),
    }
}
