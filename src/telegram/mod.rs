//! The Telegram transport, the only module that names teloxide: the Bot API client, start-up
//! checks, the command menu, the dispatcher's schema and handlers, long polling or our webhook,
//! and the delivery worker's [`TelegramSender`]. What runs when is decided in [`crate::app`].
//!
//! Why the start-up checks: teloxide's `dispatch()` panics when its first getMe fails, and its
//! polling start deletes any webhook, so [`check`] calls getMe and getWebhookInfo itself and turns
//! a rejected token, an unreachable API or a webhook in use into a [`RunError`].

mod handlers;
mod sender;
pub mod webhook;

use std::future::Future;
use std::sync::{Arc, OnceLock};

use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::types::{BotCommand, Me};
use teloxide::update_listeners::UpdateListener;
use teloxide::{ApiError, RequestError};

use crate::settings::{Mode, Secret, Settings};

pub use handlers::{Ctx, schema};
pub use sender::TelegramSender;

/// Why the bot could not start or stopped abnormally. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error("Telegram rejected the bot token (getMe: {0})")]
    TokenRejected(String),
    #[error("cannot reach the Bot API at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error(
        "a webhook is set for this bot ({0}); long polling would delete it and take the webhook \
         replicas offline. Start in webhook mode, or pass --replace-webhook to take over"
    )]
    WebhookInUse(String),
    #[error("cannot set up the webhook: {0}")]
    Webhook(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    /// The knowledge or the database could not be opened (the message lists every problem).
    #[error("{0}")]
    Open(String),
    #[error("stopped: {0}")]
    Fatal(String),
}

/// A reason the running bot must stop (the token was revoked): raised anywhere, awaited by the
/// composition root, which then shuts everything down and exits non-zero.
#[derive(Debug, Default)]
pub struct Fatal {
    reason: OnceLock<String>,
    raised: tokio::sync::Notify,
}

impl Fatal {
    pub fn raise(&self, reason: &str) {
        if self.reason.set(reason.to_string()).is_ok() {
            log::error!("{reason}: stopping");
        }
        self.raised.notify_waiters();
        self.raised.notify_one();
    }

    /// The reason, once raised.
    pub fn reason(&self) -> Option<&str> {
        self.reason.get().map(String::as_str)
    }

    /// Resolves once [`Fatal::raise`] was called.
    pub async fn wait(&self) {
        while self.reason.get().is_none() {
            self.raised.notified().await;
        }
    }
}

/// Updates the webhook route may hold for the dispatcher. Telegram gets 200 once an update is
/// queued, so a process killed outright loses what is queued and being handled: a small queue
/// keeps that window to a few updates (a full queue answers 503, and Telegram sends again).
const WEBHOOK_QUEUE: usize = 64;

/// The Bot API client: the token, the API URL, and `TELOXIDE_PROXY` when set ([`Settings`] has
/// already checked it).
pub fn bot(settings: &Settings) -> Result<Bot, RunError> {
    // teloxide panics on an API URL that cannot have a path (`mailto:…`).
    if let Some(url) = &settings.api_url
        && url.cannot_be_a_base()
    {
        return Err(crate::settings::SettingsError::ApiUrl(url.to_string()).into());
    }
    // A broadcast send waits up to the delivery's send timeout: the client must not give up
    // first (a send Telegram accepted late would be sent again).
    let mut builder = teloxide::net::default_reqwest_settings()
        .timeout(settings.delivery.send_timeout + std::time::Duration::from_secs(5));
    if let Some(proxy) = &settings.proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str()).map_err(|e| {
            RunError::Settings(crate::settings::SettingsError::Proxy(e.to_string()))
        })?;
        builder = builder.proxy(proxy);
    }
    let client = builder.build().map_err(|e| RunError::Unreachable {
        url: "the Bot API".into(),
        reason: format!("cannot build the HTTP client: {e}"),
    })?;
    let bot = Bot::with_client(settings.token.expose(), client);
    Ok(match &settings.api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    })
}

/// Checks the token and the API with getMe, and in polling mode that no webhook is in use.
pub async fn check(bot: &Bot, settings: &Settings) -> Result<Me, RunError> {
    let url = settings
        .api_url
        .as_ref()
        .map_or("https://api.telegram.org".to_string(), |u| u.to_string());
    let me = match bot.get_me().await {
        Ok(me) => me,
        Err(RequestError::Api(ApiError::InvalidToken)) => {
            return Err(RunError::TokenRejected("Unauthorized".into()));
        }
        Err(RequestError::Api(e)) => {
            return Err(RunError::TokenRejected(
                settings.token.redact(&e.to_string()),
            ));
        }
        Err(e) => {
            return Err(RunError::Unreachable {
                url,
                reason: settings.token.redact(&e.to_string()),
            });
        }
    };
    if let Mode::Polling {
        replace_webhook: false,
        ..
    } = settings.mode
    {
        match bot.get_webhook_info().await {
            Ok(info) => {
                if let Some(hook) = info.url {
                    return Err(RunError::WebhookInUse(hook.to_string()));
                }
            }
            Err(e) => {
                return Err(RunError::Unreachable {
                    url,
                    reason: settings.token.redact(&e.to_string()),
                });
            }
        }
    }
    Ok(me)
}

