//! Integration tests of the ZStack engine.
//!
//! Real components: the machine's MariaDB (127.0.0.1:3306, root with an
//! empty password, used only to create and drop uniquely named scratch
//! databases and users — `root` itself is never changed), mysqldump, and
//! RabbitMQ (rabbitmqctl and AMQP on 127.0.0.1:5672, scratch users only).
//!
//! Contract doubles (boundaries that cannot run here): the crate's
//! simulated management node (`nodeconsole::engine::zstack::sim`, the same
//! one `--demo --engine zstack` runs) — its REST API answers as ZStack's
//! `RestServer` does, and its `zstack-ctl` / installer stand-ins behave as
//! zstack-utility's `ctl.py` / `install.sh` do; each answer cites the
//! ZStack source line it follows (zstackio/zstack 5a29293,
//! zstackio/zstack-utility f7b496e).
//!
//! A missing prerequisite fails the test when `CI=true`, otherwise it
//! prints `SKIPPED: <why>` and returns.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use mysql::prelude::Queryable;
use nodeconsole::config::ZstackConfig;
use nodeconsole::engine::zstack::rest::{RestClient, RestError};
use nodeconsole::engine::zstack::sim::ctl::StandIn;
use nodeconsole::engine::zstack::sim::rest::{RestConfig, RestSim};
use nodeconsole::engine::zstack::sim::SimCloud;
use nodeconsole::engine::zstack::{crypto, CountVia, ZstackEngine};
use nodeconsole::engine::{
    Availability, Capability, ConsoleProxy, DbAccount, Engine, ServiceAction, VmScope,
};
use nodeconsole::job::Recorder;
use nodeconsole::secret::Secret;

const SCHEMA: &str = include_str!("fixtures/zstack/schema.sql");
const DATA: &str = include_str!("fixtures/zstack/data.sql");
const ROOT_URL: &str = "mysql://root@127.0.0.1:3306";

// ---------------------------------------------------------------- helpers

/// Fails under CI, skips loudly otherwise.
fn missing(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite missing: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos % 100_000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn root_conn() -> Option<mysql::Conn> {
    let opts = mysql::Opts::from_url(ROOT_URL).unwrap();
    let b = mysql::OptsBuilder::from_opts(opts)
        .tcp_connect_timeout(Some(Duration::from_secs(5)))
        .prefer_socket(false);
    match mysql::Conn::new(b) {
        Ok(c) => Some(c),
        Err(e) => {
            missing(&format!("MariaDB at 127.0.0.1:3306 as root: {e}"));
            None
        }
    }
}

/// Scratch databases and users, dropped on Drop (also on panic).
struct Scratch {
    dbs: Vec<String>,
    users: Vec<(String, String)>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dbs: Vec::new(),
            users: Vec::new(),
        }
    }

    /// A scratch database with the spec's tables, optionally filled.
    fn database(&mut self, c: &mut mysql::Conn, fill: bool) -> String {
        let name = unique("nc_test");
        c.query_drop(format!("CREATE DATABASE `{name}`")).unwrap();
        self.dbs.push(name.clone());
        c.query_drop(format!("USE `{name}`")).unwrap();
        for stmt in statements(SCHEMA).chain(if fill {
            statements(DATA)
        } else {
            statements("")
        }) {
            c.query_drop(stmt).unwrap();
        }
        name
    }

    fn user(&mut self, c: &mut mysql::Conn, name: &str, host: &str, pw: &str) {
        // CREATE USER takes no placeholders: the test's own literals only.
        assert!(!pw.contains('\'') && !pw.contains('\\'));
        c.query_drop(format!(
            "CREATE USER '{name}'@'{host}' IDENTIFIED BY '{pw}'"
        ))
        .unwrap();
        self.users.push((name.into(), host.into()));
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Ok(mut c) = mysql::Conn::new(mysql::Opts::from_url(ROOT_URL).unwrap()) else {
            eprintln!("cannot connect to drop scratch objects {:?}", self.dbs);
            return;
        };
        for d in &self.dbs {
            let _ = c.query_drop(format!("DROP DATABASE IF EXISTS `{d}`"));
        }
        for (u, h) in &self.users {
            if u == "root" {
                continue; // never, whatever a test did
            }
            let _ = c.query_drop(format!("DROP USER IF EXISTS '{u}'@'{h}'"));
        }
    }
}

/// The `;`-separated statements of a fixture, comments removed.
fn statements(sql: &str) -> impl Iterator<Item = String> + '_ {
    let body: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    body.split(';')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

fn can_login(user: &str, pw: &str) -> bool {
    let b = mysql::OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(3306)
        .user(Some(user))
        .pass(Some(pw))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(Duration::from_secs(5)));
    mysql::Conn::new(b).is_ok()
}

