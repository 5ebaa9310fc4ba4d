//! The store on both engines, on a real SQLite file and a real PostgreSQL server: subscriptions,
//! publishing once, claims that only their holder may record, leases, parts, giving up,
//! migration, the shared pacer, and two stores on one database claiming side by side.

use std::collections::HashSet;
use std::time::Duration;

use trade_talks_bot::store::{Budget, Location, Pace, SqliteStore, Store};

use crate::engines::TestDb;
use crate::on_both_engines;

on_both_engines!(
    subscriptions_and_publishing_survive_reopening,
    a_claim_is_exclusive_and_only_its_holder_records,
    a_lease_that_ran_out_lets_another_claim_and_locks_out_the_first,
    parts_sent_are_kept_and_failures_counted,
    giving_up_is_visible_in_progress,
    migration_moves_subscription_history_and_owed_messages,
    the_pacer_spaces_broadcasts_and_chats_and_pauses_for_everyone,
    two_stores_on_one_database_never_claim_the_same_row,
    an_unreadable_stored_message_is_claimed_with_no_parts,
);

const LONG: Duration = Duration::from_secs(60);

fn parts(s: &str) -> Vec<String> {
    vec![s.to_string()]
}

async fn subscriptions_and_publishing_survive_reopening(db: TestDb) {
    {
        let s = db.open().await;
        assert!(s.subscribe(1).await.unwrap());
        assert!(
            !s.subscribe(1).await.unwrap(),
            "second subscribe is harmless"
        );
        assert!(s.subscribe(-2).await.unwrap());
        assert_eq!(s.publish("u1", &parts("<b>u1</b>")).await.unwrap(), 2);
        assert_eq!(
            s.publish("u1", &parts("<b>u1</b>")).await.unwrap(),
            0,
            "an update is owed once"
        );
        let claimed = s.claim(10, LONG).await.unwrap();
        let one = claimed.iter().find(|c| c.chat == 1).unwrap();
        assert!(s.complete(one).await.unwrap());
        assert!(!s.complete(one).await.unwrap(), "completed once");
        assert_eq!(s.status(1).await.unwrap().delivered, 1);
        let other = claimed.iter().find(|c| c.chat == -2).unwrap();
        assert!(s.reschedule(other, Duration::ZERO, false).await.unwrap());
    }
    let s = db.open().await;
    assert_eq!(s.subscriber_count().await.unwrap(), 2);
    assert_eq!(s.outbox_len().await.unwrap(), 1);
    let due = s.claim(10, LONG).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].update.as_str(), due[0].chat), ("u1", -2));
    assert_eq!(due[0].parts, ["<b>u1</b>"]);
    assert!(s.is_published("u1").await.unwrap() && !s.is_published("u9").await.unwrap());
    // A new subscriber gets future updates only.
    assert!(s.subscribe(3).await.unwrap());
    assert_eq!(s.outbox_len().await.unwrap(), 1);
    assert!(s.unsubscribe(3).await.unwrap());
    assert!(!s.unsubscribe(3).await.unwrap());
}

async fn a_claim_is_exclusive_and_only_its_holder_records(db: TestDb) {
    let s = db.open().await;
    for chat in 1..=5 {
        s.subscribe(chat).await.unwrap();
    }
    s.publish("u1", &parts("x")).await.unwrap();
    let first = s.claim(3, LONG).await.unwrap();
    assert_eq!(first.len(), 3);
    let second = s.claim(10, LONG).await.unwrap();
    assert_eq!(second.len(), 2, "claimed rows are not claimed again");
    assert!(first.iter().all(|c| c.claim == first[0].claim));
    assert_ne!(first[0].claim, second[0].claim, "a fresh token per claim");
    assert!(s.claim(10, LONG).await.unwrap().is_empty());
    // A token that does not hold the row records nothing.
    let mut forged = first[0].clone();
    forged.claim = second[0].claim.clone();
    assert!(!s.complete(&forged).await.unwrap());
    assert!(!s.part_sent(&forged, 1).await.unwrap());
    assert!(!s.reschedule(&forged, Duration::ZERO, true).await.unwrap());
    assert!(!s.give_up(&forged, "no").await.unwrap());
    assert!(s.complete(&first[0]).await.unwrap());
    // A released row comes back when due, not before.
    assert!(
        s.reschedule(&first[1], Duration::from_millis(300), false)
            .await
            .unwrap()
    );
    assert!(s.claim(10, LONG).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(350)).await;
    let again = s.claim(10, LONG).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].chat, first[1].chat);
    assert_eq!(s.outbox_len().await.unwrap(), 4);
    assert!(s.next_due().await.unwrap().is_some());
}

