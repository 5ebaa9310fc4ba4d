//! Live knowledge: reloading `knowledge/` when its files change (a file watcher) or on SIGHUP,
//! swapping the new knowledge in whole and publishing the updates it adds. A bad file is
//! reported with `file:line` and the last good knowledge keeps serving.

use std::path::{Path, PathBuf};
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
    #[error("{0}")]
    Store(#[from] crate::subscriptions::StoreError),
}

/// Loads `dir`; if it is valid, swaps it in and publishes its new updates (returning how many
/// deliveries were queued). On any problem the current knowledge stays.
pub fn reload(
    dir: &Path,
    knowledge: &SharedKnowledge,
    store: &dyn Store,
    wake: &Notify,
) -> Result<usize, ReloadError> {
    let kb = KnowledgeBase::load(Some(dir))?;
    let queued = publish_new(&kb, store)?;
    log::info!(
        "knowledge reloaded from {}: {} facts, {} updates",
        dir.display(),
        kb.facts.len(),
        kb.updates.len()
    );
    knowledge.replace(kb);
    if queued > 0 {
        wake.notify_one();
    }
    Ok(queued)
}

fn reload_logged(dir: &Path, knowledge: &SharedKnowledge, store: &dyn Store, wake: &Notify) {
    let result = match reload(dir, knowledge, store, wake) {
        Ok(_) => "ok",
        Err(e) => {
            log::error!("knowledge not reloaded, still serving the previous version: {e}");
            match e {
                ReloadError::Invalid(_) => "invalid",
                ReloadError::Store(_) => "store_error",
            }
        }
    };
    metrics::counter!("bot_knowledge_reloads_total", "result" => result).increment(1);
}

/// Watches `dir` (unless `use_watcher` is false) and SIGHUP until `shutdown` turns true,
/// reloading after each burst of changes settles for `settle`.
pub async fn watch(
    dir: PathBuf,
    knowledge: SharedKnowledge,
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
    settle: Duration,
    use_watcher: bool,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let watcher = use_watcher.then(|| {
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(e) = event
                && !e.kind.is_access()
            {
                let _ = tx.send(());
            }
        })
    });
    let _watcher = match watcher.transpose() {
        Ok(None) => None,
        Ok(Some(mut w)) => match w.watch(&dir, notify::RecursiveMode::Recursive) {
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
    };
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let hangup = async {
            match hup.as_mut() {
                Some(h) => {
                    h.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hangup = std::future::pending::<()>();
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
        }
        reload_logged(&dir, &knowledge, store.as_ref(), &wake);
    }
}
