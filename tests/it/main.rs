//! Integration tests: one test binary, modules per area, over a fake Bot API on 127.0.0.1.
mod answer;
mod cli;
mod delivery;
mod devset;
mod engines;
mod fleet;
mod http;
mod knowledge;
mod layers;
mod operator;
mod reload;
mod shell;
mod store;
mod subscribe;
mod telegram;

/// A port free on 127.0.0.1 a moment ago, for a process or server that binds it itself.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
