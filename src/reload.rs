//! Live knowledge: reloading `knowledge/` when its files change (a file watcher) or on SIGHUP,
//! swapping the new knowledge in whole, then publishing the updates it adds. A bad file is
//! reported with `file:line` and the last good knowledge keeps serving.
//!
//! Why a blocking thread with a time limit: reading and building the knowledge is file I/O and
//! CPU work; on the runtime's worker threads a large knowledge set delayed every reply for
//! seconds, and a file that never finishes reading would stall the bot. Why swap before
//! publishing: answers should not wait on the database; a publish that fails (database locked,
//! disk full) is retried until it succeeds, and publishing is idempotent.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::Watcher;
use tokio::sync::{Notify, mpsc, watch};

use crate::delivery::publish_new;
use crate::knowledge::{KnowledgeBase, LoadError, SharedKnowledge};
use crate::subscriptions::Store;

/// Why a reload did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("{0}")]
    Invalid(#[from] LoadError),
    #[error("loading the knowledge took longer than {0:?}; still serving the previous version")]
    TimedOut(Duration),
    #[error("the knowledge loader failed: {0}")]
    Crashed(String),
}

/// What a reload touches: where the knowledge comes from and who is told of a new version.
#[derive(Clone)]
pub struct Reloader {
    /// The knowledge folder; `None` when serving the copy built into the binary.
    pub dir: Option<PathBuf>,
    pub knowledge: SharedKnowledge,
    pub store: Arc<dyn Store>,
    /// Wakes the delivery worker after something was published.
    pub wake: Arc<Notify>,
    /// Told when a swap changed the topics, so the command menu is registered again.
    pub menu_changed: Arc<Notify>,
    /// The longest a load may take.
    pub load_timeout: Duration,
}

impl Reloader {
    /// Loads the folder on a blocking thread (bounded by `load_timeout`) and, if valid, swaps
    /// it in. Publishing is separate ([`Reloader::publish`]). Returns `Ok(false)` when there is
    /// no folder to reload.
    pub async fn swap(&self) -> Result<bool, ReloadError> {
        let Some(dir) = self.dir.clone() else {
            return Ok(false);
        };
        let load = tokio::task::spawn_blocking(move || KnowledgeBase::load(Some(&dir)));
        let kb = match tokio::time::timeout(self.load_timeout, load).await {
            Err(_) => return Err(ReloadError::TimedOut(self.load_timeout)),
            Ok(Err(e)) => return Err(ReloadError::Crashed(e.to_string())),
            Ok(Ok(loaded)) => loaded?,
        };
        let menu_changed = self.knowledge.current().menu() != kb.menu();
        for r in &kb.rejected {
            log::warn!("update file set aside: {r}");
        }
        metrics::gauge!("bot_rejected_update_files").set(kb.rejected.len() as f64);
        log::info!(
            "knowledge reloaded from {}: {} facts, {} updates",
            kb.origin,
            kb.facts.len(),
            kb.updates.len()
        );
        self.knowledge.replace(kb);
        if menu_changed {
            self.menu_changed.notify_one();
        }
        Ok(true)
    }

    /// Publishes every update of the current knowledge not published yet (off the runtime's
    /// threads); returns how many deliveries were queued.
    pub async fn publish(&self) -> Result<usize, String> {
        let (kb, store) = (self.knowledge.current(), self.store.clone());
        let queued = tokio::task::spawn_blocking(move || publish_new(&kb, store.as_ref()))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        if queued > 0 {
            self.wake.notify_one();
        }
        Ok(queued)
    }

    /// One reload as the watcher and SIGHUP do it: swap, then publish; logged and counted.
    /// Returns whether publishing is still owed (to be retried).
    async fn reload_logged(&self) -> bool {
        let result = match self.swap().await {
            Ok(true) => "ok",
            Ok(false) => {
                log::info!("serving the built-in knowledge: there is no folder to reload");
                "no_folder"
            }
            Err(e) => {
                log::error!("knowledge not reloaded, still serving the previous version: {e}");
                match e {
                    ReloadError::Invalid(_) => "invalid",
                    ReloadError::TimedOut(_) => "timed_out",
                    ReloadError::Crashed(_) => "crashed",
                }
            }
        };
        metrics::counter!("bot_knowledge_reloads_total", "result" => result).increment(1);
        self.publish_logged().await
    }

    /// Publishes; logs a failure. Returns whether publishing is still owed.
    async fn publish_logged(&self) -> bool {
        match self.publish().await {
            Ok(_) => false,
            Err(e) => {
                log::error!("cannot publish the new updates yet ({e}); retrying");
                true
            }
        }
    }
}

/// Listens for SIGHUP from the moment it is called, so that a SIGHUP at any time after start
/// is handled (its default action would end the process). `None` where signals are not
/// available.
pub fn hangups() -> Option<tokio::signal::unix::Signal> {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            log::warn!("cannot listen for SIGHUP: {e}");
            None
        }
    }
}

/// Watches the folder (unless `use_watcher` is false) and SIGHUP until `shutdown` turns true,
/// reloading after each burst of changes settles for `settle`, and retrying a publish that
/// failed. The watcher is registered before the first look at the folder, so a file added
/// while the bot starts is not missed.
pub async fn watch(
    reloader: Reloader,
    mut hup: Option<tokio::signal::unix::Signal>,
    mut shutdown: watch::Receiver<bool>,
    settle: Duration,
    use_watcher: bool,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let _watcher = match (&reloader.dir, use_watcher) {
        (Some(dir), true) => start_watcher(dir, tx),
        _ => None,
    };
    // A file may have arrived between the first load and the watcher's start: look once now.
    let mut owed = if reloader.dir.is_some() {
        reloader.reload_logged().await
    } else {
        reloader.publish_logged().await
    };
    let mut retry_in = Duration::from_secs(1);
    loop {
        let hangup = async {
            match hup.as_mut() {
                Some(h) => {
                    h.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        let retry = async {
            if owed {
                tokio::time::sleep(retry_in).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            _ = shutdown.changed() => {
                if *shutdown.borrow() { return; }
                continue;
            }
            _ = hangup => log::info!("SIGHUP: reloading knowledge"),
            Some(()) = rx.recv() => {
                // Let a burst of writes (an editor saving, a copy) finish first.
                tokio::time::sleep(settle).await;
                while rx.try_recv().is_ok() {}
            }
            _ = retry => {
                owed = reloader.publish_logged().await;
                retry_in = if owed { (retry_in * 2).min(Duration::from_secs(30)) } else { Duration::from_secs(1) };
                continue;
            }
        }
        owed = reloader.reload_logged().await;
        if !owed {
            retry_in = Duration::from_secs(1);
        }
    }
}

/// A file watcher on `dir` that sends on `tx` at every change; `None` (with a warning) if the
/// platform cannot watch it, in which case SIGHUP still reloads.
fn start_watcher(
    dir: &std::path::Path,
    tx: mpsc::UnboundedSender<()>,
) -> Option<notify::RecommendedWatcher> {
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(e) = event
            && !e.kind.is_access()
        {
            let _ = tx.send(());
        }
    });
    match watcher {
        Ok(mut w) => match w.watch(dir, notify::RecursiveMode::Recursive) {
            Ok(()) => Some(w),
            Err(e) => {
                log::warn!("cannot watch {}: {e}; reload with SIGHUP", dir.display());
                None
            }
        },
        Err(e) => {
            log::warn!("no file watcher ({e}); reload with SIGHUP");
            None
        }
    }
}
