//! Bot processes sharing one database, as in production: three replicas in webhook mode on one
//! PostgreSQL (one killed with SIGKILL mid-broadcast and restarted, another stopped with
//! SIGTERM), and two processes on one SQLite file (an overlapping deploy). Every chat gets the
//! update, only messages the killed process held can repeat, the fake Bot API counts no breach
//! of Telegram's limits, and every question gets exactly one answer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_bot_api::{FakeApi, Limits};
use trade_talks_bot::store::Location;

use crate::engines::TestDb;
use crate::subscribe::{knowledge_copy, update_file};

const SECRET: &str = "fleet-secret";

/// A bot process; killed when dropped (a failing test leaves no process behind).
struct Replica {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Replica {
    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, as a crash.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// SIGTERM; how long the process took to exit, and whether it exited cleanly.
    fn terminate(&mut self) -> (Duration, bool) {
        let mut c = self.child.take().expect("running");
        let t = Instant::now();
        assert!(
            Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status()
                .unwrap()
                .success()
        );
        let deadline = t + Duration::from_secs(20);
        loop {
            if let Some(status) = c.try_wait().unwrap() {
                return (t.elapsed(), status.success());
            }
            assert!(Instant::now() < deadline, "no exit 20 s after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"))
}

/// Starts a replica: webhook mode on `port` when given, long polling otherwise; a 5 s send
/// timeout and 10 s leases, so a killed replica's claims come back soon.
fn spawn(fake: &FakeApi, knowledge: &Path, db: &str, port: Option<u16>, log: PathBuf) -> Replica {
    spawn_with(
        fake,
        knowledge,
        db,
        port,
        log,
        &["--send-timeout-secs", "5", "--lease-secs", "10"],
    )
}

fn spawn_with(
    fake: &FakeApi,
    knowledge: &Path,
    db: &str,
    port: Option<u16>,
    log: PathBuf,
    extra: &[&str],
) -> Replica {
    let mut cmd = bin();
    cmd.arg("--knowledge")
        .arg(knowledge)
        .arg("run")
        .args(["--db", db])
        .args(["--broadcast-per-sec", "150"])
        .args(extra)
        .env("TELOXIDE_TOKEN", FakeApi::TOKEN)
        .env("TELOXIDE_API_URL", fake.url().as_str())
        .env("NO_PROXY", "127.0.0.1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    if let Some(port) = port {
        cmd.args(["--webhook-url", &format!("http://127.0.0.1:{port}/hook")])
            .args(["--webhook-listen", &format!("127.0.0.1:{port}")])
            .args(["--webhook-secret", SECRET]);
    }
    Replica {
        child: Some(cmd.spawn().unwrap()),
        port: port.unwrap_or(0),
        log,
    }
}

/// Waits until a replica's webhook port accepts connections.
async fn listening(r: &Replica) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", r.port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "replica never listened: {}",
            r.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Publishes `file` through the database, as the operator does.
fn publish(knowledge: &Path, db: &str, file: &Path) {
    let out = bin()
        .arg("--knowledge")
        .arg(knowledge)
        .arg("publish")
        .arg(file)
        .args(["--db", db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn is_update(text: &str) -> bool {
    text.contains("<b>Update: ")
}

/// Update messages received per chat.
fn updates_per_chat(fake: &FakeApi) -> HashMap<i64, usize> {
    let mut per_chat = HashMap::new();
    for call in fake.calls_to("sendMessage") {
        if call.is_ok()
            && let (Some(chat), Some(text)) = (call.chat_id(), call.text())
            && is_update(text)
        {
            *per_chat.entry(chat).or_default() += 1;
        }
    }
    per_chat
}

/// Sends to one chat less than 900 ms apart, for a failure message.
fn too_close(fake: &FakeApi) -> String {
    let mut by_chat: HashMap<i64, Vec<(Instant, String)>> = HashMap::new();
    for c in fake.calls_to("sendMessage") {
        if let (true, Some(chat)) = (c.is_ok(), c.chat_id()) {
            let text: String = c.text().unwrap_or("").chars().take(40).collect();
            by_chat.entry(chat).or_default().push((c.at, text));
        }
    }
    let mut out = String::new();
    for (chat, mut sends) in by_chat {
        sends.sort_by_key(|(t, _)| *t);
        for w in sends.windows(2) {
            let gap = w[1].0.duration_since(w[0].0);
            if gap < Duration::from_millis(900) {
                out += &format!(
                    "\nchat {chat}: {gap:?} between {:?} and {:?}",
                    w[0].1, w[1].1
                );
            }
        }
    }
    out
}

fn subscribed_chats(n: i64) -> Vec<i64> {
    // One in five a group.
    (1..=n)
        .map(|i| {
            if i % 5 == 0 {
                -100_000 - i
            } else {
                100_000 + i
            }
        })
        .collect()
}

/// The chats whose owed message process `pid` had claimed (claim tokens start with the pid).
async fn held_by(url: &str, pid: u32) -> Vec<i64> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .query(
            "SELECT chat_id FROM outbox WHERE claim LIKE $1",
            &[&format!("{pid}-%")],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn seed(location: &Location, chats: &[i64]) {
    let store = trade_talks_bot::store::open(location).await.unwrap();
    for &c in chats {
        store.subscribe(c).await.unwrap();
    }
}

fn strict_limits() -> Limits {
    Limits {
        per_chat_min_interval: Some(Duration::from_millis(900)),
        global_per_second: Some(200),
        per_group_per_minute: Some(20),
        reject: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_on_postgres_survive_a_kill_and_a_sigterm_mid_broadcast() {
    let db = TestDb::postgres().await;
    let Location::Postgres(url) = &db.location else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let knowledge = knowledge_copy(dir.path());
    let chats = subscribed_chats(2000);
    seed(&db.location, &chats).await;
    let fake = FakeApi::start().await;
    fake.set_limits(strict_limits());
    let mut replicas: Vec<Replica> = (0..3)
        .map(|i| {
            let log = dir.path().join(format!("replica-{i}.log"));
            spawn(&fake, &knowledge, url, Some(crate::free_port()), log)
        })
        .collect();
    for r in &replicas {
        listening(r).await;
    }
    let file = dir.path().join("fleet.toml");
    std::fs::write(&file, update_file("fleet", "Officials met again.", "")).unwrap();
    publish(&knowledge, url, &file);

    // Questions from 60 chats (half of them subscribed), spread over the three replicas.
    let client = reqwest::Client::new();
    let askers: Vec<i64> = chats[..30]
        .iter()
        .copied()
        .filter(|c| *c > 0)
        .chain(900_001..=900_030)
        .collect();
    let mut next_update_id = 1;
    let mut ask = |chat: i64, replica: &Replica| {
        let mut update = fake_bot_api::private_text(chat, chat as u64, "who met in London?");
        update["update_id"] = next_update_id.into();
        next_update_id += 1;
        client
            .post(format!("http://127.0.0.1:{}/hook", replica.port))
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .json(&update)
            .send()
    };
    for (i, &chat) in askers.iter().enumerate() {
        let r = &replicas[i % 3];
        let answer = ask(chat, r).await.unwrap();
        assert_eq!(answer.status(), 200);
    }

    // 40% of the way through, replica 0 is killed outright and started again.
    let deadline = Instant::now() + Duration::from_secs(60);
    while updates_per_chat(&fake).len() < 800 {
        assert!(Instant::now() < deadline, "the broadcast stalled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed = replicas[0].pid();
    replicas[0].kill();
    let sent_at_kill = updates_per_chat(&fake).len();
    // What the killed replica held: claimed, not recorded (in flight, or waiting for a slot).
    let held = held_by(url, killed).await;
    let log = dir.path().join("replica-0-again.log");
    replicas[0] = spawn(&fake, &knowledge, url, Some(replicas[0].port), log);
    listening(&replicas[0]).await;
    // Replica 1 is stopped the orderly way.
    let (took, clean) = replicas[1].terminate();
    assert!(took < Duration::from_secs(10), "SIGTERM took {took:?}");
    assert!(clean, "replica 1: {}", replicas[1].log());

    // Everyone gets the update (the killed replica's claims come back after their 10 s lease).
    let deadline = Instant::now() + Duration::from_secs(90);
    while updates_per_chat(&fake).len() < chats.len() {
        assert!(
            Instant::now() < deadline,
            "{} of {} chats got the update",
            updates_per_chat(&fake).len(),
            chats.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let per_chat = updates_per_chat(&fake);
    let duplicates: usize = per_chat.values().map(|n| n - 1).sum();
    let answers: HashMap<i64, usize> = askers
        .iter()
        .map(|c| {
            let n = fake.sent_texts(*c).iter().filter(|t| !is_update(t)).count();
            (*c, n)
        })
        .collect();
    let stats = fake.stats();
    eprintln!(
        "fleet: {} chats, {sent_at_kill} had it at the kill, the killed replica held {} \
         claimed messages, duplicates {duplicates}, violations {}",
        chats.len(),
        held.len(),
        stats.violations
    );
    assert!(
        answers.values().all(|n| *n == 1),
        "every question answered once: {answers:?}"
    );
    // Only what the killed replica had in flight can repeat.
    let repeated: Vec<i64> = per_chat
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(c, _)| *c)
        .collect();
    assert!(
        repeated.iter().all(|c| held.contains(c)),
        "repeated {repeated:?}, but the killed replica held only {held:?}\n{}",
        replicas[2].log()
    );
    assert!(duplicates <= held.len(), "{duplicates} duplicates");
    assert_eq!(
        stats.violations,
        0,
        "limit violations: {}",
        too_close(&fake)
    );
    let store = db.open().await;
    assert_eq!(store.outbox_len().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_sqlite_file_send_each_update_once_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let knowledge = knowledge_copy(dir.path());
    let db = dir.path().join("bot.db");
    let location = Location::Sqlite(db.clone());
    let chats = subscribed_chats(300);
    seed(&location, &chats).await;
    let fake = FakeApi::start().await;
    fake.set_limits(strict_limits());
    let db_arg = db.display().to_string();
    // An overlapping deploy: the new process starts before the old one stops. Both poll the
    // same fake (it hands each update to one of them), both send from the same outbox.
    let _old = spawn(&fake, &knowledge, &db_arg, None, dir.path().join("old.log"));
    let _new = spawn(&fake, &knowledge, &db_arg, None, dir.path().join("new.log"));
    fake.wait_for("getUpdates", 2, Duration::from_secs(20))
        .await;
    let file = dir.path().join("deploy.toml");
    std::fs::write(&file, update_file("deploy", "Officials met again.", "")).unwrap();
    publish(&knowledge, &db_arg, &file);
    let deadline = Instant::now() + Duration::from_secs(30);
    while updates_per_chat(&fake).len() < chats.len() {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            updates_per_chat(&fake).len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let per_chat = updates_per_chat(&fake);
    assert!(per_chat.values().all(|n| *n == 1), "a chat got it twice");
    assert_eq!(fake.stats().violations, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_commands_read_postgres_too() {
    let db = TestDb::postgres().await;
    let Location::Postgres(url) = &db.location else {
        unreachable!()
    };
    seed(&db.location, &subscribed_chats(12)).await;
    let run = |args: &[&str]| {
        let out = bin().args(args).args(["--db", url]).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, count, err) = run(&["subscribers", "--count"]);
    assert!(ok, "{err}");
    assert_eq!(count, "12\n");
    let (ok, status, err) = run(&["status"]);
    assert!(ok, "{err}");
    assert!(status.contains("12 subscribed chats"), "{status}");
    let (ok, _, err) = run(&["backup", "copy.db"]);
    assert!(!ok);
    assert!(err.contains("pg_dump"), "{err}");
}

/// Telegram accepting sends but answering after 18 s (beyond teloxide's own 17 s client timeout,
/// within the bot's 60 s send timeout): each chat still gets the update once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_slower_than_the_http_clients_default_timeout_gets_each_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let knowledge = knowledge_copy(dir.path());
    let db = dir.path().join("bot.db");
    let chats: Vec<i64> = (1..=10).map(|i| 700 + i).collect();
    seed(&Location::Sqlite(db.clone()), &chats).await;
    let fake = FakeApi::start().await;
    for &c in &chats {
        fake.slow_sends_to(c, Duration::from_secs(18));
    }
    let db_arg = db.display().to_string();
    // The default send timeout (60 s) and lease.
    let log = dir.path().join("bot.log");
    let _bot = spawn_with(&fake, &knowledge, &db_arg, None, log, &[]);
    fake.wait_for("getUpdates", 1, Duration::from_secs(20))
        .await;
    let file = dir.path().join("slow.toml");
    std::fs::write(&file, update_file("slow", "Officials met again.", "")).unwrap();
    publish(&knowledge, &db_arg, &file);
    let deadline = Instant::now() + Duration::from_secs(60);
    let store = trade_talks_bot::store::open(&Location::Sqlite(db.clone()))
        .await
        .unwrap();
    // Every delivery recorded (the answers arrived), then nothing more is sent.
    while store.outbox_len().await.unwrap() > 0 {
        assert!(
            Instant::now() < deadline,
            "the slow sends were never recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let per_chat = updates_per_chat(&fake);
    assert_eq!(per_chat.len(), chats.len());
    assert!(per_chat.values().all(|n| *n == 1), "{per_chat:?}");
}
