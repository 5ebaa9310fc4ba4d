//! The outbox worker on both engines against a scripted in-memory `Sender`: every outcome of a
//! send, giving up, multi-part progress, unreadable messages, two workers on one database, chats
//! whose sends hang, a 429 storm, stopping mid-broadcast, and a full disk.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_bot_api::wait_until_async;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use trade_talks_bot::delivery::{self, DeliveryConfig, SendError, Sender};
use trade_talks_bot::pacing::Limits;
use trade_talks_bot::store::{Budget, Location, Store};

use crate::engines::TestDb;
use crate::on_both_engines;

/// What a scripted chat does with a send.
#[derive(Clone, Debug)]
enum Act {
    Fail(SendError),
    /// Never answers.
    Hang,
    /// Answers after this long, accepted.
    Slow(Duration),
}

/// Records accepted sends; acts per chat as scripted (one act per send, then accepts), or
/// always for `always`.
#[derive(Default)]
struct Scripted {
    script: Mutex<HashMap<i64, Vec<Act>>>,
    always: Mutex<HashMap<i64, Act>>,
    accepted: Mutex<Vec<(i64, String, Instant)>>,
    /// Every call, accepted or not, with its time.
    calls: Mutex<Vec<(i64, Instant)>>,
}

impl Scripted {
    fn accepted_chats(&self) -> Vec<i64> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .map(|(c, _, _)| *c)
            .collect()
    }
}

impl Sender for Scripted {
    async fn send(&self, chat: i64, text: String) -> Result<(), SendError> {
        self.calls.lock().unwrap().push((chat, Instant::now()));
        let act = {
            let mut script = self.script.lock().unwrap();
            match script.get_mut(&chat).filter(|v| !v.is_empty()) {
                Some(v) => Some(v.remove(0)),
                None => self.always.lock().unwrap().get(&chat).cloned(),
            }
        };
        match act {
            Some(Act::Fail(e)) => return Err(e),
            Some(Act::Hang) => std::future::pending::<()>().await,
            Some(Act::Slow(d)) => tokio::time::sleep(d).await,
            None => {}
        }
        self.accepted
            .lock()
            .unwrap()
            .push((chat, text, Instant::now()));
        Ok(())
    }
}

/// The worker's settings for these tests, and a budget of `per_second` broadcasts.
fn config(per_second: u32) -> (DeliveryConfig, Budget) {
    let cfg = DeliveryConfig {
        backoff: Duration::from_millis(100),
        shutdown_grace: Duration::from_secs(3),
        ..DeliveryConfig::default()
    };
    let budget = Limits {
        broadcast_per_second: per_second,
        ..Limits::default()
    }
    .budget();
    (cfg, budget)
}

