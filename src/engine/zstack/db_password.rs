//! Change Passwords → MySQL root / MySQL zstack: every host entry of the
//! account, then `DB.password` in zstack.properties (for `zstack`, in the
//! encrypted form when the file had it), then a restart of the node.

use std::time::Duration;

use super::{crypto, db, validate::check_password_rule, ZstackEngine};
use crate::engine::{DbAccount, EngineError};
use crate::job::Progress;
use crate::secret::Secret;

impl ZstackEngine {
    pub(super) fn op_change_db_password(
        &self,
        account: DbAccount,
        current_root: &Secret,
        new: &Secret,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        check_password_rule(new).map_err(EngineError::Failed)?;
        let props = self.props()?;
        let admin = self.cfg.db_admin_user.as_str();
        let mut target = self.db_target(&props, Some((admin, current_root)))?;
        target.timeout = target.timeout.max(Duration::from_secs(10));
        progress.phase("Checking the current MySQL root password");
        let mut conn = db::connect(&target, None).map_err(|e| {
            if db::is_access_denied(&e) {
                EngineError::Failed(format!(
                    "the current MySQL {admin} password is wrong; nothing was changed"
                ))
            } else {
                EngineError::Failed(format!("{e}; nothing was changed"))
            }
        })?;
        let user = match account {
            DbAccount::Root => admin.to_owned(),
            DbAccount::Zstack => props.get_nonempty("DB.user").unwrap_or("zstack").to_owned(),
        };
        progress.phase(&format!("Changing the password of MySQL user {user}"));
        let hosts =
            db::set_password_all_hosts(&mut conn, &user, new).map_err(EngineError::Failed)?;
        drop(conn);
        for h in &hosts {
            progress.line(&format!("password set for '{user}'@'{h}'"));
        }
        if account == DbAccount::Zstack {
            progress.phase("Updating DB.password in zstack.properties");
            let (_, was_encrypted) = crypto::read_password(props.get("DB.password").unwrap_or(""));
            let value = if was_encrypted {
                crypto::encrypt(new)
            } else {
                new.expose().to_owned()
            };
            let value = zeroize::Zeroizing::new(value);
            self.edit_properties(&[("DB.password", value.as_str())])
                .map_err(|e| {
                    EngineError::Failed(format!(
                        "MySQL password of {user} changed, but {e}: put the new password into DB.password by hand"
                    ))
                })?;
        }
        self.restart_node(progress).map_err(|e| {
            EngineError::Failed(format!(
                "MySQL password of {user} changed, but the restart failed: {e}"
            ))
        })?;
        Ok(format!(
            "MySQL password of {user} changed; management node restarted"
        ))
    }
}
