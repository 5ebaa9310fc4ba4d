//! The Telegram transport, the only module that names teloxide: configuration, start-up checks,
//! the command menu, long polling or webhook, and graceful shutdown.
//!
//! Why the start-up checks: teloxide's `dispatch()` panics when its first getMe fails, so `run`
//! calls getMe itself and turns a rejected token or an unreachable API into a [`RunError`].

mod handlers;
mod send_html;
mod sender;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::update_listeners::webhooks;
use teloxide::{ApiError, RequestError};

use crate::answer::COMMANDS;
use crate::delivery::DeliveryConfig;
use crate::knowledge::SharedKnowledge;
use crate::subscriptions::Store;

pub use handlers::schema;
pub use send_html::{Endpoint, SendHtml};
pub use sender::TelegramSender;

/// What the bot serves from: the knowledge, the subscription store, and where the knowledge
/// lives on disk (watched for changes; `None` for the built-in copy).
#[derive(Clone)]
pub struct App {
    pub knowledge: SharedKnowledge,
    pub store: Arc<dyn Store>,
    pub knowledge_dir: Option<std::path::PathBuf>,
    pub delivery: DeliveryConfig,
    /// How long file changes must settle before a reload.
    pub reload_settle: Duration,
    /// Watch the knowledge folder for changes (otherwise only SIGHUP reloads it).
    pub watch_files: bool,
}

impl App {
    pub fn new(knowledge: SharedKnowledge, store: Arc<dyn Store>) -> Self {
        App {
            knowledge,
            store,
            knowledge_dir: None,
            delivery: DeliveryConfig::default(),
            reload_settle: Duration::from_millis(300),
            watch_files: true,
        }
    }
}

/// The bot as handlers see it; sends are paced by the shared [`crate::pacing::Limiter`].
pub type TgBot = Bot;

/// Webhook mode: Telegram posts updates to `url`; we listen on `listen` at `url`'s path.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub listen: SocketAddr,
    pub url: url::Url,
    /// Checked against the `X-Telegram-Bot-Api-Secret-Token` header of every request.
    pub secret: String,
}

/// Everything `run` needs; built by `main` from the environment and flags.
#[derive(Clone)]
pub struct Config {
    pub token: String,
    /// A self-hosted or fake Bot API server; `None` for Telegram's.
    pub api_url: Option<url::Url>,
    pub webhook: Option<WebhookConfig>,
    /// Pacing of outgoing messages (Telegram's published limits by default).
    pub limits: crate::pacing::Limits,
    /// Long-polling timeout.
    pub poll_timeout: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("token", &"<hidden>")
            .field("api_url", &self.api_url.as_ref().map(url::Url::as_str))
            .field("webhook", &self.webhook)
            .finish()
    }
}

