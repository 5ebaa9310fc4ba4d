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
use crate::engine::{Engine, SharedEngine};
use crate::knowledge::{KnowledgeFiles, LoadError, file_name};
use crate::store::Store;

/// Why a reload did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("{0}")]
    Invalid(#[from] LoadError),
    #[error("loading the knowledge took longer than {0:?}; still serving the previous version")]
    TimedOut(Duration),
    #[error("the knowledge loader failed: {0}")]
    Crashed(String),
    #[error("cannot read the updates published in the database: {0}")]
    Store(String),
}

/// What a reload touches: where the knowledge comes from and who is told of a new version.
#[derive(Clone)]
pub struct Reloader {
    /// The knowledge folder; `None` when serving the copy built into the binary.
    pub dir: Option<PathBuf>,
    pub engine: SharedEngine,
    pub store: Arc<dyn Store>,
    /// Wakes the delivery worker after something was published.
    pub wake: Arc<Notify>,
    /// Told when a swap changed the topics, so the command menu is registered again.
    pub menu_changed: Arc<Notify>,
    /// The longest a load may take.
    pub load_timeout: Duration,
    /// The update files of the last swap that loaded, as (file name, text): kept in the
    /// database when publishing, so that every replica serves them.
    pub loaded_files: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

/// The knowledge files of `dir` (or the built-in copy) joined by the update files published
/// through the database. A database that cannot be read is an error rather than a knowledge
/// without the published updates: a replica must not stop serving them over a hiccup.
pub async fn gather(
    dir: Option<&std::path::Path>,
    store: &dyn Store,
) -> Result<KnowledgeFiles, ReloadError> {
    let published = store
        .update_files()
        .await
        .map_err(|e| ReloadError::Store(e.to_string()))?;
    join(dir, published)
}

/// The knowledge files of `dir` (or the built-in copy) joined by `published` update files.
fn join(
    dir: Option<&std::path::Path>,
    published: Vec<(String, String)>,
) -> Result<KnowledgeFiles, ReloadError> {
    let mut files = match dir {
        Some(d) => KnowledgeFiles::read_dir(d)?,
        None => KnowledgeFiles::builtin(),
    };
    for (name, text) in published {
        files = files.with_update(name, text);
    }
    Ok(files)
}

impl Reloader {
    /// Loads the folder on a blocking thread (bounded by `load_timeout`) and, if valid, swaps
    /// it in, with the update files published in the database. Publishing is separate
    /// ([`Reloader::publish`]).
    /// no folder to reload.
    pub async fn swap(&self) -> Result<(), ReloadError> {
        let (dir, store) = (self.dir.clone(), self.store.clone());
        let load = async move {
            let published = store
                .update_files()
                .await
                .map_err(|e| ReloadError::Store(e.to_string()))?;
            let built = tokio::task::spawn_blocking(move || {
                let files = join(dir.as_deref(), published)?;
                let engine = Engine::from_files(&files)?;
                Ok::<_, ReloadError>((engine, files.updates))
            });
            built
                .await
                .map_err(|e| ReloadError::Crashed(e.to_string()))?
        };
        let (engine, updates) = match tokio::time::timeout(self.load_timeout, load).await {
            Err(_) => return Err(ReloadError::TimedOut(self.load_timeout)),
            Ok(loaded) => loaded?,
        };
        let kb = &engine.knowledge;
        let menu_changed = self.engine.current().knowledge.menu() != kb.menu();
        for r in &kb.rejected {
            log::warn!("update file set aside: {r}");
        }
        metrics::gauge!("bot_rejected_update_files").set(kb.rejected.len() as f64);
        let set_aside: Vec<&str> = kb.rejected.iter().map(|r| file_name(&r.file)).collect();
        let loaded: Vec<(String, String)> = updates
            .into_iter()
            .filter(|(name, _)| !set_aside.contains(&file_name(name)))
            .map(|(name, text)| (file_name(&name).to_string(), text))
            .collect();
        log::info!(
            "knowledge loaded from {}: {} facts, {} updates",
            kb.origin,
            kb.facts.len(),
            kb.updates.len()
        );
        self.engine.replace(engine);
        *self.loaded_files.lock().unwrap_or_else(|p| p.into_inner()) = loaded;
        if menu_changed {
            self.menu_changed.notify_one();
        }
        Ok(())
    }

