//! The operator's commands through the real binary and a real SQLite file: `subscribers` (table,
//! `--count`, `--json`), `status` (knowledge and per-update progress) and `backup` — also while
//! another connection holds a write transaction open, as the running bot does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use trade_talks_bot::store::{SqliteStore, Store};

const PRIVATE: i64 = 42;
const GROUP: i64 = -4_000_001;
const SUPERGROUP: i64 = -1_001_234_567_890;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"));
    c.env_remove("TELOXIDE_TOKEN")
        .env_remove("TRADE_TALKS_KNOWLEDGE")
        .env_remove("TRADE_TALKS_DB");
    c
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A database with three subscribed chats and update `u1` published to all three: delivered to
/// the private chat, failed once for the group, still waiting for the supergroup.
/// A chat that subscribes and leaves before its update is sent.
const LEAVER: i64 = 4_242;

fn database(dir: &Path) -> PathBuf {
    let path = dir.join("bot.db");
    block_on(async {
        let store = SqliteStore::open(&path).await.unwrap();
        for chat in [PRIVATE, GROUP, SUPERGROUP, LEAVER] {
            assert!(store.subscribe(chat).await.unwrap());
        }
        assert_eq!(
            store
                .publish("u1", &["<b>u1</b>".to_string()])
                .await
                .unwrap(),
            4
        );
        for c in store.claim(10, Duration::from_secs(60)).await.unwrap() {
            match c.chat {
                PRIVATE => assert!(store.complete(&c).await.unwrap()),
                GROUP => assert!(
                    store
                        .reschedule(&c, Duration::from_secs(86_400), true)
                        .await
                        .unwrap()
                ),
                _ => assert!(store.reschedule(&c, Duration::ZERO, false).await.unwrap()),
            }
        }
        // Unsubscribed before it got u1.
        assert!(store.unsubscribe(LEAVER).await.unwrap());
    });
    path
}

/// How many chats the database at `path` has subscribed.
fn subscribers_in(path: &Path) -> u64 {
    block_on(async {
        SqliteStore::open(path)
            .await
            .unwrap()
            .subscriber_count()
            .await
    })
    .unwrap()
}

/// Runs async store calls from these synchronous tests (the commands under test are processes).
fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A copy of the shipped knowledge with two updates, `u1` (published in [`database`]) and `u2`
/// (not published yet), and an invalid update file, `003.toml`, which the loader sets aside.
fn knowledge(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let dst = dir.join("knowledge");
    std::fs::create_dir_all(dst.join("updates")).unwrap();
    for f in ["article.txt", "facts.toml", "lexicon.toml"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    for (file, id) in [("001.toml", "u1"), ("002.toml", "u2")] {
        std::fs::write(
            dst.join("updates").join(file),
            format!(
                "id = \"{id}\"\ndate = \"2025-06-20\"\ntitle = \"Update {id}\"\n\
                 text = \"Officials met again.\"\nsource = \"https://example.org/{id}\"\n"
            ),
        )
        .unwrap();
    }
    std::fs::write(dst.join("updates").join("003.toml"), "id = \"u3\"\n").unwrap();
    dst
}

/// `YYYY-MM-DDTHH:MM:SSZ` in this century.
fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && s.starts_with("20")
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && s.chars()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19].contains(&i) || c.is_ascii_digit())
}

