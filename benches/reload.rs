//! Reload benchmark: reply latency while a large knowledge set is reloaded. The bot runs in this
//! process against the fake Bot API, with a knowledge folder grown to RELOAD_FACTS facts
//! (default 20,000); questions arrive at a steady rate from many chats while `facts.toml` is
//! touched, and the replies' p50/p99 are printed for the quiet period and the reload period,
//! with how long the reload took.
//!
//! Run: `cargo bench --bench reload` (RELOAD_FACTS, RELOAD_RATE questions per second).

#[path = "common/mix.rs"]
mod mix;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use fake_bot_api::FakeApi;
use trade_talks_bot::engine::{Engine, SharedEngine};
use trade_talks_bot::settings::{Mode, Secret, Settings};
use trade_talks_bot::store::SqliteStore;

/// The shipped knowledge with `extra` more facts (copies of the first one under new ids).
fn grow_knowledge(dir: &Path, extra: usize) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    std::fs::create_dir_all(dir.join("updates")).expect("knowledge folder");
    for f in ["article.txt", "lexicon.toml"] {
        std::fs::copy(shipped.join(f), dir.join(f)).expect("copy knowledge");
    }
    let facts = std::fs::read_to_string(shipped.join("facts.toml")).expect("facts");
    let first = facts.find("\n[[fact]]\n").expect("a fact") + 1;
    let end = facts[first + 8..]
        .find("[[fact]]")
        .map_or(facts.len(), |i| first + 8 + i);
    let template = &facts[first..end];
    let id_line = template.lines().nth(1).expect("an id line").to_string();
    let mut grown = facts.clone();
    for i in 0..extra {
        grown.push('\n');
        grown.push_str(&template.replacen(&id_line, &format!("id = \"bench-{i}\""), 1));
    }
    std::fs::write(dir.join("facts.toml"), grown).expect("write facts");
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v.get(((v.len().max(1) - 1) as f64 * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let facts = env("RELOAD_FACTS", if quick { 500 } else { 20_000 });
    let rate = env("RELOAD_RATE", 100) as u64;
    let dir = tempfile::tempdir().expect("temporary folder");
    let knowledge = dir.path().join("knowledge");
    grow_knowledge(&knowledge, facts);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let started = Instant::now();
        let kb = Engine::load(Some(&knowledge)).expect("grown knowledge loads");
        let load_time = started.elapsed();
        let fake = FakeApi::start().await;
        let mut settings = Settings::new(Secret::new(FakeApi::TOKEN));
        settings.api_url = Some(fake.url());
        settings.mode = Mode::Polling {
            timeout: Duration::from_secs(1),
            replace_webhook: false,
        };
        settings.knowledge_dir = Some(knowledge.clone());
        settings.limits.per_chat_interval = Duration::from_millis(1);
        let store = std::sync::Arc::new(
            SqliteStore::open(&dir.path().join("bot.db"))
                .await
                .expect("database"),
        );
        let parts = trade_talks_bot::app::Parts {
            engine: SharedEngine::new(kb),
            store,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let bot = tokio::spawn(trade_talks_bot::app::run(settings, parts, async {
            let _ = stopped.await;
        }));
        fake.wait_for("getUpdates", 1, Duration::from_secs(30))
            .await;
        // The watcher's first look at the folder (a reload of its own) must be over.
        tokio::time::sleep(load_time * 2 + Duration::from_secs(1)).await;

        // Questions at a steady rate: a quiet period, then the same while reloading.
        let period = Duration::from_secs(1) / rate as u32;
        let quiet = (load_time.as_secs_f64() * rate as f64).max(200.0) as usize;
        let during = quiet;
        let mut pushed: HashMap<i64, Instant> = HashMap::new();
        let mut reload_at = None;
        let t0 = Instant::now();
        for i in 0..quiet + during {
            tokio::time::sleep_until((t0 + period * i as u32).into()).await;
            if i == quiet {
                // A change the watcher reloads: the whole folder is read and built again.
                let facts = knowledge.join("facts.toml");
                let text = std::fs::read_to_string(&facts).expect("facts");
                std::fs::write(&facts, text + "\n").expect("touch facts");
                reload_at = Some(Instant::now());
            }
            let chat = 1 + i as i64;
            pushed.insert(chat, Instant::now());
            fake.push_update(fake_bot_api::private_text(
                chat,
                chat as u64,
                mix::MIX[i % mix::MIX.len()],
            ));
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        while (fake.stats().sent as usize) < quiet + during && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let reload_at = reload_at.expect("a reload");
        let (mut before, mut while_reloading) = (Vec::new(), Vec::new());
        for call in fake.calls_to("sendMessage") {
            let Some(chat) = call.chat_id() else { continue };
            let Some(at) = pushed.get(&chat) else {
                continue;
            };
            let latency = call.at.saturating_duration_since(*at);
            if *at < reload_at {
                before.push(latency);
            } else {
                while_reloading.push(latency);
            }
        }
        println!("knowledge grown by {facts} facts: load {load_time:?}; {rate} questions/s");
        println!(
            "before the reload: {} replies, p50 {:?}, p99 {:?}",
            before.len(),
            percentile(&mut before, 0.5),
            percentile(&mut before, 0.99)
        );
        println!(
            "during the reload: {} replies, p50 {:?}, p99 {:?}",
            while_reloading.len(),
            percentile(&mut while_reloading, 0.5),
            percentile(&mut while_reloading, 0.99)
        );
        let _ = stop.send(());
        let _ = bot.await;
    });
}