    /// Publishes every update of the current knowledge not published yet (off the runtime's
    /// threads); returns how many deliveries were queued.
    pub async fn publish(&self) -> Result<usize, String> {
        let (engine, store) = (self.engine.current(), self.store.clone());
        let files = self
            .loaded_files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // The loaded update files go to the database first, where every replica reads them.
        for (name, text) in &files {
            store
                .add_update_file(name, text)
                .await
                .map_err(|e| e.to_string())?;
        }
        let queued = publish_new(&engine.knowledge, store.as_ref())
            .await
            .map_err(|e| e.to_string())?;
        if queued > 0 {
            self.wake.notify_one();
        }
        Ok(queued)
    }

    /// One reload as the watcher and SIGHUP do it: swap, then publish; logged and counted.
    /// Returns whether it is still owed (the database could not be read or written): the watch
    /// loop then does it again.
    async fn reload_logged(&self) -> bool {
        let result = match self.swap().await {
            Ok(_) if self.dir.is_none() => {
                log::info!(
                    "serving the built-in knowledge: there is no folder to reload (updates \
                     published in the database were looked for)"
                );
                "ok"
            }
            Ok(_) => "ok",
            Err(e) => {
                log::error!("knowledge not reloaded, still serving the previous version: {e}");
                match e {
                    ReloadError::Invalid(_) => "invalid",
                    ReloadError::TimedOut(_) => "timed_out",
                    ReloadError::Crashed(_) => "crashed",
                    ReloadError::Store(_) => "store_error",
                }
            }
        };
        metrics::counter!("bot_knowledge_reloads_total", "result" => result).increment(1);
        if result == "store_error" {
            return true;
        }
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

/// The folder's file watcher (if any) and the channel it reports changes on.
pub struct Watching {
    _watcher: Option<notify::RecommendedWatcher>,
    changes: mpsc::UnboundedReceiver<()>,
}

/// Starts watching the folder (unless `use_watcher` is false or there is no folder). Call it
/// before the first look at the folder ([`Reloader::first_look`]), so no file added in between
/// is missed.
pub fn start_watching(reloader: &Reloader, use_watcher: bool) -> Watching {
    let (tx, changes) = mpsc::unbounded_channel::<()>();
    let watcher = match (&reloader.dir, use_watcher) {
        (Some(dir), true) => start_watcher(dir, tx),
        _ => None,
    };
    Watching {
        _watcher: watcher,
        changes,
    }
}

impl Reloader {
    /// The look at the folder and the database at start-up, before updates are taken: loads
    /// and swaps in what is there now (the watcher is already running), then publishes.
    /// Returns whether publishing is still owed (the watch loop retries it).
    pub async fn first_look(&self) -> bool {
        self.reload_logged().await
    }
}

/// Watches for folder changes (from [`start_watching`]), the database's published update files
/// (every `store_poll`) and SIGHUP until `shutdown` turns true, reloading after each burst of
/// changes settles for `settle`, and redoing a reload the database refused (`owed` at the start).
pub async fn watch(
    reloader: Reloader,
    watching: Watching,
    mut owed: bool,
    mut hup: Option<tokio::signal::unix::Signal>,
    mut shutdown: watch::Receiver<bool>,
    settle: Duration,
    store_poll: Duration,
) {
    let Watching {
        _watcher,
        changes: mut rx,
    } = watching;
    let mut retry_in = Duration::from_secs(1);
    // What the database held at the last look: another replica, or `publish FILE`, may add to it.
    let mut published = published_files(&reloader.store).await;
    let mut poll = tokio::time::interval(store_poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
            _ = poll.tick() => {
                let now = published_files(&reloader.store).await;
                if now.is_none() || now == published {
                    continue;
                }
                log::info!("new updates were published in the database: reloading");
                published = now;
            }
            _ = retry => {
                owed = reloader.reload_logged().await;
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

/// The update files published in the database; `None` if it cannot be read just now.
async fn published_files(store: &Arc<dyn Store>) -> Option<Vec<(String, String)>> {
    store.update_files().await.ok()
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
