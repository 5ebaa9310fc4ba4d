//! Criterion benchmarks of the core: answering free text and commands, and loading knowledge.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/mix.rs"]
mod mix;
use trade_talks_bot::answer::{Inbound, respond, route};
use trade_talks_bot::knowledge::{KnowledgeBase, KnowledgeFiles};
use trade_talks_bot::render;

fn answering(c: &mut Criterion) {
    let kb = KnowledgeBase::builtin().expect("built-in knowledge loads");
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
        b.iter(|| render::html(&kb, &respond(&kb, black_box("/tariffs"), None)))
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
                    black_box(render::html(&kb, &reply));
                }
            }
        })
    });
    let files = KnowledgeFiles::builtin();
    c.bench_function("load_knowledge", |b| {
        b.iter(|| KnowledgeBase::from_files(black_box(&files)).expect("loads"))
    });
}

criterion_group!(benches, answering);
criterion_main!(benches);
