//! The store: subscriptions, published updates, the claimed outbox and the shared pacer, behind
//! one async [`Store`] trait with two engines — SQLite ([`sqlite`], one file, the default for one
//! machine) and PostgreSQL ([`postgres`], the engine for a fleet of replicas).
//!
//! Why a claimed outbox: publishing an update owes it to every subscriber (one row each, in the
//! transaction that records the update). A worker *claims* a few rows under a lease with a fresh
//! claim token before sending anything, records each accepted part, and completes a row only with
//! the token that claimed it, so two workers (two processes, two replicas) never send the same row
//! at once, and a worker whose lease ran out and whose row was claimed again cannot record late.
//! The only duplicates left are the sends in flight when a process dies: the Bot API has no
//! idempotency key, so such a send cannot be known to have gone out.
//!
//! Why the pacer lives in the store: Telegram's budget (about 30 bulk messages a second, a second
//! between messages to a chat, 20 a minute to a group) is the bot's, not a process's. Every
//! sender takes its slot from the same row, so several processes together keep the budget, and
//! a 429 pauses them all.

pub mod postgres;
pub mod sqlite;

use std::time::Duration;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Storage failures. Callers treat them as unexpected (logged, "try again later"), never as user
/// mistakes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database file {0} was removed or replaced while the bot was running")]
    FileGone(String),
    #[error("PostgreSQL: {0}")]
    Pg(#[from] tokio_postgres::Error),
    #[error("PostgreSQL: {0}")]
    Pool(String),
    #[error("database: {0}")]
    Other(String),
}

/// A chat's subscription, as `/status` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatStatus {
    pub subscribed: bool,
    /// Updates delivered to this chat so far.
    pub delivered: u64,
}

/// One owed message that this worker holds: `update` to `chat`, with the message as it was
/// rendered when published and how many of its parts already went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub update: String,
    pub chat: i64,
    /// Failed attempts so far (they set the backoff and when to give up).
    pub attempts: u32,
    /// Telegram HTML message parts; empty when the stored message is empty or unreadable.
    pub parts: Vec<String>,
    /// Parts Telegram already accepted (a multi-part message resumes after them).
    pub parts_sent: u32,
    /// The claim token: only it may record this row.
    pub claim: String,
}

/// A subscribed chat, as the operator's `subscribers` command lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub chat: i64,
    /// When the chat subscribed (milliseconds since the epoch).
    pub since_ms: i64,
    /// Updates delivered to this chat so far.
    pub delivered: u64,
}

/// Where one published update stands, as the operator's `status` command reports it. The counts
/// do not overlap: `pending` and `retrying` split what is still owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateProgress {
    pub update: String,
    /// When it was published (milliseconds since the epoch).
    pub published_ms: i64,
    /// Chats that received it.
    pub sent: u64,
    /// Still owed, never failed yet (waiting for its turn).
    pub pending: u64,
    /// Still owed after at least one failed attempt.
    pub retrying: u64,
    /// Dropped: the chat unsubscribed (or was found gone) before it got the update.
    pub unsubscribed: u64,
    /// Given up: Telegram kept refusing the message (or it could not be read).
    pub failed: u64,
}

/// A broadcast send's turn, from [`Store::pace_broadcast`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// The slot is taken: send after this wait.
    Go(Duration),
    /// The chat itself must wait this long (its own spacing or a 429): give the slot to another.
    ChatBusy(Duration),
    /// Every broadcast slot nearer than the horizon is taken, or broadcasts are paused: ask again
    /// after this wait (nothing was reserved, so a pause ordered meanwhile is not overrun).
    Full(Duration),
}

/// The shared budget, as [`Store::pace_broadcast`] applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Time between two broadcast messages, all chats together.
    pub period: Duration,
    /// Time between two messages to one private chat.
    pub chat_gap: Duration,
    /// Time between two broadcast messages to one group or channel (negative ids): 3 s keeps
    /// Telegram's 20 a minute.
    pub group_gap: Duration,
    /// How far ahead a slot may be reserved.
    pub horizon: Duration,
}

impl Budget {
    /// The gap after a broadcast message to `chat`.
    pub fn gap(&self, chat: i64) -> Duration {
        if chat < 0 {
            self.group_gap
        } else {
            self.chat_gap
        }
    }
}

