//! The SQLite engine: one file in WAL mode, the default for one machine. Every call runs on a
//! blocking thread (a database file blocks), one connection behind a std mutex (each call is
//! short; a second process on the same file waits on SQLite's own lock, `busy_timeout`).
//!
//! Times come from this machine's clock: every process that opens the file shares it. The pacer
//! and per-chat spacing live in the file too, so two processes on one file (an overlapping
//! deploy) share one budget as replicas on PostgreSQL do.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Budget, ChatStatus, Claimed, Pace, Store, StoreError, Subscriber, SweepClock, UpdateProgress,
    claim_token, micros, ms, parse_parts, us,
};

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
    // Claims (a token and a lease per row), the parts already sent, deliveries given up, and
    // the shared pacer: the broadcast slot and each chat's next allowed message.
    "ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE outbox ADD COLUMN claim TEXT;
     ALTER TABLE outbox ADD COLUMN lease_ms INTEGER;
     CREATE INDEX outbox_claim ON outbox (claim);
     CREATE INDEX outbox_chat ON outbox (chat_id);
     CREATE TABLE failed (
        update_id TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (update_id, chat_id)
     );
     CREATE TABLE pacer (name TEXT PRIMARY KEY, next_us INTEGER NOT NULL);
     CREATE TABLE chat_pace (chat_id INTEGER PRIMARY KEY, next_us INTEGER NOT NULL);",
];

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(us)
        .unwrap_or(0)
}

fn now_ms() -> i64 {
    now_us() / 1000
}

/// The file's identity (device, inode), to notice it being deleted or replaced.
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

struct Inner {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// The file's identity when opened; `None` for a database that is not a file.
    identity: Option<(u64, u64)>,
    /// When to sweep idle chats from `chat_pace`.
    sweep: SweepClock,
    /// When claims of processes that are gone were last looked for (ms since the epoch).
    orphans_checked_ms: AtomicI64,
}

/// SQLite in one file, WAL mode.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

fn busy() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some("the database stayed locked for 30 s".into()),
    )
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database; a corrupt or unwritable file is an
    /// error here, at start, not later. Runs on a blocking thread.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path))
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?
    }

    /// [`SqliteStore::open`] on the calling thread.
    pub fn open_blocking(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        Self::init(&conn).map_err(open_err)?;
        Ok(Self::wrap(conn, path))
    }

    fn wrap(conn: Connection, path: &Path) -> SqliteStore {
        SqliteStore {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                path: path.to_path_buf(),
                identity: identity(path),
                sweep: SweepClock::default(),
                orphans_checked_ms: AtomicI64::new(0),
            }),
        }
    }

    fn init(conn: &Connection) -> Result<(), rusqlite::Error> {
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(check),
            ));
        }
        // Each migration in a write transaction that reads the version again: two processes
        // starting together on one file run each migration once.
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let step = (|| {
                let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                if version <= i {
                    conn.execute_batch(sql)?;
                    conn.pragma_update(None, "user_version", i + 1)?;
                }
                conn.execute_batch("COMMIT")
            })();
            if let Err(e) = step {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        Ok(())
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
        conn.busy_timeout(Duration::from_secs(5))
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
        Ok(Self::wrap(conn, path))
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
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    // Busy: a lock SQLite needs for a moment (WAL recovery, a checkpoint).
                    _ if std::time::Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    _ => return Err(busy()),
                }
            }
            Ok(())
        })?;
        target.pragma_update(None, "journal_mode", "DELETE")?;
        target.close().map_err(|(_, e)| StoreError::Sql(e))
    }

    /// Runs `f` on the connection, on this thread, after checking the file is still the one
    /// opened (a deleted database would otherwise take writes that vanish at the next start).
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let inner = &self.inner;
        if inner.identity.is_some() && identity(&inner.path) != inner.identity {
            return Err(StoreError::FileGone(inner.path.display().to_string()));
        }
        let mut guard = match inner.conn.lock() {
            Ok(g) => g,
            // A panic mid-call rolled its transaction back; the connection is still sound.
            Err(p) => p.into_inner(),
        };
        Ok(f(&mut guard)?)
    }

    /// [`SqliteStore::with`] on a blocking thread.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.with(f))
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?
    }
}

fn immediate(c: &mut Connection) -> Result<rusqlite::Transaction<'_>, rusqlite::Error> {
    c.transaction_with_behavior(TransactionBehavior::Immediate)
}

