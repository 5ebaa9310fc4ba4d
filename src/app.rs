//! The composition root: from one [`Settings`] value, load the knowledge, open the store, check
//! the token, then start the delivery worker, the knowledge watcher, the internal HTTP endpoints
//! and the Telegram transport, and stop them in order on shutdown.
//!
//! Shutdown order: report not-ready, stop taking updates and finish the ones in flight, stop the
//! delivery worker (it finishes the sends under way), stop the watcher, then the HTTP endpoints.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::engine::{Engine, SharedEngine};
use crate::pacing::ReplyPacer;
use crate::settings::Settings;
use crate::store::Store;
use crate::telegram::{self, Ctx, Fatal, RunError, TelegramSender};

/// What the bot serves from: the engine (knowledge and what answers from it) and the
/// subscription store.
#[derive(Clone)]
pub struct Parts {
    pub engine: SharedEngine,
    pub store: Arc<dyn Store>,
}

impl Parts {
    /// Loads the knowledge (the folder in `settings`, else the built-in copy) and opens the
    /// store.
    pub async fn open(settings: &Settings) -> Result<Parts, OpenError> {
        let engine = Engine::load(settings.knowledge_dir.as_deref())
            .map_err(|e| OpenError::Knowledge(e.to_string()))?;
        let store = crate::store::open(&settings.db).await?;
        Ok(Parts {
            engine: SharedEngine::new(engine),
            store,
        })
    }
}

/// Why the knowledge or the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Knowledge(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Whether the bot can serve: the knowledge is loaded (always, once running) and the database
/// takes a write (a deleted, full, locked or unreachable database is not ready).
fn readiness(store: Arc<dyn Store>) -> crate::http::Health {
    crate::http::Health::new(move || {
        let store = store.clone();
        Box::pin(async move { store.check().await.map_err(|e| e.to_string()) })
    })
}

/// Opens the knowledge and the store named in `settings` and runs the bot (see [`run`]). SIGHUP
/// is handled from the first moment: its default action would end the process.
pub async fn start(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let hangups = crate::reload::hangups();
    let parts = Parts::open(&settings)
        .await
        .map_err(|e| RunError::Open(e.to_string()))?;
    serve(settings, parts, hangups, shutdown).await
}

/// Runs the bot until `shutdown` resolves (or the token is revoked), then stops everything in
/// order.
pub async fn run(
    settings: Settings,
    parts: Parts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let hangups = crate::reload::hangups();
    serve(settings, parts, hangups, shutdown).await
}

async fn serve(
    settings: Settings,
    parts: Parts,
    hangups: Option<tokio::signal::unix::Signal>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let Parts { engine, store } = parts;
    let bot = telegram::bot(&settings)?;
    let me = telegram::check(&bot, &settings).await?;
    let mode = match &settings.mode {
        crate::settings::Mode::Polling { .. } => "long polling".to_string(),
        crate::settings::Mode::Webhook { listen, .. } => format!("webhook on {listen}"),
    };
    log::info!(
        "@{} starting: {mode}; knowledge {}; database {}",
        me.username(),
        settings
            .knowledge_dir
            .as_ref()
            .map_or("built into the binary".to_string(), |d| d
                .display()
                .to_string()),
        settings.db
    );
    crate::http::describe_metrics();
    telegram::register_menu(&bot, &engine.current().knowledge, &settings.token).await;

    let broadcasting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pacer = Arc::new(ReplyPacer::new(
        settings.limits,
        store.clone(),
        broadcasting.clone(),
    ));
    let wake = Arc::new(Notify::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    // The worker stops claiming as soon as shutdown begins, beside the transport's own drain.
    let (stop_sending, sending_rx) = watch::channel(false);
    let fatal = Arc::new(Fatal::default());

    let health = readiness(store.clone());
    let internal = match settings.metrics_listen {
        None => None,
        Some(addr) => {
            let tcp = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| RunError::Listen {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                })?;
            let router = crate::http::internal_router(health.clone());
            let limits = settings.http.clone();
            let mut stop = stop_rx.clone();
            log::info!("health and metrics on http://{addr}");
            Some(tokio::spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                if let Err(e) = crate::http::serve(tcp, router, limits, stopped).await {
                    log::error!("internal HTTP server failed: {e}");
                }
            }))
        }
    };

    let worker = tokio::spawn(crate::delivery::run(
        store.clone(),
        Arc::new(TelegramSender::new(bot.clone())),
        wake.clone(),
        sending_rx,
        settings.delivery.clone(),
        settings.limits.budget(),
        broadcasting,
    ));
    let listener = {
        let (store, wake) = (store.clone(), wake.clone());
        tokio::spawn(async move { store.watch_publishes(wake).await })
    };
    // The watcher also publishes, first thing, the updates added while the bot was down (those
    // of a first start go to nobody: nobody is subscribed yet).
    let menu_changed = Arc::new(Notify::new());
    let reloader = crate::reload::Reloader {
        dir: settings.knowledge_dir.clone(),
        engine: engine.clone(),
        store: store.clone(),
        wake: wake.clone(),
        menu_changed: menu_changed.clone(),
        load_timeout: settings.load_timeout,
        loaded_files: Default::default(),
    };
    // The watcher starts before the first look at the folder, and both before updates are
    // taken: a file added at any moment is seen, and a file added after start (without a
    // watcher) waits for SIGHUP.
    let watching = crate::reload::start_watching(&reloader, settings.watch);
    let owed = reloader.first_look().await;
    let watcher = tokio::spawn(crate::reload::watch(
        reloader,
        watching,
        owed,
        hangups,
        stop_rx.clone(),
        settings.reload_settle,
        settings.store_poll,
    ));
    let menu = {
        let (bot, engine, token, mut stop) = (
            bot.clone(),
            engine.clone(),
            settings.token.clone(),
            stop_rx.clone(),
        );
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = menu_changed.notified() => {
                        telegram::register_menu(&bot, &engine.current().knowledge, &token).await;
                    }
                    changed = stop.changed() => {
                        if changed.is_err() || *stop.borrow() {
                            return;
                        }
                    }
                }
            }
        })
    };

    let ctx = Arc::new(Ctx {
        engine: engine.clone(),
        store: store.clone(),
        pacer,
        bot_id: me.id,
        username: me.username().to_string(),
        reply_timeout: settings.reply_timeout,
        in_flight: AtomicUsize::new(0),
        max_backlog: settings.max_backlog,
        fatal: fatal.clone(),
        contexts: Default::default(),
    });
    let stopping = {
        let (fatal, health) = (fatal.clone(), health.clone());
        async move {
            tokio::select! {
                _ = shutdown => log::info!("shutting down: finishing in-flight updates"),
                _ = fatal.wait() => {}
            }
            health.set_shutting_down();
            let _ = stop_sending.send(true);
        }
    };
    let served = telegram::serve(bot, ctx, &settings, stopping).await;

    // The transport has finished its in-flight updates; the worker finishes its sends under way
    // (it started stopping with the transport).
    let _ = stop_tx.send(true);
    listener.abort();
    if tokio::time::timeout(Duration::from_secs(8), worker)
        .await
        .is_err()
    {
        log::warn!("the delivery worker did not stop in time");
    }
    let _ = watcher.await;
    let _ = menu.await;
    if let Some(h) = internal {
        let _ = h.await;
    }
    served?;
    if let Some(reason) = fatal.reason() {
        return Err(RunError::Fatal(reason.to_string()));
    }
    log::info!("stopped");
    Ok(())
}
