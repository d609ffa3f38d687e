//! Change Passwords → RabbitMQ (ZStack before 3.0.1 only): `rabbitmqctl
//! change_password`, then `CloudBus.rabbitmqPassword`, then a restart.

use super::command::{run_ok, Run};
use super::{validate::check_password_rule, ZstackEngine};
use crate::engine::EngineError;
use crate::job::Progress;
use crate::secret::Secret;

impl ZstackEngine {
    pub(super) fn op_change_bus_password(
        &self,
        new: &Secret,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        match self.uses_rabbitmq(false) {
            Ok(true) => {}
            Ok(false) => {
                return Err(EngineError::Failed(
                    "this ZStack (3.0.1 or later) does not use RabbitMQ; nothing to change".into(),
                ))
            }
            Err(e) => return Err(EngineError::Failed(format!("{e}; nothing was changed"))),
        }
        check_password_rule(new).map_err(EngineError::Failed)?;
        let props = self.props()?;
        let user = props
            .get_nonempty("CloudBus.rabbitmqUsername")
            .unwrap_or("zstack")
            .to_owned();
        progress.phase(&format!("Changing the RabbitMQ password of {user}"));
        // rabbitmqctl reads the password from stdin when it is omitted.
        let mut r = Run::new(
            &self.cfg.rabbitmqctl,
            &["change_password", &user],
            self.job_timeout(),
        );
        r.stdin = Some(new);
        run_ok(r, progress)?;
        progress.phase("Updating CloudBus.rabbitmqPassword in zstack.properties");
        self.edit_properties(&[("CloudBus.rabbitmqPassword", new.expose())])
            .map_err(|e| {
                EngineError::Failed(format!(
                    "RabbitMQ password of {user} changed, but {e}: put it into CloudBus.rabbitmqPassword by hand"
                ))
            })?;
        self.restart_node(progress).map_err(|e| {
            EngineError::Failed(format!(
                "RabbitMQ password of {user} changed, but the restart failed: {e}"
            ))
        })?;
        Ok(format!(
            "RabbitMQ password of {user} changed; management node restarted"
        ))
    }
}
