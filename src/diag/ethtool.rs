//! A NIC's link facts and its identify LED through the ethtool ioctl
//! (`SIOCETHTOOL`), never by running `ethtool`: speed and duplex
//! (`ETHTOOL_GSET`), carrier (`ETHTOOL_GLINK`), driver, version and bus
//! (`ETHTOOL_GDRVINFO`), and blinking the port's LED (`ETHTOOL_PHYS_ID`).
//!
//! Why the ioctl and not ethtool's genetlink family: one request per fact,
//! no family lookup, the same answer on every kernel this console meets
//! (EL7's 3.10 has no ethtool netlink). The calls run in the caller's
//! network namespace (an `AF_INET` datagram socket is only the handle the
//! ioctl needs; nothing is sent).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use thiserror::Error;

const ETHTOOL_GSET: u32 = 0x0000_0001;
const ETHTOOL_GDRVINFO: u32 = 0x0000_0003;
const ETHTOOL_GLINK: u32 = 0x0000_000a;
const ETHTOOL_PHYS_ID: u32 = 0x0000_001c;

/// Seconds of one `ETHTOOL_PHYS_ID` call: the kernel blinks inside the
/// ioctl and only a signal interrupts it, so a long blink is made of
/// one-second calls and Esc is honoured between two of them.
const PHYS_ID_STEP_S: u32 = 1;

/// Bounds of the Identify port duration (seconds).
pub const BLINK_MIN_S: u32 = 1;
pub const BLINK_MAX_S: u32 = 300;
/// The duration pre-filled in the form.
pub const BLINK_DEFAULT_S: u32 = 15;

/// Why an ethtool request failed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EthtoolError {
    #[error("there is no network interface named \"{0}\"")]
    NoSuchNic(String),
    #[error("the NIC name \"{0}\" is not a valid interface name")]
    BadName(String),
    #[error("the driver of {nic} ({driver}) cannot {what}")]
    NotSupported {
        nic: String,
        driver: String,
        what: &'static str,
    },
    #[error("{what} on {nic} needs CAP_NET_ADMIN: run the console as root")]
    Permission { nic: String, what: &'static str },
    #[error("{what} on {nic} failed: {cause}")]
    Io {
        nic: String,
        what: &'static str,
        cause: String,
    },
}

/// Full or half duplex, as the driver reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplex {
    Half,
    Full,
    Unknown,
}

impl std::fmt::Display for Duplex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Duplex::Half => "half",
            Duplex::Full => "full",
            Duplex::Unknown => "unknown",
        })
    }
}

/// What ethtool knows about one NIC. A field the driver does not answer is
/// `None` (virtual NICs often lack some).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    pub nic: String,
    /// Mb/s; `None` when unknown (no link, or the driver does not say).
    pub speed_mbps: Option<u32>,
    pub duplex: Option<Duplex>,
    pub autoneg: Option<bool>,
    /// Carrier as the driver sees it (`ETHTOOL_GLINK`).
    pub link_detected: Option<bool>,
    pub driver: Option<String>,
    pub driver_version: Option<String>,
    pub firmware: Option<String>,
    /// PCI address or similar; empty for virtual NICs.
    pub bus_info: Option<String>,
}

impl LinkInfo {
    /// The lines of the NIC details window (pure).
    pub fn lines(&self) -> Vec<String> {
        let speed = match (self.speed_mbps, self.duplex) {
            (Some(s), Some(d)) => format!("{} {d} duplex", speed_text(s)),
            (Some(s), None) => speed_text(s),
            (None, _) => "unknown (no link, or the driver does not say)".into(),
        };
        let yes_no = |b: Option<bool>, y: &str, n: &str| match b {
            Some(true) => y.to_string(),
            Some(false) => n.to_string(),
            None => "unknown".to_string(),
        };
        let mut v = vec![
            format!("Speed      {speed}"),
            format!(
                "Carrier    {}",
                yes_no(
                    self.link_detected,
                    "link detected",
                    "no link (cable, switch port or SFP)"
                )
            ),
            format!("Autoneg    {}", yes_no(self.autoneg, "on", "off")),
        ];
        let drv = match (&self.driver, &self.driver_version) {
            (Some(d), Some(ver)) if !ver.is_empty() => format!("{d} {ver}"),
            (Some(d), _) => d.clone(),
            (None, _) => "unknown".into(),
        };
        v.push(format!("Driver     {drv}"));
        if let Some(fw) = self.firmware.as_deref().filter(|s| !s.is_empty()) {
            v.push(format!("Firmware   {fw}"));
        }
        if let Some(b) = self.bus_info.as_deref().filter(|s| !s.is_empty()) {
            v.push(format!("Bus        {b}"));
        }
        v
    }
}

fn speed_text(mbps: u32) -> String {
    if mbps >= 1000 && mbps % 1000 == 0 {
        format!("{} Gb/s", mbps / 1000)
    } else {
        format!("{mbps} Mb/s")
    }
}