struct Running {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Running {
    async fn stop(self) -> Duration {
        let t = Instant::now();
        self.stop.send(true).unwrap();
        self.handle.await.unwrap();
        t.elapsed()
    }
}

fn start(
    store: Arc<dyn Store>,
    sender: Arc<Scripted>,
    (cfg, budget): (DeliveryConfig, Budget),
) -> Running {
    let (stop, rx) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let broadcasting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handle = tokio::spawn(delivery::run(
        store,
        sender,
        wake,
        rx,
        cfg,
        budget,
        broadcasting,
    ));
    Running { stop, handle }
}

/// Subscribes every chat of `chats`.
async fn subscribe_all(store: &Arc<dyn Store>, chats: impl IntoIterator<Item = i64>) {
    for c in chats {
        store.subscribe(c).await.unwrap();
    }
}

async fn drained(store: &Arc<dyn Store>, timeout: Duration) {
    wait_until_async("the outbox to drain", timeout, || async {
        store.outbox_len().await.unwrap() == 0
    })
    .await;
}

on_both_engines!(
    each_outcome_is_settled_and_sends_are_paced,
    a_message_refused_every_time_is_given_up_and_reported,
    a_failed_part_resumes_without_resending_the_parts_before_it,
    an_empty_stored_message_is_failed_not_delivered,
    two_workers_on_one_database_send_each_message_once_within_one_budget,
    a_429_pauses_every_send_for_its_retry_after,
    stopping_mid_broadcast_gives_claims_back_and_a_restart_repeats_nothing,
    a_send_slower_than_usual_is_sent_once,
);

async fn each_outcome_is_settled_and_sends_are_paced(db: TestDb) {
    let store = db.open().await;
    subscribe_all(&store, [1, 2, 3, 4, -5]).await;
    let sender = Arc::new(Scripted::default());
    sender.script.lock().unwrap().extend([
        (
            2,
            vec![Act::Fail(SendError::Gone(
                "Forbidden: bot was blocked by the user".into(),
            ))],
        ),
        (
            3,
            vec![Act::Fail(SendError::RetryAfter(Duration::from_millis(300)))],
        ),
        (
            4,
            vec![
                Act::Fail(SendError::Transient("502".into())),
                Act::Fail(SendError::Transient("timeout".into())),
            ],
        ),
        (-5, vec![Act::Fail(SendError::Migrated(-1_000_000_000_005))]),
    ]);
    store
        .publish("u1", &["<b>u1</b>".to_string()])
        .await
        .unwrap();
    let began = Instant::now();
    let worker = start(store.clone(), sender.clone(), config(20));
    drained(&store, Duration::from_secs(15)).await;
    worker.stop().await;

    let mut got = sender.accepted_chats();
    got.sort();
    assert_eq!(
        got,
        [-1_000_000_000_005, 1, 3, 4],
        "each chat once, the migrated one at its new id"
    );
    assert!(
        !store.status(2).await.unwrap().subscribed,
        "a blocked chat is unsubscribed"
    );
    assert!(store.status(-1_000_000_000_005).await.unwrap().subscribed);
    for c in [1, 3, 4] {
        assert_eq!(store.status(c).await.unwrap().delivered, 1);
    }
    // Every call (failed ones too) took a slot, 50 ms apart (20 a second): the k-th call came
    // no sooner than k slots after the worker started. (A call may start late on a busy
    // machine, never early, so this bound holds however the machine is loaded; the gaps
    // between two calls do not.)
    let mut times: Vec<Instant> = sender
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| *t)
        .collect();
    times.sort();
    assert!(times.len() >= 6, "{} calls", times.len());
    for (k, t) in times.iter().enumerate() {
        let after = t.duration_since(began);
        assert!(
            after >= Duration::from_millis(48) * k as u32,
            "call {k} at {after:?}"
        );
    }
}

async fn a_message_refused_every_time_is_given_up_and_reported(db: TestDb) {
    let store = db.open().await;
    store.subscribe(1).await.unwrap();
    store.subscribe(2).await.unwrap();
    let sender = Arc::new(Scripted::default());
    sender.always.lock().unwrap().insert(
        2,
        Act::Fail(SendError::Rejected(
            "Bad Request: message is too long".into(),
        )),
    );
    store.publish("u1", &["x".to_string()]).await.unwrap();
    let worker = start(store.clone(), sender.clone(), config(20));
    drained(&store, Duration::from_secs(15)).await;
    worker.stop().await;
    let tries = sender
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|(c, _)| *c == 2)
        .count();
    assert_eq!(tries, 3, "tried three times, then given up");
    let p = store.update_progress().await.unwrap().remove(0);
    assert_eq!((p.sent, p.failed, p.pending, p.retrying), (1, 1, 0, 0));
    assert!(
        store.status(2).await.unwrap().subscribed,
        "a refusal is not a goodbye"
    );
}

async fn a_failed_part_resumes_without_resending_the_parts_before_it(db: TestDb) {
    let store = db.open().await;
    store.subscribe(1).await.unwrap();
    let sender = Arc::new(Scripted::default());
    // The first part goes; the second fails once.
    sender.script.lock().unwrap().insert(
        1,
        vec![
            Act::Slow(Duration::ZERO),
            Act::Fail(SendError::Transient("502".into())),
        ],
    );
    let parts: Vec<String> = ["one", "two", "three"].map(String::from).to_vec();
    store.publish("u1", &parts).await.unwrap();
    let mut cfg = config(20);
    cfg.1.chat_gap = Duration::from_millis(100);
    let worker = start(store.clone(), sender.clone(), cfg);
    drained(&store, Duration::from_secs(15)).await;
    worker.stop().await;
    let texts: Vec<String> = sender
        .accepted
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t, _)| t.clone())
        .collect();
    assert_eq!(
        texts,
        ["one", "two", "three"],
        "each part exactly once, in order"
    );
    assert_eq!(store.status(1).await.unwrap().delivered, 1);
}