#[test]
fn subscribers_as_a_table_a_count_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());

    let out = bin()
        .args(["subscribers", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    let header: Vec<&str> = lines[0].split("  ").filter(|c| !c.is_empty()).collect();
    assert_eq!(
        header.iter().map(|c| c.trim()).collect::<Vec<_>>(),
        ["chat", "kind", "since (UTC)", "delivered"],
        "{text}"
    );
    let row = |chat: i64| {
        *lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(chat.to_string().as_str()))
            .unwrap_or_else(|| panic!("no row for {chat}: {text}"))
    };
    let fields = |chat: i64| row(chat).split_whitespace().collect::<Vec<_>>();
    assert_eq!(fields(PRIVATE)[1], "private");
    assert_eq!(fields(PRIVATE)[4], "1", "delivered: {text}");
    assert_eq!(fields(GROUP)[1], "group");
    assert_eq!(fields(SUPERGROUP)[1], "supergroup-or-channel");
    assert_eq!(fields(SUPERGROUP)[4], "0");
    // Aligned: every row is as wide as the header's last column ends.
    let width = lines[0].len();
    for chat in [PRIVATE, GROUP, SUPERGROUP] {
        assert_eq!(row(chat).len(), width, "not aligned: {text}");
    }
    assert_eq!(lines[4], "3 subscribed chats");

    // --count, with the database from TRADE_TALKS_DB as `run` takes it.
    let out = bin()
        .env("TRADE_TALKS_DB", &db)
        .args(["subscribers", "--count"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "3\n");

    let out = bin()
        .args(["subscribers", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let objects: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 3);
    for o in &objects {
        let mut keys: Vec<&str> = o.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["chat", "delivered", "kind", "since"]);
        assert!(is_rfc3339_utc(o["since"].as_str().unwrap()), "{o}");
    }
    let private = objects.iter().find(|o| o["chat"] == PRIVATE).unwrap();
    assert_eq!(private["kind"], "private");
    assert_eq!(private["delivered"], 1);
    let supergroup = objects.iter().find(|o| o["chat"] == SUPERGROUP).unwrap();
    assert_eq!(supergroup["kind"], "supergroup-or-channel");
}

#[test]
fn subscribers_of_a_missing_database_is_an_error_not_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let out = bin()
        .args(["subscribers", "--db"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nope.db"), "{}", stderr(&out));
    assert!(
        !missing.exists(),
        "created the database it was asked to read"
    );
}

#[test]
fn status_shows_the_knowledge_and_each_updates_progress() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let knowledge = knowledge(dir.path());

    let out = bin()
        .arg("--knowledge")
        .arg(&knowledge)
        .args(["status", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("(folder), version "), "{text}");
    assert!(text.contains("17 sentences"), "{text}");
    assert!(text.contains("2 updates"), "{text}");
    let rejected = text
        .lines()
        .skip_while(|l| !l.contains("rejected update files"))
        .nth(1)
        .unwrap_or_else(|| panic!("no rejected files: {text}"));
    assert!(rejected.contains("003.toml"), "{text}");
    assert!(
        text.contains("3 subscribed chats, 2 owed deliveries"),
        "{text}"
    );
    let row = |id: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no row for {id}: {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("update "))
        .unwrap_or_else(|| panic!("no update table: {text}"));
    assert!(
        header.contains("sent") && header.contains("pending") && header.contains("retrying"),
        "{header}"
    );
    // u1: published date, time, sent 1, pending 1, retrying 1, unsubscribed 1, failed 0, then
    // the title.
    assert_eq!(
        row("u1")[3..],
        ["1", "1", "1", "1", "0", "Update", "u1"],
        "{text}"
    );
    assert_eq!(row("u2")[1..3], ["not", "yet"], "{text}");

    let out = bin()
        .arg("--knowledge")
        .arg(&knowledge)
        .args(["status", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["knowledge"]["builtin"], false);
    assert_eq!(v["knowledge"]["sentences"], 17);
    assert_eq!(v["knowledge"]["updates"], 2);
    let rejected = &v["knowledge"]["rejected"];
    assert_eq!(rejected.as_array().map(Vec::len), Some(1), "{rejected}");
    assert!(
        rejected[0]["file"].as_str().unwrap().ends_with("003.toml"),
        "{rejected}"
    );
    assert!(!rejected[0]["problems"][0].as_str().unwrap().is_empty());
    let version = v["knowledge"]["version"].as_str().unwrap();
    assert!(
        version.len() == 12 && version.chars().all(|c| c.is_ascii_hexdigit()),
        "{version}"
    );
    assert_eq!(v["database"]["subscribers"], 3);
    assert_eq!(v["database"]["outbox"], 2);
    let u1 = &v["updates"][0];
    assert_eq!(u1["id"], "u1");
    assert_eq!(u1["title"], "Update u1");
    assert!(is_rfc3339_utc(u1["published"].as_str().unwrap()), "{u1}");
    assert_eq!(
        (
            &u1["sent"],
            &u1["pending"],
            &u1["retrying"],
            &u1["unsubscribed"]
        ),
        (&1.into(), &1.into(), &1.into(), &1.into())
    );
    let u2 = &v["updates"][1];
    assert_eq!(u2["id"], "u2");
    assert!(u2["published"].is_null(), "{u2}");

    // The version follows the files' contents.
    let facts = knowledge.join("facts.toml");
    let mut text = std::fs::read_to_string(&facts).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&facts, text).unwrap();
    let out = bin()
        .arg("--knowledge")
        .arg(&knowledge)
        .args(["status", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let edited: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_ne!(edited["knowledge"]["version"], version);
}

#[test]
fn backup_copies_the_database_and_never_overwrites_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let copy = dir.path().join("copy.db");

    let out = bin()
        .args(["backup", "--db"])
        .arg(&db)
        .arg(&copy)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("copy.db") && said.contains("3 subscribed chats"),
        "{said}"
    );
    let original = block_on(SqliteStore::open(&db)).unwrap();
    let restored = block_on(SqliteStore::open(&copy)).unwrap();
    assert_eq!(
        block_on(restored.subscribers()).unwrap(),
        block_on(original.subscribers()).unwrap()
    );
    assert_eq!(
        block_on(restored.update_progress()).unwrap(),
        block_on(original.update_progress()).unwrap()
    );
    drop(restored);

    // A second backup to the same file is refused and leaves it alone…
    block_on(original.subscribe(7)).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let out = bin()
        .args(["backup", "--db"])
        .arg(&db)
        .arg(&copy)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&copy).unwrap(), before);

    // …unless --force, which replaces it with the current state.
    let out = bin()
        .args(["backup", "--force", "--db"])
        .arg(&db)
        .arg(&copy)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(subscribers_in(&copy), 4);

    // Never onto the database itself, even with --force.
    let out = bin()
        .args(["backup", "--force", "--db"])
        .arg(&db)
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(block_on(original.subscriber_count()).unwrap(), 4);
}