/// `struct ethtool_cmd` (linux/ethtool.h), the `ETHTOOL_GSET` answer.
#[repr(C)]
#[derive(Default)]
struct EthtoolCmd {
    cmd: u32,
    supported: u32,
    advertising: u32,
    speed: u16,
    duplex: u8,
    port: u8,
    phy_address: u8,
    transceiver: u8,
    autoneg: u8,
    mdio_support: u8,
    maxtxpkt: u32,
    maxrxpkt: u32,
    speed_hi: u16,
    eth_tp_mdix: u8,
    eth_tp_mdix_ctrl: u8,
    lp_advertising: u32,
    reserved: [u32; 2],
}

/// `struct ethtool_drvinfo`.
#[repr(C)]
struct EthtoolDrvinfo {
    cmd: u32,
    driver: [u8; 32],
    version: [u8; 32],
    fw_version: [u8; 32],
    bus_info: [u8; 32],
    erom_version: [u8; 32],
    reserved2: [u8; 12],
    n_priv_flags: u32,
    n_stats: u32,
    testinfo_len: u32,
    eedump_len: u32,
    regdump_len: u32,
}

/// `struct ethtool_value` (GLINK, PHYS_ID).
#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// `struct ifreq` with the `ifr_data` member of the union (padded to the
/// union's 24 bytes).
#[repr(C)]
struct IfreqData {
    name: [u8; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

fn c_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// The ioctl handle, checked name.
struct Handle {
    fd: OwnedFd,
    name: [u8; libc::IFNAMSIZ],
}

impl Handle {
    fn open(nic: &str) -> Result<Handle, EthtoolError> {
        let bytes = nic.as_bytes();
        if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
            return Err(EthtoolError::BadName(nic.to_string()));
        }
        let mut name = [0u8; libc::IFNAMSIZ];
        name[..bytes.len()].copy_from_slice(bytes);
        // SAFETY: plain socket(2); the descriptor is owned right away.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(EthtoolError::Io {
                nic: nic.to_string(),
                what: "opening the ethtool handle",
                cause: std::io::Error::last_os_error().to_string(),
            });
        }
        // SAFETY: fd is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Handle { fd, name })
    }

    /// One `SIOCETHTOOL` call with `data` as the command buffer.
    fn call<T>(&self, data: &mut T) -> std::io::Result<()> {
        let mut ifr = IfreqData {
            name: self.name,
            data: (data as *mut T).cast(),
            _pad: [0; 16],
        };
        // SAFETY: ifr points at a live ifreq whose data member points at a
        // live, correctly sized ethtool command structure for the duration
        // of the call.
        let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::SIOCETHTOOL as _, &mut ifr) };
        if r < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    fn no_such(&self, e: &std::io::Error) -> bool {
        e.raw_os_error() == Some(libc::ENODEV)
    }
}

fn unsupported(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP) | Some(libc::EINVAL)
    )
}

/// Reads speed, duplex, carrier and driver of `nic` (blocking, but each
/// ioctl returns at once).
pub fn link_info(nic: &str) -> Result<LinkInfo, EthtoolError> {
    let h = Handle::open(nic)?;
    let mut info = LinkInfo {
        nic: nic.to_string(),
        speed_mbps: None,
        duplex: None,
        autoneg: None,
        link_detected: None,
        driver: None,
        driver_version: None,
        firmware: None,
        bus_info: None,
    };
    let mut drv = EthtoolDrvinfo {
        cmd: ETHTOOL_GDRVINFO,
        driver: [0; 32],
        version: [0; 32],
        fw_version: [0; 32],
        bus_info: [0; 32],
        erom_version: [0; 32],
        reserved2: [0; 12],
        n_priv_flags: 0,
        n_stats: 0,
        testinfo_len: 0,
        eedump_len: 0,
        regdump_len: 0,
    };
    match h.call(&mut drv) {
        Ok(()) => {
            info.driver = Some(c_str(&drv.driver));
            info.driver_version = Some(c_str(&drv.version));
            info.firmware = Some(c_str(&drv.fw_version));
            info.bus_info = Some(c_str(&drv.bus_info));
        }
        Err(e) if h.no_such(&e) => return Err(EthtoolError::NoSuchNic(nic.to_string())),
        Err(e) if unsupported(&e) => {}
        Err(e) => {
            return Err(EthtoolError::Io {
                nic: nic.to_string(),
                what: "reading the driver (ETHTOOL_GDRVINFO)",
                cause: e.to_string(),
            })
        }
    }
    let mut cmd = EthtoolCmd {
        cmd: ETHTOOL_GSET,
        ..EthtoolCmd::default()
    };
    if h.call(&mut cmd).is_ok() {
        let speed = u32::from(cmd.speed) | (u32::from(cmd.speed_hi) << 16);
        info.speed_mbps = (speed != 0 && speed != u32::MAX).then_some(speed);
        info.duplex = Some(match cmd.duplex {
            0 => Duplex::Half,
            1 => Duplex::Full,
            _ => Duplex::Unknown,
        });
        info.autoneg = Some(cmd.autoneg != 0);
    }
    let mut link = EthtoolValue {
        cmd: ETHTOOL_GLINK,
        data: 0,
    };
    if h.call(&mut link).is_ok() {
        info.link_detected = Some(link.data != 0);
    }
    Ok(info)
}

