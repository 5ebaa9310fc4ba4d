//! Subscriptions and the durable outbox: which chats get updates, which (update, chat) pairs are
//! still owed, and what was delivered — behind the small [`Store`] trait, with SQLite as the
//! default engine.
//!
//! Why an outbox: publishing an update inserts one row per subscribed chat in the same
//! transaction that records the update as published, and a row is removed only after Telegram
//! accepted the message. A crash at any point leaves either the row (sent again later) or the
//! delivery record (never sent again).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

/// Storage failures. Callers treat them as unexpected (logged), never as user mistakes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// What `/subscribe`, `/unsubscribe` and `/status` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionReply {
    Subscribed,
    AlreadySubscribed,
    Unsubscribed,
    WasNotSubscribed,
    Status {
        subscribed: bool,
        delivered: u64,
    },
    /// In a group, only administrators may change the subscription.
    AdminsOnly,
    /// Telegram could not tell whether the sender is an administrator; try again.
    CannotCheckAdmin,
    /// The database failed; the user is told to try again.
    Unavailable,
}

/// `/subscribe`, `/unsubscribe` or `/status`: the commands that act on a chat's subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionCommand {
    Subscribe,
    Unsubscribe,
    Status,
}

impl SubscriptionCommand {
    /// The command `text` gives, if it is one of these addressed to this bot (`/status`,
    /// `/status@ThisBot` with the bot's name in any case, arguments ignored).
    pub fn parse(text: &str, bot_username: &str) -> Option<Self> {
        let rest = text.trim_start().strip_prefix('/')?;
        let head = rest.split(char::is_whitespace).next().unwrap_or(rest);
        let (name, target) = match head.split_once('@') {
            Some((n, t)) => (n, Some(t)),
            None => (head, None),
        };
        if target.is_some_and(|t| !t.eq_ignore_ascii_case(bot_username)) {
            return None;
        }
        match name.to_ascii_lowercase().as_str() {
            "subscribe" => Some(Self::Subscribe),
            "unsubscribe" => Some(Self::Unsubscribe),
            "status" => Some(Self::Status),
            _ => None,
        }
    }

    /// Whether the command changes the subscription (and so needs permission in groups).
    pub fn changes(self) -> bool {
        self != Self::Status
    }
}

/// Whether the sender may change the chat's subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Allowed,
    /// In a group, only administrators may.
    Denied,
    /// Telegram could not say (the administrator check failed).
    Unknown,
}

/// Runs a subscription command for a chat.
pub fn command(
    store: &dyn Store,
    command: SubscriptionCommand,
    chat: i64,
    permission: Permission,
) -> SubscriptionReply {
    use SubscriptionCommand as C;
    let result = match (command, permission) {
        (C::Status, _) => store.status(chat).map(|s| SubscriptionReply::Status {
            subscribed: s.subscribed,
            delivered: s.delivered,
        }),
        (_, Permission::Denied) => Ok(SubscriptionReply::AdminsOnly),
        (_, Permission::Unknown) => Ok(SubscriptionReply::CannotCheckAdmin),
        (C::Subscribe, Permission::Allowed) => store.subscribe(chat).map(|new| {
            if new {
                SubscriptionReply::Subscribed
            } else {
                SubscriptionReply::AlreadySubscribed
            }
        }),
        (C::Unsubscribe, Permission::Allowed) => store.unsubscribe(chat).map(|was| {
            if was {
                SubscriptionReply::Unsubscribed
            } else {
                SubscriptionReply::WasNotSubscribed
            }
        }),
    };
    result.unwrap_or_else(|e| {
        log::error!("subscription command {command:?} in chat {chat}: {e}");
        SubscriptionReply::Unavailable
    })
}

/// A chat's subscription, as `/status` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatStatus {
    pub subscribed: bool,
    /// Updates delivered to this chat so far.
    pub delivered: u64,
}

/// One owed message: `update` to `chat`, with the message as it was rendered when published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub update: String,
    pub chat: i64,
    pub attempts: u32,
    /// Telegram HTML message parts.
    pub parts: Vec<String>,
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

/// Where one published update stands, as the operator's `status` command reports it. The three
/// counts do not overlap: `pending` and `retrying` split what is still in the outbox.
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
}

