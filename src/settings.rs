//! Settings: the bot's flags and environment turned into one validated [`Settings`] value, the
//! token held as a [`Secret`] that never prints.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::delivery::DeliveryConfig;
use crate::pacing::Limits;
use crate::store::Location;

/// A value that must never reach a log or an error message: shown as `<hidden>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value itself, for the one place that needs it (the Bot API client).
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// `text` with every occurrence of the secret replaced by `<token>`.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, "<token>")
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

/// How updates arrive.
#[derive(Debug, Clone)]
pub enum Mode {
    /// getUpdates. Refuses to start while a webhook is set unless `replace_webhook` (starting a
    /// poller deletes the webhook, which would take a webhook fleet offline).
    Polling {
        timeout: Duration,
        replace_webhook: bool,
    },
    /// Telegram posts updates to `url`; we listen on `listen` at `url`'s path.
    Webhook {
        listen: SocketAddr,
        url: url::Url,
        /// Checked against `X-Telegram-Bot-Api-Secret-Token` on every request.
        secret: Secret,
    },
}

/// Everything the running bot is configured with; see [`RunArgs`] for what each means.
#[derive(Debug, Clone)]
pub struct Settings {
    pub token: Secret,
    /// A self-hosted or fake Bot API server; `None` for Telegram's.
    pub api_url: Option<url::Url>,
    /// `TELOXIDE_PROXY`, checked.
    pub proxy: Option<String>,
    pub mode: Mode,
    /// The knowledge folder; `None` serves the copy built into the binary.
    pub knowledge_dir: Option<PathBuf>,
    /// Watch the knowledge folder (otherwise only SIGHUP reloads it).
    pub watch: bool,
    /// How long file changes must settle before a reload.
    pub reload_settle: Duration,
    /// The longest a knowledge reload may take before it is abandoned.
    pub load_timeout: Duration,
    /// How often the database is looked at for updates published there (by `publish FILE` or
    /// another replica).
    pub store_poll: Duration,
    /// The database: a SQLite file, or a PostgreSQL URL for a fleet.
    pub db: Location,
    pub limits: Limits,
    pub delivery: DeliveryConfig,
    /// How long one reply may take before it is given up: teloxide sleeps 10 s after a 5xx before
    /// it reports it, and updates of one chat are handled in order, so an unbounded reply would
    /// hold that chat's next question.
    pub reply_timeout: Duration,
    /// Updates being handled at once beyond which new ones are shed (dropped, logged, counted).
    pub max_backlog: usize,
    /// The internal HTTP listener (/healthz, /readyz, /metrics); off when `None`.
    pub metrics_listen: Option<SocketAddr>,
    /// Limits of the webhook and internal HTTP servers.
    pub http: crate::http::ServeLimits,
}

impl Settings {
    /// Defaults for everything but the token: long polling, Telegram's limits, built-in knowledge.
    pub fn new(token: Secret) -> Self {
        Settings {
            token,
            api_url: None,
            proxy: None,
            mode: Mode::Polling {
                timeout: Duration::from_secs(10),
                replace_webhook: false,
            },
            knowledge_dir: None,
            watch: true,
            reload_settle: Duration::from_millis(300),
            load_timeout: Duration::from_secs(60),
            store_poll: Duration::from_secs(2),
            db: Location::Sqlite(PathBuf::from("trade-talks-bot.db")),
            limits: Limits::default(),
            delivery: DeliveryConfig::default(),
            reply_timeout: Duration::from_secs(4),
            max_backlog: 10_000,
            metrics_listen: None,
            http: crate::http::ServeLimits::default(),
        }
    }
}

/// A setting that cannot work, said in one line.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("no bot token: set TELOXIDE_TOKEN (or run `trade-talks-bot chat` offline)")]
    NoToken,
    #[error(
        "webhook mode needs --webhook-secret (TRADE_TALKS_WEBHOOK_SECRET): 1-256 of A-Z a-z 0-9 _ -"
    )]
    WebhookSecret,
    #[error("TELOXIDE_PROXY is not a usable proxy URL ({0}): expected http://host:port")]
    Proxy(String),
    #[error("the Bot API URL {0} cannot have a path")]
    ApiUrl(String),
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    #[error(
        "--lease-secs must be at least twice --send-timeout-secs (a send in flight must not be taken over)"
    )]
    Lease,
}

