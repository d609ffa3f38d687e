//! `nodeconsole`: the edge of the program — command line, configuration,
//! logging, terminal set-up — around the library's event loop.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use crossterm::event::EventStream;
use ratatui::Terminal;

use nodeconsole::app::runner::Runner;
use nodeconsole::app::services::{Logind, MnAddrs, NetContext, Services};
use nodeconsole::app::{self, App, Settings};
use nodeconsole::cli::Cli;
use nodeconsole::config::{Config, EngineKind};
use nodeconsole::engine::{self, Engine};
use nodeconsole::engine::{Availability, Capability};
use nodeconsole::export::jobs::ExportService;
use nodeconsole::features;
use nodeconsole::input::Reattach;
use nodeconsole::net::demo::DemoNet;
use nodeconsole::ops::demo_pam::DemoPam;
use nodeconsole::ops::{self, auth::Pam, BusTarget};
use nodeconsole::term_backend::ConsoleBackend;
use nodeconsole::ui::theme::Theme;
use nodeconsole::{assets, logging, terminal};

/// The demo's libvirt test-driver fixture, under assets/.
const DEMO_FIXTURE: &str = "demo-node.xml";

fn main() -> ExitCode {
    // First: no core dumps of a process that holds passwords, and enough
    // descriptors (see ops::process).
    let hardened = ops::process::harden();
    let cli = Cli::parse();
    // Demo PAM first: it may re-execute this binary with pam_wrapper
    // preloaded, which must happen before any thread exists.
    let demo_pam = (cli.demo && cli.pam_service.is_none()).then(|| {
        let dir =
            std::env::temp_dir().join(format!("nodeconsole-demo-pam-{}", nix::unistd::getuid()));
        ops::demo_pam::setup_or_reexec(&dir)
    });
    let mut cfg = match cli.config_path() {
        Some(p) => match Config::load(&p) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("nodeconsole: configuration error: {e}");
                return ExitCode::from(2);
            }
        },
        None => Config::default(),
    };
    cli.apply(&mut cfg);
    // In demo mode PAM must never reach the host's real accounts: without
    // pam_wrapper the gate is disabled with the reason.
    let pam_block = match demo_pam {
        Some(DemoPam::Ready { service }) => {
            cfg.auth.pam_service = service;
            None
        }
        Some(DemoPam::Unavailable(why)) => Some(why),
        None => None,
    };
    if let Err(e) = check_overrides(&cfg) {
        eprintln!("nodeconsole: {e}");
        return ExitCode::from(2);
    }
    if cli.demo {
        // A demo writes nothing outside a private temp directory and serves
        // its exports on loopback only.
        let dir = std::env::temp_dir().join(format!("nodeconsole-demo-{}", nix::unistd::getuid()));
        cfg.export.bind = "127.0.0.1".into();
        cfg.export.dir = dir.join("exports");
        cfg.export.state_file = dir.join("exports.json");
    }
    if cli.demo && cli.libvirt_uri.is_none() {
        match assets::find(DEMO_FIXTURE) {
            Some(p) => cfg.libvirt.uri = format!("test://{}", p.display()),
            None => {
                eprintln!(
                    "nodeconsole: demo fixture {DEMO_FIXTURE} not found in {:?}",
                    assets::search_dirs()
                );
                return ExitCode::from(2);
            }
        }
    }
    if !std::io::stdout().is_terminal() {
        eprintln!("nodeconsole: standard output is not a terminal");
        return ExitCode::from(2);
    }
    // `_log_guard` flushes the log queue when main returns.
    let (sink, _log_guard) = match logging::init(&cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("nodeconsole: {e}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(
        role = cfg.role.as_str(),
        engine = ?cfg.engine,
        demo = cli.demo,
        logs = sink,
        non_dumpable = hardened.non_dumpable,
        nofile = hardened.nofile,
        "nodeconsole starting"
    );
    for p in &hardened.problems {
        tracing::warn!("hardening: {p}");
    }
    terminal::install_panic_hook();
    terminal::ignore_job_control_signals();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(32)
        .thread_name("nodeconsole")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nodeconsole: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let trail = nodeconsole::features::audit_log::Trail::for_sink(sink, cfg.log.file.clone());
    match rt.block_on(run(cfg, cli.demo, pam_block, trail)) {
        Ok(()) => {
            tracing::info!("nodeconsole exiting");
            ExitCode::SUCCESS
        }
        Err(e) => {
            terminal::restore();
            tracing::error!("fatal: {e:#}");
            eprintln!("nodeconsole: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Re-checks values that may have come from the command line.
fn check_overrides(cfg: &Config) -> Result<(), nodeconsole::config::ConfigError> {
    let text = format!("refresh_s = {}\n", cfg.refresh_s);
    Config::parse(&text, std::path::Path::new("--refresh")).map(|_| ())
}

fn build_engine(cfg: &Config) -> anyhow::Result<Arc<dyn Engine>> {
    Ok(match cfg.engine {
        EngineKind::Libvirt => {
            // libvirt's calls run in the helper process (see
            // engine::libvirt::helper): the console never loads libvirt.
            let exe = std::env::current_exe().ok();
            let helper =
                engine::libvirt::helper::locate(cfg.libvirt.helper.as_deref(), exe.as_deref());
            Arc::new(engine::libvirt::LibvirtEngine::via_helper(
                &cfg.libvirt.uri,
                helper,
            ))
        }
        EngineKind::Zstack => Arc::new(engine::zstack::ZstackEngine::new(&cfg.zstack)),
    })
}

/// The terminal this process runs on (for the audit log and PAM_TTY).
fn tty_name() -> Option<String> {
    std::fs::read_link("/proc/self/fd/0")
        .ok()
        .map(|p| p.display().to_string())
        .filter(|p| p.starts_with("/dev/"))
}

async fn run(
    cfg: Config,
    demo: bool,
    pam_block: Option<String>,
    audit: nodeconsole::features::audit_log::Trail,
) -> anyhow::Result<()> {
    let engine = build_engine(&cfg)?;
    let term = std::env::var("TERM").ok();
    let theme = Theme::resolve(
        cfg.theme,
        cfg.ascii,
        term.as_deref(),
        std::env::var_os("NO_COLOR").is_some(),
    );
    let hostname = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".into());
    let caps = engine.capabilities();
    let exports = match ExportService::new(cfg.export.clone()) {
        Ok(svc) => Ok(Arc::new(svc)),
        Err(e) => Err(e.to_string()),
    };
    // Network operations: in the demo inside a private namespace with its
    // own ifcfg root; on a node through the detected persistence backend.
    let (net_ctx, demo_net): (Result<Arc<NetContext>, String>, _) = if demo {
        match DemoNet::create() {
            Ok(d) => {
                let d = Arc::new(d);
                (
                    Ok(Arc::new(NetContext {
                        backend: Arc::from(d.backend()),
                        demo: Some(d.clone()),
                        rollback: std::time::Duration::from_secs(cfg.network.rollback_s),
                    })),
                    Some(d),
                )
            }
            Err(e) => (Err(format!("demo network namespace: {e}")), None),
        }
    } else {
        (
            nodeconsole::net::backend::detect(std::path::Path::new("/"))
                .map(|b| {
                    Arc::new(NetContext {
                        backend: Arc::from(b),
                        demo: None,
                        rollback: std::time::Duration::from_secs(cfg.network.rollback_s),
                    })
                })
                .map_err(|e| e.to_string()),
            None,
        )
    };
    let cluster_logs = cfg.role == nodeconsole::config::Role::Management
        && caps.get(Capability::ClusterLogs) == Availability::Available;
    let mn = MnAddrs {
        management_ip: cfg.network.management_ip.parse().ok(),
        sysfs_root: cfg.storage.sysfs_root.clone(),
    };
    if let Ok(svc) = &exports {
        // Serve the exports of an earlier run again (started only if any
        // is still live).
        let svc = svc.clone();
        let mn = mn.clone();
        tokio::spawn(async move {
            let addrs = tokio::task::spawn_blocking(move || mn.lookup())
                .await
                .unwrap_or_default();
            if let Err(e) = svc.restore(&addrs).await {
                tracing::warn!("cannot restore earlier exports: {e}");
            }
        });
    }
    let tty = tty_name();
    // Built once: every feature's request runs against these.
    let services = Arc::new(Services {
        engine: engine.clone(),
        engine_kind: cfg.engine,
        pam: match pam_block {
            None => Ok(Arc::new(Pam::root(cfg.auth.pam_service.clone()))),
            Some(why) => Err(why),
        },
        tty: tty.clone(),
        logind: Logind {
            bus: BusTarget::System,
            demo,
        },
        exports: exports.clone(),
        net: net_ctx,
        mn,
        audit,
        rt: tokio::runtime::Handle::current(),
    });
    let node_features = services.node_features();
    let db_pw = caps.get(Capability::DatabasePassword);
    let bus_pw = caps.get(Capability::MessageBusPassword);
    let demo_note = demo.then(|| match &services.pam {
        Ok(_) => "root password: demo | q quits".to_string(),
        Err(_) => "no demo PAM (install libpam-wrapper) | q quits".to_string(),
    });
    let settings = Settings {
        role: cfg.role,
        engine_name: engine.name(),
        engine_display: engine.display_name(),
        hostname,
        demo,
        demo_note,
        theme,
        tty: tty.clone().unwrap_or_else(|| "unknown".into()),
        idle_timeout: std::time::Duration::from_secs(cfg.auth.idle_timeout_s),
        menu: features::menu(cfg.role, &caps, &node_features),
        password_actions: [Availability::Available, db_pw.clone(), db_pw, bus_pw],
        terminal_info: Settings::terminal_info_lines(&cfg.terminals),
        cluster_logs,
        ping_target: cfg.network.ping_target.clone(),
        rollback_s: cfg.network.rollback_s,
        max_clock_offset_s: cfg.time.max_offset_s,
        resolv_conf: cfg.network.resolv_conf.clone(),
    };
    let (now, off) = app::run::local_clock();
    let mut state = App::new(settings, now);
    state.utc_offset_s = off;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let collectors = app::collectors::spawn_all(&cfg, engine.clone(), tx.clone(), demo_net);
    let mut runner = Runner::new(tx, services);

    let guard = terminal::TerminalGuard::enter()?;
    terminal::quiet_stderr(cfg.log.file.as_deref());
    terminal::disable_vt_blanking(term.as_deref());
    // Before the event stream owns the input: a serial line's size is
    // settled here (bounded query, else the configured size).
    use nodeconsole::tty as line;
    let fallback = line::parse_size(&cfg.terminals.serial_size).map_err(anyhow::Error::msg)?;
    let line = line::prepare(0, tty_name().as_deref(), fallback, line::QUERY_TIMEOUT);
    tracing::info!(
        cols = line.size.0,
        rows = line.size.1,
        source = ?line.source,
        serial = line.serial,
        "terminal size"
    );
    let mut tui = Terminal::new(ConsoleBackend::new(std::io::stdout(), line.size))?;
    tui.clear()?;
    let every = std::time::Duration::from_secs(cfg.terminals.serial_redraw_s);
    let mut reattach = Reattach::new(line.serial, Some(every), std::time::Instant::now());
    let result = app::run::run(
        &mut tui,
        &mut state,
        &mut rx,
        EventStream::new(),
        &mut |e| runner.execute(e),
        &mut reattach,
    )
    .await;
    drop(guard);
    terminal::restore_stderr();
    for c in collectors {
        c.abort();
    }
    result.map_err(Into::into)
}