/// What the bot stores. Implementations must make each method atomic.
pub trait Store: Send + Sync {
    /// Subscribes a chat; `false` if it already was.
    fn subscribe(&self, chat: i64) -> Result<bool, StoreError>;
    /// Unsubscribes a chat and drops what it was still owed; `false` if it was not subscribed.
    fn unsubscribe(&self, chat: i64) -> Result<bool, StoreError>;
    fn status(&self, chat: i64) -> Result<ChatStatus, StoreError>;
    /// Moves a chat's subscription, history and owed messages to a new id (group → supergroup).
    fn migrate(&self, old: i64, new: i64) -> Result<(), StoreError>;
    /// Records an update as published, with its rendered message parts, and owes it to every
    /// current subscriber, once: returns how many deliveries were queued (0 when it was already
    /// published).
    fn publish(&self, update: &str, parts: &[String]) -> Result<usize, StoreError>;
    /// Whether an update was published already.
    fn is_published(&self, update: &str) -> Result<bool, StoreError>;
    /// Owed deliveries whose retry time has come, oldest first.
    fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<Delivery>, StoreError>;
    /// When the earliest owed delivery is due, if any.
    fn next_due(&self) -> Result<Option<i64>, StoreError>;
    /// Telegram accepted the message: remove it from the outbox and count it, atomically.
    fn delivered(&self, update: &str, chat: i64) -> Result<(), StoreError>;
    /// A transient failure: try again at `retry_at_ms`, one attempt more (attempts set the
    /// backoff).
    fn retry_later(&self, update: &str, chat: i64, retry_at_ms: i64) -> Result<(), StoreError>;
    /// Not sent yet, through no failure of the chat (pacing, a flood wait): try at `due_ms`,
    /// attempts unchanged.
    fn postpone(&self, update: &str, chat: i64, due_ms: i64) -> Result<(), StoreError>;
    /// Number of subscribed chats.
    fn subscriber_count(&self) -> Result<u64, StoreError>;
    /// Number of owed deliveries.
    fn outbox_len(&self) -> Result<u64, StoreError>;
    /// Every subscribed chat, oldest subscription first.
    fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError>;
    /// Every published update with its delivery counts, oldest first.
    fn update_progress(&self) -> Result<Vec<UpdateProgress>, StoreError>;
    /// Keeps an update file (by its file name) where every replica reads it; a file of that
    /// name is replaced. Returns whether anything changed.
    fn add_update_file(&self, name: &str, text: &str) -> Result<bool, StoreError>;
    /// The update files kept with [`Store::add_update_file`], as (file name, text), by name.
    fn update_files(&self) -> Result<Vec<(String, String)>, StoreError>;
}

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE subscriptions (
        chat_id INTEGER PRIMARY KEY,
        since_ms INTEGER NOT NULL,
        delivered INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE published (
        update_id TEXT PRIMARY KEY,
        at_ms INTEGER NOT NULL
     );
     CREATE TABLE outbox (
        update_id TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        due_ms INTEGER NOT NULL,
        PRIMARY KEY (update_id, chat_id)
     );
     CREATE INDEX outbox_due ON outbox (due_ms);
     CREATE TABLE deliveries (
        update_id TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        PRIMARY KEY (update_id, chat_id)
     );",
    // The message is stored when published, so a delivery never depends on files that may
    // have changed since (one JSON array of HTML parts).
    "ALTER TABLE published ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';",
    // Update files published through the database (`publish FILE`, or a file a replica found in
    // its folder): the one place every replica reads them from.
    "CREATE TABLE update_files (
        name TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        added_ms INTEGER NOT NULL
     );",
    // Owed messages dropped because their chat unsubscribed (or was found gone) first, so
    // `status` can tell them apart from those delivered or still owed.
    "CREATE TABLE dropped (
        update_id TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        PRIMARY KEY (update_id, chat_id)
     );",
];

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// SQLite in one file, WAL mode; a std mutex serialises access (each call is short and
/// synchronous, so a tokio mutex would buy nothing).
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database; a corrupt or unwritable file is an
    /// error here, at start, not later.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        Self::init(conn).map_err(open_err)
    }

    fn init(mut conn: Connection) -> Result<SqliteStore, rusqlite::Error> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(check),
            ));
        }
        let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        // Prove the file is writable now rather than at the first subscription.
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    /// Opens an existing database for reading only: no migration, no write, no lock a running
    /// bot could wait on, so the operator's commands can run beside it. In WAL mode (which the
    /// bot sets) a reader sees the last committed state and never waits for a writer; the busy
    /// timeout covers the moments SQLite itself needs (e.g. recovering the WAL after a crash).
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        use rusqlite::OpenFlags;
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        // A file the bot never set up has no schema to read: say so here, not as "no such table".
        let version: usize = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        if version == 0 {
            return Err(open_err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB),
                Some("not a trade-talks-bot database (no schema)".into()),
            )));
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    /// Copies the whole database to `dest` with SQLite's online backup API, as one consistent
    /// snapshot: the copy is made inside one read transaction, which in WAL mode neither waits
    /// for nor blocks the bot's writes (copying page by page instead would restart whenever the
    /// bot wrote, and might never finish on a busy bot). `dest` is written as it is; the caller
    /// chooses the file (and whether it may replace one). The copy is left in rollback-journal
    /// mode, one self-contained file; the bot turns WAL on again when it opens it.
    pub fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        use rusqlite::backup::{Backup, StepResult};
        let open_err = |source| StoreError::Open {
            path: dest.display().to_string(),
            source,
        };
        let mut target = Connection::open(dest).map_err(open_err)?;
        self.with(|source| {
            let backup = Backup::new(source, &mut target)?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    // Busy: a lock SQLite needs for a moment (WAL recovery, a checkpoint).
                    _ if std::time::Instant::now() < deadline => {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    _ => {
                        return Err(rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                            Some("the database stayed locked for 30 s".into()),
                        ));
                    }
                }
            }
            Ok(())
        })?;
        target.pragma_update(None, "journal_mode", "DELETE")?;
        target.close().map_err(|(_, e)| StoreError::Sql(e))
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let mut guard = match self.conn.lock() {
            Ok(g) => g,
            // A panic mid-call rolled its transaction back; the connection is still sound.
            Err(p) => p.into_inner(),
        };
        Ok(f(&mut guard)?)
    }
}

