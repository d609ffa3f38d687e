//! What this ZStack node can do, for the System Configuration menu: each
//! operation is available only when the tool or file it needs is there,
//! and otherwise carries the reason the menu shows.
//!
//! Called on every menu draw, so it reads only local files (never a
//! server): the RabbitMQ question uses the cached or file version.

use super::{is_executable, ZstackEngine};
use crate::engine::{Availability, Capabilities, Capability};

fn avail(ok: bool, why: impl FnOnce() -> String) -> Availability {
    if ok {
        Availability::Available
    } else {
        Availability::Unavailable(why())
    }
}

impl ZstackEngine {
    pub(super) fn capability_list(&self) -> Capabilities {
        let ctl = self.ctl_exists();
        let no_ctl = || format!("zstack-ctl not found at {}", self.cfg.ctl.display());
        let installer = self.cfg.installer.is_file();
        let no_installer = || format!("installer not found at {}", self.cfg.installer.display());
        let props = self.props();
        let props_ok = props.is_ok();
        let props_err = || {
            props
                .as_ref()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let bus = match self.uses_rabbitmq(true) {
            Ok(true) if !is_executable(&self.cfg.rabbitmqctl) => {
                Availability::Unavailable(format!(
                    "rabbitmqctl not found at {}",
                    self.cfg.rabbitmqctl.display()
                ))
            }
            Ok(true) => Availability::Available,
            Ok(false) => {
                Availability::Unavailable("ZStack 3.0.1 and later do not use RabbitMQ".into())
            }
            Err(e) => Availability::Unavailable(e),
        };
        let dump = is_executable(&self.cfg.mysqldump);
        Capabilities {
            entries: vec![
                (Capability::ServiceControl, avail(ctl, no_ctl)),
                (Capability::Reset, avail(installer, no_installer)),
                (
                    Capability::ResetDropDatabase,
                    avail(installer, no_installer),
                ),
                (
                    Capability::ConsoleProxy,
                    if !props_ok {
                        Availability::Unavailable(props_err())
                    } else {
                        avail(ctl, no_ctl)
                    },
                ),
                (
                    Capability::DatabasePassword,
                    if !props_ok {
                        Availability::Unavailable(props_err())
                    } else {
                        avail(ctl, no_ctl)
                    },
                ),
                (Capability::MessageBusPassword, bus),
                (Capability::ManagementIp, avail(ctl, no_ctl)),
                (
                    Capability::DatabaseBackup,
                    if !props_ok {
                        Availability::Unavailable(props_err())
                    } else {
                        avail(dump, || {
                            format!("mysqldump not found at {}", self.cfg.mysqldump.display())
                        })
                    },
                ),
                (Capability::ClusterLogs, avail(ctl, no_ctl)),
            ],
        }
    }
}
