//! Reloading the knowledge while the bot runs: nothing added at start-up is missed, a swap that
//! changes the topics re-registers the command menu, answers move on while the database cannot
//! be written (publishing is retried), and SIGHUP is always safe.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_bot_api::{self as fake, FakeApi, wait_until_async};
use trade_talks_bot::app::Parts;
use trade_talks_bot::engine::{Engine, SharedEngine};
use trade_talks_bot::store::{SqliteStore, Store};

use crate::subscribe::{knowledge_copy, publish, say, start_watching, update_file, wait_texts};
use crate::telegram::{fast_config, start_app};

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_added_after_loading_but_before_the_watcher_started_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let knowledge = knowledge_copy(dir.path());
    let store = Arc::new(SqliteStore::open(&dir.path().join("bot.db")).await.unwrap());
    store.subscribe(91).await.unwrap();
    let kb = SharedEngine::new(Engine::load(Some(&knowledge)).unwrap());
    // The file lands after the first load and before the bot (and its watcher) starts: no file
    // event will ever announce it.
    publish(
        &knowledge,
        "001.toml",
        &update_file("early-bird", "Officials met again.", ""),
    );
    let fake = FakeApi::start().await;
    let mut config = fast_config(&fake);
    config.knowledge_dir = Some(knowledge.clone());
    let parts = Parts {
        engine: kb,
        store: store.clone(),
    };
    let bot = start_app(fake, config, parts, store).await;
    let texts = wait_texts(&bot.fake, 91, 1).await;
    assert!(texts[0].contains("early-bird"), "{texts:?}");
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_that_changes_the_topics_registers_the_menu_again() {
    let dir = tempfile::tempdir().unwrap();
    let (bot, knowledge) = start_watching(dir.path()).await;
    let first = bot.fake.wait_for("setMyCommands", 1, WAIT).await;
    let facts = std::fs::read_to_string(knowledge.join("facts.toml")).unwrap();
    let old_title = first[0].params["commands"][0]["description"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(facts.contains(&old_title), "{old_title}");
    let changed = facts.replacen(&old_title, "Tariffs, as the article reports them", 1);
    std::fs::write(knowledge.join(".facts.tmp"), changed).unwrap();
    std::fs::rename(knowledge.join(".facts.tmp"), knowledge.join("facts.toml")).unwrap();
    let calls = bot.fake.wait_for("setMyCommands", 2, WAIT).await;
    assert_eq!(
        calls[1].params["commands"][0]["description"],
        "Tariffs, as the article reports them"
    );
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_published_while_the_database_is_locked_is_served_at_once_and_sent_later() {
    let dir = tempfile::tempdir().unwrap();
    let (bot, knowledge) = start_watching(dir.path()).await;
    say(&bot, 92, fake::private_text(92, 92, "/subscribe")).await;
    // Another process holds the database's write lock.
    let locker = rusqlite::Connection::open(dir.path().join("bot.db")).unwrap();
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();
    publish(
        &knowledge,
        "001.toml",
        &update_file("while-locked", "Talks resumed after a pause.", ""),
    );
    // The new knowledge answers at once: swapping does not wait for the database.
    let deadline = Instant::now() + WAIT;
    loop {
        let latest = say(&bot, 93, fake::private_text(93, 93, "/latest")).await;
        if latest.contains("while-locked") {
            break;
        }
        assert!(Instant::now() < deadline, "{latest}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        bot.fake.sent_texts(92).len(),
        1,
        "nothing sent while locked"
    );
    locker.execute_batch("COMMIT").unwrap();
    drop(locker);
    // Publishing is retried: the subscriber gets it without a SIGHUP or another file.
    let texts = wait_texts(&bot.fake, 92, 2).await;
    assert!(texts[1].contains("while-locked"), "{texts:?}");
    let store = bot.store.clone();
    wait_until_async("delivery recorded", WAIT, || async {
        store.status(92).await.unwrap().delivered == 1
    })
    .await;
    bot.stop().await.unwrap();
}

#[test]
fn sighup_with_the_built_in_knowledge_is_logged_and_survived() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(FakeApi::start());
    // No knowledge/ folder here: the bot serves its built-in copy.
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"))
        .current_dir(dir.path())
        .env("TELOXIDE_TOKEN", FakeApi::TOKEN)
        .env("TELOXIDE_API_URL", fake.url().as_str())
        .env("NO_PROXY", "127.0.0.1")
        .env("RUST_LOG", "info")
        .arg("run")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let hup = || {
        std::process::Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .unwrap()
    };
    rt.block_on(fake.wait_for("getMe", 1, WAIT));
    // In the first moments (before polling starts) and once running.
    assert!(hup().success());
    rt.block_on(fake.wait_for("getUpdates", 1, WAIT));
    assert!(hup().success());
    rt.block_on(async {
        fake.push_update(fake::private_text(94, 94, "/where"));
        fake.wait_for("sendMessage", 1, WAIT).await;
    });
    assert!(child.try_wait().unwrap().is_none(), "the bot died");
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{status:?}: {log}");
    assert!(log.contains("no folder to reload"), "{log}");
}

/// Runs the bot binary's offline commands (`publish`, `check`) with `args`.
fn cli(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"))
        .args(args)
        .output()
        .unwrap()
}

/// /latest in `chat`, asked until it mentions `what` (or the wait ends).
async fn latest_mentions(bot: &crate::telegram::Running, chat: i64, what: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let latest = say(bot, chat, fake::private_text(chat, chat as u64, "/latest")).await;
        if latest.contains(what) {
            return;
        }
        assert!(Instant::now() < deadline, "{latest}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_file_goes_through_the_database_to_every_replica_and_is_sent_once() {
    let dir = tempfile::tempdir().unwrap();
    let knowledge = knowledge_copy(dir.path());
    let db = dir.path().join("bot.db");
    let start = |folder: Option<std::path::PathBuf>| {
        let db = db.clone();
        async move {
            let store = Arc::new(SqliteStore::open(&db).await.unwrap());
            let kb = SharedEngine::new(Engine::load(folder.as_deref()).unwrap());
            let fake = FakeApi::start().await;
            let mut config = fast_config(&fake);
            config.knowledge_dir = folder;
            config.store_poll = Duration::from_millis(200);
            let parts = Parts {
                engine: kb,
                store: store.clone(),
            };
            start_app(fake, config, parts, store).await
        }
    };
    // Two replicas on one database: one with a folder, one on the built-in copy.
    let first = start(Some(knowledge.clone())).await;
    let second = start(None).await;
    let write = |name: &str, id: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, update_file(id, "Talks resumed on a second day.", "")).unwrap();
        file
    };
    let publish = |file: &std::path::Path| {
        let out = cli(&[
            "--knowledge".as_ref(),
            knowledge.as_os_str(),
            "publish".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            file.as_os_str(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = publish(&write("010-resumed.toml", "resumed"));
    assert!(out.contains("published"), "{out}");
    // Both replicas serve it within seconds.
    latest_mentions(&first, 97, "resumed").await;
    latest_mentions(&second, 98, "resumed").await;
    // Two delivery workers on one SQLite file could both send an owed message (their outbox
    // is not claimed); the sending is checked with one replica.
    second.stop().await.unwrap();
    say(&first, 96, fake::private_text(96, 96, "/subscribe")).await;
    let file = write("011-again.toml", "again");
    let out = publish(&file);
    assert!(out.contains("queued for 1"), "{out}");
    let texts = wait_texts(&first.fake, 96, 2).await;
    assert!(texts[1].contains("again"), "{texts:?}");
    // Publishing again changes nothing.
    assert!(publish(&file).contains("nothing new queued"));
    let store = first.store.clone();
    wait_until_async("delivery recorded", WAIT, || async {
        store.status(96).await.unwrap().delivered == 1
    })
    .await;
    latest_mentions(&first, 97, "again").await;
    let updates = first
        .fake
        .sent_texts(96)
        .iter()
        .filter(|t| t.contains("Update: "))
        .count();
    assert_eq!(updates, 1, "sent once");
    first.stop().await.unwrap();
}

#[test]
fn check_takes_one_update_file_and_fails_on_a_folder_with_a_set_aside_file() {
    let dir = tempfile::tempdir().unwrap();
    let knowledge = knowledge_copy(dir.path());
    let good = dir.path().join("good.toml");
    std::fs::write(&good, update_file("good-one", "Talks went on.", "")).unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "id = \"bad-one\"\ndate = \"soon\"\n").unwrap();
    let check = |file: &std::path::Path| {
        cli(&[
            "--knowledge".as_ref(),
            knowledge.as_os_str(),
            "check".as_ref(),
            file.as_os_str(),
        ])
    };
    let out = check(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("good-one"));
    let out = check(&bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:"), "{err}");
    // The same bad file in the folder: the rest loads, but check says no.
    std::fs::copy(&bad, knowledge.join("updates/bad.toml")).unwrap();
    let out = check(&knowledge);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml:"));
}