async fn a_lease_that_ran_out_lets_another_claim_and_locks_out_the_first(db: TestDb) {
    let s = db.open().await;
    s.subscribe(7).await.unwrap();
    s.publish("u1", &parts("x")).await.unwrap();
    let old = s.claim(1, Duration::from_millis(200)).await.unwrap();
    assert_eq!(old.len(), 1);
    assert!(s.claim(1, LONG).await.unwrap().is_empty(), "leased");
    let wait = s.next_due().await.unwrap().expect("owed");
    assert!(
        wait <= Duration::from_millis(200),
        "comes back with its lease: {wait:?}"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    let new = s.claim(1, LONG).await.unwrap();
    assert_eq!(new.len(), 1, "the lease ran out: claimed again");
    assert!(
        !s.complete(&old[0]).await.unwrap(),
        "the old claim cannot record late"
    );
    assert!(s.complete(&new[0]).await.unwrap());
    assert_eq!(s.status(7).await.unwrap().delivered, 1);
    assert_eq!(s.next_due().await.unwrap(), None);
}

async fn parts_sent_are_kept_and_failures_counted(db: TestDb) {
    let s = db.open().await;
    s.subscribe(7).await.unwrap();
    s.publish(
        "u1",
        &["one".to_string(), "two".to_string(), "three".to_string()],
    )
    .await
    .unwrap();
    let c = s.claim(1, LONG).await.unwrap().remove(0);
    assert_eq!((c.parts.len(), c.parts_sent, c.attempts), (3, 0, 0));
    assert!(s.part_sent(&c, 2).await.unwrap());
    assert!(s.reschedule(&c, Duration::ZERO, true).await.unwrap());
    let c = s.claim(1, LONG).await.unwrap().remove(0);
    assert_eq!(
        (c.parts_sent, c.attempts),
        (2, 1),
        "resumes after the parts sent"
    );
    assert!(s.reschedule(&c, Duration::ZERO, false).await.unwrap());
    let c = s.claim(1, LONG).await.unwrap().remove(0);
    assert_eq!(c.attempts, 1, "a pacing delay is not an attempt");
    let progress = s.update_progress().await.unwrap();
    assert_eq!((progress[0].pending, progress[0].retrying), (0, 1));
}

async fn giving_up_is_visible_in_progress(db: TestDb) {
    let s = db.open().await;
    s.subscribe(1).await.unwrap();
    s.subscribe(2).await.unwrap();
    s.subscribe(3).await.unwrap();
    s.publish("u1", &parts("x")).await.unwrap();
    let claimed = s.claim(3, LONG).await.unwrap();
    assert!(
        s.give_up(&claimed[0], "Bad Request: chat not found")
            .await
            .unwrap()
    );
    assert!(s.complete(&claimed[1]).await.unwrap());
    assert!(s.unsubscribe(claimed[2].chat).await.unwrap());
    let p = s.update_progress().await.unwrap().remove(0);
    assert_eq!(
        (p.sent, p.pending, p.retrying, p.unsubscribed, p.failed),
        (1, 0, 0, 1, 1)
    );
    assert_eq!(s.outbox_len().await.unwrap(), 0);
    assert!(
        s.status(claimed[0].chat).await.unwrap().subscribed,
        "still subscribed"
    );
}

async fn migration_moves_subscription_history_and_owed_messages(db: TestDb) {
    let s = db.open().await;
    s.subscribe(-5).await.unwrap();
    s.publish("u1", &parts("u1")).await.unwrap();
    let c = s.claim(1, LONG).await.unwrap().remove(0);
    assert!(s.complete(&c).await.unwrap());
    s.publish("u2", &parts("u2")).await.unwrap();
    let held = s.claim(1, LONG).await.unwrap().remove(0);
    s.migrate(-5, -1005).await.unwrap();
    assert!(!s.status(-5).await.unwrap().subscribed);
    let st = s.status(-1005).await.unwrap();
    assert!(st.subscribed && st.delivered == 1);
    assert!(
        !s.complete(&held).await.unwrap(),
        "the claim on the old id is void"
    );
    let due = s.claim(10, LONG).await.unwrap();
    assert_eq!(due.len(), 1, "released and due now at the new id");
    assert_eq!((due[0].update.as_str(), due[0].chat), ("u2", -1005));
}

async fn the_pacer_spaces_broadcasts_and_chats_and_pauses_for_everyone(db: TestDb) {
    let s = db.open().await;
    let budget = Budget {
        period: Duration::from_millis(100),
        chat_gap: Duration::from_secs(1),
        group_gap: Duration::from_secs(3),
        horizon: Duration::from_millis(250),
    };
    let go = |p: Pace| match p {
        Pace::Go(w) => w,
        other => panic!("expected a slot, got {other:?}"),
    };
    // Slots 100 ms apart; the fourth would be 300 ms away, past the horizon.
    let w1 = go(s.pace_broadcast(1, &budget).await.unwrap());
    let w2 = go(s.pace_broadcast(2, &budget).await.unwrap());
    let w3 = go(s.pace_broadcast(3, &budget).await.unwrap());
    assert!(w1 < Duration::from_millis(50), "{w1:?}");
    assert!(w2 > w1 + Duration::from_millis(50), "{w1:?} {w2:?}");
    assert!(w3 > w2 + Duration::from_millis(50), "{w2:?} {w3:?}");
    assert!(matches!(
        s.pace_broadcast(4, &budget).await.unwrap(),
        Pace::Full(_)
    ));
    // Chat 1 just got a slot: it waits its second, whoever asks.
    match s.pace_broadcast(1, &budget).await.unwrap() {
        Pace::ChatBusy(w) => assert!(w > Duration::from_millis(500), "{w:?}"),
        other => panic!("{other:?}"),
    }
    let reply_wait = s.pace_reply(1, Duration::from_secs(1)).await.unwrap();
    assert!(reply_wait > Duration::from_millis(500), "{reply_wait:?}");
    assert_eq!(
        s.pace_reply(99, Duration::from_secs(1)).await.unwrap(),
        Duration::ZERO
    );
    // A 429 on a broadcast pauses every broadcast.
    s.pause(5, Duration::from_secs(5), true).await.unwrap();
    match s.pace_broadcast(6, &budget).await.unwrap() {
        Pace::Full(w) => assert!(w > Duration::from_secs(4), "{w:?}"),
        other => panic!("{other:?}"),
    }
    // A second store on the same database sees the same pause.
    let other = db.open().await;
    assert!(matches!(
        other.pace_broadcast(7, &budget).await.unwrap(),
        Pace::Full(_)
    ));
}

async fn two_stores_on_one_database_never_claim_the_same_row(db: TestDb) {
    let a = db.open().await;
    let b = db.open().await;
    for chat in 1..=300 {
        a.subscribe(chat).await.unwrap();
    }
    a.publish("u1", &parts("x")).await.unwrap();
    let drain = |s: std::sync::Arc<dyn Store>| {
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = s.claim(7, LONG).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                for c in batch {
                    assert!(s.complete(&c).await.unwrap());
                    got.push(c.chat);
                }
            }
        })
    };
    let (x, y) = (drain(a.clone()), drain(b.clone()));
    let (x, y) = (x.await.unwrap(), y.await.unwrap());
    let all: HashSet<i64> = x.iter().chain(&y).copied().collect();
    assert_eq!(x.len() + y.len(), 300, "each row once");
    assert_eq!(all.len(), 300);
    assert_eq!(a.outbox_len().await.unwrap(), 0);
}

