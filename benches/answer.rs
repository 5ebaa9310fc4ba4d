//! Criterion benchmarks of the core: answering free text and commands, and loading knowledge.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

#[path = "common/mix.rs"]
mod mix;
use trade_talks_bot::answer::{Inbound, respond, route};
use trade_talks_bot::engine::Engine;
use trade_talks_bot::knowledge::KnowledgeFiles;
use trade_talks_bot::render;

/// More than the last-level cache of the machines this runs on.
const EVICT_BYTES: usize = 64 << 20;

/// Writes one byte per cache line of `junk`, pushing everything else out of the caches.
fn evict(junk: &mut [u8]) {
    for i in (0..junk.len()).step_by(64) {
        junk[i] = junk[i].wrapping_add(1);
    }
    black_box(&junk);
}

fn answering(c: &mut Criterion) {
    let kb = Engine::builtin().expect("built-in knowledge loads");
    c.bench_function("free_text_answer", |b| {
        b.iter(|| {
            respond(
                &kb,
                black_box("how high are the US tariffs on chinese goods?"),
                None,
            )
        })
    });
    c.bench_function("free_text_typo_answer", |b| {
        b.iter(|| {
            respond(
                &kb,
                black_box("who is howard lutnik and what is his job"),
                None,
            )
        })
    });
    c.bench_function("free_text_abstain", |b| {
        b.iter(|| {
            respond(
                &kb,
                black_box("what tariffs does japan impose on rice?"),
                None,
            )
        })
    });
    c.bench_function("command", |b| {
        b.iter(|| respond(&kb, black_box("/tariffs"), None))
    });
    c.bench_function("command_and_html_render", |b| {
        b.iter(|| render::html(&kb.knowledge, &respond(&kb, black_box("/tariffs"), None)))
    });
    // What the bot does per message in `cargo bench --bench e2e`: route and render its mix.
    c.bench_function("e2e_mix_route_and_render_6", |b| {
        b.iter(|| {
            for &q in mix::MIX {
                let inbound = Inbound {
                    text: black_box(q),
                    private: true,
                    reply_to_bot: false,
                    bot_username: "TradeTalksBot",
                };
                if let Some(reply) = route(&kb, inbound) {
                    black_box(render::html(&kb.knowledge, &reply));
                }
            }
        })
    });
    // The same with the caches emptied before each message, as the bot meets them when other
    // processes share its cores (in the e2e benchmark: the fake API, the driver and the bot on
    // two cores). The warm figures above understate what a message costs there.
    let mut junk = vec![0u8; EVICT_BYTES];
    let mut cold = c.benchmark_group("cold_cache");
    cold.sample_size(30);
    for (name, q) in [
        ("free_text_answer_and_render", "who attended the talks?"),
        ("command_and_render", "/tariffs"),
    ] {
        cold.bench_function(name, |b| {
            b.iter_batched(
                || evict(&mut junk),
                |()| render::html(&kb.knowledge, &respond(&kb, black_box(q), None)),
                BatchSize::PerIteration,
            )
        });
    }
    cold.finish();
    let files = KnowledgeFiles::builtin();
    c.bench_function("load_knowledge", |b| {
        b.iter(|| Engine::from_files(black_box(&files)).expect("loads"))
    });
}

criterion_group!(benches, answering);
criterion_main!(benches);