/// `run`'s flags (and their environment variables).
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Bot API server URL (self-hosted or a test fake); default Telegram's.
    #[arg(long, env = "TELOXIDE_API_URL")]
    pub api_url: Option<url::Url>,
    /// Public HTTPS URL Telegram should post updates to; enables webhook mode.
    #[arg(long, env = "TRADE_TALKS_WEBHOOK_URL")]
    pub webhook_url: Option<url::Url>,
    /// Address the webhook server listens on.
    #[arg(
        long,
        env = "TRADE_TALKS_WEBHOOK_LISTEN",
        default_value = "0.0.0.0:8443"
    )]
    pub webhook_listen: SocketAddr,
    /// Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -).
    #[arg(long, env = "TRADE_TALKS_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Start long polling even though a webhook is set (deletes the webhook: never do this
    /// beside a webhook fleet).
    #[arg(long)]
    pub replace_webhook: bool,
    /// Messages per second to one chat (Telegram: about 1).
    #[arg(long, default_value_t = 1)]
    pub per_chat_per_sec: u32,
    /// Messages per minute to one group, supergroup or channel (Telegram: 20).
    #[arg(long, default_value_t = 20)]
    pub per_group_per_min: u32,
    /// Broadcast messages per second, all chats together (Telegram: about 30 for bulk sends).
    /// `--overall-per-sec` is its former name.
    #[arg(long, alias = "overall-per-sec", default_value_t = 28)]
    pub broadcast_per_sec: u32,
    /// An overall cap on replies per second (default: none; replies keep per-chat spacing).
    #[arg(long)]
    pub reply_cap_per_sec: Option<u32>,
    /// Seconds one reply may take before it is given up.
    #[arg(long, default_value_t = 4)]
    pub reply_timeout_secs: u64,
    /// Updates handled at once beyond which new ones are dropped (logged and counted).
    #[arg(long, default_value_t = 10_000)]
    pub max_backlog: usize,
    /// Do not watch the knowledge folder; reload it only on SIGHUP.
    #[arg(long)]
    pub no_watch: bool,
    /// The database: a SQLite file (one machine), or a postgres:// URL (a fleet of replicas).
    #[arg(long, env = "TRADE_TALKS_DB", default_value = "trade-talks-bot.db", value_parser = parse_location)]
    pub db: Location,
    /// Seconds to wait for Telegram's answer to one broadcast message (a message given up on may
    /// have been accepted, and is sent again).
    #[arg(long, default_value_t = 60)]
    pub send_timeout_secs: u64,
    /// Seconds a worker's claim on owed messages lasts; a crashed worker's messages are sent by
    /// another after this. At least twice the send timeout.
    #[arg(long, default_value_t = 180)]
    pub lease_secs: u64,
    /// Internal HTTP listener for /healthz, /readyz and /metrics (e.g. 127.0.0.1:9464).
    #[arg(long, env = "TRADE_TALKS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

/// `--db`: a path or a `postgres://` URL; empty is refused.
pub fn parse_location(s: &str) -> Result<Location, String> {
    if s.trim().is_empty() {
        return Err("the database may not be empty".into());
    }
    Ok(Location::parse(s))
}

impl RunArgs {
    /// The settings these flags, `token` and `proxy` (from the environment) describe.
    pub fn into_settings(
        self,
        token: Option<String>,
        proxy: Option<String>,
        knowledge_dir: Option<PathBuf>,
    ) -> Result<Settings, SettingsError> {
        let token = token
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or(SettingsError::NoToken)?;
        let mut s = Settings::new(Secret::new(token));
        if let Some(url) = &self.api_url
            && url.cannot_be_a_base()
        {
            return Err(SettingsError::ApiUrl(url.to_string()));
        }
        s.api_url = self.api_url;
        s.proxy = proxy.map(|p| check_proxy(&p)).transpose()?;
        for (value, name) in [
            (self.per_chat_per_sec, "--per-chat-per-sec"),
            (self.per_group_per_min, "--per-group-per-min"),
            (self.broadcast_per_sec, "--broadcast-per-sec"),
        ] {
            if value == 0 {
                return Err(SettingsError::Zero(name));
            }
        }
        if self.reply_cap_per_sec == Some(0) {
            return Err(SettingsError::Zero("--reply-cap-per-sec"));
        }
        s.limits = Limits {
            broadcast_per_second: self.broadcast_per_sec,
            reply_cap_per_second: self.reply_cap_per_sec,
            per_chat_interval: Duration::from_secs(1) / self.per_chat_per_sec,
            per_group_per_minute: self.per_group_per_min,
        };
        s.reply_timeout = Duration::from_secs(self.reply_timeout_secs.max(1));
        s.max_backlog = self.max_backlog.max(1);
        s.knowledge_dir = knowledge_dir;
        s.watch = !self.no_watch;
        s.db = self.db;
        if self.send_timeout_secs == 0 {
            return Err(SettingsError::Zero("--send-timeout-secs"));
        }
        if self.lease_secs < 2 * self.send_timeout_secs {
            return Err(SettingsError::Lease);
        }
        s.delivery.send_timeout = Duration::from_secs(self.send_timeout_secs);
        s.delivery.lease = Duration::from_secs(self.lease_secs);
        s.metrics_listen = self.metrics_listen;
        s.mode = match self.webhook_url {
            None => Mode::Polling {
                timeout: Duration::from_secs(10),
                replace_webhook: self.replace_webhook,
            },
            Some(url) => {
                let secret = self
                    .webhook_secret
                    .filter(|s| valid_webhook_secret(s))
                    .ok_or(SettingsError::WebhookSecret)?;
                Mode::Webhook {
                    listen: self.webhook_listen,
                    url,
                    secret: Secret::new(secret),
                }
            }
        };
        Ok(s)
    }
}

fn valid_webhook_secret(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A proxy URL reqwest will take (teloxide panics on one it won't): http(s), with a host. A bare
/// `host:port` means http, as reqwest reads it.
fn check_proxy(proxy: &str) -> Result<String, SettingsError> {
    let proxy = proxy.trim();
    let parsed = url::Url::parse(proxy)
        .ok()
        .filter(|u| u.has_host())
        .or_else(|| url::Url::parse(&format!("http://{proxy}")).ok())
        .filter(|u| u.has_host());
    match parsed {
        Some(u) if matches!(u.scheme(), "http" | "https") => Ok(proxy.to_string()),
        Some(u) => Err(SettingsError::Proxy(format!(
            "unsupported scheme {}",
            u.scheme()
        ))),
        None => Err(SettingsError::Proxy("not a URL".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_prints() {
        let s = Settings::new(Secret::new("123:SECRET"));
        assert!(!format!("{s:?}").contains("SECRET"));
        assert_eq!(s.token.redact("url /bot123:SECRET/x"), "url /bot<token>/x");
    }

    #[test]
    fn proxies_are_checked() {
        assert!(check_proxy("http://127.0.0.1:3128").is_ok());
        assert!(check_proxy("127.0.0.1:3128").is_ok());
        assert!(check_proxy("socks9://x").is_err());
        assert!(check_proxy("::::").is_err());
    }
}
