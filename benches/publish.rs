//! Publishing benchmark: one update owed to N subscribers at once (one `INSERT … SELECT` in the
//! publishing transaction), on PostgreSQL and on SQLite. Reports the time publish took and this
//! process's peak memory before and after (the rows never pass through the bot).
//!
//! Run: `cargo bench --bench publish` (PUBLISH_SUBSCRIBERS, default 1000000; PUBLISH_ENGINES,
//! default "postgres,sqlite"). Without `--bench` (as `cargo test` runs it) it publishes to 1000.

#[path = "common/memory.rs"]
mod memory;

use std::time::{Duration, Instant};

use trade_talks_bot::store::Location;

/// Subscribes chats 1..=n straight in the database (the store's one-by-one `subscribe` would
/// take longer than what is measured).
async fn seed(location: &Location, n: i64) {
    match location {
        Location::Postgres(url) => {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .expect("connect");
            tokio::spawn(conn);
            client
                .execute(
                    "INSERT INTO subscriptions (chat_id, since_ms)
                     SELECT g, 0 FROM generate_series(1, $1::bigint) g",
                    &[&n],
                )
                .await
                .expect("seed");
        }
        Location::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).expect("open");
            c.execute(
                "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ?1)
                 INSERT INTO subscriptions (chat_id, since_ms) SELECT x, 0 FROM g",
                [n],
            )
            .expect("seed");
        }
    }
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let n: i64 = std::env::var("PUBLISH_SUBSCRIBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 1_000 } else { 1_000_000 });
    let engines = std::env::var("PUBLISH_ENGINES").unwrap_or("postgres,sqlite".into());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temporary folder");
    for engine in engines.split(',') {
        let location = match engine.trim() {
            "postgres" => Location::Postgres(rt.block_on(fake_bot_api::postgres::fresh_database())),
            "sqlite" => Location::Sqlite(dir.path().join("publish.db")),
            other => panic!("unknown engine {other}"),
        };
        rt.block_on(async {
            let store = trade_talks_bot::store::open(&location)
                .await
                .expect("store");
            seed(&location, n).await;
            let before = memory::peak_memory_kb(None);
            let parts = vec!["<b>Update: benchmark</b>\nOfficials met again.".to_string()];
            let t = Instant::now();
            let queued = store.publish("bench", &parts).await.expect("publish");
            let took = t.elapsed();
            let after = memory::peak_memory_kb(None);
            assert_eq!(queued as i64, n);
            // The first claim after it, as a worker would make it.
            let t = Instant::now();
            let claimed = store
                .claim(100, Duration::from_secs(60))
                .await
                .expect("claim");
            let claim_took = t.elapsed();
            assert_eq!(claimed.len(), 100.min(n as usize));
            println!(
                "publish to {n} subscribers on {engine}: {:.2} s; first claim of 100 {:.1} ms; \
                 peak memory of this process {} KB before, {} KB after",
                took.as_secs_f64(),
                claim_took.as_secs_f64() * 1000.0,
                before.map_or("?".into(), |k| k.to_string()),
                after.map_or("?".into(), |k| k.to_string()),
            );
        });
    }
}
