//! Subscriptions and update delivery through the real dispatcher, the real SQLite file and the
//! fake Bot API: who may subscribe, kicked/blocked/migrated chats, live knowledge reloads,
//! failed deliveries, restarts, and a crash in the middle of a broadcast.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_bot_api::{self as fake, Failure, FakeApi, wait_until, wait_until_async};
use serde_json::Value;
use trade_talks_bot::app::Parts;
use trade_talks_bot::engine::{Engine, SharedEngine};
use trade_talks_bot::store::{SqliteStore, Store};

use crate::telegram::{Running, app_in, fast_config, start, start_app};

const WAIT: Duration = Duration::from_secs(15);

/// Pushes an update and returns the text of the next message the bot sends to `chat`.
pub async fn say(bot: &Running, chat: i64, update: Value) -> String {
    let before = bot.fake.sent_texts(chat).len();
    bot.fake.push_update(update);
    wait_texts(&bot.fake, chat, before + 1).await[before].clone()
}

pub async fn wait_texts(fake: &FakeApi, chat: i64, n: usize) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let texts = fake.sent_texts(chat);
        if texts.len() >= n {
            return texts;
        }
        assert!(
            Instant::now() < deadline,
            "chat {chat}: {} of {n} messages; calls: {}",
            texts.len(),
            fake.describe_calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A copy of the shipped knowledge in `dir/knowledge`, with an empty `updates/`.
pub fn knowledge_copy(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let dst = dir.join("knowledge");
    std::fs::create_dir_all(dst.join("updates")).unwrap();
    for f in ["article.txt", "facts.toml", "lexicon.toml"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    dst
}

pub fn update_file(id: &str, text: &str, extra: &str) -> String {
    format!(
        "id = \"{id}\"\ndate = \"2025-06-20\"\ntitle = \"Update {id}\"\ntext = \"{text}\"\nsource = \"https://example.org/{id}\"\n{extra}"
    )
}

/// Writes a file atomically (write + rename), as an operator's deploy would.
pub fn publish(knowledge: &Path, name: &str, content: &str) {
    let tmp = knowledge.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, knowledge.join("updates").join(name)).unwrap();
}

pub async fn start_watching(dir: &Path) -> (Running, PathBuf) {
    let knowledge = knowledge_copy(dir);
    let fake = FakeApi::start().await;
    let store = Arc::new(SqliteStore::open(&dir.join("bot.db")).await.unwrap());
    let kb = SharedEngine::new(Engine::load(Some(&knowledge)).unwrap());
    let parts = Parts {
        engine: kb,
        store: store.clone(),
    };
    let mut config = fast_config(&fake);
    config.knowledge_dir = Some(knowledge.clone());
    config.reload_settle = Duration::from_millis(100);
    config.delivery.backoff = Duration::from_millis(200);
    (start_app(fake, config, parts, store).await, knowledge)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_subscribe_is_idempotent_and_reported() {
    let bot = start().await;
    let p = |t: &str| fake::private_text(70, 70, t);
    assert!(say(&bot, 70, p("/status")).await.contains("not subscribed"));
    assert!(
        say(&bot, 70, p("/subscribe"))
            .await
            .starts_with("Subscribed")
    );
    assert!(
        say(&bot, 70, p("/subscribe"))
            .await
            .contains("already subscribed")
    );
    assert!(
        say(&bot, 70, p("/status"))
            .await
            .contains("subscribed and has had 0 update(s)")
    );
    assert!(
        say(&bot, 70, p("/unsubscribe"))
            .await
            .starts_with("Unsubscribed")
    );
    assert!(
        say(&bot, 70, p("/unsubscribe"))
            .await
            .contains("was not subscribed")
    );
    assert_eq!(bot.store.subscriber_count().await.unwrap(), 0);
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_groups_only_administrators_change_the_subscription() {
    let bot = start().await;
    let g = -400;
    bot.fake.set_chat_member(g, 11, "member");
    bot.fake.set_chat_member(g, 12, "administrator");
    bot.fake.set_chat_member(g, 13, "creator");
    let refused = say(&bot, g, fake::group_text(g, 11, "/subscribe")).await;
    assert!(
        refused.contains("only the group’s administrators"),
        "{refused}"
    );
    assert!(!bot.store.status(g).await.unwrap().subscribed);
    // /status is for everyone.
    assert!(
        say(
            &bot,
            g,
            fake::group_text(g, 11, "/status@TradeTalksTestBot")
        )
        .await
        .contains("not subscribed")
    );
    assert!(
        say(&bot, g, fake::group_text(g, 12, "/subscribe"))
            .await
            .starts_with("Subscribed")
    );
    assert!(
        say(&bot, g, fake::group_text(g, 11, "/unsubscribe"))
            .await
            .contains("administrators")
    );
    assert!(bot.store.status(g).await.unwrap().subscribed);
    assert!(
        say(&bot, g, fake::group_text(g, 13, "/unsubscribe"))
            .await
            .starts_with("Unsubscribed")
    );
    // An anonymous administrator posts as the group itself.
    assert!(
        say(&bot, g, fake::anonymous_admin_text(g, "/subscribe"))
            .await
            .starts_with("Subscribed")
    );
    assert!(bot.store.status(g).await.unwrap().subscribed);
    let checks: Vec<_> = bot
        .fake
        .calls_to("getChatMember")
        .iter()
        .map(|c| c.params["user_id"].clone())
        .collect();
    assert_eq!(
        checks.len(),
        4,
        "one check per non-anonymous change attempt: {checks:?}"
    );
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kicked_blocked_and_migrated_chats() {
    let bot = start().await;
    let g = -500;
    bot.fake.set_chat_member(g, 12, "administrator");
    say(&bot, g, fake::group_text(g, 12, "/subscribe")).await;
    say(&bot, 71, fake::private_text(71, 71, "/subscribe")).await;
    // The group becomes a supergroup: the subscription follows.
    let sg = -1_000_000_000_500;
    bot.fake.push_update(fake::migrate_to(g, sg));
    bot.fake.push_update(fake::migrate_from(sg, g));
    let store = bot.store.clone();
    wait_until_async("migration", WAIT, || async {
        store.status(sg).await.unwrap().subscribed
    })
    .await;
    assert!(!bot.store.status(g).await.unwrap().subscribed);
    // Removed from the supergroup, blocked in private: both unsubscribed.
    bot.fake
        .push_update(fake::my_chat_member(sg, 12, "administrator", "kicked"));
    bot.fake
        .push_update(fake::my_chat_member(71, 71, "member", "kicked"));
    wait_until_async("unsubscribe on removal", WAIT, || async {
        store.subscriber_count().await.unwrap() == 0
    })
    .await;
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_update_files_are_delivered_once_and_bad_ones_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (bot, knowledge) = start_watching(dir.path()).await;
    let g = -600;
    for chat in [80, 81] {
        say(
            &bot,
            chat,
            fake::private_text(chat, chat as u64, "/subscribe"),
        )
        .await;
    }
    say(&bot, g, fake::anonymous_admin_text(g, "/subscribe")).await;

    publish(
        &knowledge,
        "001-cut.toml",
        &update_file(
            "tariff-cut",
            "The US lowered its tariffs on Chinese goods to 20%.",
            "\n[[fact]]\nid = \"tariff-us-20\"\ntopics = [\"tariffs\"]\nkind = \"statistic\"\nanswer = \"The US lowered its tariffs on Chinese goods to 20%.\"\nsupersedes = \"tariff-us-on-china\"\n",
        ),
    );
    for chat in [80, 81, g] {
        let texts = wait_texts(&bot.fake, chat, 2).await;
        assert!(
            texts[1].contains("Update tariff-cut") && texts[1].contains("20%"),
            "{texts:?}"
        );
    }
    // The new knowledge answers; the old figure is noted as previous.
    let t = say(&bot, 82, fake::private_text(82, 82, "/tariffs")).await;
    assert!(t.contains("20%") && t.contains("Previously:"), "{t}");
    assert!(
        say(&bot, 82, fake::private_text(82, 82, "/latest"))
            .await
            .contains("tariff-cut")
    );
    let store = bot.store.clone();
    wait_until_async("delivery recorded", WAIT, || async {
        store.status(80).await.unwrap().delivered == 1
    })
    .await;

    // A bad file (a number its text does not contain) is rejected; the last good knowledge serves.
    publish(
        &knowledge,
        "002-bad.toml",
        &update_file(
            "bad-one",
            "Nothing new.",
            "\n[[fact]]\nid = \"bad-fact\"\ntopics = [\"tariffs\"]\nkind = \"statistic\"\nanswer = \"Tariffs are 5%.\"\n",
        ),
    );
    // A good file after it proves the reload ran (and still refuses the bad one).
    std::fs::remove_file(knowledge.join("updates/002-bad.toml")).unwrap();
    publish(
        &knowledge,
        "003-ok.toml",
        &update_file("talks-continue", "Talks continue for a second day.", ""),
    );
    wait_texts(&bot.fake, 80, 3).await;
    let latest = say(&bot, 82, fake::private_text(82, 82, "/latest")).await;
    assert!(
        latest.contains("talks-continue") && !latest.contains("bad-one"),
        "{latest}"
    );
    // Nobody got anything twice, and a new subscriber gets nothing old.
    say(&bot, 83, fake::private_text(83, 83, "/subscribe")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for chat in [80, 81, g] {
        let updates = bot
            .fake
            .sent_texts(chat)
            .iter()
            .filter(|t| t.contains("<b>Update: "))
            .count();
        assert_eq!(updates, 2, "chat {chat}");
    }
    assert_eq!(
        bot.fake.sent_texts(83).len(),
        1,
        "only the /subscribe answer"
    );
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_update_file_leaves_the_running_knowledge_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (bot, knowledge) = start_watching(dir.path()).await;
    publish(
        &knowledge,
        "001-broken.toml",
        "id = \"broken\"\ndate = \"soon\"\n",
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let t = say(&bot, 90, fake::private_text(90, 90, "/tariffs")).await;
    assert!(t.contains("30%"), "{t}");
    assert!(
        say(&bot, 90, fake::private_text(90, 90, "/latest"))
            .await
            .contains("No updates")
    );
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_unsubscribe_retry_or_follow_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let (bot, knowledge) = start_watching(dir.path()).await;
    let (kicked, limited, group, healthy) = (-700, 91, -701, 92);
    let store = bot.store.clone();
    for chat in [kicked, limited, group, healthy] {
        store.subscribe(chat).await.unwrap();
    }
    bot.fake.fail_always(
        "sendMessage",
        kicked,
        Failure::Forbidden("Forbidden: bot was kicked from the group chat".into()),
    );
    bot.fake
        .fail_next("sendMessage", Some(limited), Failure::RetryAfter(1));
    let supergroup = -1_000_000_000_701;
    bot.fake
        .fail_next("sendMessage", Some(group), Failure::Migrate(supergroup));
    let started = Instant::now();
    publish(
        &knowledge,
        "001.toml",
        &update_file("u1", "Officials met again.", ""),
    );
    wait_texts(&bot.fake, healthy, 1).await;
    wait_texts(&bot.fake, supergroup, 1).await;
    let limited_texts = wait_texts(&bot.fake, limited, 1).await;
    assert_eq!(limited_texts.len(), 1);
    let ok_at = bot
        .fake
        .calls_to("sendMessage")
        .iter()
        .find(|c| c.chat_id() == Some(limited) && c.is_ok())
        .unwrap()
        .at;
    assert!(
        ok_at.duration_since(started) >= Duration::from_millis(900),
        "retry_after not honoured"
    );
    wait_until_async("kicked chat unsubscribed", WAIT, || async {
        !store.status(kicked).await.unwrap().subscribed
    })
    .await;
    // The fake saw the messages; the worker records them just after.
    wait_until_async("outbox drained", WAIT, || async {
        store.outbox_len().await.unwrap() == 0
    })
    .await;
    assert!(
        store.status(supergroup).await.unwrap().subscribed
            && !store.status(group).await.unwrap().subscribed
    );
    assert_eq!(store.status(supergroup).await.unwrap().delivered, 1);
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeApi::start().await;
    let (app, store) = app_in(dir.path()).await;
    let config = fast_config(&fake);
    let bot = start_app(fake, config, app, store).await;
    say(&bot, 95, fake::private_text(95, 95, "/subscribe")).await;
    bot.stop().await.unwrap();

    let fake = FakeApi::start().await;
    let (app, store) = app_in(dir.path()).await;
    let config = fast_config(&fake);
    let bot = start_app(fake, config, app, store).await;
    assert!(
        say(&bot, 95, fake::private_text(95, 95, "/status"))
            .await
            .contains("is subscribed")
    );
    bot.stop().await.unwrap();
}

/// For the tests that run the real binary: a runtime for the fake API, a temporary folder with
/// a copy of the knowledge and the path of the database there.
fn binary_setup() -> (tokio::runtime::Runtime, tempfile::TempDir, PathBuf, PathBuf) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let knowledge = knowledge_copy(dir.path());
    let db = dir.path().join("bot.db");
    (rt, dir, knowledge, db)
}

/// SIGKILL in the middle of a broadcast, then a restart: every subscriber ends with the update,
/// and only a message Telegram accepted in the instant before the kill can come twice.
#[test]
fn a_crash_mid_broadcast_then_restart_delivers_to_everyone_once() {
    // `_dir` keeps the temporary folder until the test ends.
    let (rt, _dir, knowledge, db) = binary_setup();
    let chats: Vec<i64> = (1..=150).map(|i| 10_000 + i).collect();
    rt.block_on(async {
        let store = SqliteStore::open(&db).await.unwrap();
        for &c in &chats {
            store.subscribe(c).await.unwrap();
        }
    });
    let fake = rt.block_on(FakeApi::start());
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"))
            .arg("--knowledge")
            .arg(&knowledge)
            .args(["run", "--broadcast-per-sec", "28", "--db"])
            .arg(&db)
            .env("TELOXIDE_TOKEN", FakeApi::TOKEN)
            .env("TELOXIDE_API_URL", fake.url().as_str())
            .env("NO_PROXY", "127.0.0.1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    rt.block_on(fake.wait_for("getUpdates", 1, WAIT));
    publish(
        &knowledge,
        "001.toml",
        &update_file("crash-test", "Officials met again.", ""),
    );
    rt.block_on(wait_until("part of the broadcast", WAIT, || {
        fake.stats().sent >= 40
    }));
    first.kill().unwrap();
    first.wait().unwrap();
    let before_restart = fake.stats().sent;
    assert!(
        before_restart < chats.len() as u64,
        "the broadcast finished before the kill"
    );
    let mut second = spawn();
    rt.block_on(wait_until("the rest of the broadcast", WAIT, || {
        let per_chat = fake.stats().per_chat;
        chats
            .iter()
            .all(|c| per_chat.get(c).copied().unwrap_or(0) >= 1)
    }));
    std::thread::sleep(Duration::from_millis(500));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &second.id().to_string()])
        .status();
    second.wait().unwrap();
    let per_chat = fake.stats().per_chat;
    let duplicates: u64 = chats
        .iter()
        .map(|c| per_chat.get(c).copied().unwrap_or(0).saturating_sub(1))
        .sum();
    let lost = chats.iter().filter(|c| !per_chat.contains_key(c)).count();
    eprintln!(
        "crash test: {before_restart} sent before SIGKILL, duplicates {duplicates}, lost {lost}"
    );
    assert_eq!(lost, 0);
    assert!(duplicates <= 1, "{duplicates} duplicates");
    let owed = rt.block_on(async { SqliteStore::open(&db).await.unwrap().outbox_len().await });
    assert_eq!(owed.unwrap(), 0);
}

/// With the watcher off, a new update file waits for SIGHUP.
#[test]
fn sighup_reloads_the_knowledge() {
    // `_dir` keeps the temporary folder until the test ends.
    let (rt, _dir, knowledge, db) = binary_setup();
    rt.block_on(async { SqliteStore::open(&db).await.unwrap().subscribe(77).await })
        .unwrap();
    let fake = rt.block_on(FakeApi::start());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"))
        .arg("--knowledge")
        .arg(&knowledge)
        .args(["run", "--no-watch", "--db"])
        .arg(&db)
        .env("TELOXIDE_TOKEN", FakeApi::TOKEN)
        .env("TELOXIDE_API_URL", fake.url().as_str())
        .env("NO_PROXY", "127.0.0.1")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    rt.block_on(fake.wait_for("getUpdates", 1, WAIT));
    publish(
        &knowledge,
        "001.toml",
        &update_file("hup", "Officials met again.", ""),
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(fake.sent_texts(77).is_empty(), "reloaded without SIGHUP");
    let kill = |sig: &str| {
        std::process::Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap()
    };
    assert!(kill("-HUP").success());
    let texts = rt.block_on(wait_texts(&fake, 77, 1));
    assert!(texts[0].contains("Update hup"), "{texts:?}");
    kill("-TERM");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
}