/// What the bot stores. Each method is atomic; none blocks the async runtime.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// The engine's name, for logs: "sqlite" or "postgres".
    fn engine(&self) -> &'static str;
    /// Readiness: the database answers and takes a write (and, for a file, is still the file
    /// that was opened).
    async fn check(&self) -> Result<(), StoreError>;

    /// Subscribes a chat; `false` if it already was.
    async fn subscribe(&self, chat: i64) -> Result<bool, StoreError>;
    /// Unsubscribes a chat and drops what it was still owed; `false` if it was not subscribed.
    async fn unsubscribe(&self, chat: i64) -> Result<bool, StoreError>;
    async fn status(&self, chat: i64) -> Result<ChatStatus, StoreError>;
    /// Moves a chat's subscription, history and owed messages to a new id (group → supergroup);
    /// a claimed row moved is released, due now, its sent parts kept.
    async fn migrate(&self, old: i64, new: i64) -> Result<(), StoreError>;

    /// Records an update as published, with its rendered message parts, and owes it to every
    /// current subscriber, once: returns how many deliveries were queued (0 when it was already
    /// published).
    async fn publish(&self, update: &str, parts: &[String]) -> Result<usize, StoreError>;
    /// Whether an update was published already.
    async fn is_published(&self, update: &str) -> Result<bool, StoreError>;

    /// Claims up to `limit` owed rows that are due and not leased, oldest due first, under a
    /// lease of `lease` and one fresh claim token. Nothing may be sent for a row before this
    /// returned it.
    async fn claim(&self, limit: usize, lease: Duration) -> Result<Vec<Claimed>, StoreError>;
    /// How long until the earliest owed row is due (zero if one is due now); `None` if nothing
    /// is owed. Leased rows count too: they come back when their lease ends.
    async fn next_due(&self) -> Result<Option<Duration>, StoreError>;
    /// Records that the first `parts_sent` parts went out. `false` if the claim is lost.
    async fn part_sent(&self, d: &Claimed, parts_sent: u32) -> Result<bool, StoreError>;
    /// Telegram accepted the whole message: remove the row and count the delivery, atomically,
    /// only if `d`'s claim still holds it. Returns whether it did.
    async fn complete(&self, d: &Claimed) -> Result<bool, StoreError>;
    /// Releases the row, due again after `after`; `failed` counts one more failed attempt.
    async fn reschedule(
        &self,
        d: &Claimed,
        after: Duration,
        failed: bool,
    ) -> Result<bool, StoreError>;
    /// Gives up on the row: it moves to the failed deliveries with `reason`.
    async fn give_up(&self, d: &Claimed, reason: &str) -> Result<bool, StoreError>;

    /// Takes a broadcast slot for `chat` from the shared pacer (see [`Pace`]).
    async fn pace_broadcast(&self, chat: i64, budget: &Budget) -> Result<Pace, StoreError>;
    /// Reserves the next moment a reply to `chat` may go out, `gap` after the chat's previous
    /// message (a broadcast from any process included); returns how long to wait for it.
    async fn pace_reply(&self, chat: i64, gap: Duration) -> Result<Duration, StoreError>;
    /// Telegram answered 429 with `retry_after = wait`: nothing to `chat` until then, and with
    /// `everyone`, no broadcast to anyone either.
    async fn pause(&self, chat: i64, wait: Duration, everyone: bool) -> Result<(), StoreError>;

    /// Number of subscribed chats.
    async fn subscriber_count(&self) -> Result<u64, StoreError>;
    /// Number of owed deliveries.
    async fn outbox_len(&self) -> Result<u64, StoreError>;
    /// Every subscribed chat, oldest subscription first.
    async fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError>;
    /// Every published update with its delivery counts, oldest first.
    async fn update_progress(&self) -> Result<Vec<UpdateProgress>, StoreError>;
    /// Wakes `wake` whenever any process publishes, for as long as the process runs (PostgreSQL's
    /// `LISTEN`). Engines without such a signal return at once: the worker's own wake-up and
    /// its poll of [`Store::next_due`] cover them.
    async fn watch_publishes(&self, wake: std::sync::Arc<tokio::sync::Notify>) {
        let _ = wake;
    }
    /// Keeps an update file (by its file name) where every replica reads it; a file of that
    /// name is replaced. Returns whether anything changed.
    async fn add_update_file(&self, name: &str, text: &str) -> Result<bool, StoreError>;
    /// The update files kept with [`Store::add_update_file`], as (file name, text), by name.
    async fn update_files(&self) -> Result<Vec<(String, String)>, StoreError>;
}

/// Where the data lives: a `postgres://` (or `postgresql://`) URL means PostgreSQL, anything
/// else is a SQLite file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_string())
        } else {
            Location::Sqlite(s.into())
        }
    }
}

impl std::fmt::Display for Location {
    /// The path, or the URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => f.write_str(&postgres::redact(url)),
        }
    }
}

/// Opens (creating and migrating if needed) the store at `location`.
pub async fn open(location: &Location) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    Ok(match location {
        Location::Sqlite(path) => std::sync::Arc::new(SqliteStore::open(path).await?),
        Location::Postgres(url) => std::sync::Arc::new(PgStore::connect(url).await?),
    })
}

/// A fresh claim token: unique across processes and restarts (process id, time, counter).
pub(crate) fn claim_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Reads stored message parts; empty when they cannot be read (the worker then gives up on the
/// row rather than sending nothing and calling it delivered).
pub(crate) fn parse_parts(json: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(json)
        .ok()
        .filter(|parts| parts.iter().all(|p| !p.trim().is_empty()))
        .unwrap_or_default()
}

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Microseconds from the database as a wait (a time already past is no wait).
pub(crate) fn micros(d: i64) -> Duration {
    Duration::from_micros(d.max(0) as u64)
}

/// Counts pacing calls; every 10,000th is the moment to forget chats whose spacing ended a
/// minute ago (the spacing table would otherwise keep a row for every chat ever sent to).
#[derive(Debug, Default)]
pub(crate) struct SweepClock(std::sync::atomic::AtomicU32);

impl SweepClock {
    pub(crate) fn tick(&self) -> bool {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 10_000 == 9_999
    }
}