async fn an_unreadable_stored_message_is_claimed_with_no_parts(db: TestDb) {
    let s = db.open().await;
    s.subscribe(1).await.unwrap();
    s.publish("empty", &[]).await.unwrap();
    s.publish("blank", &parts("  ")).await.unwrap();
    let claimed = s.claim(10, LONG).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(claimed.iter().all(|c| c.parts.is_empty()));
}

#[tokio::test]
async fn a_corrupt_database_is_an_error_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bot.db");
    std::fs::write(
        &path,
        b"this is not an sqlite database, just text padding it out ....",
    )
    .unwrap();
    let err = SqliteStore::open(&path).await.err().expect("refused");
    assert!(err.to_string().contains("bot.db"), "{err}");
}

#[tokio::test]
async fn a_deleted_database_file_fails_every_call_instead_of_losing_writes() {
    let db = TestDb::sqlite().await;
    let s = db.open().await;
    assert!(s.subscribe(1).await.unwrap());
    s.check().await.unwrap();
    let Location::Sqlite(path) = &db.location else {
        unreachable!()
    };
    std::fs::remove_file(path).unwrap();
    let err = s.subscribe(2).await.expect_err("refused");
    assert!(err.to_string().contains("removed or replaced"), "{err}");
    assert!(s.check().await.is_err(), "not ready");
}

#[tokio::test]
async fn an_unreachable_postgres_is_an_error_at_open_without_its_password() {
    let err = trade_talks_bot::store::open(&Location::parse(
        "postgres://bot:hunter2@127.0.0.1:1/nowhere?connect_timeout=2",
    ))
    .await
    .err()
    .expect("refused");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}
