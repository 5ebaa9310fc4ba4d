//! Broadcast benchmark: one update to many subscribed chats through the real binary and a fake
//! Bot API that enforces the rate limits (scaled up so the run takes seconds). Reports the
//! achieved rate as a fraction of the allowed one, limit violations, duplicates, losses and the
//! bot process's peak memory.
//!
//! Run: `cargo bench --bench broadcast` (BROADCAST_CHATS, default 10000; BROADCAST_RATE,
//! messages per second allowed, default 500; BROADCAST_DB, `sqlite` (default) or `postgres`;
//! BROADCAST_REPLICAS, bot processes sharing the database, default 1).

#[path = "common/bot.rs"]
mod bot;
#[path = "common/memory.rs"]
mod memory;

use std::path::Path;
use std::time::{Duration, Instant};

use fake_bot_api::{FakeApi, Limits};
use trade_talks_bot::store::Location;

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let chats = env("BROADCAST_CHATS", if quick { 200 } else { 10_000 }) as i64;
    let rate = env("BROADCAST_RATE", 500) as u32;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temporary folder");
    let knowledge = dir.path().join("knowledge");
    std::fs::create_dir_all(knowledge.join("updates")).expect("knowledge folder");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    for f in ["article.txt", "facts.toml", "lexicon.toml"] {
        std::fs::copy(shipped.join(f), knowledge.join(f)).expect("copy knowledge");
    }
    let replicas = env("BROADCAST_REPLICAS", 1);
    let location = match std::env::var("BROADCAST_DB").as_deref() {
        Ok("postgres") => Location::Postgres(rt.block_on(fake_bot_api::postgres::fresh_database())),
        _ => Location::Sqlite(dir.path().join("bot.db")),
    };
    let db = match &location {
        Location::Sqlite(p) => p.display().to_string(),
        Location::Postgres(url) => url.clone(),
    };
    rt.block_on(async {
        let store = trade_talks_bot::store::open(&location)
            .await
            .expect("database");
        for i in 0..chats {
            // Half private chats, half groups.
            let chat = if i % 2 == 0 { 1_000 + i } else { -1_000 - i };
            store.subscribe(chat).await.expect("subscribe");
        }
    });
    let fake = rt.block_on(FakeApi::start());
    fake.set_limits(Limits {
        per_chat_min_interval: Some(Duration::from_millis(900)),
        global_per_second: Some(rate),
        per_group_per_minute: Some(20),
        reject: false,
    });
    let mut children: Vec<std::process::Child> = (0..replicas)
        .map(|_| {
            bot::bot_command(FakeApi::TOKEN, fake.url().as_str())
                .arg("--knowledge")
                .arg(&knowledge)
                .args(["run", "--broadcast-per-sec", &(rate * 19 / 20).to_string()])
                .args(["--per-group-per-min", "20", "--db", &db])
                .spawn()
                .expect("the trade-talks-bot binary starts")
        })
        .collect();
    rt.block_on(fake.wait_for("getUpdates", replicas as usize, Duration::from_secs(10)));
    let update = "id = \"bench\"\ndate = \"2025-06-20\"\ntitle = \"Benchmark update\"\ntext = \"Officials met again at Lancaster House.\"\nsource = \"https://example.org/bench\"\n";
    std::fs::write(knowledge.join("updates/bench.toml"), update).expect("update file");
    let deadline = Instant::now() + Duration::from_secs(chats as u64 / rate as u64 * 3 + 30);
    while (fake.stats().sent as i64) < chats && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let peak = children
        .iter()
        .filter_map(|c| memory::peak_memory_kb(Some(c.id())))
        .max();
    for child in &mut children {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
    let calls = fake.calls_to("sendMessage");
    let ok: Vec<_> = calls.iter().filter(|c| c.is_ok()).collect();
    let (first, last) = (ok.iter().map(|c| c.at).min(), ok.iter().map(|c| c.at).max());
    // The busiest sliding second, as the fake saw it.
    let mut times: Vec<Instant> = ok.iter().map(|c| c.at).collect();
    times.sort();
    let (mut busiest, mut lo) = (0, 0);
    for hi in 0..times.len() {
        while times[hi].duration_since(times[lo]) >= Duration::from_secs(1) {
            lo += 1;
        }
        busiest = busiest.max(hi - lo + 1);
    }
    let stats = fake.stats();
    let duplicates: u64 = stats.per_chat.values().map(|n| n.saturating_sub(1)).sum();
    let lost = chats - stats.per_chat.len() as i64;
    let secs = match (first, last) {
        (Some(f), Some(l)) => l.duration_since(f).as_secs_f64().max(1e-3),
        _ => f64::NAN,
    };
    let achieved = (ok.len() as f64 - 1.0) / secs;
    println!(
        "broadcast to {chats} chats at {rate}/s allowed, {replicas} process(es) on {}: {} sent in {secs:.2} s = {achieved:.1}/s, fraction of allowed {:.3}, violations {} (busiest second {busiest}), duplicates {duplicates}, lost {lost}, peak memory {} KB",
        match location {
            Location::Sqlite(_) => "sqlite",
            Location::Postgres(_) => "postgres",
        },
        ok.len(),
        achieved / rate as f64,
        stats.violations,
        peak.map_or("?".into(), |k| k.to_string())
    );
}
