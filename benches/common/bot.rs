//! The real `trade-talks-bot` binary, set up to serve a fake Bot API in the benchmarks (shared
//! by `broadcast` and `e2e`).

use std::process::Command;

/// The bot binary with the fake API's token and address, no proxy for loopback and warnings
/// only in its log; the caller adds the subcommand and flags, then spawns it.
pub fn bot_command(token: &str, api_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"));
    command
        .env("TELOXIDE_TOKEN", token)
        .env("TELOXIDE_API_URL", api_url)
        .env("NO_PROXY", "127.0.0.1")
        .env("RUST_LOG", "warn");
    command
}