/// A fixture directory: ZSTACK_HOME with zstack.properties, VERSION, UI
/// port file, and stand-in scripts.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(props: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let classes = dir.path().join("home/WEB-INF/classes");
        std::fs::create_dir_all(&classes).unwrap();
        std::fs::write(classes.join("zstack.properties"), props).unwrap();
        Fixture { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn props_path(&self) -> PathBuf {
        self.path("home/WEB-INF/classes/zstack.properties")
    }

    fn props_text(&self) -> String {
        std::fs::read_to_string(self.props_path()).unwrap()
    }

    /// A stand-in for a vendor tool (the simulation's), editing this
    /// fixture's zstack.properties; see `sim::ctl` for what it does.
    fn stand_in(&self, name: &str) -> PathBuf {
        StandIn {
            properties: Some(self.props_path()),
            stop_flag: Some(self.path("mn.stopped")),
            installer_conf: Some(self.path("zstack-install.conf")),
        }
        .write(self.dir.path(), name)
        .unwrap()
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("{name}.log"))).unwrap_or_default()
    }

    fn config(&self) -> ZstackConfig {
        ZstackConfig {
            home: self.path("home"),
            install_dir: self.dir.path().to_owned(),
            ctl: self.path("no-zstack-ctl"),
            installer: self.path("no-installer.bin"),
            rest_url: Some(format!("http://127.0.0.1:{}/zstack/v1", closed_port())),
            ui_port_file: self.path("zstack-ui.port"),
            rabbitmqctl: self.path("no-rabbitmqctl"),
            status_timeout_s: 2.0,
            job_timeout_s: 60,
            process_match: unique("no-such-process"),
            ..ZstackConfig::default()
        }
    }
}

/// A TCP port with nothing listening (bound then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn props_for_db(db_user: &str, db_password: &str) -> String {
    format!(
        "# test fixture\nDB.url = jdbc:mysql://127.0.0.1:3306\nDB.user = {db_user}\nDB.password = {db_password}\nmanagement.server.ip = 127.0.0.1\nRESTFacade.port = 8080\n"
    )
}

// ------------------------------------------ the simulated REST API

/// The simulated REST API with the sample cloud; async job locations name
/// 192.0.2.10 (TEST-NET-1, unreachable), as a server whose
/// `management.server.ip` is not the address the console calls would.
fn rest_sim(props: Option<PathBuf>) -> RestSim {
    RestSim::start(
        Arc::new(Mutex::new(SimCloud::sample())),
        RestConfig {
            advertised_ip: "192.0.2.10".into(),
            properties: props,
            stop_flag: None,
        },
    )
    .unwrap()
}

