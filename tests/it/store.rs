//! The SQLite store on a real file: subscriptions, the outbox's exactly-once bookkeeping,
//! migration to a supergroup id, and persistence across reopening.

use trade_talks_bot::subscriptions::{SqliteStore, Store};

#[test]
fn subscriptions_and_outbox_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bot.db");
    {
        let s = SqliteStore::open(&path).unwrap();
        assert!(s.subscribe(1).unwrap());
        assert!(!s.subscribe(1).unwrap(), "second subscribe is harmless");
        assert!(s.subscribe(-2).unwrap());
        assert_eq!(s.publish("u1", &["<b>u1</b>".to_string()]).unwrap(), 2);
        assert_eq!(
            s.publish("u1", &["<b>u1</b>".to_string()]).unwrap(),
            0,
            "an update is owed once"
        );
        s.delivered("u1", 1).unwrap();
        s.delivered("u1", 1).unwrap();
        assert_eq!(s.status(1).unwrap().delivered, 1);
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.subscriber_count().unwrap(), 2);
    let due = s.due(i64::MAX, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].update.as_str(), due[0].chat), ("u1", -2));
    assert_eq!(due[0].parts, ["<b>u1</b>"]);
    assert!(s.is_published("u1").unwrap() && !s.is_published("u9").unwrap());
    // A new subscriber gets future updates only.
    assert!(s.subscribe(3).unwrap());
    assert_eq!(s.due(i64::MAX, 10).unwrap().len(), 1);
    assert!(s.unsubscribe(3).unwrap());
    assert!(!s.unsubscribe(3).unwrap());
}

#[test]
fn migration_moves_subscription_history_and_owed_messages() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("bot.db")).unwrap();
    s.subscribe(-5).unwrap();
    s.publish("u1", &["<b>u1</b>".to_string()]).unwrap();
    s.delivered("u1", -5).unwrap();
    s.publish("u2", &[]).unwrap();
    s.retry_later("u2", -5, i64::MAX).unwrap();
    s.migrate(-5, -1005).unwrap();
    assert!(!s.status(-5).unwrap().subscribed);
    let st = s.status(-1005).unwrap();
    assert!(st.subscribed && st.delivered == 1);
    let due = s.due(i64::MAX - 1, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].update.as_str(), due[0].chat), ("u2", -1005));
}

#[test]
fn only_failures_count_as_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("bot.db")).unwrap();
    s.subscribe(7).unwrap();
    s.publish("u1", &[]).unwrap();
    let attempts = |s: &SqliteStore| s.due(i64::MAX, 10).unwrap()[0].attempts;
    s.postpone("u1", 7, 1_000).unwrap();
    assert_eq!(attempts(&s), 0, "held back for pacing: not an attempt");
    assert!(
        s.due(999, 10).unwrap().is_empty(),
        "not due before its time"
    );
    s.retry_later("u1", 7, 2_000).unwrap();
    s.retry_later("u1", 7, 3_000).unwrap();
    s.postpone("u1", 7, 4_000).unwrap();
    assert_eq!(attempts(&s), 2);
    assert!(s.due(3_999, 10).unwrap().is_empty());
}

#[test]
fn a_corrupt_database_is_an_error_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bot.db");
    std::fs::write(
        &path,
        b"this is not an sqlite database, just text padding it out ....",
    )
    .unwrap();
    let err = SqliteStore::open(&path).err().expect("refused");
    assert!(err.to_string().contains("bot.db"), "{err}");
}
