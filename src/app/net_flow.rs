//! The network items of System Configuration: Rename NIC, Test Network,
//! Configure Networks (with bond creation) and Set Management Network.
//! Pure transitions like `flow`; the operations run in the executor
//! through `net::ops`, in the demo's own namespace in `--demo`.

use super::effect::JobRequest;
use super::menu::MenuItem;
use super::state::App;
use super::window::{After, ChoiceFor, ConfirmFor, FormFor, Window};
use crate::kit::{Choice, Confirm, Field, FieldKind, Form, Keep, Message, Tone};
use crate::net::{ops, rollback, validate};
use crate::probe::Nic;

/// Label of the extra entry of Configure Networks.
pub const CREATE_BOND: &str = "Create a bond...";

fn nic_label(n: &Nic) -> String {
    let addr = n
        .ipv4
        .iter()
        .map(|(a, p)| format!("{a}/{p}"))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "{:<10} {:<8} {:<4}{}{}",
        n.name,
        n.kind.label(),
        if n.up { "UP" } else { "DOWN" },
        if n.is_mn { " (MN)" } else { "" },
        if addr.is_empty() {
            String::new()
        } else {
            format!(" {addr}")
        }
    )
}

/// Why `n` must not become a bond slave here, if it must not.
fn bond_slave_refusal(n: &Nic) -> Option<String> {
    if rollback::needs_guard(n) {
        Some(format!(
            "{} carries the management network or the default route; enslaving it would cut \
             this node off",
            n.name
        ))
    } else if !n.ipv4.is_empty() {
        Some(format!(
            "{} has an IPv4 address, which a bond slave loses: remove or move it first",
            n.name
        ))
    } else {
        None
    }
}

impl App {
    fn nics_now(&self) -> Vec<Nic> {
        self.nics
            .value
            .as_ref()
            .map(|i| i.nics.clone())
            .unwrap_or_default()
    }

    fn info(&mut self, title: &str, line: String) {
        self.window = Some(Window::Message(
            Message {
                title: title.into(),
                lines: vec![line],
                tone: Tone::Info,
            },
            After::Menu,
        ));
    }

    /// Enter on a network item.
    pub fn open_net_item(&mut self, item: MenuItem) {
        let label = item.label();
        let nics = self.nics_now();
        match item {
            MenuItem::TestNetwork => {
                let f = Field::new("Target (IPv4 or host)", FieldKind::Text)
                    .with_text(self.settings.ping_target.clone());
                self.window = Some(Window::Form(
                    Form::new("Test Network", vec![f])
                        .with_note("ICMP echo, 4 probes; Esc stops it."),
                    FormFor::Ping,
                ));
            }
            MenuItem::RenameNic => {
                if nics.is_empty() {
                    return self.info(&label, "No NIC is known yet; try again in a moment.".into());
                }
                let opts = nics.iter().map(|n| (nic_label(n), None)).collect();
                self.pick = nics;
                self.window = Some(Window::Choice(
                    Choice::new("Rename NIC: choose the NIC", opts),
                    ChoiceFor::RenameNic,
                ));
            }
            MenuItem::ConfigureNetworks => {
                let list: Vec<Nic> = ops::configurable_nics(&nics).into_iter().cloned().collect();
                let mut opts: Vec<(String, Option<String>)> =
                    list.iter().map(|n| (nic_label(n), None)).collect();
                opts.push((CREATE_BOND.into(), None));
                self.pick = list;
                self.window = Some(Window::Choice(
                    Choice::new("Configure Networks: NICs that are up", opts),
                    ChoiceFor::ConfigureNic,
                ));
            }
            MenuItem::SetManagementNetwork => {
                let cands = ops::management_candidates(&nics);
                if cands.is_empty() {
                    return self.info(&label, "No NIC has an IPv4 address to use.".into());
                }
                self.pick_ips = cands.iter().map(|(_, ip)| *ip).collect();
                let current: Vec<std::net::Ipv4Addr> = nics
                    .iter()
                    .filter(|n| n.is_mn)
                    .flat_map(|n| n.ipv4.iter().map(|(a, _)| *a))
                    .collect();
                let opts = cands
                    .iter()
                    .map(|(n, ip)| {
                        let cur = current.contains(ip);
                        (
                            format!("{n:<12} {ip}{}", if cur { " (current)" } else { "" }),
                            cur.then(|| "this is already the management network".to_string()),
                        )
                    })
                    .collect();
                self.window = Some(Window::Choice(
                    Choice::new("Set Management Network", opts),
                    ChoiceFor::ManagementIp,
                ));
            }
        }
    }

