//! Integration tests: one test binary, modules per area, over a fake Bot API on 127.0.0.1.
mod answer;
mod cli;
mod delivery;
mod devset;
mod fake_api;
mod fake_api_selftest;
mod knowledge;
mod store;
mod subscribe;
mod telegram;
