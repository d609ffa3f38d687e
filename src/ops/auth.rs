//! The root password gate and the root password change, through PAM.
//!
//! Why PAM (and not reading /etc/shadow): the node's own PAM stack decides
//! what a valid password is (faillock, pwquality, LDAP, ...), and a password
//! change goes through `pam_chauthtok` so the distribution's password policy
//! applies and its messages ("BAD PASSWORD: ...") reach the operator.
//!
//! Why our own conversation function: `pam-client` answers a prompt by
//! taking a `CString` from the handler, `strdup`-ing it for PAM and dropping
//! the `CString` without wiping it, which would leave a copy of the password
//! in freed heap memory. Here the lifecycle (`pam_start`, items, the calls,
//! `pam_end`) stays with `pam-client`, but the conversation is replaced via
//! `pam_set_item(PAM_CONV)` by [`converse`], which copies the password
//! straight from the [`Secret`] into the `malloc`ed reply that PAM owns and
//! wipes every reply it has to throw away itself. The copy handed to PAM is
//! wiped and freed by the module / libpam, as the PAM API prescribes.
//!
//! All calls block (PAM modules may sleep, e.g. `pam_faildelay`): run them on
//! a blocking thread.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::PathBuf;

use pam_client::{conv_null, Context, ErrorCode, Flag};
use pam_sys::{pam_conv, pam_message, pam_response};
use zeroize::Zeroize;

use crate::ops::audit;
use crate::secret::Secret;

/// PAM service name used when the configuration does not name one.
pub const DEFAULT_SERVICE: &str = "nodeconsole";

/// Longest password PAM passes through a conversation (`PAM_MAX_RESP_SIZE`
/// includes the terminating NUL).
pub const MAX_PASSWORD_BYTES: usize = pam_sys::PAM_MAX_RESP_SIZE as usize - 1;

/// Why an authentication or a password change did not succeed. The
/// `Display` text is meant for the operator's error window; none of the
/// variants can carry a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("wrong password: check Caps Lock and the keyboard layout, then try again")]
    WrongPassword,
    #[error(
        "the account is unknown to PAM or its account data cannot be read: \
         check that the user exists and the PAM service configuration"
    )]
    UnknownUser,
    #[error("the new passwords do not match: type the same new password twice")]
    Mismatch,
    /// The system refused (policy, expired or locked account, ...); the text
    /// holds PAM's own messages when it gave any.
    #[error("refused by the system: {0}")]
    Rejected(String),
    /// PAM itself failed (configuration, module, conversation).
    #[error("PAM error: {0}")]
    Pam(String),
}

/// A PAM service and the account it authenticates (`root` in production;
/// tests use a pam_wrapper service and their own passdb).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pam {
    service: String,
    user: String,
}

/// Which secret answers an echo-off prompt during a password change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Old,
    New,
}

/// Decides from the prompt text whether PAM asks for the current or the new
/// password. Prompts in the wild: "Current password: ", "(current) UNIX
/// password: ", "Old password: ", "New password: ", "Retype new password: ",
/// "Verify New Password :". A prompt that names neither is taken as the
/// current password if that has not been asked yet, else as the new one.
pub fn classify_prompt(prompt: &str, old_answered: bool) -> Answer {
    let p = prompt.to_lowercase();
    const NEW: [&str; 6] = ["new", "retype", "again", "repeat", "verify", "confirm"];
    const OLD: [&str; 4] = ["current", "old", "existing", "present"];
    if NEW.iter().any(|w| p.contains(w)) {
        Answer::New
    } else if OLD.iter().any(|w| p.contains(w)) || !old_answered {
        Answer::Old
    } else {
        Answer::New
    }
}

/// Checks a password before it goes to PAM: PAM passes C strings, so a NUL
/// byte would silently cut the password, and modules drop overlong answers.
pub fn check_password_text(what: &str, s: &Secret) -> Result<(), AuthError> {
    if s.expose().as_bytes().contains(&0) {
        return Err(AuthError::Rejected(format!(
            "the {what} contains a NUL character, which PAM cannot take"
        )));
    }
    if s.expose().len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::Rejected(format!(
            "the {what} is longer than {MAX_PASSWORD_BYTES} bytes, which PAM cannot take"
        )));
    }
    Ok(())
}