/// How an identify run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blink {
    /// Blinked for the whole time.
    Done { seconds: u32 },
    /// Stopped by Esc after this many seconds.
    Stopped { seconds: u32 },
}

/// Checks the Identify port duration typed by the operator (pure).
pub fn validate_blink_seconds(text: &str) -> Result<u32, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("Seconds: enter how long to blink (1 to 300)".into());
    }
    match t.parse::<u32>() {
        Ok(n) if (BLINK_MIN_S..=BLINK_MAX_S).contains(&n) => Ok(n),
        Ok(n) => Err(format!(
            "Seconds: {n} is out of range: enter {BLINK_MIN_S} to {BLINK_MAX_S}"
        )),
        Err(_) => Err(format!(
            "Seconds: \"{t}\" is not a whole number: enter {BLINK_MIN_S} to {BLINK_MAX_S}"
        )),
    }
}

/// Blinks `nic`'s port LED for `seconds` (blocking; `cancel` is honoured
/// within about a second; `tick` gets the seconds done so far). The
/// deadline of the whole run is `seconds` + a few: a driver that holds the
/// ioctl longer than asked ends the run with an error.
pub fn identify(
    nic: &str,
    seconds: u32,
    cancel: &AtomicBool,
    mut tick: impl FnMut(u32),
) -> Result<Blink, EthtoolError> {
    let h = Handle::open(nic)?;
    let deadline = Instant::now() + Duration::from_secs(u64::from(seconds) + 5);
    let mut done = 0;
    while done < seconds {
        if cancel.load(Ordering::Relaxed) {
            return Ok(Blink::Stopped { seconds: done });
        }
        if Instant::now() > deadline {
            return Err(EthtoolError::Io {
                nic: nic.to_string(),
                what: "blinking the LED (ETHTOOL_PHYS_ID)",
                cause: "the driver held the request longer than asked".into(),
            });
        }
        let mut v = EthtoolValue {
            cmd: ETHTOOL_PHYS_ID,
            data: PHYS_ID_STEP_S,
        };
        match h.call(&mut v) {
            Ok(()) => {}
            Err(e) if h.no_such(&e) => return Err(EthtoolError::NoSuchNic(nic.to_string())),
            Err(e) if unsupported(&e) => {
                let driver = link_info(nic)
                    .ok()
                    .and_then(|i| i.driver)
                    .unwrap_or_else(|| "unknown driver".into());
                return Err(EthtoolError::NotSupported {
                    nic: nic.to_string(),
                    driver,
                    what: "blink its LED",
                });
            }
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
                return Err(EthtoolError::Permission {
                    nic: nic.to_string(),
                    what: "blinking the LED",
                })
            }
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(e) => {
                return Err(EthtoolError::Io {
                    nic: nic.to_string(),
                    what: "blinking the LED (ETHTOOL_PHYS_ID)",
                    cause: e.to_string(),
                })
            }
        }
        done += PHYS_ID_STEP_S;
        tick(done);
    }
    Ok(Blink::Done { seconds: done })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_sizes_match_the_kernel() {
        assert_eq!(std::mem::size_of::<EthtoolCmd>(), 44);
        assert_eq!(std::mem::size_of::<EthtoolDrvinfo>(), 196);
        assert_eq!(std::mem::size_of::<IfreqData>(), 40);
    }

    #[test]
    fn blink_seconds() {
        assert_eq!(validate_blink_seconds(" 15 "), Ok(15));
        assert_eq!(validate_blink_seconds("1"), Ok(1));
        assert_eq!(validate_blink_seconds("300"), Ok(300));
        for bad in ["", "0", "301", "-1", "1.5", "x", "99999999999"] {
            let e = validate_blink_seconds(bad).unwrap_err();
            assert!(e.starts_with("Seconds:"), "{bad}: {e}");
        }
    }

    #[test]
    fn lines_of_a_veth() {
        let i = LinkInfo {
            nic: "eth1".into(),
            speed_mbps: Some(10000),
            duplex: Some(Duplex::Full),
            autoneg: Some(false),
            link_detected: Some(true),
            driver: Some("veth".into()),
            driver_version: Some("1.0".into()),
            firmware: Some(String::new()),
            bus_info: Some(String::new()),
        };
        assert_eq!(
            i.lines(),
            [
                "Speed      10 Gb/s full duplex",
                "Carrier    link detected",
                "Autoneg    off",
                "Driver     veth 1.0",
            ]
        );
        assert_eq!(speed_text(2500), "2500 Mb/s");
    }

    #[test]
    fn bad_names_refused_before_any_call() {
        assert!(matches!(link_info(""), Err(EthtoolError::BadName(_))));
        assert!(matches!(
            link_info("abcdefghijklmnopq"),
            Err(EthtoolError::BadName(_))
        ));
    }
}