fn chat_next(tx: &Connection, chat: i64) -> Result<i64, rusqlite::Error> {
    Ok(tx
        .query_row(
            "SELECT next_us FROM chat_pace WHERE chat_id = ?1",
            [chat],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

fn set_chat_next(tx: &Connection, chat: i64, next: i64) -> Result<(), rusqlite::Error> {
    tx.execute(
        "INSERT INTO chat_pace (chat_id, next_us) VALUES (?1, ?2)
         ON CONFLICT (chat_id) DO UPDATE SET next_us = excluded.next_us",
        params![chat, next],
    )?;
    Ok(())
}

/// Removes the owed row if `claim` still holds it; whether it did.
fn take_claimed(
    tx: &Connection,
    update: &str,
    chat: i64,
    claim: &str,
) -> Result<bool, rusqlite::Error> {
    Ok(tx.execute(
        "DELETE FROM outbox WHERE update_id = ?1 AND chat_id = ?2 AND claim = ?3",
        params![update, chat, claim],
    )? == 1)
}

const BROADCAST: &str = "broadcast";

fn pacer_next(tx: &Connection) -> Result<i64, rusqlite::Error> {
    Ok(tx
        .query_row(
            "SELECT next_us FROM pacer WHERE name = ?1",
            [BROADCAST],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

fn set_pacer_next(tx: &Connection, next: i64) -> Result<(), rusqlite::Error> {
    tx.execute(
        "INSERT INTO pacer (name, next_us) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET next_us = excluded.next_us",
        params![BROADCAST, next],
    )?;
    Ok(())
}

/// How often claims of processes that are gone are looked for.
const ORPHAN_CHECK_MS: i64 = 10_000;

/// Gives back the rows claimed by processes of this machine that are no longer running (a
/// SQLite file has one machine's processes only; a claim token starts with its process id).
/// Without this a restart after a crash would wait for the dead process's leases to run out.
fn release_orphans(tx: &Connection) -> Result<(), rusqlite::Error> {
    if !Path::new("/proc/self").exists() {
        return Ok(());
    }
    let claims: Vec<String> = tx
        .prepare("SELECT DISTINCT claim FROM outbox WHERE claim IS NOT NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for claim in claims {
        let Some(pid) = claim.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let n = tx.execute(
                "UPDATE outbox SET claim = NULL, lease_ms = NULL WHERE claim = ?1",
                [&claim],
            )?;
            log::warn!(
                "outbox: {n} message(s) claimed by process {pid}, which is no longer running,                  are owed again"
            );
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.call(|c| {
            c.execute(
                "INSERT INTO pacer (name, next_us) VALUES ('readiness', ?1)
                 ON CONFLICT (name) DO UPDATE SET next_us = excluded.next_us",
                [now_us()],
            )?;
            Ok(())
        })
        .await
    }

    async fn subscribe(&self, chat: i64) -> Result<bool, StoreError> {
        self.call(move |c| {
            Ok(c.execute(
                "INSERT OR IGNORE INTO subscriptions (chat_id, since_ms) VALUES (?1, ?2)",
                params![chat, now_ms()],
            )? == 1)
        })
        .await
    }

    async fn unsubscribe(&self, chat: i64) -> Result<bool, StoreError> {
        self.call(move |c| {
            let tx = immediate(c)?;
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
        .await
    }

    async fn status(&self, chat: i64) -> Result<ChatStatus, StoreError> {
        self.call(move |c| {
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
        .await
    }

    async fn migrate(&self, old: i64, new: i64) -> Result<(), StoreError> {
        if old == new {
            return Ok(());
        }
        self.call(move |c| {
            let tx = immediate(c)?;
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
                "UPDATE OR IGNORE outbox SET chat_id = ?2, due_ms = 0, claim = NULL, lease_ms = NULL
                 WHERE chat_id = ?1",
                params![old, new],
            )?;
            tx.execute("DELETE FROM outbox WHERE chat_id = ?1", [old])?;
            tx.commit()
        })
        .await
    }

    async fn publish(&self, update: &str, parts: &[String]) -> Result<usize, StoreError> {
        let parts = serde_json::to_string(parts).unwrap_or_else(|_| "[]".into());
        let update = update.to_string();
        self.call(move |c| {
            let tx = immediate(c)?;
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
        .await
    }

    async fn is_published(&self, update: &str) -> Result<bool, StoreError> {
        let update = update.to_string();
        self.call(move |c| {
            c.query_row(
                "SELECT 1 FROM published WHERE update_id = ?1",
                [update],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
        })
        .await
    }

    async fn claim(&self, limit: usize, lease: Duration) -> Result<Vec<Claimed>, StoreError> {
        let token = claim_token();
        let last = self.inner.orphans_checked_ms.load(Ordering::Relaxed);
        let orphans = now_ms() - last >= ORPHAN_CHECK_MS;
        if orphans {
            self.inner
                .orphans_checked_ms
                .store(now_ms(), Ordering::Relaxed);
        }
        self.call(move |c| {
            let tx = immediate(c)?;
            if orphans {
                release_orphans(&tx)?;
            }
            let now = now_ms();
            let mut rows = Vec::new();
            {
                let mut stmt = tx.prepare_cached(
                    "UPDATE outbox SET claim = ?1, lease_ms = ?2 + ?3
                     WHERE rowid IN (
                        SELECT rowid FROM outbox
                        WHERE due_ms <= ?2 AND (lease_ms IS NULL OR lease_ms < ?2)
                        ORDER BY due_ms, rowid LIMIT ?4)
                     RETURNING update_id, chat_id, attempts, parts_sent",
                )?;
                let mut q = stmt.query(params![token, now, ms(lease), limit as i64])?;
                while let Some(r) = q.next()? {
                    rows.push((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, u32>(3)?,
                    ));
                }
            }
            let mut parts = std::collections::HashMap::<String, Vec<String>>::new();
            let mut claimed = Vec::with_capacity(rows.len());
            for (update, chat, attempts, parts_sent) in rows {
                if !parts.contains_key(&update) {
                    let json: Option<String> = tx
                        .query_row(
                            "SELECT parts FROM published WHERE update_id = ?1",
                            [&update],
                            |r| r.get(0),
                        )
                        .optional()?;
                    parts.insert(update.clone(), parse_parts(json.as_deref().unwrap_or("")));
                }
                claimed.push(Claimed {
                    parts: parts[&update].clone(),
                    update,
                    chat,
                    attempts,
                    parts_sent,
                    claim: token.clone(),
                });
            }
            tx.commit()?;
            Ok(claimed)
        })
        .await
    }

    async fn next_due(&self) -> Result<Option<Duration>, StoreError> {
        self.call(|c| {
            let at: Option<i64> = c.query_row(
                "SELECT MIN(MAX(due_ms, COALESCE(lease_ms, 0))) FROM outbox",
                [],
                |r| r.get(0),
            )?;
            Ok(at.map(|at| Duration::from_millis((at - now_ms()).max(0) as u64)))
        })
        .await
    }

    async fn part_sent(&self, d: &Claimed, parts_sent: u32) -> Result<bool, StoreError> {
        let (update, chat, claim) = (d.update.clone(), d.chat, d.claim.clone());
        self.call(move |c| {
            Ok(c.execute(
                "UPDATE outbox SET parts_sent = ?4
                 WHERE update_id = ?1 AND chat_id = ?2 AND claim = ?3",
                params![update, chat, claim, parts_sent],
            )? == 1)
        })
        .await
    }

    async fn complete(&self, d: &Claimed) -> Result<bool, StoreError> {
        let (update, chat, claim) = (d.update.clone(), d.chat, d.claim.clone());
        self.call(move |c| {
            let tx = immediate(c)?;
            let held = take_claimed(&tx, &update, chat, &claim)?;
            if held {
                tx.execute(
                    "INSERT OR IGNORE INTO deliveries (update_id, chat_id, at_ms)
                     VALUES (?1, ?2, ?3)",
                    params![update, chat, now_ms()],
                )?;
                tx.execute(
                    "UPDATE subscriptions SET delivered = delivered + 1 WHERE chat_id = ?1",
                    [chat],
                )?;
            }
            tx.commit()?;
            Ok(held)
        })
        .await
    }

    async fn reschedule(
        &self,
        d: &Claimed,
        after: Duration,
        failed: bool,
    ) -> Result<bool, StoreError> {
        let (update, chat, claim) = (d.update.clone(), d.chat, d.claim.clone());
        self.call(move |c| {
            Ok(c.execute(
                "UPDATE outbox SET claim = NULL, lease_ms = NULL, due_ms = ?4,
                        attempts = attempts + ?5
                 WHERE update_id = ?1 AND chat_id = ?2 AND claim = ?3",
                params![
                    update,
                    chat,
                    claim,
                    now_ms().saturating_add(ms(after)),
                    failed as i64
                ],
            )? == 1)
        })
        .await
    }

    async fn give_up(&self, d: &Claimed, reason: &str) -> Result<bool, StoreError> {
        let (update, chat, claim) = (d.update.clone(), d.chat, d.claim.clone());
        let reason = reason.to_string();
        self.call(move |c| {
            let tx = immediate(c)?;
            let held = take_claimed(&tx, &update, chat, &claim)?;
            if held {
                tx.execute(
                    "INSERT OR REPLACE INTO failed (update_id, chat_id, at_ms, reason)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![update, chat, now_ms(), reason],
                )?;
            }
            tx.commit()?;
            Ok(held)
        })
        .await
    }

    async fn pace_broadcast(&self, chat: i64, budget: &Budget) -> Result<Pace, StoreError> {
        let budget = *budget;
        let sweep = self.inner.sweep.tick();
        self.call(move |c| {
            let tx = immediate(c)?;
            let now = now_us();
            if sweep {
                tx.execute(
                    "DELETE FROM chat_pace WHERE next_us < ?1",
                    [now - 60_000_000],
                )?;
            }
            let chat_at = chat_next(&tx, chat)?;
            if chat_at > now {
                return Ok(Pace::ChatBusy(micros(chat_at - now)));
            }
            let slot = pacer_next(&tx)?.max(now);
            if slot - now > us(budget.horizon) {
                let wait = (slot - now - us(budget.horizon)).max(1000);
                return Ok(Pace::Full(micros(wait)));
            }
            set_pacer_next(&tx, slot + us(budget.period))?;
            set_chat_next(&tx, chat, slot + us(budget.gap(chat)))?;
            tx.commit()?;
            Ok(Pace::Go(micros(slot - now)))
        })
        .await
    }

    async fn pace_reply(&self, chat: i64, gap: Duration) -> Result<Duration, StoreError> {
        self.call(move |c| {
            let tx = immediate(c)?;
            let now = now_us();
            let at = chat_next(&tx, chat)?.max(now);
            set_chat_next(&tx, chat, at + us(gap))?;
            tx.commit()?;
            Ok(micros(at - now))
        })
        .await
    }

    async fn pause(&self, chat: i64, wait: Duration, everyone: bool) -> Result<(), StoreError> {
        self.call(move |c| {
            let tx = immediate(c)?;
            let until = now_us() + us(wait);
            let at = chat_next(&tx, chat)?.max(until);
            set_chat_next(&tx, chat, at)?;
            if everyone {
                let at = pacer_next(&tx)?.max(until);
                set_pacer_next(&tx, at)?;
            }
            tx.commit()
        })
        .await
    }

    async fn subscriber_count(&self) -> Result<u64, StoreError> {
        self.call(|c| c.query_row("SELECT COUNT(*) FROM subscriptions", [], |r| r.get(0)))
            .await
    }

    async fn outbox_len(&self) -> Result<u64, StoreError> {
        self.call(|c| c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0)))
            .await
    }

    async fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        self.call(|c| {
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
        .await
    }

    async fn update_progress(&self) -> Result<Vec<UpdateProgress>, StoreError> {
        // Grouped counts joined to the published updates: one pass over each table.
        self.call(|c| {
            let mut stmt = c.prepare(
                "SELECT p.update_id, p.at_ms,
                        COALESCE(d.n, 0), COALESCE(o.pending, 0), COALESCE(o.retrying, 0),
                        COALESCE(x.n, 0), COALESCE(f.n, 0)
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
                 LEFT JOIN (SELECT update_id, COUNT(*) AS n FROM failed GROUP BY update_id) f
                   ON f.update_id = p.update_id
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
                    failed: r.get(6)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn add_update_file(&self, name: &str, text: &str) -> Result<bool, StoreError> {
        let (name, text) = (name.to_string(), text.to_string());
        self.call(move |c| {
            let changed = c.execute(
                "INSERT INTO update_files (name, text, added_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET text = excluded.text, added_ms = excluded.added_ms
                 WHERE update_files.text <> excluded.text",
                params![name, text, now_ms()],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn update_files(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.call(|c| {
            let mut stmt = c.prepare("SELECT name, text FROM update_files ORDER BY name")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }
}