/// Checks the new password and its confirmation as typed in the form: not
/// empty, the same twice. Call before [`Pam::change_password`].
pub fn check_new_password(new: &Secret, confirm: &Secret) -> Result<(), AuthError> {
    if new.is_empty() {
        return Err(AuthError::Rejected("the new password is empty".into()));
    }
    if new != confirm {
        return Err(AuthError::Mismatch);
    }
    check_password_text("new password", new)
}

/// Checks a PAM service name: one file name in the PAM configuration dir.
pub fn check_service_name(service: &str) -> Result<(), AuthError> {
    let ok = !service.is_empty()
        && service.len() <= 64
        && service != "."
        && service != ".."
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::Pam(format!(
            "invalid PAM service name {service:?}: use letters, digits, '-', '_' or '.'"
        )))
    }
}

/// The files that can define `service`, in the order libpam looks. Under
/// pam_wrapper (`PAM_WRAPPER=1`) the service dir comes from
/// `PAM_WRAPPER_SERVICE_DIR`.
fn service_files(service: &str) -> Vec<PathBuf> {
    let wrapped = std::env::var_os("PAM_WRAPPER").is_some_and(|v| v == "1");
    if wrapped {
        if let Some(dir) = std::env::var_os("PAM_WRAPPER_SERVICE_DIR") {
            return vec![PathBuf::from(dir).join(service)];
        }
    }
    vec![
        PathBuf::from("/etc/pam.d").join(service),
        PathBuf::from("/usr/lib/pam.d").join(service),
        PathBuf::from("/usr/share/pam.d").join(service),
    ]
}

/// What the conversation function needs; lives on the heap at a fixed
/// address that PAM holds as `appdata_ptr` until `pam_end`.
struct ConvState<'a> {
    user: &'a str,
    /// Answer for every echo-off prompt while authenticating.
    password: &'a Secret,
    /// Set for a password change: (old, new).
    change: Option<(&'a Secret, &'a Secret)>,
    old_answered: bool,
    prompts: u32,
    /// PAM_ERROR_MSG and PAM_TEXT_INFO texts, in order.
    messages: Vec<String>,
    /// A prompt we could not answer (its text; prompts are never secret).
    unanswerable: Option<String>,
}

/// More prompts than any sane stack asks in one call; stops a module that
/// keeps re-asking from looping with our password.
const MAX_PROMPTS: u32 = 12;

impl ConvState<'_> {
    fn answer_echo_off(&mut self, prompt: &str) -> Option<&Secret> {
        self.prompts += 1;
        if self.prompts > MAX_PROMPTS {
            self.unanswerable = Some(format!("{prompt} (asked too many times)"));
            return None;
        }
        match self.change {
            None => Some(self.password),
            Some((old, new)) => match classify_prompt(prompt, self.old_answered) {
                Answer::Old => {
                    self.old_answered = true;
                    Some(old)
                }
                Answer::New => Some(new),
            },
        }
    }
}

/// Copies `bytes` into a fresh `malloc`ed, NUL-terminated buffer for PAM.
fn c_copy(bytes: &[u8]) -> *mut c_char {
    // SAFETY: calloc'd buffer of len+1 bytes, zero-filled, so the copy is
    // NUL-terminated; bytes has no interior NUL (checked by callers).
    unsafe {
        let p = libc::calloc(bytes.len() + 1, 1) as *mut u8;
        if !p.is_null() {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        }
        p as *mut c_char
    }
}

/// Wipes and frees a reply array of `n` entries.
///
/// # Safety
/// `replies` is null or a calloc'd array of `n` `pam_response`s whose
/// `resp` fields are null or malloc'd C strings.
unsafe fn wipe_replies(replies: *mut pam_response, n: usize) {
    if replies.is_null() {
        return;
    }
    for i in 0..n {
        let r = &mut *replies.add(i);
        if !r.resp.is_null() {
            let len = libc::strlen(r.resp);
            std::slice::from_raw_parts_mut(r.resp as *mut u8, len).zeroize();
            libc::free(r.resp as *mut c_void);
            r.resp = std::ptr::null_mut();
        }
    }
    libc::free(replies as *mut c_void);
}

