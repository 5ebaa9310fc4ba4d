//! trade-talks-bot: answers questions about the US–China trade talks at Lancaster House from a
//! cited fact store, on Telegram and in a terminal.
//!
//! # Crate map
//!
//! Data flows one way: a transport (Telegram or the terminal) turns what it receives into a plain
//! string, [`answer`] turns that into a [`reply::Reply`] using an immutable [`engine::Engine`],
//! and [`render`] turns the reply into text for that transport.
//!
//! The answering core, from the bottom up (each imports only what is listed before it):
//!
//! - [`text`], [`command`], [`reply`]: leaves — word splitting and numbers; the
//!   [`command::Command`] enum that routing, /help, the menu and the tests share; the
//!   [`reply::Reply`] type, which names facts by id.
//! - [`knowledge`]: reads and validates `knowledge/` (the article, the curated facts, the
//!   lexicon, the operator's updates) into a plain-data [`knowledge::Knowledge`], reporting every
//!   problem as `file:line: reason`.
//! - [`analyze`]: the text pipeline shared by facts and questions — normalising, tokenising,
//!   synonyms, stemming and typo correction — so both sides are compared in the same terms.
//! - [`index`]: the facts' terms and word pairs with their weights, which the scorer reads.
//! - [`render`]: replies to plain text (terminal) or Telegram HTML, escaping and length limits.
//! - [`engine`]: Telegram's limits checked on every reply the knowledge makes, and the
//!   [`engine::Engine`] (knowledge + analyser + index), built once per load and swapped whole on
//!   reload.
//! - [`answer`]: commands and free-text questions to replies; the scorer and the abstention rules;
//!   follow-ups ("and china?") read with the conversation's last subject.
//! - [`context`]: the small, expiring per-conversation store of those subjects.
//! - [`terminal`]: the offline face of the bot (`ask`, `chat`).
//! - [`store`]: the async [`store::Store`] trait and its two engines, SQLite (one machine) and
//!   PostgreSQL (a fleet): subscribed chats, the claimed outbox of owed messages, delivery
//!   records, the shared pacer, schema migrations.
//! - [`subscriptions`]: the `/subscribe`, `/unsubscribe` and `/status` commands.
//! - [`delivery`]: publishing updates and the outbox worker, behind a small
//!   [`delivery::Sender`] trait so it is tested without Telegram.
//! - [`pacing`]: Telegram's limits, the broadcast budget (kept in the store, shared by every
//!   process) and the pacing of replies.
//! - [`reload`]: watching `knowledge/`, the database's published update files and SIGHUP;
//!   building the knowledge off the runtime, swapping it in, then publishing.
//! - [`operator`]: the operator's commands beside a running bot (`subscribers`, `status`,
//!   `backup`).
//! - [`telegram`]: the transport — start-up checks, the menu, dispatcher schema, handlers, our
//!   webhook route, the Telegram `Sender`.
//! - [`http`]: the hardened HTTP server (webhook and internal endpoints) and `/healthz`,
//!   `/readyz`, `/metrics`.
//! - [`settings`]: flags and environment as one [`settings::Settings`] (the token a `Secret`).
//! - [`app`]: the composition root — builds everything from `Settings`, starts the tasks, stops
//!   them in order.
//!
//! The dependency rule: only [`telegram`] (and [`app`], which starts it) names a teloxide type, so
//! the terminal, the tests and the bot all share the same core; nothing in the core depends on
//! `telegram`.

pub mod analyze;
pub mod answer;
pub mod app;
pub mod command;
pub mod context;
pub mod delivery;
pub mod engine;
pub mod http;
pub mod index;
pub mod knowledge;
pub mod operator;
pub mod pacing;
pub mod reload;
pub mod render;
pub mod reply;
pub mod settings;
pub mod store;
pub mod subscriptions;
pub mod telegram;
pub mod terminal;
pub mod text;