    /// A NIC (or the bond entry) was chosen.
    pub fn on_net_choice(&mut self, purpose: ChoiceFor, cursor: usize) {
        match purpose {
            ChoiceFor::RenameNic => {
                let Some(n) = self.pick.get(cursor) else {
                    return;
                };
                let mut form = Form::new(
                    format!("Rename NIC {}", n.name),
                    vec![Field::new("New name", FieldKind::Text).with_text(n.name.clone())],
                );
                form.note =
                    Some("1-15 characters: letters, digits, _ . -; kept across reboots.".into());
                self.window = Some(Window::Form(form, FormFor::RenameNic(cursor)));
            }
            ChoiceFor::ConfigureNic => {
                if cursor >= self.pick.len() {
                    return self.open_bond_form();
                }
                let n = &self.pick[cursor];
                let (ip, mask, gw) = ops::prefill(n);
                let mut form = Form::new(
                    format!("Configure {}", n.name),
                    vec![
                        Field::new("IP address", FieldKind::Ipv4).with_text(ip),
                        Field::new("Netmask", FieldKind::Netmask).with_text(mask),
                        Field::new("Gateway", FieldKind::Ipv4).with_text(gw),
                    ],
                );
                if rollback::needs_guard(n) {
                    form.note = Some(format!(
                        "{} carries the management network or the default route: the change \
                         is slow and risky, and is rolled back unless you keep it within {} s.",
                        n.name, self.settings.rollback_s
                    ));
                }
                self.window = Some(Window::Form(form, FormFor::Ipv4(cursor)));
            }
            ChoiceFor::ManagementIp => {
                let Some(ip) = self.pick_ips.get(cursor).copied() else {
                    return;
                };
                self.window = Some(Window::Confirm(
                    Confirm {
                        title: "Set Management Network".into(),
                        lines: vec![
                            format!("Move the control plane to {ip}?"),
                            "This restarts the management service and takes long.".into(),
                        ],
                        warn: true,
                    },
                    ConfirmFor::Job(JobRequest::ManagementIp(ip)),
                ));
            }
            _ => {}
        }
    }

    fn open_bond_form(&mut self) {
        let all = self.nics_now();
        let cands: Vec<String> = validate::slave_candidates(&all, None)
            .iter()
            .filter(|n| bond_slave_refusal(n).is_none())
            .map(|n| n.name.clone())
            .collect();
        let free = (0..)
            .map(|i| format!("bond{i}"))
            .find(|b| !all.iter().any(|n| &n.name == b))
            .unwrap_or_else(|| "bond0".into());
        let modes: Vec<&str> = validate::BondMode::ALL.iter().map(|m| m.as_str()).collect();
        let mut form = Form::new(
            "Create a bond",
            vec![
                Field::new("Name", FieldKind::Text).with_text(free),
                Field::new("Mode", FieldKind::Text).with_text("active-backup"),
                Field::new("Slaves", FieldKind::Text),
                Field::new("miimon (ms)", FieldKind::Text).with_text("100"),
            ],
        );
        form.note = Some(format!(
            "Modes: {}. Slaves, separated by commas, among: {}.",
            modes.join(", "),
            if cands.is_empty() {
                "(no free physical NIC)".to_string()
            } else {
                cands.join(", ")
            }
        ));
        self.pick = all;
        self.window = Some(Window::Form(form, FormFor::Bond));
    }