/// The PAM conversation function (see the module doc for why it exists).
unsafe extern "C" fn converse(
    num_msg: c_int,
    msg: *mut *const pam_message,
    resp: *mut *mut pam_response,
    appdata: *mut c_void,
) -> c_int {
    let conv_err = ErrorCode::CONV_ERR.repr();
    if msg.is_null() || resp.is_null() || appdata.is_null() {
        return conv_err;
    }
    if !(1..=pam_sys::PAM_MAX_NUM_MSG).contains(&num_msg) {
        return conv_err;
    }
    let n = num_msg as usize;
    // A panic must not unwind into C; treat it as a failed conversation.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let state = &mut *(appdata as *mut ConvState<'_>);
        let replies = libc::calloc(n, std::mem::size_of::<pam_response>()) as *mut pam_response;
        if replies.is_null() {
            return Err(ErrorCode::BUF_ERR.repr());
        }
        for i in 0..n {
            // Linux-PAM passes an array of pointers to messages.
            let m = *msg.add(i);
            if m.is_null() {
                wipe_replies(replies, n);
                return Err(conv_err);
            }
            let text = if (*m).msg.is_null() {
                String::new()
            } else {
                CStr::from_ptr((*m).msg).to_string_lossy().into_owned()
            };
            let reply: Option<*mut c_char> = match (*m).msg_style {
                pam_sys::PAM_PROMPT_ECHO_OFF => match state.answer_echo_off(&text) {
                    Some(secret) => Some(c_copy(secret.expose().as_bytes())),
                    None => {
                        wipe_replies(replies, n);
                        return Err(conv_err);
                    }
                },
                pam_sys::PAM_PROMPT_ECHO_ON => {
                    // We set PAM_USER at pam_start, so the only echo-on
                    // question we can answer is the user name again.
                    let t = text.to_lowercase();
                    if t.contains("login") || t.contains("user") || t.contains("name") {
                        Some(c_copy(state.user.as_bytes()))
                    } else {
                        state.unanswerable = Some(text);
                        wipe_replies(replies, n);
                        return Err(conv_err);
                    }
                }
                pam_sys::PAM_ERROR_MSG | pam_sys::PAM_TEXT_INFO => {
                    let t = text.trim();
                    if !t.is_empty() {
                        state.messages.push(t.to_string());
                    }
                    None
                }
                other => {
                    state.unanswerable = Some(format!("message of type {other}"));
                    wipe_replies(replies, n);
                    return Err(conv_err);
                }
            };
            if let Some(p) = reply {
                if p.is_null() {
                    wipe_replies(replies, n);
                    return Err(ErrorCode::BUF_ERR.repr());
                }
                (*replies.add(i)).resp = p;
            }
        }
        Ok(replies)
    }));
    match outcome {
        Ok(Ok(replies)) => {
            *resp = replies;
            pam_sys::PAM_SUCCESS as c_int
        }
        Ok(Err(code)) => code,
        Err(_) => conv_err,
    }
}

/// Owns the heap-pinned [`ConvState`]; declared before the PAM context so
/// that it is dropped after `pam_end`.
struct ConvBox<'a>(*mut ConvState<'a>);

impl<'a> ConvBox<'a> {
    fn new(state: ConvState<'a>) -> Self {
        ConvBox(Box::into_raw(Box::new(state)))
    }
    /// # Safety
    /// Only while no PAM call is running (PAM calls are synchronous).
    unsafe fn get(&mut self) -> &mut ConvState<'a> {
        &mut *self.0
    }
}

impl Drop for ConvBox<'_> {
    fn drop(&mut self) {
        // SAFETY: created by Box::into_raw in new(); pam_end has run.
        unsafe { drop(Box::from_raw(self.0)) };
    }
}

