//! The outbox worker against a scripted in-memory `Sender` and a real SQLite file: every outcome
//! of a send (accepted, gone, migrated, flood wait, transient) and pacing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_bot_api::wait_until;
use tokio::sync::{Notify, watch};
use trade_talks_bot::delivery::{self, DeliveryConfig, SendError, Sender};
use trade_talks_bot::pacing::{Limiter, Limits};
use trade_talks_bot::subscriptions::{SqliteStore, Store};

/// Records accepted sends; fails each chat's first sends as scripted.
#[derive(Default)]
struct Scripted {
    failures: Mutex<HashMap<i64, Vec<SendError>>>,
    accepted: Mutex<Vec<(i64, Instant)>>,
}

impl Sender for Scripted {
    async fn send(&self, chat: i64, _text: String) -> Result<(), SendError> {
        if let Some(e) = self
            .failures
            .lock()
            .unwrap()
            .get_mut(&chat)
            .and_then(|v| (!v.is_empty()).then(|| v.remove(0)))
        {
            return Err(e);
        }
        self.accepted.lock().unwrap().push((chat, Instant::now()));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_outcome_is_settled_and_sends_are_paced() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("bot.db")).unwrap());
    let chats = [1, 2, 3, 4, -5];
    for c in chats {
        store.subscribe(c).unwrap();
    }
    let sender = Arc::new(Scripted::default());
    sender.failures.lock().unwrap().extend([
        (
            2,
            vec![SendError::Gone(
                "Forbidden: bot was blocked by the user".into(),
            )],
        ),
        (3, vec![SendError::RetryAfter(Duration::from_millis(300))]),
        (
            4,
            vec![
                SendError::Transient("502".into()),
                SendError::Transient("timeout".into()),
            ],
        ),
        (-5, vec![SendError::Migrated(-1_000_000_000_005)]),
    ]);
    store.publish("u1", &["<b>u1</b>".to_string()]).unwrap();
    let (stop_tx, stop_rx) = watch::channel(false);
    let cfg = DeliveryConfig {
        backoff: Duration::from_millis(100),
        ..DeliveryConfig::default()
    };
    let limiter = Arc::new(Limiter::new(Limits {
        broadcast_per_second: 20,
        ..Limits::default()
    }));
    let worker = tokio::spawn(delivery::run(
        store.clone(),
        sender.clone(),
        limiter,
        Arc::new(Notify::new()),
        stop_rx,
        cfg,
    ));
    wait_until("the outbox to drain", Duration::from_secs(10), || {
        store.outbox_len().unwrap() == 0
    })
    .await;
    stop_tx.send(true).unwrap();
    worker.await.unwrap();

    let accepted = sender.accepted.lock().unwrap().clone();
    let mut got: Vec<i64> = accepted.iter().map(|(c, _)| *c).collect();
    got.sort();
    assert_eq!(
        got,
        [-1_000_000_000_005, 1, 3, 4],
        "each chat once, the migrated one at its new id"
    );
    assert!(
        !store.status(2).unwrap().subscribed,
        "a blocked chat is unsubscribed"
    );
    assert!(store.status(-1_000_000_000_005).unwrap().subscribed);
    for c in [1, 3, 4] {
        assert_eq!(store.status(c).unwrap().delivered, 1);
    }
    // Sends were spaced at the configured 20 per second (50 ms), never closer than the timer's
    // resolution allows.
    let mut times: Vec<Instant> = accepted.iter().map(|(_, t)| *t).collect();
    times.sort();
    for w in times.windows(2) {
        assert!(
            w[1].duration_since(w[0]) >= Duration::from_millis(40),
            "{:?}",
            w[1].duration_since(w[0])
        );
    }
}