impl Store for SqliteStore {
    fn subscribe(&self, chat: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            Ok(c.execute(
                "INSERT OR IGNORE INTO subscriptions (chat_id, since_ms) VALUES (?1, ?2)",
                params![chat, now_ms()],
            )? == 1)
        })
    }

    fn unsubscribe(&self, chat: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute("DELETE FROM subscriptions WHERE chat_id = ?1", [chat])?;
            tx.execute(
                "INSERT OR IGNORE INTO dropped (update_id, chat_id, at_ms)
                 SELECT update_id, chat_id, ?2 FROM outbox WHERE chat_id = ?1",
                params![chat, now_ms()],
            )?;
            tx.execute("DELETE FROM outbox WHERE chat_id = ?1", [chat])?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn status(&self, chat: i64) -> Result<ChatStatus, StoreError> {
        self.with(|c| {
            let delivered: Option<i64> = c
                .query_row(
                    "SELECT delivered FROM subscriptions WHERE chat_id = ?1",
                    [chat],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(ChatStatus {
                subscribed: delivered.is_some(),
                delivered: delivered.unwrap_or(0) as u64,
            })
        })
    }

    fn migrate(&self, old: i64, new: i64) -> Result<(), StoreError> {
        if old == new {
            return Ok(());
        }
        self.with(|c| {
            let tx = c.transaction()?;
            // If both ids somehow exist, keep one subscription with the counts added up.
            let old_row: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT since_ms, delivered FROM subscriptions WHERE chat_id = ?1",
                    [old],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((since, delivered)) = old_row {
                tx.execute(
                    "INSERT INTO subscriptions (chat_id, since_ms, delivered) VALUES (?1, ?2, ?3)
                     ON CONFLICT(chat_id) DO UPDATE SET delivered = delivered + excluded.delivered",
                    params![new, since, delivered],
                )?;
                tx.execute("DELETE FROM subscriptions WHERE chat_id = ?1", [old])?;
            }
            tx.execute(
                "UPDATE OR IGNORE deliveries SET chat_id = ?2 WHERE chat_id = ?1",
                params![old, new],
            )?;
            // An owed update the new id already received is not owed twice.
            tx.execute(
                "DELETE FROM outbox WHERE chat_id = ?1 AND update_id IN
                   (SELECT update_id FROM deliveries WHERE chat_id = ?2)",
                params![old, new],
            )?;
            tx.execute(
                "UPDATE OR IGNORE outbox SET chat_id = ?2, due_ms = 0 WHERE chat_id = ?1",
                params![old, new],
            )?;
            tx.execute("DELETE FROM outbox WHERE chat_id = ?1", [old])?;
            tx.commit()
        })
    }

    fn publish(&self, update: &str, parts: &[String]) -> Result<usize, StoreError> {
        let parts = serde_json::to_string(parts).unwrap_or_else(|_| "[]".into());
        self.with(|c| {
            let tx = c.transaction()?;
            let now = now_ms();
            if tx.execute(
                "INSERT OR IGNORE INTO published (update_id, at_ms, parts) VALUES (?1, ?2, ?3)",
                params![update, now, parts],
            )? == 0
            {
                return Ok(0);
            }
            let n = tx.execute(
                "INSERT OR IGNORE INTO outbox (update_id, chat_id, due_ms)
                 SELECT ?1, chat_id, ?2 FROM subscriptions",
                params![update, now],
            )?;
            tx.commit()?;
            Ok(n)
        })
    }

    fn is_published(&self, update: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT 1 FROM published WHERE update_id = ?1",
                [update],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
        })
    }

    fn due(&self, now: i64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT o.update_id, o.chat_id, o.attempts, p.parts
                 FROM outbox o JOIN published p ON p.update_id = o.update_id
                 WHERE o.due_ms <= ?1 ORDER BY o.due_ms, o.rowid LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![now, limit as i64], |r| {
                let parts: String = r.get(3)?;
                Ok(Delivery {
                    update: r.get(0)?,
                    chat: r.get(1)?,
                    attempts: r.get(2)?,
                    parts: serde_json::from_str(&parts).unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
    }

    fn next_due(&self) -> Result<Option<i64>, StoreError> {
        self.with(|c| c.query_row("SELECT MIN(due_ms) FROM outbox", [], |r| r.get(0)))
    }

    fn delivered(&self, update: &str, chat: i64) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let owed = tx.execute(
                "DELETE FROM outbox WHERE update_id = ?1 AND chat_id = ?2",
                params![update, chat],
            )?;
            if owed == 1 {
                tx.execute(
                    "INSERT OR IGNORE INTO deliveries (update_id, chat_id, at_ms) VALUES (?1, ?2, ?3)",
                    params![update, chat, now_ms()],
                )?;
                tx.execute(
                    "UPDATE subscriptions SET delivered = delivered + 1 WHERE chat_id = ?1",
                    [chat],
                )?;
            }
            tx.commit()
        })
    }

    fn retry_later(&self, update: &str, chat: i64, retry_at_ms: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET attempts = attempts + 1, due_ms = ?3
                 WHERE update_id = ?1 AND chat_id = ?2",
                params![update, chat, retry_at_ms],
            )?;
            Ok(())
        })
    }

    fn postpone(&self, update: &str, chat: i64, due_ms: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET due_ms = ?3 WHERE update_id = ?1 AND chat_id = ?2",
                params![update, chat, due_ms],
            )?;
            Ok(())
        })
    }

    fn subscriber_count(&self) -> Result<u64, StoreError> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM subscriptions", [], |r| r.get(0)))
    }

    fn outbox_len(&self) -> Result<u64, StoreError> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0)))
    }

    fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT chat_id, since_ms, delivered FROM subscriptions ORDER BY since_ms, chat_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Subscriber {
                    chat: r.get(0)?,
                    since_ms: r.get(1)?,
                    delivered: r.get(2)?,
                })
            })?;
            rows.collect()
        })
    }

    fn add_update_file(&self, name: &str, text: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let changed = c.execute(
                "INSERT INTO update_files (name, text, added_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET text = excluded.text, added_ms = excluded.added_ms
                 WHERE update_files.text <> excluded.text",
                params![name, text, now_ms()],
            )?;
            Ok(changed > 0)
        })
    }

    fn update_files(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT name, text FROM update_files ORDER BY name")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    fn update_progress(&self) -> Result<Vec<UpdateProgress>, StoreError> {
        // Grouped counts joined to the published updates: one pass over each table.
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT p.update_id, p.at_ms,
                        COALESCE(d.n, 0), COALESCE(o.pending, 0), COALESCE(o.retrying, 0),
                        COALESCE(x.n, 0)
                 FROM published p
                 LEFT JOIN (SELECT update_id, COUNT(*) AS n FROM deliveries GROUP BY update_id) d
                   ON d.update_id = p.update_id
                 LEFT JOIN (SELECT update_id,
                                   SUM(attempts = 0) AS pending,
                                   SUM(attempts > 0) AS retrying
                            FROM outbox GROUP BY update_id) o
                   ON o.update_id = p.update_id
                 LEFT JOIN (SELECT update_id, COUNT(*) AS n FROM dropped GROUP BY update_id) x
                   ON x.update_id = p.update_id
                 ORDER BY p.at_ms, p.update_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(UpdateProgress {
                    update: r.get(0)?,
                    published_ms: r.get(1)?,
                    sent: r.get(2)?,
                    pending: r.get(3)?,
                    retrying: r.get(4)?,
                    unsubscribed: r.get(5)?,
                })
            })?;
            rows.collect()
        })
    }
}

/// Current time in milliseconds since the epoch, as the store's `due` expects.
pub fn now() -> i64 {
    now_ms()
}
