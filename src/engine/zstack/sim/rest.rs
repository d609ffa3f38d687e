//! The simulated management server's REST API (`/zstack/v1`), answering as
//! ZStack's own `RestServer` does. Each answer names the ZStack source it
//! follows (zstackio/zstack at 5a29293; `RestServer` =
//! `rest/src/main/java/org/zstack/rest/RestServer.java`).
//!
//! One request per connection (`Connection: close`), served on a thread of
//! its own so that a slow client never blocks the next one.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use super::SimCloud;
use crate::engine::zstack::properties::Properties;
use crate::sync::lock;

/// Knobs and records of a running simulated REST API.
#[derive(Default)]
pub struct RestState {
    /// Successful logins so far.
    pub logins: AtomicUsize,
    /// When set, the current session is rejected as expired (ID.1001).
    pub expire: AtomicBool,
    /// When set, every API answers 503 with an internal error.
    pub broken: AtomicBool,
    /// When set, `updateConsoleProxyAgent` is unknown (an older ZStack).
    pub no_console_api: AtomicBool,
    /// `METHOD target` of every request, in order.
    pub requests: Mutex<Vec<String>>,
    session: Mutex<String>,
    /// Async jobs: id → (polls still answered 202, the final answer).
    jobs: Mutex<HashMap<String, (usize, Value)>>,
    next_id: AtomicUsize,
}

/// A simulated REST API listening on 127.0.0.1 (an ephemeral port).
pub struct RestSim {
    pub port: u16,
    pub state: Arc<RestState>,
    pub cloud: Arc<Mutex<SimCloud>>,
}

/// What the server needs besides the cloud's records.
#[derive(Clone)]
pub struct RestConfig {
    /// `management.server.ip`: the server builds async job locations from
    /// it (`RESTFacadeImpl.java:130-148`), so they name this address, not
    /// the one the client called.
    pub advertised_ip: String,
    /// zstack.properties, which `updateConsoleProxyAgent` rewrites through
    /// `zstack-ctl configure` (`ManagementServerConsoleProxyBackend.java:71-91`).
    pub properties: Option<PathBuf>,
    /// While this file exists the management server is "stopped": every
    /// connection is closed unanswered.
    pub stop_flag: Option<PathBuf>,
}

impl RestSim {
    /// Starts the server on an ephemeral loopback port.
    pub fn start(cloud: Arc<Mutex<SimCloud>>, cfg: RestConfig) -> std::io::Result<RestSim> {
        let l = TcpListener::bind("127.0.0.1:0")?;
        let port = l.local_addr()?.port();
        let state = Arc::new(RestState::default());
        let (st, cl) = (state.clone(), cloud.clone());
        std::thread::Builder::new()
            .name("zstack-sim-rest".into())
            .spawn(move || {
                for s in l.incoming().flatten() {
                    let (st, cl, cfg) = (st.clone(), cl.clone(), cfg.clone());
                    let _ = std::thread::Builder::new()
                        .name("zstack-sim-req".into())
                        .spawn(move || {
                            let _ = serve(s, port, &st, &cl, &cfg);
                        });
                }
            })?;
        Ok(RestSim { port, state, cloud })
    }

    /// `http://127.0.0.1:<port>/zstack/v1`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/zstack/v1", self.port)
    }

    /// How many requests so far contained `needle`.
    pub fn count_requests(&self, needle: &str) -> usize {
        lock(&self.state.requests)
            .iter()
            .filter(|r| r.contains(needle))
            .count()
    }
}

/// An answer: status, body, and whether the body is JSON (ZStack's
/// `RestException`s are plain text, `RestServer.java:587-600`).
struct Answer(u16, String, bool);

fn json_answer(status: u16, v: Value) -> Answer {
    Answer(status, v.to_string(), true)
}

fn text_answer(status: u16, s: &str) -> Answer {
    Answer(status, s.to_owned(), false)
}

/// An API error as `sendReplyResponse` sends it: 503 with an ErrorCode
/// (`RestServer.java:1235-1240`).
fn api_error(code: &str, details: &str) -> Answer {
    json_answer(
        503,
        json!({"error": {"code": code, "description": "simulated error", "details": details}}),
    )
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: Value,
}

fn read_request(s: &TcpStream) -> std::io::Result<Request> {
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Ok(Request {
        method,
        path: path.strip_prefix("/zstack").unwrap_or(path).to_owned(),
        query: query.to_owned(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or_default(),
    })
}

fn serve(
    mut s: TcpStream,
    port: u16,
    st: &RestState,
    cloud: &Mutex<SimCloud>,
    cfg: &RestConfig,
) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    if cfg.stop_flag.as_ref().is_some_and(|f| f.exists()) {
        return Ok(()); // a stopped node: the connection closes unanswered
    }
    let req = read_request(&s)?;
    let target = if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    lock(&st.requests).push(format!("{} /zstack{target}", req.method));
    let Answer(status, body, is_json) = route(&req, port, st, cloud, cfg);
    let ctype = if is_json {
        "application/json"
    } else {
        "text/plain"
    };
    write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    s.flush()
}