/// The command menu: one per topic of the knowledge, then the fixed commands.
pub fn menu(kb: &crate::knowledge::Knowledge) -> Vec<BotCommand> {
    kb.menu()
        .into_iter()
        .map(|(name, about)| BotCommand::new(name, about))
        .collect()
}

/// Registers the command menu; a failure is logged, the bot runs without it.
pub async fn register_menu(bot: &Bot, kb: &crate::knowledge::Knowledge, token: &Secret) {
    if let Err(e) = bot.set_my_commands(menu(kb)).await {
        log::warn!(
            "could not register the command menu: {}",
            token.redact(&e.to_string())
        );
    }
}

/// Logs dispatcher and listener errors with the token removed; a rejected token (revoked while
/// running: every call answers 401) raises [`Fatal`] instead of retrying forever.
struct ListenerErrors {
    token: Secret,
    fatal: Arc<Fatal>,
    what: &'static str,
}

impl<E: std::fmt::Debug + Send + 'static> ErrorHandler<E> for ListenerErrors {
    fn handle_error(
        self: Arc<Self>,
        error: E,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
        let shown = self.token.redact(&format!("{error:?}"));
        if shown.contains("InvalidToken") {
            self.fatal
                .raise("Telegram rejected the bot token while running (revoked?)");
        } else {
            log::warn!("{}: {shown}", self.what);
        }
        Box::pin(async {})
    }
}

/// Receives updates (long polling or the webhook) and dispatches them to the handlers until
/// `shutdown` resolves; then stops taking updates and lets in-flight handlers finish.
pub async fn serve(
    bot: Bot,
    ctx: Arc<Ctx>,
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let fatal = ctx.fatal.clone();
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![ctx])
        .default_handler(|upd| async move {
            metrics::counter!("bot_updates_total", "kind" => "other").increment(1);
            log::debug!("unhandled update {}", upd.id.0);
        })
        .error_handler(Arc::new(ListenerErrors {
            token: settings.token.clone(),
            fatal: fatal.clone(),
            what: "handler error",
        }))
        .build();
    // Started now, so that SIGTERM is handled from the first moment (the signal handler is
    // installed when `shutdown` is first polled); the listener's stop token follows once the
    // listener exists.
    let (listener_token, stop_listener) = tokio::sync::oneshot::channel();
    stop_on(shutdown, stop_listener);
    let listener_errors = Arc::new(ListenerErrors {
        token: settings.token.clone(),
        fatal,
        what: "update listener error",
    });
    let token = settings.token.clone();
    let dispatch_failed = move |e: RequestError| RunError::Unreachable {
        url: "the Bot API".into(),
        reason: token.redact(&e.to_string()),
    };
    match &settings.mode {
        Mode::Polling { timeout, .. } => {
            let listener = teloxide::update_listeners::Polling::builder(bot.clone())
                .timeout(*timeout)
                .delete_webhook()
                .await
                .build();
            let mut listener = listener;
            let _ = listener_token.send(listener.stop_token());
            dispatcher
                .try_dispatch_with_listener(listener, listener_errors)
                .await
                .map_err(dispatch_failed)?;
        }
        Mode::Webhook {
            listen,
            url,
            secret,
        } => {
            let tcp =
                tokio::net::TcpListener::bind(listen)
                    .await
                    .map_err(|e| RunError::Listen {
                        addr: listen.to_string(),
                        reason: e.to_string(),
                    })?;
            bot.set_webhook(url.clone())
                .secret_token(secret.expose().to_string())
                .await
                .map_err(|e| RunError::Webhook(settings.token.redact(&e.to_string())))?;
            let (mut listener, router) = webhook::webhook(
                url.path().to_string(),
                secret.expose().to_string(),
                WEBHOOK_QUEUE,
            );
            let _ = listener_token.send(listener.stop_token());
            // The server stops once the dispatcher has (a dropped sender counts too). Not with a
            // clone of the listener's StopFlag: its clones share one waker slot, which the
            // listener's own polls take over, so a second waiter is never woken.
            let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
            let limits = settings.http.clone();
            let server = tokio::spawn(async move {
                let stopped = async move {
                    let _ = server_stopped.await;
                };
                if let Err(e) = crate::http::serve(tcp, router, limits, stopped).await {
                    log::error!("webhook server failed: {e}");
                }
            });
            let dispatched = dispatcher
                .try_dispatch_with_listener(listener, listener_errors)
                .await;
            let _ = stop_server.send(());
            let _ = server.await;
            dispatched.map_err(dispatch_failed)?;
        }
    }
    Ok(())
}

/// Once `shutdown` resolves, ends the listener's update stream: the dispatcher then finishes
/// the in-flight updates and returns.
///
/// Not teloxide's shutdown token: it wakes the dispatcher only if the dispatcher is waiting for
/// an update at that instant, and one busy handing an update to a chat's full queue never looks
/// again, so the bot would never stop (`a_stop_during_a_burst_to_one_chat_still_stops_the_bot`
/// hangs with it). Ending the stream works whenever it comes, before dispatching starts too; and
/// if `serve` fails before the listener exists, the token never comes and the task ends.
fn stop_on(
    shutdown: impl Future<Output = ()> + Send + 'static,
    listener: tokio::sync::oneshot::Receiver<StopToken>,
) {
    tokio::spawn(async move {
        shutdown.await;
        if let Ok(listener) = listener.await {
            listener.stop();
        }
    });
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