fn pam_text(e: &pam_client::Error) -> String {
    e.message()
        .map(str::to_string)
        .unwrap_or_else(|| format!("PAM code {}", e.code().repr()))
}

fn with_messages(default: String, messages: &[String]) -> String {
    if messages.is_empty() {
        default
    } else {
        messages.join("; ")
    }
}

impl Pam {
    pub fn new(service: impl Into<String>, user: impl Into<String>) -> Pam {
        Pam {
            service: service.into(),
            user: user.into(),
        }
    }

    /// The production gate: the `root` account through `service`.
    pub fn root(service: impl Into<String>) -> Pam {
        Pam::new(service, "root")
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// Checks `password` for the account: `pam_authenticate` then
    /// `pam_acct_mgmt`, with `PAM_TTY` set to `tty` when given (e.g.
    /// "tty1"), so modules such as pam_securetty and faillock see the
    /// terminal. The attempt is audited. An expired password still passes
    /// the gate (with an audit warning) so the operator can change it.
    pub fn authenticate(&self, password: &Secret, tty: Option<&str>) -> Result<(), AuthError> {
        let result = self.authenticate_inner(password, tty);
        audit::auth(result.as_ref().map(|_| ()), &self.user, tty, &self.service);
        result
    }

    fn authenticate_inner(&self, password: &Secret, tty: Option<&str>) -> Result<(), AuthError> {
        check_password_text("password", password)?;
        let mut conv = ConvBox::new(self.state(password, None));
        let mut ctx = self.start(&mut conv, tty)?;
        Self::auth_and_account(&mut ctx, &mut conv)
    }

    /// Changes the account's password from `old` to `new` via
    /// `pam_chauthtok`, answering the current-password prompts with `old`
    /// and the new/retype prompts with `new`. `old` is first verified with
    /// `pam_authenticate` in the same PAM transaction: as root, pam_unix
    /// does not ask for the current password, and the console must refuse a
    /// wrong old password anyway. Returns PAM's info messages on success;
    /// on a policy refusal the messages are in [`AuthError::Rejected`].
    /// Check the confirmation first with [`check_new_password`].
    pub fn change_password(&self, old: &Secret, new: &Secret) -> Result<Vec<String>, AuthError> {
        audit::op_started("change-password", &format!("user {}", self.user));
        let result = self.change_password_inner(old, new);
        match &result {
            Ok(_) => audit::op::<AuthError>(
                "change-password",
                Ok(&format!("password of {} changed", self.user)),
            ),
            Err(e) => audit::op("change-password", Err(e)),
        }
        result
    }

    fn change_password_inner(&self, old: &Secret, new: &Secret) -> Result<Vec<String>, AuthError> {
        check_password_text("current password", old)?;
        check_password_text("new password", new)?;
        if new.is_empty() {
            return Err(AuthError::Rejected("the new password is empty".into()));
        }
        let mut conv = ConvBox::new(self.state(old, Some((old, new))));
        let mut ctx = self.start(&mut conv, None)?;
        // Verify the current password first (audited as an authentication).
        let auth = Self::auth_and_account(&mut ctx, &mut conv);
        audit::auth(auth.as_ref().map(|_| ()), &self.user, None, &self.service);
        auth?;
        // SAFETY: no PAM call is running.
        unsafe {
            let st = conv.get();
            st.messages.clear();
            st.prompts = 0;
            st.old_answered = false;
        }
        let r = ctx.chauthtok(Flag::NONE);
        // SAFETY: chauthtok has returned.
        let st = unsafe { conv.get() };
        match r {
            Ok(()) => Ok(std::mem::take(&mut st.messages)),
            Err(e) => Err(self.map_chauthtok_error(&e, st)),
        }
    }

    fn state<'a>(
        &'a self,
        password: &'a Secret,
        change: Option<(&'a Secret, &'a Secret)>,
    ) -> ConvState<'a> {
        ConvState {
            user: &self.user,
            password,
            change,
            old_answered: false,
            prompts: 0,
            messages: Vec::new(),
            unanswerable: None,
        }
    }

    /// `pam_start` with our conversation installed, and `PAM_TTY`.
    fn start(
        &self,
        conv: &mut ConvBox<'_>,
        tty: Option<&str>,
    ) -> Result<Context<conv_null::Conversation>, AuthError> {
        check_service_name(&self.service)?;
        let files = service_files(&self.service);
        if !files.iter().any(|f| f.is_file()) {
            return Err(AuthError::Pam(format!(
                "PAM service '{}' is not configured: {} does not exist (install \
                 assets/pam.d/nodeconsole there, or set the service name in the config)",
                self.service,
                files[0].display()
            )));
        }
        let mut ctx = Context::new(
            &self.service,
            Some(&self.user),
            conv_null::Conversation::new(),
        )
        .map_err(|e| {
            AuthError::Pam(format!(
                "cannot start PAM service '{}': {}",
                self.service,
                pam_text(&e)
            ))
        })?;
        let raw = pam_conv {
            conv: Some(converse),
            appdata_ptr: conv.0 as *mut c_void,
        };
        // SAFETY: PAM_CONV takes a `struct pam_conv *`; libpam copies the
        // struct. appdata_ptr stays valid until after pam_end (ConvBox is
        // dropped after the context).
        unsafe {
            ctx.set_item(
                pam_sys::PAM_CONV as c_int,
                &raw as *const pam_conv as *const c_void,
            )
        }
        .map_err(|e| {
            AuthError::Pam(format!("cannot set the PAM conversation: {}", pam_text(&e)))
        })?;
        if let Some(tty) = tty {
            ctx.set_tty(Some(tty))
                .map_err(|e| AuthError::Pam(format!("cannot set PAM_TTY: {}", pam_text(&e))))?;
        }
        Ok(ctx)
    }

    fn auth_and_account(
        ctx: &mut Context<conv_null::Conversation>,
        conv: &mut ConvBox<'_>,
    ) -> Result<(), AuthError> {
        let r = ctx.authenticate(Flag::DISALLOW_NULL_AUTHTOK);
        if let Err(e) = r {
            // SAFETY: authenticate has returned.
            let st = unsafe { conv.get() };
            return Err(Self::map_auth_error(&e, st));
        }
        match ctx.acct_mgmt(Flag::NONE) {
            Ok(()) => Ok(()),
            Err(e) if e.code() == ErrorCode::NEW_AUTHTOK_REQD => {
                tracing::warn!(target: "audit", event = "auth",
                    "the password has expired and must be changed (allowed through the gate)");
                Ok(())
            }
            Err(e) => {
                // SAFETY: acct_mgmt has returned.
                let st = unsafe { conv.get() };
                Err(Self::map_account_error(&e, st))
            }
        }
    }

    fn map_auth_error(e: &pam_client::Error, st: &ConvState<'_>) -> AuthError {
        match e.code() {
            ErrorCode::AUTH_ERR | ErrorCode::CRED_ERR | ErrorCode::CRED_INSUFFICIENT => {
                AuthError::WrongPassword
            }
            ErrorCode::USER_UNKNOWN | ErrorCode::AUTHINFO_UNAVAIL => AuthError::UnknownUser,
            ErrorCode::MAXTRIES => AuthError::Rejected(with_messages(
                "too many failed attempts; the account may be locked for a while".into(),
                &st.messages,
            )),
            ErrorCode::CONV_ERR => Self::conv_error(st),
            _ => AuthError::Pam(format!("authentication failed: {}", pam_text(e))),
        }
    }

    fn map_account_error(e: &pam_client::Error, st: &ConvState<'_>) -> AuthError {
        match e.code() {
            ErrorCode::USER_UNKNOWN | ErrorCode::AUTHINFO_UNAVAIL => AuthError::UnknownUser,
            ErrorCode::PERM_DENIED | ErrorCode::ACCT_EXPIRED | ErrorCode::AUTH_ERR => {
                AuthError::Rejected(with_messages(
                    format!("account check failed: {}", pam_text(e)),
                    &st.messages,
                ))
            }
            _ => AuthError::Pam(format!("account check failed: {}", pam_text(e))),
        }
    }

    fn map_chauthtok_error(&self, e: &pam_client::Error, st: &ConvState<'_>) -> AuthError {
        match e.code() {
            ErrorCode::AUTH_ERR => AuthError::WrongPassword,
            ErrorCode::USER_UNKNOWN | ErrorCode::AUTHINFO_UNAVAIL if st.messages.is_empty() => {
                AuthError::UnknownUser
            }
            ErrorCode::AUTHTOK_LOCK_BUSY => AuthError::Pam(
                "the password database is locked by another program: try again in a moment".into(),
            ),
            ErrorCode::CONV_ERR => Self::conv_error(st),
            ErrorCode::AUTHTOK_ERR
            | ErrorCode::AUTHTOK_RECOVERY_ERR
            | ErrorCode::PERM_DENIED
            | ErrorCode::AUTHTOK_DISABLE_AGING
            | ErrorCode::USER_UNKNOWN
            | ErrorCode::AUTHINFO_UNAVAIL => AuthError::Rejected(with_messages(
                format!(
                    "the password of {} was not changed: {}",
                    self.user,
                    pam_text(e)
                ),
                &st.messages,
            )),
            _ => AuthError::Pam(format!(
                "changing the password failed: {}",
                with_messages(pam_text(e), &st.messages)
            )),
        }
    }

    fn conv_error(st: &ConvState<'_>) -> AuthError {
        match &st.unanswerable {
            Some(p) => AuthError::Pam(format!(
                "a PAM module asked a question the console cannot answer: {p:?}"
            )),
            None => AuthError::Pam("the PAM conversation failed".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_classified() {
        use Answer::*;
        let cases = [
            ("Current password: ", false, Old),
            ("(current) UNIX password: ", false, Old),
            ("Old password: ", false, Old),
            ("New password: ", true, New),
            ("New password: ", false, New),
            ("Retype new password: ", true, New),
            ("Verify New Password :", true, New),
            ("BAD PASSWORD? again: ", true, New),
            ("Password: ", false, Old),
            ("Password: ", true, New),
        ];
        for (p, asked, want) in cases {
            assert_eq!(classify_prompt(p, asked), want, "{p:?}");
        }
    }

    #[test]
    fn password_text_checks() {
        assert!(check_password_text("password", &Secret::from("ok")).is_ok());
        assert!(matches!(
            check_password_text("password", &Secret::from("a\0b")),
            Err(AuthError::Rejected(_))
        ));
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(check_password_text("password", &Secret::from(long.as_str())).is_err());
        let max = "x".repeat(MAX_PASSWORD_BYTES);
        assert!(check_password_text("password", &Secret::from(max.as_str())).is_ok());
    }

    #[test]
    fn confirmation_checks() {
        let a = Secret::from("Abc-12345");
        let b = Secret::from("Abc-12346");
        assert_eq!(check_new_password(&a, &b), Err(AuthError::Mismatch));
        assert!(check_new_password(&a, &a.clone()).is_ok());
        assert!(matches!(
            check_new_password(&Secret::new(), &Secret::new()),
            Err(AuthError::Rejected(_))
        ));
    }

    #[test]
    fn service_names() {
        assert!(check_service_name("nodeconsole").is_ok());
        assert!(check_service_name("nodeconsole-demo").is_ok());
        for bad in ["", ".", "..", "../etc/passwd", "a b", "x/y"] {
            assert!(check_service_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn errors_are_operator_readable() {
        assert!(AuthError::WrongPassword
            .to_string()
            .contains("wrong password"));
        assert!(AuthError::Rejected("BAD PASSWORD: too short".into())
            .to_string()
            .contains("BAD PASSWORD: too short"));
    }

    #[test]
    fn missing_service_is_a_clear_error() {
        // A name no system defines; pam_start is never reached.
        let pam = Pam::root("nodeconsole-test-no-such-service-4711");
        let e = pam
            .authenticate(&Secret::from("x"), Some("tty1"))
            .unwrap_err();
        assert!(
            matches!(&e, AuthError::Pam(m) if m.contains("not configured")),
            "{e}"
        );
    }
}
