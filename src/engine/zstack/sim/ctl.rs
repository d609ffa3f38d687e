//! Stand-ins for `zstack-ctl` and the ZStack installer: small shell
//! scripts that behave as the real tools do at the points the console
//! depends on, and record what they were given (arguments, stdin, the
//! environment variables that matter) in `<name>.log` beside them.
//!
//! Behaviour, with the lines of zstack-utility f7b496e it follows
//! (`ctl` = `zstackctl/zstackctl/ctl.py`):
//! - output is coloured by termcolor unless `ANSI_COLORS_DISABLED` is set
//!   (ctl:15 imports `colored`; `error()` prints red, ctl:454-456);
//! - an error exits 1 (`error()` → `sys.exit(1)`, ctl:456);
//! - `change_ip` that refuses still exits 0: its `return 1` is discarded
//!   by `cmd(args)` (ctl:1116 and ctl:7189-7276); only a completed change
//!   prints `Change ip successfully` (ctl:7309);
//! - `configure k=v` rewrites the key in zstack.properties;
//! - `start`/`stop`/`*_node` start and stop the (simulated) node;
//! - `configured_collect_log` writes `collect-log-*.tar.gz` into the
//!   current directory;
//! - the installer reads `/etc/zstack-install.conf` (here: the configured
//!   path) only when `ENABLE_ZSTACK_INSTALLER_CONF=true`
//!   (installation/install.sh:157-161) and records its mode and content.

use std::path::{Path, PathBuf};

/// What a stand-in script knows about its simulation.
#[derive(Debug, Clone, Default)]
pub struct StandIn {
    /// zstack.properties that `configure` and `change_ip` edit.
    pub properties: Option<PathBuf>,
    /// The flag file whose presence means "management node stopped".
    pub stop_flag: Option<PathBuf>,
    /// The installer's conf file (installation/install.sh:124).
    pub installer_conf: Option<PathBuf>,
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

impl StandIn {
    /// Writes the stand-in `name` into `dir` (mode 0755) and returns its
    /// path. `<name>.fail` beside it makes the next runs fail (exit 1);
    /// `<name>.refuse` makes `change_ip` print the file's text and exit 0.
    pub fn write(&self, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        let log = quote(&dir.join(format!("{name}.log")));
        let fail = quote(&dir.join(format!("{name}.fail")));
        let refuse = quote(&dir.join(format!("{name}.refuse")));
        let props = self.properties.as_deref().map(quote).unwrap_or_default();
        let stop = self.stop_flag.as_deref().map(quote).unwrap_or_default();
        let conf = self
            .installer_conf
            .as_deref()
            .map(quote)
            .unwrap_or_default();
        let script = format!(
            r#"#!/bin/sh
# Stand-in for {name} (nodeconsole's simulated ZStack management node).
log={log}; props={props}; stop={stop}; conf={conf}
echo "ARGS $*" >> "$log"
input=$(cat)
echo "STDIN $input" >> "$log"
echo "ENV ANSI_COLORS_DISABLED=${{ANSI_COLORS_DISABLED-}} ENABLE_ZSTACK_INSTALLER_CONF=${{ENABLE_ZSTACK_INSTALLER_CONF-}}" >> "$log"
say() {{ if [ -n "${{ANSI_COLORS_DISABLED+x}}" ]; then echo "$1"; else printf '\033[32m%s\033[0m\n' "$1"; fi; }}
error() {{ if [ -n "${{ANSI_COLORS_DISABLED+x}}" ]; then echo "ERROR: $1" >&2; else printf '\033[31mERROR: %s\n\033[0m' "$1" >&2; fi; exit 1; }}
setprop() {{
  [ -n "$props" ] && [ -f "$props" ] || return 0
  if grep -q "^$1 *[=:]" "$props"; then
    sed -i "s|^$1 *[=:].*|$1 = $2|" "$props"
  else
    echo "$1 = $2" >> "$props"
  fi
}}
if [ -n "$conf" ]; then
  if [ -e "$conf" ]; then echo "CONF $(stat -c %a "$conf") $(cat "$conf")" >> "$log"; else echo "CONF absent" >> "$log"; fi
fi
say "{name}: working on $1"
[ -e {fail} ] && error "simulated failure"
case "$1" in
  configure)
    shift; for kv in "$@"; do setprop "${{kv%%=*}}" "${{kv#*=}}"; done ;;
  change_ip)
    if [ -e {refuse} ]; then cat {refuse}; exit 0; fi
    ip=$3; setprop management.server.ip "$ip"; setprop CloudBus.serverIp.0 "$ip"
    echo "update iptables rules successfully"; echo "Change ip successfully" ;;
  stop|stop_node)
    [ -n "$stop" ] && touch "$stop" ;;
  start|start_node|restart_node)
    [ -n "$stop" ] && rm -f "$stop" ;;
  configured_collect_log)
    echo logs > collect-log-4.8.0-20260101.tar.gz ;;
esac
exit 0
"#
        );
        std::fs::write(&p, script)?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))?;
        Ok(p)
    }
}