async fn an_empty_stored_message_is_failed_not_delivered(db: TestDb) {
    let store = db.open().await;
    store.subscribe(1).await.unwrap();
    store.publish("empty", &[]).await.unwrap();
    let sender = Arc::new(Scripted::default());
    let worker = start(store.clone(), sender.clone(), config(20));
    drained(&store, Duration::from_secs(10)).await;
    worker.stop().await;
    assert!(sender.calls.lock().unwrap().is_empty(), "nothing sent");
    assert_eq!(
        store.status(1).await.unwrap().delivered,
        0,
        "not counted as delivered"
    );
    let p = store.update_progress().await.unwrap().remove(0);
    assert_eq!((p.sent, p.failed), (0, 1));
}

async fn two_workers_on_one_database_send_each_message_once_within_one_budget(db: TestDb) {
    let seed = db.open().await;
    subscribe_all(&seed, 1..=120).await;
    seed.publish("u1", &["x".to_string()]).await.unwrap();
    let sender = Arc::new(Scripted::default());
    // Two processes' worth: two stores (connections) and two workers, one sender to count.
    let (a, b) = (db.open().await, db.open().await);
    let t0 = Instant::now();
    let w1 = start(a, sender.clone(), config(40));
    let w2 = start(b, sender.clone(), config(40));
    drained(&seed, Duration::from_secs(30)).await;
    let took = t0.elapsed();
    w1.stop().await;
    w2.stop().await;
    let chats = sender.accepted_chats();
    let unique: HashSet<i64> = chats.iter().copied().collect();
    assert_eq!(
        (chats.len(), unique.len()),
        (120, 120),
        "each chat exactly once"
    );
    // One budget of 40 a second for both: 120 sends take about 3 s, and no second holds more
    // than 40 (plus one for the window's edge).
    assert!(took >= Duration::from_millis(2800), "{took:?}");
    let times: Vec<Instant> = sender
        .accepted
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, t)| *t)
        .collect();
    let most = times
        .iter()
        .map(|s| {
            times
                .iter()
                .filter(|t| **t >= *s && t.duration_since(*s) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap();
    // Slots are exact in the database's clock; a send leaves after its slot by the round trip
    // and the timer's delay, which vary, so a one-second window may catch a few more (the
    // default budget of 28 keeps that margin under Telegram's 30).
    assert!(most <= 44, "{most} sends in one second");
}

async fn a_429_pauses_every_send_for_its_retry_after(db: TestDb) {
    let store = db.open().await;
    subscribe_all(&store, 1..=30).await;
    store.publish("u1", &["x".to_string()]).await.unwrap();
    let flood = Arc::new(Scripted::default());
    {
        let mut s = flood.script.lock().unwrap();
        for c in 1..=30 {
            s.insert(
                c,
                vec![Act::Fail(SendError::RetryAfter(Duration::from_secs(2)))],
            );
        }
    }
    // Every chat's first send is refused with retry_after 2 s: after the first refusal, no send
    // at all may happen for 2 s (sends already given their slot within the 250 ms horizon
    // aside).
    let worker = start(store.clone(), flood.clone(), config(20));
    drained(&store, Duration::from_secs(30)).await;
    worker.stop().await;
    let calls = flood.calls.lock().unwrap().clone();
    let first = calls.iter().map(|(_, t)| *t).min().unwrap();
    let early = calls
        .iter()
        // Slots already given out (the 250 ms horizon) still go; none after.
        .filter(|(_, t)| t.duration_since(first) > Duration::from_millis(500))
        .filter(|(_, t)| t.duration_since(first) < Duration::from_millis(1900))
        .count();
    assert_eq!(early, 0, "sends during the pause: {calls:?}");
    assert_eq!(
        flood.accepted_chats().len(),
        30,
        "everyone served after the pause"
    );
}

async fn stopping_mid_broadcast_gives_claims_back_and_a_restart_repeats_nothing(db: TestDb) {
    let store = db.open().await;
    subscribe_all(&store, 1..=200).await;
    store.publish("u1", &["x".to_string()]).await.unwrap();
    let sender = Arc::new(Scripted::default());
    let worker = start(store.clone(), sender.clone(), config(50));
    wait_until_async("some sends", Duration::from_secs(10), || async {
        sender.accepted.lock().unwrap().len() >= 40
    })
    .await;
    let took = worker.stop().await;
    assert!(took < Duration::from_secs(2), "stopped in {took:?}");
    let sent_before = sender.accepted.lock().unwrap().len();
    assert!(sent_before < 200);
    // The claims not sent were given back: a new worker takes them at once, not after a lease.
    let t = Instant::now();
    let again = start(db.open().await, sender.clone(), config(50));
    drained(&store, Duration::from_secs(20)).await;
    again.stop().await;
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let chats = sender.accepted_chats();
    let unique: HashSet<i64> = chats.iter().copied().collect();
    assert_eq!(
        (chats.len(), unique.len()),
        (200, 200),
        "none twice, none missing"
    );
}

async fn a_send_slower_than_usual_is_sent_once(db: TestDb) {
    let store = db.open().await;
    subscribe_all(&store, 1..=5).await;
    let sender = Arc::new(Scripted::default());
    for c in 1..=5 {
        sender
            .always
            .lock()
            .unwrap()
            .insert(c, Act::Slow(Duration::from_millis(1500)));
    }
    store.publish("u1", &["x".to_string()]).await.unwrap();
    let mut cfg = config(20);
    cfg.0.send_timeout = Duration::from_secs(5);
    cfg.0.lease = Duration::from_secs(15);
    // Two workers: neither may take over a send still in flight.
    let w1 = start(store.clone(), sender.clone(), cfg.clone());
    let w2 = start(db.open().await, sender.clone(), cfg);
    drained(&store, Duration::from_secs(20)).await;
    w1.stop().await;
    w2.stop().await;
    let mut chats = sender.accepted_chats();
    chats.sort();
    assert_eq!(chats, [1, 2, 3, 4, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chats_whose_sends_hang_do_not_hold_up_the_rest() {
    let db = TestDb::sqlite().await;
    let store = db.open().await;
    subscribe_all(&store, 1..=300).await;
    let sender = Arc::new(Scripted::default());
    // 70 of 300 never answer.
    for c in (1..=300).filter(|c| c % 4 == 0).take(70) {
        sender.always.lock().unwrap().insert(c, Act::Hang);
    }
    store.publish("u1", &["x".to_string()]).await.unwrap();
    let mut cfg = config(100);
    cfg.0.send_timeout = Duration::from_secs(30);
    let t0 = Instant::now();
    let worker = start(store.clone(), sender.clone(), cfg);
    wait_until_async("the 230 healthy chats", Duration::from_secs(20), || async {
        sender.accepted.lock().unwrap().len() >= 230
    })
    .await;
    // 300 slots at 100 a second: 3 s, whatever the hanging chats do.
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(8), "{took:?}");
    let stopped = worker.stop().await;
    assert!(stopped < Duration::from_secs(4), "stopped in {stopped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_sending_and_nothing_is_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("small");
    std::fs::create_dir(&mount).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&mount)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED: cannot mount a small tmpfs here (needs root)");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _unmount = Unmount(mount.clone());
    let location = Location::Sqlite(mount.join("bot.db"));
    let store = trade_talks_bot::store::open(&location).await.unwrap();
    subscribe_all(&store, 1..=300).await;
    store.publish("u1", &["x".repeat(200)]).await.unwrap();
    // Fill the rest of the disk.
    let filler = mount.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    let sender = Arc::new(Scripted::default());
    let worker = start(store.clone(), sender.clone(), config(100));
    // Whatever the worker manages while the disk is full, it stops sending and sends nothing
    // twice; when space comes back, it finishes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let while_full = sender.accepted.lock().unwrap().len();
    eprintln!("full disk: {while_full} sent while the disk was full");
    std::fs::remove_file(&filler).unwrap();
    drained(&store, Duration::from_secs(30)).await;
    worker.stop().await;
    let chats = sender.accepted_chats();
    let unique: HashSet<i64> = chats.iter().copied().collect();
    assert_eq!(
        (chats.len(), unique.len()),
        (300, 300),
        "each chat exactly once ({while_full} sent while the disk was full)"
    );
    for c in [1, 150, 300] {
        assert_eq!(store.status(c).await.unwrap().delivered, 1);
    }
}
