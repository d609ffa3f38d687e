//! A small synchronous client of the ZStack REST API (`/zstack/v1`).
//!
//! The console logs in once with the configured account (the password is
//! sent as its SHA-512 hex digest, as the API expects), keeps the session
//! and logs in again only when the server says the session is gone. Every
//! call has a short overall timeout, so a management server that accepts
//! connections but never answers costs one timeout, not a hung panel.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest, Sha512};

use crate::secret::Secret;
use crate::sync::lock;

/// Why a REST call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    /// No answer (refused, timed out, reset).
    #[error("management server at {0} unreachable: {1}")]
    Transport(String, String),
    /// An HTTP error status, with the API's error description when given.
    #[error("management server answered {status}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// The console's own credentials could not be read.
    #[error("{0}")]
    Credentials(String),
    /// A 2xx answer we could not read.
    #[error("unexpected answer from the management server: {0}")]
    Decode(String),
}

/// The REST client; cheap to share between threads.
pub struct RestClient {
    base: String,
    account: String,
    /// SHA-512 hex of the password, or why the password is unavailable.
    password_sha512: Result<Secret, String>,
    agent: ureq::Agent,
    /// How long to poll a 202 job before giving up.
    job_timeout: Duration,
    session: Mutex<Option<String>>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// Lowercase hex SHA-512 of the password, the form `logInByAccount` takes.
pub fn sha512_hex(s: &Secret) -> Secret {
    let d = Sha512::digest(s.expose().as_bytes());
    let mut out = Secret::new();
    for b in d {
        for n in [b >> 4, b & 15] {
            out.push(char::from_digit(n as u32, 16).unwrap_or('0'));
        }
    }
    out
}

impl RestClient {
    /// `base` like `http://127.0.0.1:8080/zstack/v1`; `timeout` bounds each
    /// request (connect + answer). `password` is `Err(why)` when the
    /// console's password file could not be read: calls that need a login
    /// then fail with that reason.
    pub fn new(
        base: &str,
        account: &str,
        password: Result<&Secret, String>,
        timeout: Duration,
    ) -> RestClient {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout(timeout)
            .build();
        RestClient {
            base: base.trim_end_matches('/').to_owned(),
            account: account.to_owned(),
            password_sha512: password.map(sha512_hex),
            agent,
            job_timeout: Duration::from_secs(60),
            session: Mutex::new(None),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /management-nodes/ready` (no login): is the server ready.
    pub fn ready(&self) -> Result<(), RestError> {
        self.send("GET", "/management-nodes/ready", None, None)
            .map(|_| ())
    }

    /// Logs in and stores the session.
    pub fn login(&self) -> Result<String, RestError> {
        let hash = self
            .password_sha512
            .as_ref()
            .map_err(|e| RestError::Credentials(e.clone()))?;
        let body = json!({"logInByAccount": {
            "accountName": self.account,
            "password": hash.expose(),
        }});
        let v = self.send("PUT", "/accounts/login", Some(&body), None)?;
        let uuid = v
            .pointer("/inventory/uuid")
            .and_then(Value::as_str)
            .ok_or_else(|| RestError::Decode("login answer has no inventory.uuid".into()))?
            .to_owned();
        *lock(&self.session) = Some(uuid.clone());
        Ok(uuid)
    }

    /// An authenticated call; logs in when there is no session and once
    /// more when the server rejects the session.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, RestError> {
        let cached = lock(&self.session).clone();
        let (session, fresh) = match cached {
            Some(s) => (s, false),
            None => (self.login()?, true),
        };
        match self.send(method, path, body, Some(&session)) {
            Err(e) if !fresh && session_rejected(&e) => {
                tracing::info!("ZStack session expired; logging in again");
                let s = self.login()?;
                self.send(method, path, body, Some(&s))
            }
            r => r,
        }
    }

    /// `GET path?count=true&q=...`: the `total` of a query.
    pub fn count(&self, path: &str, conditions: &[&str]) -> Result<u64, RestError> {
        let mut p = format!("{path}?count=true");
        for c in conditions {
            p.push_str("&q=");
            p.push_str(&encode_query(c));
        }
        let v = self.call("GET", &p, None)?;
        v.get("total")
            .and_then(Value::as_u64)
            .ok_or_else(|| RestError::Decode(format!("{path} count answer has no total")))
    }

    /// `PUT /management-nodes/actions {"getVersion":{}}`, without a
    /// session: the API is `@SuppressCredentialCheck` (zstack
    /// header/.../managementnode/APIGetVersionMsg.java:11).
    pub fn version(&self) -> Result<String, RestError> {
        let v = self.send(
            "PUT",
            "/management-nodes/actions",
            Some(&json!({"getVersion": {}})),
            None,
        )?;
        v.get("version")
            .or_else(|| v.pointer("/inventory/version"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| RestError::Decode("getVersion answer has no version".into()))
    }

    /// `GET /licenses`: the licence type, without a session (zstack
    /// sdk/.../GetLicenseInfoAction.java:83, `needSession = false`).
    pub fn license(&self) -> Result<String, RestError> {
        let v = self.send("GET", "/licenses", None, None)?;
        v.pointer("/inventory/licenseType")
            .or_else(|| v.pointer("/inventories/0/licenseType"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| RestError::Decode("licence answer has no licenseType".into()))
    }

    /// The job URL to poll: the server builds a job's `location` from its
    /// own `management.server.ip` (zstack RESTFacadeImpl.java:130-148,
    /// RestServer.java:1263-1269), which may not be the address the
    /// console reaches it on (loopback, a NAT, a changed IP), so the job
    /// path is put on this client's base URL.
    pub fn job_url(&self, location: &str) -> String {
        match location.find("/v1/") {
            Some(i) if self.base.ends_with("/v1") => format!("{}{}", self.base, &location[i + 3..]),
            _ => location.to_owned(),
        }
    }

    /// One HTTP exchange; follows a 202 job location until it completes.
    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        session: Option<&str>,
    ) -> Result<Value, RestError> {
        let url = format!("{}{}", self.base, path);
        let (status, v) = self.exchange(method, &url, body, session)?;
        if status != 202 {
            return Ok(v);
        }
        let location = v
            .get("location")
            .and_then(Value::as_str)
            .ok_or_else(|| RestError::Decode("202 answer has no location".into()))?
            .to_owned();
        let job = self.job_url(&location);
        let deadline = Instant::now() + self.job_timeout;
        let mut wait = Duration::from_millis(100);
        loop {
            let (st, v) = self.exchange("GET", &job, None, session)?;
            if st != 202 {
                return Ok(v);
            }
            if Instant::now() + wait > deadline {
                return Err(RestError::Transport(
                    job,
                    format!("job not done after {} s", self.job_timeout.as_secs()),
                ));
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(2));
        }
    }

    fn exchange(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        session: Option<&str>,
    ) -> Result<(u16, Value), RestError> {
        let mut req = self.agent.request(method, url);
        if let Some(s) = session {
            req = req.set("Authorization", &format!("OAuth {s}"));
        }
        let res = match body {
            Some(b) => req
                .set("Content-Type", "application/json")
                .send_string(&b.to_string()),
            None => req.call(),
        };
        match res {
            Ok(resp) => {
                let status = resp.status();
                let text = resp
                    .into_string()
                    .map_err(|e| RestError::Transport(self.base.clone(), e.to_string()))?;
                let v = if text.trim().is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(&text)
                        .map_err(|e| RestError::Decode(format!("{e} in {:?}", excerpt(&text))))?
                };
                Ok((status, v))
            }
            Err(ureq::Error::Status(status, resp)) => {
                let text = resp.into_string().unwrap_or_default();
                // API errors are JSON (503 with an ErrorCode); errors
                // before the API is reached are plain text: 400 bad
                // header or query, 404 "no api mapping to ...", 405, 500
                // (zstack RestServer.java:587-600, 673-689).
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let code = v
                    .pointer("/error/code")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let message = ["/error/details", "/error/description"]
                    .iter()
                    .find_map(|p| v.pointer(p).and_then(Value::as_str))
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .or_else(|| Some(excerpt(&text)).filter(|s| !s.is_empty() && v.is_null()))
                    .unwrap_or_else(|| format!("HTTP {status}"));
                Err(RestError::Api {
                    status,
                    code,
                    message,
                })
            }
            Err(e) => Err(RestError::Transport(self.base.clone(), e.to_string())),
        }
    }
}

/// Whether the error means "your session is no longer valid": only
/// `ID.1001`, IdentityErrors.INVALID_SESSION (zstack
/// header/.../identity/IdentityErrors.java:7). Other identity errors (a
/// wrong password, ID.1000) would not be cured by logging in again.
fn session_rejected(e: &RestError) -> bool {
    matches!(e, RestError::Api { code, .. } if code == "ID.1001")
}

/// The first line of a plain-text body, at most 200 characters.
fn excerpt(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("");
    line.chars().take(200).collect()
}

/// Percent-encodes a query value (`state=Running` → `state%3DRunning`).
fn encode_query(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha512_matches_known_value() {
        // `printf password | sha512sum`
        assert_eq!(
            sha512_hex(&Secret::from("password")).expose(),
            "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86"
        );
    }

    #[test]
    fn query_encoding() {
        assert_eq!(encode_query("state=Running"), "state%3DRunning");
    }
}