impl Config {
    pub fn new(token: String) -> Self {
        Config {
            token,
            api_url: None,
            webhook: None,
            limits: crate::pacing::Limits::default(),
            poll_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the bot could not start or stopped abnormally. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the bot token is empty: set TELOXIDE_TOKEN")]
    NoToken,
    #[error("Telegram rejected the bot token (getMe: {0})")]
    TokenRejected(String),
    #[error("cannot reach the Bot API at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("cannot set up the webhook: {0}")]
    Webhook(String),
    #[error("{0}")]
    Storage(#[from] crate::subscriptions::StoreError),
}

/// Removes the token from a message, whatever produced it.
pub fn redact(message: &str, token: &str) -> String {
    if token.is_empty() {
        return message.to_string();
    }
    message.replace(token, "<token>")
}

/// Logs dispatcher and listener errors with the token removed.
struct RedactingErrorHandler {
    token: String,
    what: &'static str,
}

impl<E: std::fmt::Debug + Send + 'static> ErrorHandler<E> for RedactingErrorHandler {
    fn handle_error(self: Arc<Self>, error: E) -> futures_like::BoxFuture<()> {
        log::warn!(
            "{}: {}",
            self.what,
            redact(&format!("{error:?}"), &self.token)
        );
        Box::pin(async {})
    }
}

/// teloxide's `ErrorHandler` returns a boxed future; named here to keep the impl readable.
mod futures_like {
    pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;
}

/// The command menu: fixed commands first, then one per topic of the knowledge.
pub fn menu(kb: &crate::knowledge::KnowledgeBase) -> Vec<BotCommand> {
    let mut out: Vec<BotCommand> = kb
        .topics
        .iter()
        .map(|t| BotCommand::new(t.command.clone(), t.title.clone()))
        .collect();
    out.extend(
        COMMANDS
            .iter()
            .map(|(name, about)| BotCommand::new(*name, *about)),
    );
    out
}

fn base_bot(config: &Config) -> Bot {
    // client_from_env honours TELOXIDE_PROXY, like Bot::from_env.
    let bot = Bot::with_client(config.token.clone(), teloxide::net::client_from_env());
    match &config.api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    }
}

/// Checks the token and the API with getMe; the error says which of the two is wrong.
async fn check(bot: &Bot, config: &Config) -> Result<teloxide::types::Me, RunError> {
    let url = config
        .api_url
        .as_ref()
        .map_or("https://api.telegram.org".to_string(), |u| u.to_string());
    match bot.get_me().await {
        Ok(me) => Ok(me),
        Err(RequestError::Api(ApiError::InvalidToken)) => {
            Err(RunError::TokenRejected("Unauthorized".into()))
        }
        Err(RequestError::Api(e)) => Err(RunError::TokenRejected(redact(
            &e.to_string(),
            &config.token,
        ))),
        Err(e) => Err(RunError::Unreachable {
            url,
            reason: redact(&e.to_string(), &config.token),
        }),
    }
}

/// Runs the bot until `shutdown` resolves, then stops taking updates and lets in-flight
/// handlers finish.
pub async fn run(
    config: Config,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let knowledge = app.knowledge.clone();
    if config.token.trim().is_empty() {
        return Err(RunError::NoToken);
    }
    let bot = base_bot(&config);
    // Checked before getMe, which teloxide would answer with a panic for such a URL.
    let endpoint = Endpoint::new(&bot).ok_or_else(|| RunError::Unreachable {
        url: bot.api_url().to_string(),
        reason: "the URL cannot have a path".into(),
    })?;
    let me = check(&bot, &config).await?;
    log::info!("running as @{}", me.username());
    let commands = menu(&knowledge.current());
    if let Err(e) = bot.set_my_commands(commands).await {
        log::warn!(
            "could not register the command menu: {}",
            redact(&e.to_string(), &config.token)
        );
    }
    let limiter = Arc::new(crate::pacing::Limiter::new(config.limits));
    // Updates added while the bot was down are owed now; those of a first start to nobody.
    crate::delivery::publish_new(&knowledge.current(), app.store.as_ref())?;
    let wake = Arc::new(tokio::sync::Notify::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Broadcasts are also spaced evenly by the worker (a burst in flight is what a crash would
    // leave ambiguous), at 95% of the overall limit so replies find room in the shared budget.
    let mut delivery = app.delivery.clone();
    let limits = config.limits;
    delivery.per_second = (limits.per_second * 19 / 20).max(1);
    delivery.per_chat_interval = limits.per_chat_interval;
    delivery.per_group_interval = Duration::from_secs(60) / limits.per_group_per_minute.max(1);
    let worker = tokio::spawn(crate::delivery::run(
        app.store.clone(),
        Arc::new(TelegramSender::new(endpoint.clone(), limiter.clone())),
        wake.clone(),
        stop_rx.clone(),
        delivery,
    ));
    let watcher = app.knowledge_dir.clone().map(|dir| {
        tokio::spawn(crate::reload::watch(
            dir,
            knowledge.clone(),
            app.store.clone(),
            wake.clone(),
            stop_rx.clone(),
            app.reload_settle,
            app.watch_files,
        ))
    });
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![Arc::new(handlers::Ctx {
            knowledge: knowledge.clone(),
            store: app.store.clone(),
            limiter,
            endpoint,
            bot_id: me.id,
            username: me.username().to_string(),
        })])
        .default_handler(|upd| async move {
            log::debug!("unhandled update {}", upd.id.0);
        })
        .error_handler(Arc::new(RedactingErrorHandler {
            token: config.token.clone(),
            what: "handler error",
        }))
        .build();
    let stopper = dispatcher.shutdown_token();
    tokio::spawn(async move {
        shutdown.await;
        log::info!("shutting down: finishing in-flight updates");
        // Retry while the dispatcher is still starting (shutdown before it was idle-ready).
        loop {
            match stopper.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    let listener_errors = Arc::new(RedactingErrorHandler {
        token: config.token.clone(),
        what: "update listener error",
    });
    // try_dispatch fails only when its first getMe does.
    let token = config.token.clone();
    let dispatch_failed = |e: RequestError| RunError::Unreachable {
        url: "the Bot API".into(),
        reason: redact(&e.to_string(), &token),
    };
    match &config.webhook {
        None => {
            let listener = teloxide::update_listeners::Polling::builder(bot.clone())
                .timeout(config.poll_timeout)
                .delete_webhook()
                .await
                .build();
            dispatcher
                .try_dispatch_with_listener(listener, listener_errors)
                .await
                .map_err(dispatch_failed)?;
        }
        Some(w) => {
            let options = webhooks::Options::new(w.listen, w.url.clone())
                .path(w.url.path().to_string())
                .secret_token(w.secret.clone());
            let tcp = tokio::net::TcpListener::bind(w.listen)
                .await
                .map_err(|e| RunError::Webhook(format!("cannot listen on {}: {e}", w.listen)))?;
            bot.set_webhook(w.url.clone())
                .secret_token(w.secret.clone())
                .await
                .map_err(|e| RunError::Webhook(redact(&e.to_string(), &config.token)))?;
            let (listener, stop, router) = webhooks::axum_no_setup(options);
            let server = tokio::spawn(async move {
                if let Err(e) = axum::serve(tcp, router).with_graceful_shutdown(stop).await {
                    log::error!("webhook server failed: {e}");
                }
            });
            log::info!("webhook listening on {}", w.listen);
            dispatcher
                .try_dispatch_with_listener(listener, listener_errors)
                .await
                .map_err(dispatch_failed)?;
            let _ = server.await;
        }
    }
    // The dispatcher has finished its in-flight updates; let the worker settle its batch.
    let _ = stop_tx.send(true);
    let _ = worker.await;
    if let Some(w) = watcher {
        let _ = w.await;
    }
    log::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                log::warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops the bot");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