#[test]
fn operator_commands_do_not_wait_for_a_writer_holding_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let knowledge = knowledge(dir.path());
    // What the running bot does for a moment on every write: a write transaction held open.
    let writer = rusqlite::Connection::open(&db).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    writer
        .execute(
            "INSERT INTO subscriptions (chat_id, since_ms) VALUES (77, 0)",
            [],
        )
        .unwrap();

    // Each command sees the last committed state, well within the 5 s busy timeout.
    let timed = |cmd: &mut Command| {
        let start = Instant::now();
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "waited {:?} for the writer",
            start.elapsed()
        );
        stdout(&out)
    };
    let count = timed(bin().args(["subscribers", "--count", "--db"]).arg(&db));
    assert_eq!(count, "3\n");
    let status = timed(
        bin()
            .arg("--knowledge")
            .arg(&knowledge)
            .args(["status", "--db"])
            .arg(&db),
    );
    assert!(status.contains("3 subscribed chats"), "{status}");
    let copy = dir.path().join("copy.db");
    timed(bin().args(["backup", "--db"]).arg(&db).arg(&copy));
    assert_eq!(
        subscribers_in(&copy),
        3,
        "the backup holds the committed state only"
    );

    // The writer was never disturbed: its transaction commits, and the next read sees it.
    writer.execute_batch("COMMIT").unwrap();
    let count = timed(bin().args(["subscribers", "--count", "--db"]).arg(&db));
    assert_eq!(count, "4\n");
}
