//! What Collect Logs and Backup Database share: follow an export job to
//! its end, publish it on the export server and answer with the short URL
//! of its page.

use std::sync::Arc;
use std::time::Duration;

use crate::app::services::Services;
use crate::export::jobs::{ExportJob, ExportService, JobEvent};
use crate::job::Progress;

/// The export service, or why this node has none.
pub fn service(svc: &Services) -> Result<Arc<ExportService>, String> {
    svc.exports
        .clone()
        .map_err(|_| "exports are not available on this node".to_string())
}

/// Follows `job` (forwarding its progress, cancelling it when asked),
/// publishes the export and returns the result window's lines. Blocking:
/// runs on the task's thread, waiting on the async export server through
/// the runtime handle.
pub fn finish(
    job: ExportJob,
    exports: &ExportService,
    svc: &Services,
    p: &mut dyn Progress,
) -> Result<Vec<String>, String> {
    svc.rt.block_on(follow(job, exports, svc, p))
}

async fn follow(
    mut job: ExportJob,
    exports: &ExportService,
    svc: &Services,
    p: &mut dyn Progress,
) -> Result<Vec<String>, String> {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let result = loop {
        tokio::select! {
            ev = job.events.recv() => match ev {
                Some(JobEvent::Phase(s)) => p.phase(&s),
                Some(JobEvent::Line(s)) => p.line(&s),
                Some(JobEvent::Fraction(f)) => {
                    if let Some(eta) = f.and_then(|f| job.eta(f)) {
                        p.line(&format!("about {} s left", eta.as_secs()));
                    }
                    p.fraction(f)
                }
                Some(JobEvent::Finished(r)) => break r,
                None => break Err("the job ended without a result".into()),
            },
            _ = tick.tick() => {
                if p.cancelled() {
                    job.cancel();
                }
            }
        }
    };
    let export = result?;
    p.phase("Publishing on the export server...");
    let mn = svc.mn.clone();
    let addrs = tokio::task::spawn_blocking(move || mn.lookup())
        .await
        .unwrap_or_default();
    exports
        .ensure_server(&addrs)
        .await
        .map_err(|e| e.to_string())?;
    let urls = exports.urls(&export).await;
    if urls.is_empty() {
        return Err("the export server has no address to publish on".into());
    }
    let until = std::time::UNIX_EPOCH + Duration::from_secs(export.expires_at);
    let off = chrono::Local::now().offset().local_minus_utc();
    let mut lines = vec![
        format!(
            "{} ({})",
            export.file_name,
            crate::ui::format::bytes(export.size)
        ),
        format!(
            "downloadable until {} {}:",
            crate::ui::format::datetime(until, off),
            crate::ui::format::zone(off)
        ),
    ];
    // The export's own page (download and browse links) has a short URL
    // that fits an 80-column screen and can be typed from a BMC console.
    for u in &urls {
        let page = u.rsplit_once('/').map_or(u.as_str(), |(b, _)| b);
        lines.push(format!("Open: {page}/"));
    }
    lines.push("The page links the download and, for logs, an online browser.".into());
    Ok(lines)
}