fn route(
    req: &Request,
    port: u16,
    st: &RestState,
    cloud: &Mutex<SimCloud>,
    cfg: &RestConfig,
) -> Answer {
    let p = req.path.as_str();
    // Job queries are matched before any API (`RestServer.java:668-671`).
    if let Some(id) = p.strip_prefix("/v1/api-jobs/") {
        return job_query(req, id, st);
    }
    if st.broken.load(Ordering::SeqCst) {
        return api_error("SYS.1000", "internal error");
    }
    let m = req.method.as_str();
    // APIs with @SuppressCredentialCheck need no session: APIIsReadyToGoMsg
    // (header/.../apimediator/APIIsReadyToGoMsg.java:8), APIGetVersionMsg
    // (header/.../managementnode/APIGetVersionMsg.java:11, a sync call
    // answered 200 directly, RestServer.java:1235-1246), GetLicenseInfo
    // (sdk/.../GetLicenseInfoAction.java:83, needSession = false) and login.
    match (m, p) {
        ("GET", "/v1/management-nodes/ready") => return json_answer(200, json!({})),
        ("PUT", "/v1/management-nodes/actions") if req.body.get("getVersion").is_some() => {
            let v = lock(cloud).version.clone();
            return json_answer(200, json!({ "version": v }));
        }
        ("GET", "/v1/licenses") => {
            let t = lock(cloud).license_type.clone();
            return json_answer(200, json!({"inventory": {"licenseType": t}}));
        }
        ("PUT", "/v1/accounts/login") => return login(req, st, cloud),
        _ => {}
    }
    let known = [
        "/v1/hosts",
        "/v1/vm-instances",
        "/v1/consoles/agents",
        "/v1/management-nodes",
    ];
    let console_action = p.starts_with("/v1/consoles/agents/") && p.ends_with("/actions");
    let console_api = console_action && !st.no_console_api.load(Ordering::SeqCst);
    if !known.contains(&p) && !console_api {
        // `RestServer.java:673-676`: plain text, not JSON.
        return text_answer(404, &format!("no api mapping to {p}"));
    }
    // `RestServer.java:867-871`: a credential-checked API without the header.
    let Some(auth) = req.headers.get("authorization") else {
        return text_answer(400, "missing header 'Authorization'");
    };
    let want = format!("OAuth {}", lock(&st.session));
    if st.expire.load(Ordering::SeqCst) || *auth != want {
        // IdentityErrors.INVALID_SESSION = 1001
        // (header/.../identity/IdentityErrors.java:7).
        return api_error("ID.1001", "Session expired");
    }
    match (m, p) {
        ("GET", "/v1/hosts") => query(req, &lock(cloud).hosts),
        ("GET", "/v1/vm-instances") => query(req, &lock(cloud).vms),
        ("GET", "/v1/management-nodes") => {
            let c = lock(cloud);
            json_answer(
                200,
                json!({"inventories": [{"uuid": c.mn_uuid, "hostName": cfg.advertised_ip}]}),
            )
        }
        ("GET", "/v1/consoles/agents") => {
            let c = lock(cloud);
            json_answer(
                200,
                json!({"inventories": [{
                    "uuid": c.mn_uuid,
                    "managementIp": cfg.advertised_ip,
                    "consoleProxyOverriddenIp": c.console_proxy_ip,
                    "consoleProxyPort": c.console_proxy_port,
                }]}),
            )
        }
        ("PUT", _) if console_action => update_console_proxy(req, port, st, cloud, cfg),
        _ => text_answer(
            405,
            &format!("The method[{m}] is not allowed for the path[{p}]"),
        ),
    }
}

