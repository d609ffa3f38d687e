//! Reset and Reset & Drop Database: the ZStack installer run with `-k`
//! (keep the database) or `-D` (drop it).

use std::path::Path;

use super::command::{run_ok, Run};
use super::{is_executable, ZstackEngine};
use crate::engine::EngineError;
use crate::job::Progress;

impl ZstackEngine {
    pub(super) fn op_reset(
        &self,
        drop_database: bool,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let inst = &self.cfg.installer;
        if !inst.is_file() {
            return Err(EngineError::Failed(format!(
                "the ZStack installer was not found at {}: copy it there or set zstack.installer in /etc/nodeconsole/config.toml",
                inst.display()
            )));
        }
        let flag = if drop_database { "-D" } else { "-k" };
        progress.phase(if drop_database {
            "Reinstalling ZStack and dropping the database"
        } else {
            "Reinstalling ZStack (keeping the database)"
        });
        progress.fraction(None);
        // The installer is a self-extracting shell archive: run it through
        // bash when it is not marked executable.
        let mut r = if is_executable(inst) {
            Run::new(inst, &[flag], self.job_timeout())
        } else {
            let mut r = Run::new(Path::new("/bin/bash"), &[], self.job_timeout());
            r.args = vec![inst.as_os_str().to_owned(), flag.into()];
            r
        };
        r.label = format!("{} {flag}", inst.display());
        run_ok(r, progress)?;
        Ok(if drop_database {
            "ZStack reinstalled with an empty database".into()
        } else {
            "ZStack reinstalled; database kept".into()
        })
    }
}