    /// A network form was submitted: validate, then confirm or start.
    pub fn on_net_form(&mut self, mut form: Form, purpose: FormFor) {
        match purpose {
            FormFor::Ping => {
                let target = form.fields[0].text.trim().to_string();
                if let Err(e) = crate::net::ping::validate_target(&target) {
                    form.fail(0, e.to_string());
                    self.window = Some(Window::Form(form, purpose));
                    return;
                }
                self.start_job(JobRequest::Ping { target });
            }
            FormFor::RenameNic(i) => {
                let Some(n) = self.pick.get(i).cloned() else {
                    return;
                };
                let new = form.fields[0].text.trim().to_string();
                let names: Vec<String> = self.nics_now().into_iter().map(|n| n.name).collect();
                let existing: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
                if let Err(e) = validate::validate_rename(&n.name, &new, &existing) {
                    form.fail(0, e.to_string());
                    self.window = Some(Window::Form(form, purpose));
                    return;
                }
                let guard = rollback::needs_guard(&n);
                let mut lines = vec![format!("Rename {} to {new}?", n.name)];
                if guard {
                    lines.push(format!(
                        "WARNING: {} carries the management network; the console will ask \
                         you to keep the change and reverts it after {} s.",
                        n.name, self.settings.rollback_s
                    ));
                }
                self.window = Some(Window::Confirm(
                    Confirm {
                        title: "Rename NIC".into(),
                        lines,
                        warn: guard,
                    },
                    ConfirmFor::Job(JobRequest::RenameNic {
                        old: n.name.clone(),
                        mac: n.mac.clone(),
                        new,
                        guard,
                    }),
                ));
            }
            FormFor::Ipv4(i) => {
                let Some(n) = self.pick.get(i).cloned() else {
                    return;
                };
                let (ip, mask, gw) = (
                    form.fields[0].text.trim().to_string(),
                    form.fields[1].text.trim().to_string(),
                    form.fields[2].text.trim().to_string(),
                );
                let cfg = match validate::validate_ipv4_config(&ip, &mask, &gw) {
                    Ok(c) => c,
                    Err(e) => {
                        let idx = match e.field() {
                            validate::Field::Ip => 0,
                            validate::Field::Netmask => 1,
                            validate::Field::Gateway => 2,
                        };
                        form.fail(idx, e.to_string());
                        self.window = Some(Window::Form(form, purpose));
                        return;
                    }
                };
                let addrs = if n.ipv4.is_empty() {
                    "no IPv4 address".to_string()
                } else {
                    n.ipv4
                        .iter()
                        .map(|(a, p)| format!("{a}/{p}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let before = match n.gateway {
                    Some(g) => format!("{addrs} gateway {g}"),
                    None => format!("{addrs}, no default gateway"),
                };
                let guard = rollback::needs_guard(&n);
                let mut lines = vec![
                    format!("{}:", n.name),
                    format!("  before: {before}"),
                    format!(
                        "  after:  {}/{} ({}) gateway {}",
                        cfg.ip,
                        cfg.prefix,
                        cfg.netmask(),
                        cfg.gateway
                    ),
                ];
                if guard {
                    lines.push(format!(
                        "Management NIC: slow and risky; rolled back unless kept within {} s.",
                        self.settings.rollback_s
                    ));
                }
                self.window = Some(Window::Confirm(
                    Confirm {
                        title: "Configure Networks".into(),
                        lines,
                        warn: guard,
                    },
                    ConfirmFor::Job(JobRequest::ConfigureIpv4 {
                        nic: n.name.clone(),
                        mac: n.mac.clone(),
                        cfg,
                        guard,
                    }),
                ));
            }
            FormFor::Bond => {
                let texts: Vec<String> = form
                    .fields
                    .iter()
                    .map(|f| f.text.trim().to_string())
                    .collect();
                let slaves: Vec<&str> = texts[2]
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .collect();
                let input = validate::BondInput {
                    name: &texts[0],
                    mode: &texts[1],
                    miimon: &texts[3],
                    slaves: slaves.clone(),
                };
                match validate::validate_bond(&input, &self.pick, None) {
                    Err(e) => {
                        form.error = Some(e.to_string());
                        self.window = Some(Window::Form(form, purpose));
                    }
                    Ok(bond) => {
                        // A slave loses its own address: never take the NIC that
                        // carries the management network, the default route or any
                        // address without the operator moving it first.
                        for sl in &slaves {
                            if let Some(why) = self
                                .pick
                                .iter()
                                .find(|n| n.name == *sl)
                                .and_then(bond_slave_refusal)
                            {
                                form.fail(2, why);
                                self.window = Some(Window::Form(form, purpose));
                                return;
                            }
                        }
                        let ids: Vec<(String, Option<String>)> = slaves
                            .iter()
                            .map(|s| {
                                let mac = self
                                    .pick
                                    .iter()
                                    .find(|n| n.name == *s)
                                    .and_then(|n| n.mac.clone());
                                (s.to_string(), mac)
                            })
                            .collect();
                        self.window = Some(Window::Confirm(
                            Confirm {
                                title: "Create a bond".into(),
                                lines: vec![format!(
                                    "Create {} ({}) from {}?",
                                    texts[0],
                                    texts[1],
                                    slaves.join(", ")
                                )],
                                warn: false,
                            },
                            ConfirmFor::Job(JobRequest::SaveBond { bond, slaves: ids }),
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    /// A guarded change is applied: ask to keep it.
    pub fn on_confirm_keep(&mut self, seconds: u64, lines: Vec<String>) {
        self.window = Some(Window::Keep(Keep {
            lines,
            deadline: self.mono_now + std::time::Duration::from_secs(seconds),
        }));
        self.dirty = true;
    }

    /// How a guarded change ended.
    pub fn on_keep_outcome(&mut self, r: Result<String, String>) {
        let (tone, line) = match r {
            Ok(s) => (Tone::Success, s),
            Err(e) => (Tone::Error, e),
        };
        self.window = Some(Window::Message(
            Message {
                title: "Network change".into(),
                lines: vec![line],
                tone,
            },
            if self.authenticated() {
                After::Menu
            } else {
                After::Main
            },
        ));
        self.dirty = true;
    }
}
