//! Owns the fake Telegram Bot API that trade-talks-bot's integration tests and benchmarks run the
//! bot against: the server on 127.0.0.1 ([`FakeApi`]), the update builders, [`wait_until`], and
//! the throwaway PostgreSQL server ([`postgres::fresh_database`]).
//!
//! ```no_run
//! # async fn demo() {
//! use std::time::Duration;
//! use fake_bot_api::{FakeApi, private_text};
//!
//! let fake = FakeApi::start().await;
//! // ... start the bot with `fake.url()` and `FakeApi::TOKEN`, then:
//! fake.push_update(private_text(42, 42, "/help"));
//! let sent = fake.wait_for("sendMessage", 1, Duration::from_secs(10)).await;
//! assert_eq!(sent[0].chat_id(), Some(42));
//! # }
//! ```

pub mod postgres;
mod server;
mod updates;
mod wait;

pub use server::{Call, Failure, FakeApi, Limits, Stats};
pub use updates::{
    BOT_USER_ID, anonymous_admin_text, channel_post, edited_private_text, group_new_member_service,
    group_reply_to_bot, group_text, inline_query, migrate_from, migrate_to, my_chat_member,
    private_sticker, private_text,
};
pub use wait::{wait_until, wait_until_async};
