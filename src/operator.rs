//! The operator's commands — `subscribers`, `status` and `backup` — which read the bot's database
//! while the bot runs.
//!
//! Why they only read: the bot writes to the same SQLite file at any moment, so these commands
//! open it read-only ([`SqliteStore::open_read_only`]: no migration, no write lock) and, in the
//! WAL mode the bot sets, see the last committed state without waiting for the bot's writes.
//! On PostgreSQL they connect like a replica and only read.
//! Everything here returns the text to print, so the command line stays a thin layer.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::knowledge::{Knowledge, KnowledgeFiles, LoadError};
use std::sync::Arc;

use crate::store::{Location, SqliteStore, Store, StoreError, Subscriber, UpdateProgress};

/// Why an operator command could not do its work; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error(
        "no database at {0} (the bot creates it when it first starts; --db or TRADE_TALKS_DB selects another)"
    )]
    NoDatabase(String),
    #[error("{0} exists; add --force to replace it")]
    Exists(String),
    #[error("{0} is the database itself; choose another file")]
    SameFile(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("backup copies a SQLite file; back up PostgreSQL with pg_dump (see the README)")]
    NotSqlite,
}

/// Opens the bot's database for reading, beside a running bot. A missing file is an error
/// rather than a new empty database: the operator most likely gave the wrong path.
pub async fn open_db(location: &Location) -> Result<Arc<dyn Store>, OperatorError> {
    match location {
        Location::Sqlite(path) => Ok(Arc::new(open_sqlite(path)?)),
        Location::Postgres(url) => Ok(Arc::new(crate::store::PgStore::connect(url).await?)),
    }
}

fn open_sqlite(path: &Path) -> Result<SqliteStore, OperatorError> {
    if !path.is_file() {
        return Err(OperatorError::NoDatabase(path.display().to_string()));
    }
    Ok(SqliteStore::open_read_only(path)?)
}

/// The folder [`crate::engine::load_knowledge`] reads (and the bot watches): the one given, else
/// `./knowledge` when it has a `facts.toml` (of any kind, as `load` decides); `None` means the
/// copy built into the binary.
pub fn knowledge_folder(dir: Option<&Path>) -> Option<PathBuf> {
    match dir {
        Some(d) => Some(d.to_path_buf()),
        None => {
            let d = Path::new("knowledge");
            std::fs::symlink_metadata(d.join("facts.toml"))
                .is_ok()
                .then(|| d.to_path_buf())
        }
    }
}

/// The knowledge files [`crate::engine::load_knowledge`] would read, kept so `status` can name their
/// version.
pub fn knowledge_files(dir: Option<&Path>) -> Result<KnowledgeFiles, LoadError> {
    match knowledge_folder(dir) {
        Some(d) => KnowledgeFiles::read_dir(&d),
        None => Ok(KnowledgeFiles::builtin()),
    }
}

/// What kind of chat an id is, from Telegram's id ranges: positive ids are users, ids at or below
/// -1 000 000 000 000 are supergroups and channels (-100… prefix), other negatives basic groups.
pub fn chat_kind(chat: i64) -> &'static str {
    match chat {
        c if c > 0 => "private",
        c if c <= -1_000_000_000_000 => "supergroup-or-channel",
        c if c < 0 => "group",
        _ => "unknown",
    }
}

/// Milliseconds since the epoch as UTC (year, month, day, hour, minute, second), by the
/// days-to-civil algorithm (Howard Hinnant's), so no date crate is needed for two formats.
fn utc(ms: i64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    (year, month, day, h as u32, m as u32, s as u32)
}