fn login(req: &Request, st: &RestState, cloud: &Mutex<SimCloud>) -> Answer {
    let get = |k: &str| {
        req.body
            .pointer(&format!("/logInByAccount/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let ok = {
        let c = lock(cloud);
        get("accountName") == c.admin_account && get("password") == c.admin_sha512
    };
    if !ok {
        // IdentityErrors.AUTHENTICATION_ERROR = 1000 (IdentityErrors.java:6).
        return api_error("ID.1000", "wrong account name or password");
    }
    let n = st.logins.fetch_add(1, Ordering::SeqCst) + 1;
    let id = format!("sim-session-{n}");
    *lock(&st.session) = id.clone();
    st.expire.store(false, Ordering::SeqCst);
    json_answer(
        200,
        json!({"inventory": {"uuid": id, "accountUuid": "36c27e8ff05c4780bf6d2fa65700f22e"}}),
    )
}

/// A query API: `count=true` answers `{"total": n}`; conditions are
/// `q=name<op>value` with the operators of `RestServer.java:1052-1068`
/// (this simulation knows `!=` and `=`; anything else is the 400 of
/// `RestServer.java:1150-1154`).
fn query(req: &Request, records: &[super::Record]) -> Answer {
    let mut count = false;
    let mut conds = Vec::new();
    for kv in req.query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let v = percent_encoding::percent_decode_str(v)
            .decode_utf8_lossy()
            .into_owned();
        match k {
            "count" => count = v == "true",
            "q" => {
                let parsed = if let Some((n, x)) = v.split_once("!=") {
                    (n.to_owned(), false, x.to_owned())
                } else if let Some((n, x)) = v.split_once('=') {
                    (n.to_owned(), true, x.to_owned())
                } else {
                    return text_answer(
                        400,
                        &format!("Invalid query parameter. The '{v}' in the parameter[q] doesn't contain any query operator."),
                    );
                };
                conds.push(parsed);
            }
            _ => {}
        }
    }
    let hits: Vec<&super::Record> = records
        .iter()
        .filter(|r| {
            conds.iter().all(|(n, eq, x)| {
                let val = r.get(n.as_str()).map(String::as_str).unwrap_or("");
                (val == x) == *eq
            })
        })
        .collect();
    if count {
        json_answer(200, json!({"total": hits.len()}))
    } else {
        json_answer(200, json!({"inventories": hits}))
    }
}

/// `APIUpdateConsoleProxyAgentMsg` (`PUT /consoles/agents/{uuid}/actions`,
/// header/.../console/APIUpdateConsoleProxyAgentMsg.java:10-22): an async
/// API, so 202 and a job location (`RestServer.java:1259-1274`). Like the
/// real handler (`ManagementServerConsoleProxyBackend.java:474-570`) it
/// updates the running values and the file; port 0 keeps the port (:483).
fn update_console_proxy(
    req: &Request,
    port: u16,
    st: &RestState,
    cloud: &Mutex<SimCloud>,
    cfg: &RestConfig,
) -> Answer {
    let Some(params) = req.body.get("updateConsoleProxyAgent") else {
        return text_answer(400, "the body doesn't contain action mapping");
    };
    let uuid = req
        .path
        .trim_start_matches("/v1/consoles/agents/")
        .trim_end_matches("/actions");
    let result = {
        let mut c = lock(cloud);
        if uuid != c.mn_uuid {
            api_error("SYS.1007", &format!("no ConsoleProxyAgentVO[uuid:{uuid}]"))
        } else if let Some(ip) = params
            .get("consoleProxyOverriddenIp")
            .and_then(Value::as_str)
        {
            let new_port = params
                .get("consoleProxyPort")
                .and_then(Value::as_u64)
                .filter(|&p| p != 0)
                .unwrap_or(c.console_proxy_port as u64) as u16;
            c.console_proxy_ip = ip.to_owned();
            c.console_proxy_port = new_port;
            if let Some(path) = &cfg.properties {
                if let Ok(mut p) = Properties::load(path) {
                    p.set("consoleProxyOverriddenIp", ip);
                    p.set("consoleProxyPort", &new_port.to_string());
                    let _ = p.save(path);
                }
            }
            json_answer(
                200,
                json!({"inventory": {"uuid": uuid, "consoleProxyOverriddenIp": ip, "consoleProxyPort": new_port}}),
            )
        } else {
            // @APIParam consoleProxyOverriddenIp is required (:19-20).
            text_answer(400, "missing mandatory field[consoleProxyOverriddenIp]")
        }
    };
    let id = format!(
        "{:032x}",
        st.next_id.fetch_add(1, Ordering::SeqCst) as u128 + 0xa1
    );
    let Answer(status, body, _) = result;
    let final_answer: Value = serde_json::from_str(&body).unwrap_or(json!({}));
    lock(&st.jobs).insert(
        id.clone(),
        (1, json!({"status": status, "body": final_answer})),
    );
    json_answer(
        202,
        json!({"location": format!("http://{}:{port}/zstack/v1/api-jobs/{id}", cfg.advertised_ip)}),
    )
}

/// `handleJobQuery` (`RestServer.java:704-740`): GET only (405 plain text
/// otherwise), 404 when unknown, 202 with an empty body while processing,
/// then the result (200, or 503 with the error).
fn job_query(req: &Request, id: &str, st: &RestState) -> Answer {
    if req.method != "GET" {
        return text_answer(405, "only GET method is allowed for querying job status");
    }
    let mut jobs = lock(&st.jobs);
    let Some((left, result)) = jobs.get_mut(id) else {
        return text_answer(404, "the job has been expired");
    };
    if *left > 0 {
        *left -= 1;
        return json_answer(202, json!({}));
    }
    let status = result.get("status").and_then(Value::as_u64).unwrap_or(200) as u16;
    let body = result.get("body").cloned().unwrap_or(json!({}));
    json_answer(if status == 200 { 200 } else { 503 }, body)
}