/// A server that accepts connections and never answers.
fn silent_server() -> (u16, Arc<AtomicBool>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    l.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while !stop2.load(Ordering::SeqCst) {
            if let Ok((s, _)) = l.accept() {
                held.push(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    (port, stop)
}

/// Runs `f` on a thread and fails the test if it does not return within
/// `limit`: a liveness bound (a hang), not a speed measurement.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("the engine call hung instead of timing out")
}

// ----------------------------------------------------------------- tests

#[test]
fn rest_counts_version_and_licence_through_the_contract_double() {
    let d = rest_sim(None);
    let f = Fixture::new(&props_for_db("zstack", "x"));
    std::fs::write(f.path("zstack-ui.port"), "5999\n").unwrap();
    let mut cfg = f.config();
    cfg.rest_url = Some(d.url());
    std::fs::write(f.path("api.password"), "password\n").unwrap();
    cfg.rest_password_file = Some(f.path("api.password"));
    let e = ZstackEngine::new(&cfg);

    let h = e.hosts().unwrap();
    assert_eq!((h.total, h.enabled, h.connected), (21, 20, 18));
    // 5 Destroyed user VMs are in the sample (kept by the default Delay
    // deletion policy, zstack conf/globalConfig/vm.xml:20-23): not counted.
    let v = e.vms(VmScope::Cloud).unwrap();
    assert_eq!((v.total, v.running, v.stopped, v.other), (350, 300, 40, 10));
    // The 10 others are all paused: one more count, asked only because
    // there are others, names them.
    assert_eq!(v.paused, 10);
    assert_eq!(e.count_source().unwrap().via, CountVia::Rest);
    assert_eq!(e.hosts_source().unwrap().via, CountVia::Rest);
    let dyn_engine: &dyn Engine = &e;
    assert!(dyn_engine
        .counts_source()
        .unwrap()
        .starts_with("REST API, "));
    // One login for all seven count queries: the session is reused.
    assert_eq!(d.state.logins.load(Ordering::SeqCst), 1);
    assert_eq!(
        d.count_requests("q=state%21%3DDestroyed"),
        4,
        "every VM count excludes Destroyed"
    );

    let s = e.status().unwrap();
    assert!(s.service_running);
    // getVersion is a sync call answered 200 directly (zstack
    // RestServer.java:1235-1246).
    assert_eq!(s.version, "4.8.0");
    assert_eq!(s.license.as_deref(), Some("Paid"));
    assert_eq!(s.ui_url.as_deref(), Some("http://127.0.0.1:5999"));
    // The licence is asked once, not on every refresh (LICENSE_TTL).
    assert_eq!(e.status().unwrap().license.as_deref(), Some("Paid"));
    assert_eq!(d.count_requests("/licenses"), 1);
    assert!(s
        .extra
        .iter()
        .any(|(k, v)| k == "Counts" && v.starts_with("REST API")));
    assert!(
        d.count_requests(
            "/vm-instances?count=true&q=type%3DUserVm&q=state%21%3DDestroyed&q=state%3DRunning"
        ) == 1
    );
    // No session for getVersion and GET /licenses (@SuppressCredentialCheck,
    // APIGetVersionMsg.java:11; GetLicenseInfoAction.java:83): the first
    // status on a fresh engine logs in not at all.
    let d2 = rest_sim(None);
    let mut cfg2 = cfg.clone();
    cfg2.rest_url = Some(d2.url());
    let s2 = ZstackEngine::new(&cfg2).status().unwrap();
    assert_eq!(
        (s2.version.as_str(), s2.license.as_deref()),
        ("4.8.0", Some("Paid"))
    );
    assert_eq!(d2.state.logins.load(Ordering::SeqCst), 0);

    // Session expiry (ID.1001): the engine logs in again.
    d.state.expire.store(true, Ordering::SeqCst);
    let h = e.hosts().unwrap();
    assert_eq!(h.total, 21);
    assert_eq!(d.state.logins.load(Ordering::SeqCst), 2);

    // An unreadable password file is named in the error.
    let mut bad = cfg.clone();
    bad.rest_password_file = Some(f.path("missing.password"));
    let err = ZstackEngine::new(&bad).hosts().unwrap_err().to_string();
    assert!(err.contains("missing.password"), "{err}");

    // Version 4.8.0 (from REST): no RabbitMQ, so no bus password item.
    match e.capabilities().get(Capability::MessageBusPassword) {
        Availability::Unavailable(why) => assert!(why.contains("3.0.1"), "{why}"),
        a => panic!("{a:?}"),
    }
}

#[test]
fn rest_errors_are_shown_as_the_server_words_them() {
    let d = rest_sim(None);
    let t = Duration::from_secs(5);
    let c = RestClient::new(&d.url(), "admin", Ok(&Secret::from("password")), t);
    // Errors before an API is reached are plain text (zstack
    // RestServer.java:673-676): the text is the message.
    match c.count("/no-such-resources", &[]).unwrap_err() {
        RestError::Api {
            status, message, ..
        } => {
            assert_eq!(status, 404);
            assert_eq!(message, "no api mapping to /v1/no-such-resources");
        }
        e => panic!("{e:?}"),
    }
    // An unknown query operator: plain-text 400 (RestServer.java:1150-1154).
    let e = c.count("/hosts", &["state"]).unwrap_err().to_string();
    assert!(e.contains("400") && e.contains("query operator"), "{e}");
    // A wrong password is ID.1000: one login attempt, no retry loop, and
    // the server's words reach the operator.
    let bad = RestClient::new(&d.url(), "admin", Ok(&Secret::from("wrong")), t);
    let e = bad.count("/hosts", &[]).unwrap_err().to_string();
    assert!(e.contains("wrong account name or password"), "{e}");
    assert_eq!(d.count_requests("/accounts/login"), 2);
    // A job location naming the server's own management.server.ip is
    // polled on our base URL (RESTFacadeImpl.java:130-148).
    assert_eq!(
        c.job_url("http://192.0.2.10:8080/zstack/v1/api-jobs/abc"),
        format!("{}/api-jobs/abc", d.url())
    );
}

#[test]
fn counts_fall_back_to_the_database_when_rest_is_down_or_failing() {
    let Some(mut root) = root_conn() else { return };
    let mut scratch = Scratch::new();
    let db = scratch.database(&mut root, true);
    let user = unique("nc_user");
    scratch.user(&mut root, &user, "%", "Reader#pw1");
    root.query_drop(format!("GRANT SELECT ON `{db}`.* TO '{user}'@'%'"))
        .unwrap();
    // Encrypted DB.password, as the server leaves it.
    let enc = crypto::encrypt(&Secret::from("Reader#pw1"));
    let f = Fixture::new(&props_for_db(&user, &enc));
    std::fs::write(f.path("home/VERSION"), "1.0.0\n").unwrap();
    let mut cfg = f.config();
    cfg.database = db.clone();
    // 1. Nothing listens where REST should be.
    let e = ZstackEngine::new(&cfg);
    let h = e.hosts().unwrap();
    assert_eq!((h.total, h.enabled, h.connected), (3, 2, 2));
    let v = e.vms(VmScope::Cloud).unwrap();
    assert_eq!((v.total, v.running, v.stopped, v.other), (5, 2, 2, 1));
    assert_eq!(v.paused, 1, "the SQL count names the paused one");
    let src = e.count_source().unwrap();
    assert_eq!(src.via, CountVia::Database);
    assert!(src.rest_error.is_some());
    let s = e.status().unwrap();
    assert!(!s.service_running);
    assert_eq!(
        s.version, "2.10.0",
        "highest schema_version, before VERSION"
    );
    assert_eq!(s.license.as_deref(), Some("unknown"));
    assert!(s
        .extra
        .iter()
        .any(|(k, v)| k == "Counts" && v.starts_with("database")));
    // Version 2.10.0 uses RabbitMQ; the real rabbitmqctl is not configured.
    match e.capabilities().get(Capability::MessageBusPassword) {
        Availability::Unavailable(why) => assert!(why.contains("rabbitmqctl"), "{why}"),
        a => panic!("{a:?}"),
    }

    // 2. REST answers 503 errors.
    let d = rest_sim(None);
    d.state.broken.store(true, Ordering::SeqCst);
    cfg.rest_url = Some(d.url());
    let e = ZstackEngine::new(&cfg);
    assert_eq!(e.hosts().unwrap().total, 3);
    let src = e.hosts_source().unwrap();
    assert_eq!(src.via, CountVia::Database);
    assert!(src.rest_error.unwrap().contains("503"));

    // 3. Database down too: the error names both sources.
    let mut cfg2 = cfg.clone();
    cfg2.rest_url = Some(format!("http://127.0.0.1:{}/zstack/v1", closed_port()));
    let f2 = Fixture::new(&format!(
        "DB.url = jdbc:mysql:loadbalance://127.0.0.1:{},127.0.0.1:{}\nDB.user = x\nDB.password = y\n",
        closed_port(),
        closed_port()
    ));
    cfg2.home = f2.path("home");
    let err = ZstackEngine::new(&cfg2).hosts().unwrap_err().to_string();
    assert!(err.contains("REST") && err.contains("database"), "{err}");
    // And the VERSION file is the last fallback.
    std::fs::write(f2.path("home/VERSION"), "2.2.0\n").unwrap();
    assert_eq!(ZstackEngine::new(&cfg2).status().unwrap().version, "2.2.0");
}

#[test]
fn a_server_that_never_answers_costs_one_timeout() {
    let Some(mut root) = root_conn() else { return };
    let mut scratch = Scratch::new();
    let db = scratch.database(&mut root, true);
    let (port, stop) = silent_server();
    let f = Fixture::new(&props_for_db("root", ""));
    let mut cfg = f.config();
    cfg.database = db;
    cfg.rest_url = Some(format!("http://127.0.0.1:{port}/zstack/v1"));
    cfg.status_timeout_s = 1.0;
    let e = Arc::new(ZstackEngine::new(&cfg));
    let e2 = e.clone();
    let s = within(Duration::from_secs(60), move || e2.status().unwrap());
    assert!(!s.service_running, "a silent server is not running");
    let api = s.extra.iter().find(|(k, _)| k == "MN API").unwrap();
    assert!(api.1.contains("unreachable"), "{api:?}");
    let e2 = e.clone();
    let h = within(Duration::from_secs(60), move || e2.hosts().unwrap());
    assert_eq!(h.total, 3, "counts come from the database");
    // The next panel does not wait for the silent server again (backoff).
    let e2 = e.clone();
    let v = within(Duration::from_secs(60), move || {
        e2.vms(VmScope::Cloud).unwrap()
    });
    assert_eq!(v.total, 5);
    let src = e.count_source().unwrap();
    assert_eq!(src.via, CountVia::Database);
    assert!(src.rest_error.unwrap().contains("retried every"));
    stop.store(true, Ordering::SeqCst);
}

#[test]
fn missing_properties_file_is_named() {
    let f = Fixture::new("");
    let mut cfg = f.config();
    cfg.properties = Some(f.path("nope/zstack.properties"));
    let e = ZstackEngine::new(&cfg);
    let s = e.status().unwrap();
    let c = s.extra.iter().find(|(k, _)| k == "Config").unwrap();
    assert!(
        c.1.contains("nope/zstack.properties") && c.1.contains("No such file"),
        "{c:?}"
    );
    let err = e.hosts().unwrap_err().to_string();
    assert!(err.contains("nope/zstack.properties"), "{err}");
}

#[test]
fn zstack_db_password_change_on_every_host_entry() {
    let Some(mut root) = root_conn() else { return };
    let mut scratch = Scratch::new();
    let user = unique("nc_zs");
    scratch.user(&mut root, &user, "%", "Old#pass1");
    scratch.user(&mut root, &user, "localhost", "Old#pass1");
    scratch.user(&mut root, &user, "127.0.0.1", "Old#pass1");
    let enc = crypto::encrypt(&Secret::from("Old#pass1"));
    let f = Fixture::new(&props_for_db(&user, &enc));
    let mut cfg = f.config();
    cfg.ctl = f.stand_in("zstack-ctl");
    let e = ZstackEngine::new(&cfg);
    let new = Secret::from("New#pass2");
    let mut rec = Recorder::default();

    // Wrong MySQL root password: refused, nothing changed.
    let err = e
        .change_db_password(
            DbAccount::Zstack,
            &Secret::from("wrong-root"),
            &new,
            &mut rec,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("password is wrong"), "{err}");
    assert!(can_login(&user, "Old#pass1"));
    // The vendor's rule.
    let err = e
        .change_db_password(
            DbAccount::Zstack,
            &Secret::new(),
            &Secret::from("short"),
            &mut rec,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("8 characters"), "{err}");
    assert_eq!(f.log("zstack-ctl"), "");

    // The real change (root's current password is empty on this machine).
    let msg = e
        .change_db_password(DbAccount::Zstack, &Secret::new(), &new, &mut rec)
        .unwrap();
    assert!(msg.contains(&user), "{msg}");
    assert!(!can_login(&user, "Old#pass1"), "old password still works");
    assert!(can_login(&user, "New#pass2"), "new password refused");
    let hosts: Vec<String> = root
        .exec("SELECT Host FROM mysql.user WHERE User = ?", (&user,))
        .unwrap();
    assert_eq!(hosts.len(), 3);
    assert_eq!(
        rec.lines
            .iter()
            .filter(|l| l.starts_with("password set"))
            .count(),
        3
    );
    // DB.password updated, still encrypted, other lines kept.
    let text = f.props_text();
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix("DB.password = "))
        .unwrap();
    assert_eq!(crypto::decrypt(value).unwrap().expose(), "New#pass2");
    assert!(text.starts_with("# test fixture\n"));
    assert!(f
        .path("home/WEB-INF/classes/zstack.properties.nodeconsole.bak")
        .exists());
    // Restarted through zstack-ctl; the password never on its argv/stdin.
    let log = f.log("zstack-ctl");
    assert!(log.contains("ARGS restart_node"), "{log}");
    assert!(
        !log.contains("New#pass2") && !log.contains("Old#pass1"),
        "{log}"
    );
}

#[test]
fn admin_db_password_change_uses_the_admin_account() {
    let Some(mut root) = root_conn() else { return };
    let mut scratch = Scratch::new();
    // A scratch administrator stands in for MySQL root (never touch root).
    let admin = unique("nc_admin");
    scratch.user(&mut root, &admin, "%", "Adm#pass1");
    root.query_drop(format!(
        "GRANT ALL PRIVILEGES ON *.* TO '{admin}'@'%' WITH GRANT OPTION"
    ))
    .unwrap();
    let f = Fixture::new(&props_for_db("zstack", "x"));
    let mut cfg = f.config();
    cfg.ctl = f.stand_in("zstack-ctl");
    cfg.db_admin_user = admin.clone();
    let e = ZstackEngine::new(&cfg);
    let mut rec = Recorder::default();
    e.change_db_password(
        DbAccount::Root,
        &Secret::from("Adm#pass1"),
        &Secret::from("Adm#pass2_x"),
        &mut rec,
    )
    .unwrap();
    assert!(!can_login(&admin, "Adm#pass1"));
    assert!(can_login(&admin, "Adm#pass2_x"));
    assert_eq!(
        f.props_text(),
        props_for_db("zstack", "x"),
        "root's password is not in the file"
    );
    assert!(can_login("root", ""), "MariaDB root untouched");
}

#[test]
fn backup_dumps_existing_databases_and_restores_identically() {
    let Some(mut root) = root_conn() else { return };
    if !Path::new("/usr/bin/mysqldump").exists() {
        return missing("/usr/bin/mysqldump (mariadb-client)");
    }
    let mut scratch = Scratch::new();
    let src = scratch.database(&mut root, true);
    let f = Fixture::new(&props_for_db("root", ""));
    let mut cfg = f.config();
    cfg.backup_databases = vec![src.clone(), unique("nc_absent")];
    let e = ZstackEngine::new(&cfg);
    let mut rec = Recorder::default();
    let out = e.backup_database(&f.path("backups"), &mut rec).unwrap();
    assert!(out.to_string_lossy().ends_with(".sql.gz"));
    assert_eq!(rec.fraction, Some(1.0));
    assert!(!std::fs::read_dir(f.path("backups"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().ends_with(".partial")));
    // Decompress, retarget to a second scratch database, restore with the
    // mysql client, compare.
    let mut sql = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&out).unwrap())
        .read_to_string(&mut sql)
        .unwrap();
    assert!(sql.contains(&format!("CREATE DATABASE /*!32312 IF NOT EXISTS*/ `{src}`")));
    let dst = unique("nc_restore");
    root.query_drop(format!("CREATE DATABASE `{dst}`")).unwrap();
    scratch.dbs.push(dst.clone());
    let retargeted: String = sql
        .lines()
        .filter(|l| !l.starts_with("CREATE DATABASE"))
        .map(|l| {
            if l.starts_with("USE ") {
                format!("USE `{dst}`;")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut child = Command::new("mysql")
        .args(["-h", "127.0.0.1", "-u", "root"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(retargeted.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    for t in [
        "HostVO",
        "VmInstanceVO",
        "ManagementNodeVO",
        "schema_version",
    ] {
        let a: Vec<(String, Option<u64>)> = root
            .query(format!("CHECKSUM TABLE `{src}`.`{t}` EXTENDED"))
            .unwrap();
        let b: Vec<(String, Option<u64>)> = root
            .query(format!("CHECKSUM TABLE `{dst}`.`{t}` EXTENDED"))
            .unwrap();
        assert_eq!(a[0].1, b[0].1, "table {t} differs after restore");
        let n: Option<u64> = root
            .query_first(format!("SELECT COUNT(*) FROM `{dst}`.`{t}`"))
            .unwrap();
        assert!(n.unwrap() > 0, "{t} restored empty");
    }
}

/// Logs in over AMQP 0-9-1 with PLAIN: `true` when the broker accepts the
/// credentials (answers Connection.Tune), `false` when it refuses.
fn amqp_login(user: &str, pass: &str) -> std::io::Result<bool> {
    let mut s = TcpStream::connect("127.0.0.1:5672")?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    s.write_all(b"AMQP\x00\x00\x09\x01")?;
    let read_frame = |s: &mut TcpStream| -> std::io::Result<Option<(u16, u16)>> {
        let mut hdr = [0u8; 7];
        if let Err(e) = s.read_exact(&mut hdr) {
            return if e.kind() == std::io::ErrorKind::UnexpectedEof
                || e.kind() == std::io::ErrorKind::ConnectionReset
            {
                Ok(None)
            } else {
                Err(e)
            };
        }
        let size = u32::from_be_bytes([hdr[3], hdr[4], hdr[5], hdr[6]]) as usize;
        let mut payload = vec![0u8; size + 1];
        s.read_exact(&mut payload)?;
        assert_eq!(hdr[0], 1, "method frame expected");
        Ok(Some((
            u16::from_be_bytes([payload[0], payload[1]]),
            u16::from_be_bytes([payload[2], payload[3]]),
        )))
    };
    assert_eq!(read_frame(&mut s)?, Some((10, 10)), "Connection.Start");
    let mut args = Vec::new();
    args.extend_from_slice(&10u16.to_be_bytes());
    args.extend_from_slice(&11u16.to_be_bytes());
    args.extend_from_slice(&0u32.to_be_bytes()); // empty client-properties
    args.push(5);
    args.extend_from_slice(b"PLAIN");
    let resp = format!("\0{user}\0{pass}");
    args.extend_from_slice(&(resp.len() as u32).to_be_bytes());
    args.extend_from_slice(resp.as_bytes());
    args.push(5);
    args.extend_from_slice(b"en_US");
    let mut frame = vec![1u8, 0, 0];
    frame.extend_from_slice(&(args.len() as u32).to_be_bytes());
    frame.extend_from_slice(&args);
    frame.push(0xCE);
    s.write_all(&frame)?;
    match read_frame(&mut s)? {
        Some((10, 30)) => Ok(true),         // Connection.Tune: authenticated
        None | Some((10, 50)) => Ok(false), // closed / Connection.Close
        Some(other) => panic!("unexpected AMQP method {other:?}"),
    }
}

fn rabbitmqctl(args: &[&str], stdin: &str) -> bool {
    let mut c = match Command::new("/usr/sbin/rabbitmqctl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return false,
    };
    let _ = c.stdin.take().unwrap().write_all(stdin.as_bytes());
    c.wait().map(|s| s.success()).unwrap_or(false)
}

struct RabbitUser(String);
impl Drop for RabbitUser {
    fn drop(&mut self) {
        if self.0 != "guest" {
            rabbitmqctl(&["delete_user", &self.0], "");
        }
    }
}

#[test]
fn rabbitmq_password_change_for_versions_before_3_0_1() {
    if !Path::new("/usr/sbin/rabbitmqctl").exists() || TcpStream::connect("127.0.0.1:5672").is_err()
    {
        return missing("RabbitMQ (rabbitmqctl and 127.0.0.1:5672)");
    }
    let user = RabbitUser(unique("nc_bus"));
    // Password on stdin, never argv.
    assert!(
        rabbitmqctl(&["add_user", &user.0], "Bus#old1\n"),
        "add_user"
    );
    assert!(
        amqp_login(&user.0, "Bus#old1").unwrap(),
        "scratch user cannot log in"
    );

    let props = format!(
        "DB.url = jdbc:mysql://127.0.0.1:{}\nCloudBus.rabbitmqUsername = {}\nCloudBus.rabbitmqPassword = Bus#old1\n",
        closed_port(),
        user.0
    );
    let f = Fixture::new(&props);
    std::fs::write(f.path("home/VERSION"), "2.2.0\n").unwrap();
    let mut cfg = f.config();
    cfg.ctl = f.stand_in("zstack-ctl");
    cfg.rabbitmqctl = "/usr/sbin/rabbitmqctl".into();
    let e = ZstackEngine::new(&cfg);
    assert_eq!(
        e.capabilities().get(Capability::MessageBusPassword),
        Availability::Available
    );
    let mut rec = Recorder::default();
    let err = e
        .change_bus_password(&Secret::from("nodigits!"), &mut rec)
        .unwrap_err()
        .to_string();
    assert!(err.contains("a digit"), "{err}");
    e.change_bus_password(&Secret::from("Bus#new2x"), &mut rec)
        .unwrap();
    assert!(
        amqp_login(&user.0, "Bus#new2x").unwrap(),
        "new password refused"
    );
    assert!(
        !amqp_login(&user.0, "Bus#old1").unwrap(),
        "old password still works"
    );
    assert!(f
        .props_text()
        .contains("CloudBus.rabbitmqPassword = Bus#new2x\n"));
    let log = f.log("zstack-ctl");
    assert!(
        log.contains("ARGS restart_node") && !log.contains("Bus#new2x"),
        "{log}"
    );
    // The new password never appeared on the broker tool's argv: it went to
    // rabbitmqctl on stdin (the engine passes only `change_password USER`).

    // 3.0.1 and later: no RabbitMQ, refused without touching anything.
    std::fs::write(f.path("home/VERSION"), "3.0.1\n").unwrap();
    let e = ZstackEngine::new(&cfg);
    let err = e
        .change_bus_password(&Secret::from("Bus#new3x"), &mut rec)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not use RabbitMQ"), "{err}");
    assert!(amqp_login(&user.0, "Bus#new2x").unwrap());
}

#[test]
fn service_control_through_zstack_ctl() {
    let f = Fixture::new(&props_for_db("zstack", "x"));
    let mut cfg = f.config();
    let e = ZstackEngine::new(&cfg);
    let mut rec = Recorder::default();
    let err = e
        .service(ServiceAction::Start, &mut rec)
        .unwrap_err()
        .to_string();
    assert!(err.contains("zstack-ctl not found"), "{err}");
    match e.capabilities().get(Capability::ServiceControl) {
        Availability::Unavailable(why) => assert!(why.contains("zstack-ctl")),
        a => panic!("{a:?}"),
    }
    cfg.ctl = f.stand_in("zstack-ctl");
    let e = ZstackEngine::new(&cfg);
    assert_eq!(
        e.capabilities().get(Capability::ServiceControl),
        Availability::Available
    );
    assert_eq!(
        e.capabilities().get(Capability::ClusterLogs),
        Availability::Available
    );
    for a in [
        ServiceAction::Start,
        ServiceAction::Stop,
        ServiceAction::Restart,
    ] {
        e.service(a, &mut rec).unwrap();
    }
    let log = f.log("zstack-ctl");
    let args: Vec<&str> = log.lines().filter(|l| l.starts_with("ARGS")).collect();
    assert_eq!(args, ["ARGS start", "ARGS stop", "ARGS restart_node"]);
    assert!(
        rec.lines
            .contains(&"zstack-ctl: working on start".to_owned()),
        "output streamed"
    );
    // Failure: the exit status and the last output line reach the result.
    std::fs::write(f.path("zstack-ctl.fail"), "").unwrap();
    let err = e
        .service(ServiceAction::Start, &mut rec)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("exit 1") && err.contains("simulated failure"),
        "{err}"
    );
}

#[test]
fn reset_runs_the_installer_with_k_or_d() {
    let f = Fixture::new(&props_for_db("zstack", "x"));
    let mut cfg = f.config();
    let mut rec = Recorder::default();
    let err = ZstackEngine::new(&cfg)
        .reset(false, &mut rec)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("installer was not found") && err.contains("no-installer.bin"),
        "{err}"
    );
    // The installer is a shell archive; the stand-in is not executable, so
    // the engine runs it through bash.
    let inst = f.stand_in("installer.bin");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&inst, std::fs::Permissions::from_mode(0o644)).unwrap();
    cfg.installer = inst;
    let e = ZstackEngine::new(&cfg);
    assert_eq!(
        e.capabilities().get(Capability::Reset),
        Availability::Available
    );
    e.reset(false, &mut rec).unwrap();
    e.reset(true, &mut rec).unwrap();
    let log = f.log("installer.bin");
    let args: Vec<&str> = log.lines().filter(|l| l.starts_with("ARGS")).collect();
    assert_eq!(args, ["ARGS -k", "ARGS -D"]);
}

#[test]
fn console_proxy_read_validated_and_set() {
    let f = Fixture::new("management.server.ip = 10.1.1.5\nconsoleProxyPort = 4901\n# keep me\n");
    std::fs::write(f.path("home/VERSION"), "3.1.0\n").unwrap();
    let mut cfg = f.config();
    let e = ZstackEngine::new(&cfg);
    assert_eq!(
        e.console_proxy().unwrap(),
        ConsoleProxy {
            ip: Some("10.1.1.5".parse().unwrap()),
            port: Some(4901)
        }
    );
    let p = nodeconsole::engine::zstack::validate_console_proxy("10.1.1.9", "4902").unwrap();
    let mut rec = Recorder::default();
    // REST down and no zstack-ctl: the file is edited atomically, and the
    // result says the restart is the operator's.
    let err = e.set_console_proxy(&p, &mut rec).unwrap_err().to_string();
    assert!(err.contains("restart the management node by hand"), "{err}");
    assert_eq!(
        f.props_text(),
        "management.server.ip = 10.1.1.5\nconsoleProxyPort = 4902\n# keep me\nconsoleProxyOverriddenIp = 10.1.1.9\n"
    );
    assert_eq!(
        e.console_proxy().unwrap().ip,
        Some("10.1.1.9".parse().unwrap())
    );
    // 0.0.0.0 (the default, CoreGlobalProperty.java:31) means "use the
    // management IP" (ConsoleManagerImpl.java:128-130): shown as such.
    std::fs::write(
        f.props_path(),
        "management.server.ip = 10.1.1.5\nconsoleProxyOverriddenIp = 0.0.0.0\n",
    )
    .unwrap();
    assert_eq!(
        e.console_proxy().unwrap().ip,
        Some("10.1.1.5".parse().unwrap())
    );

    // The API is absent (an older ZStack: 404 "no api mapping", plain
    // text): zstack-ctl configure each key, then restart the node — and no
    // RabbitMQ restart, even before 3.0.1.
    let d = rest_sim(Some(f.props_path()));
    d.state.no_console_api.store(true, Ordering::SeqCst);
    std::fs::write(f.path("home/VERSION"), "2.3.0\n").unwrap();
    cfg.rest_url = Some(d.url());
    cfg.ctl = f.stand_in("zstack-ctl");
    cfg.rabbitmqctl = f.stand_in("rabbitmqctl");
    let e = ZstackEngine::new(&cfg);
    let msg = e.set_console_proxy(&p, &mut rec).unwrap();
    assert!(msg.contains("restarted"), "{msg}");
    let args = |name: &str| -> Vec<String> {
        f.log(name)
            .lines()
            .filter(|l| l.starts_with("ARGS"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        args("zstack-ctl"),
        [
            "ARGS configure consoleProxyOverriddenIp=10.1.1.9",
            "ARGS configure consoleProxyPort=4902",
            "ARGS restart_node"
        ]
    );
    assert!(args("rabbitmqctl").is_empty(), "RabbitMQ is not restarted");
    assert!(
        rec.lines.iter().any(|l| l.contains("no api mapping")),
        "{:?}",
        rec.lines
    );

    // The API is there: updateConsoleProxyAgent (202, then the job polled
    // on our own base URL — its location names 192.0.2.10) changes the
    // server's values and the file; nothing is run, nothing restarted.
    std::fs::remove_file(f.path("zstack-ctl.log")).unwrap();
    d.state.no_console_api.store(false, Ordering::SeqCst);
    let e = ZstackEngine::new(&cfg);
    let only_port = ConsoleProxy {
        ip: None,
        port: Some(4903),
    };
    let msg = e.set_console_proxy(&only_port, &mut rec).unwrap();
    assert!(msg.contains("no restart"), "{msg}");
    assert_eq!(f.log("zstack-ctl"), "", "zstack-ctl not run");
    {
        let c = d.cloud.lock().unwrap();
        // Only the port changed; the IP kept its current value.
        assert_eq!(
            (c.console_proxy_ip.as_str(), c.console_proxy_port),
            ("0.0.0.0", 4903)
        );
    }
    let text = f.props_text();
    assert!(text.contains("consoleProxyPort = 4903"), "{text}");
    assert_eq!(
        d.count_requests("GET /zstack/v1/api-jobs/"),
        2,
        "202 then 200"
    );
    e.set_console_proxy(&p, &mut rec).unwrap();
    assert_eq!(
        d.cloud.lock().unwrap().console_proxy_ip,
        "10.1.1.9",
        "the IP is sent when given"
    );
}

#[test]
fn management_ip_change_and_log_collection() {
    let f = Fixture::new(&props_for_db("zstack", "x"));
    let mut cfg = f.config();
    cfg.ctl = f.stand_in("zstack-ctl");
    let e = ZstackEngine::new(&cfg);
    let mut rec = Recorder::default();
    let err = e
        .change_management_ip("127.0.0.1".parse().unwrap(), &mut rec)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot be a management IP"), "{err}");
    // change_ip refuses with exit 0 (its `return 1` is discarded by
    // `cmd(args)`, zstack-utility ctl.py:1116, 7189-7193): no restart, and
    // the refusal is shown.
    std::fs::write(
        f.path("zstack-ctl.refuse"),
        "The ip address you input: 10.2.0.7 is a virtual ip\n",
    )
    .unwrap();
    let err = e
        .change_management_ip("10.2.0.7".parse().unwrap(), &mut rec)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("refused") && err.contains("is a virtual ip"),
        "{err}"
    );
    std::fs::remove_file(f.path("zstack-ctl.refuse")).unwrap();
    // The real thing prints "Change ip successfully" (ctl.py:7309).
    e.change_management_ip("10.2.0.7".parse().unwrap(), &mut rec)
        .unwrap();
    assert!(f.props_text().contains("management.server.ip = 10.2.0.7"));
    let out = e.collect_cluster_logs(&f.path("logs"), &mut rec).unwrap();
    assert_eq!(out, f.path("logs/collect-log-4.8.0-20260101.tar.gz"));
    let log = f.log("zstack-ctl");
    let args: Vec<&str> = log.lines().filter(|l| l.starts_with("ARGS")).collect();
    assert_eq!(
        args,
        [
            "ARGS change_ip --ip 10.2.0.7",
            "ARGS change_ip --ip 10.2.0.7",
            "ARGS restart_node",
            "ARGS configured_collect_log"
        ]
    );
    // zstack-ctl colours with termcolor unless ANSI_COLORS_DISABLED is set
    // (ctl.py:15): the engine sets it, and no escape reaches the window.
    assert!(log.contains("ENV ANSI_COLORS_DISABLED=1"), "{log}");
    assert!(
        rec.lines.iter().all(|l| !l.contains('\u{1b}')),
        "{:?}",
        rec.lines
    );
}