/// `2025-06-20 14:03:11`, for tables headed "(UTC)".
fn utc_table(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = utc(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// `2025-06-20T14:03:11Z` (RFC 3339), for JSON.
fn utc_json(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = utc(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// A short version of the knowledge files' contents: the first 12 hex digits of a 64-bit FNV-1a
/// hash of each file's name (without its folder), length and bytes, in loading order. Written
/// out because std's hasher may change between Rust versions, and the version must not: the
/// same files give the same version on every build, wherever the folder is.
pub fn content_version(files: &KnowledgeFiles) -> String {
    fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
        bytes.iter().fold(hash, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
    let mut hash = 0xcbf2_9ce4_8422_2325;
    let fixed = [&files.article, &files.facts, &files.lexicon];
    for (name, text) in fixed.into_iter().chain(&files.updates) {
        let base = Path::new(name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        hash = fnv1a(hash, base.as_bytes());
        hash = fnv1a(hash, &[0]);
        hash = fnv1a(hash, &(text.len() as u64).to_le_bytes());
        hash = fnv1a(hash, text.as_bytes());
    }
    format!("{hash:016x}")[..12].to_string()
}

/// Rows as an aligned table: columns separated by two spaces, those marked in `right`
/// right-aligned (numbers), the last one not padded.
fn table(rows: &[Vec<String>], right: &[bool]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i].saturating_sub(cell.chars().count());
            let last = i + 1 == row.len();
            if right.get(i).copied().unwrap_or(false) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if !last {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `subscribers`: an aligned table (chat, kind, since, delivered) and a count line.
pub fn subscribers_table(subscribers: &[Subscriber]) -> String {
    if subscribers.is_empty() {
        return "no subscribed chats".into();
    }
    let mut rows = vec![vec![
        "chat".to_string(),
        "kind".into(),
        "since (UTC)".into(),
        "delivered".into(),
    ]];
    rows.extend(subscribers.iter().map(|s| {
        vec![
            s.chat.to_string(),
            chat_kind(s.chat).into(),
            utc_table(s.since_ms),
            s.delivered.to_string(),
        ]
    }));
    let n = subscribers.len();
    format!(
        "{}{n} subscribed chat{}",
        table(&rows, &[true, false, false, true]),
        if n == 1 { "" } else { "s" }
    )
}

/// `subscribers --json`: one object per line with the fields `chat`, `kind`, `since` (RFC 3339,
/// UTC) and `delivered`; nothing at all when there are no subscribers.
pub fn subscribers_json(subscribers: &[Subscriber]) -> String {
    subscribers
        .iter()
        .map(|s| {
            json!({
                "chat": s.chat,
                "kind": chat_kind(s.chat),
                "since": utc_json(s.since_ms),
                "delivered": s.delivered,
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line of `status`'s update list: an update known to the knowledge, the database or both.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UpdateLine {
    id: String,
    /// From the knowledge files; `None` when the update was published but is not in them (its
    /// file removed, or another folder).
    title: Option<String>,
    date: Option<String>,
    /// `None`: in the knowledge but not published yet (the bot publishes it when it loads it).
    progress: Option<UpdateProgress>,
}

/// What `status` reports: the knowledge on disk and each update's delivery progress.
#[derive(Debug)]
pub struct Status {
    origin: String,
    builtin: bool,
    version: String,
    sentences: usize,
    topics: usize,
    facts: usize,
    knowledge_updates: usize,
    /// Update files the loader set aside as invalid (the rest loaded): each file's name and
    /// its problems as `file:line: reason`. The running bot rejects the same files.
    rejected: Vec<(String, Vec<String>)>,
    database: String,
    subscribers: u64,
    outbox: u64,
    updates: Vec<UpdateLine>,
}

/// Gathers `status`: the knowledge (`kb`, loaded from `files`) and the database's counts. Reads
/// a few grouped counts; nothing here grows with the number of chats.
pub async fn status(
    kb: &Knowledge,
    files: &KnowledgeFiles,
    store: &dyn Store,
    database: &Location,
) -> Result<Status, StoreError> {
    let progress = store.update_progress().await?;
    let mut updates: Vec<UpdateLine> = progress
        .into_iter()
        .map(|p| {
            let known = kb.update(&p.update);
            UpdateLine {
                id: p.update.clone(),
                title: known.map(|u| u.title.clone()),
                date: known.map(|u| u.date.clone()),
                progress: Some(p),
            }
        })
        .collect();
    for u in &kb.updates {
        if !updates.iter().any(|l| l.id == u.id) {
            updates.push(UpdateLine {
                id: u.id.clone(),
                title: Some(u.title.clone()),
                date: Some(u.date.clone()),
                progress: None,
            });
        }
    }
    Ok(Status {
        origin: kb.origin.clone(),
        builtin: files.origin == KnowledgeFiles::builtin().origin,
        version: content_version(files),
        sentences: kb.sentences.len(),
        topics: kb.topics.len(),
        facts: kb.facts.len(),
        knowledge_updates: kb.updates.len(),
        rejected: kb
            .rejected
            .iter()
            .map(|r| {
                let problems = r.problems.iter().map(|p| p.to_string()).collect();
                (r.file.clone(), problems)
            })
            .collect(),
        database: database.to_string(),
        subscribers: store.subscriber_count().await?,
        outbox: store.outbox_len().await?,
        updates,
    })
}

impl Status {
    /// The human-readable report.
    pub fn text(&self) -> String {
        let mut out = format!(
            "knowledge: {}{}, version {}\n  {} sentences, {} topics, {} facts, {} updates\n",
            self.origin,
            if self.builtin { "" } else { " (folder)" },
            self.version,
            self.sentences,
            self.topics,
            self.facts,
            self.knowledge_updates
        );
        if self.rejected.is_empty() {
            out.push_str("  rejected update files: none\n");
        } else {
            out.push_str("  rejected update files (not loaded, not published):\n");
            for (_, problems) in &self.rejected {
                for p in problems {
                    out.push_str(&format!("    {p}\n"));
                }
            }
        }
        out.push_str(&format!(
            "database: {}\n  {} subscribed chats, {} owed deliveries\n",
            self.database, self.subscribers, self.outbox
        ));
        if self.updates.is_empty() {
            out.push_str("updates: none");
            return out;
        }
        out.push_str("updates:\n");
        let mut rows = vec![vec![
            "update".to_string(),
            "published (UTC)".into(),
            "sent".into(),
            "pending".into(),
            "retrying".into(),
            "unsubscribed".into(),
            "failed".into(),
            "title".into(),
        ]];
        for u in &self.updates {
            let title = u
                .title
                .clone()
                .unwrap_or_else(|| "(not in this knowledge)".into());
            rows.push(match &u.progress {
                Some(p) => vec![
                    u.id.clone(),
                    utc_table(p.published_ms),
                    p.sent.to_string(),
                    p.pending.to_string(),
                    p.retrying.to_string(),
                    p.unsubscribed.to_string(),
                    p.failed.to_string(),
                    title,
                ],
                None => vec![
                    u.id.clone(),
                    "not yet".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    title,
                ],
            });
        }
        let table = table(&rows, &[false, false, true, true, true, true, true, false]);
        for line in table.lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out.pop();
        out
    }

    /// The same as one JSON object (one line). An update not published yet has `published`
    /// null and zero counts.
    pub fn json(&self) -> String {
        let updates: Vec<serde_json::Value> = self
            .updates
            .iter()
            .map(|u| {
                let p = u.progress.as_ref();
                json!({
                    "id": u.id,
                    "title": u.title,
                    "date": u.date,
                    "published": p.map(|p| utc_json(p.published_ms)),
                    "sent": p.map_or(0, |p| p.sent),
                    "pending": p.map_or(0, |p| p.pending),
                    "retrying": p.map_or(0, |p| p.retrying),
                    "unsubscribed": p.map_or(0, |p| p.unsubscribed),
                    "failed": p.map_or(0, |p| p.failed),
                })
            })
            .collect();
        let rejected: Vec<serde_json::Value> = self
            .rejected
            .iter()
            .map(|(file, problems)| json!({ "file": file, "problems": problems }))
            .collect();
        json!({
            "knowledge": {
                "origin": self.origin,
                "builtin": self.builtin,
                "version": self.version,
                "sentences": self.sentences,
                "topics": self.topics,
                "facts": self.facts,
                "updates": self.knowledge_updates,
                "rejected": rejected,
            },
            "database": {
                "path": self.database,
                "subscribers": self.subscribers,
                "outbox": self.outbox,
            },
            "updates": updates,
        })
        .to_string()
    }
}

/// `backup`: copies the database at `db` to `dest` (see [`SqliteStore::backup_to`]) and says
/// what it wrote. The copy is written to a hidden file beside `dest` and renamed into place, so
/// `dest` is never a half-written database; an existing `dest` is replaced only with `force`,
/// and never when it is the database itself.
pub async fn backup(db: &Location, dest: &Path, force: bool) -> Result<String, OperatorError> {
    let Location::Sqlite(db) = db else {
        return Err(OperatorError::NotSqlite);
    };
    let shown = dest.display().to_string();
    if dest.exists() && !force {
        return Err(OperatorError::Exists(shown));
    }
    let store = open_sqlite(db)?;
    let same = match (std::fs::canonicalize(db), std::fs::canonicalize(dest)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(OperatorError::SameFile(shown));
    }
    let io_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| OperatorError::Io { path, source }
    };
    let name = dest
        .file_name()
        .ok_or_else(|| OperatorError::Io {
            path: shown.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        })?
        .to_string_lossy()
        .into_owned();
    // A missing folder is named as such, not as the hidden file below that could not be created.
    let folder = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::metadata(folder).map_err(io_err(folder))?;
    let partial = dest.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let written = store
        .backup_to(&partial)
        .map_err(OperatorError::from)
        .and_then(|()| std::fs::rename(&partial, dest).map_err(io_err(dest)));
    if let Err(e) = written {
        // Best effort: a partial copy is useless, and the error says what went wrong.
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let bytes = std::fs::metadata(dest).map_err(io_err(dest))?.len();
    let copy = SqliteStore::open_read_only(dest)?;
    let (chats, updates, owed) = (
        copy.subscriber_count().await?,
        copy.update_progress().await?.len(),
        copy.outbox_len().await?,
    );
    Ok(format!(
        "wrote {shown}: {chats} subscribed chats, {updates} published updates, {owed} owed deliveries, {bytes} bytes (a snapshot of {})",
        db.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_match_known_instants() {
        assert_eq!(utc_json(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_json(951_825_600_000), "2000-02-29T12:00:00Z");
        assert_eq!(utc_table(1_750_428_191_999), "2025-06-20 14:03:11");
    }

    #[test]
    fn chat_kinds_follow_telegram_id_ranges() {
        assert_eq!(chat_kind(42), "private");
        assert_eq!(chat_kind(-4_000_000), "group");
        assert_eq!(chat_kind(-999_999_999_999), "group");
        assert_eq!(chat_kind(-1_000_000_000_000), "supergroup-or-channel");
        assert_eq!(chat_kind(-1_001_234_567_890), "supergroup-or-channel");
    }

    #[test]
    fn content_version_is_stable_and_sees_every_byte() {
        let files = KnowledgeFiles::builtin();
        let v = content_version(&files);
        assert_eq!(v.len(), 12);
        assert_eq!(v, content_version(&KnowledgeFiles::builtin()));
        let mut changed = files.clone();
        changed.facts.1.push(' ');
        assert_ne!(v, content_version(&changed));
    }
}
