//! The service shell through the real composition root and dispatcher against the fake Bot API:
//! replies not held to the broadcast budget, mentions, admin checks that fail, a revoked token,
//! a webhook in use, the operator's endpoints, and the binary's start-up errors and shutdown.

use std::io::Write;
use std::time::{Duration, Instant};

use fake_bot_api::{self as fake, Failure, FakeApi};
use trade_talks_bot::app;
use trade_talks_bot::pacing::Limits;
use trade_talks_bot::settings::{Mode, Settings};
use trade_talks_bot::telegram::RunError;

use crate::telegram::{
    app_in, ask, assert_ignored, bot_config, fast_config, start, start_app, start_with, terminate,
    text,
};

const WAIT: Duration = Duration::from_secs(15);

/// A free port on 127.0.0.1 (bound and released; the caller binds it again at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_300_askers_is_answered_within_2_s_on_default_settings() {
    let fake = FakeApi::start().await;
    // Telegram's limits as the bot ships: 1 per chat per second, 20 per group per minute, 28
    // broadcasts a second; no overall cap on replies.
    let config = bot_config(&fake, Limits::default());
    let bot = start_with(fake, config).await;
    let updates: Vec<_> = (1..=300)
        .map(|chat| fake::private_text(chat, chat as u64, "/tariffs"))
        .collect();
    let started = Instant::now();
    for u in updates {
        bot.fake.push_update(u);
    }
    let deadline = started + WAIT;
    while bot.fake.stats().sent < 300 {
        assert!(
            Instant::now() < deadline,
            "{} of 300 answered",
            bot.fake.stats().sent
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = started.elapsed();
    // Held to 30 a second, the last of them would wait 10 s.
    assert!(took < Duration::from_secs(2), "300 answers took {took:?}");
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_of_another_bot_whose_name_starts_with_ours_is_not_ours() {
    let bot = start().await;
    let g = -120;
    let name = bot.fake.bot_username().to_string();
    assert_ignored(
        &bot,
        g,
        fake::group_text(g, 12, &format!("@{name}X what are the tariffs?")),
        fake::group_text(g, 12, &format!("/where@{name}")),
    )
    .await;
    let r = ask(
        &bot,
        g,
        fake::group_text(g, 12, &format!("@{name}, what are the tariffs?")),
    )
    .await;
    assert!(text(&r).contains("30%"), "{r}");
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_admin_check_fails_the_user_is_told_to_try_again() {
    let bot = start().await;
    let g = -130;
    bot.fake
        .fail_next("getChatMember", Some(g), Failure::ChatNotFound);
    let r = ask(&bot, g, fake::group_text(g, 13, "/subscribe")).await;
    assert!(text(&r).contains("try again"), "{r}");
    assert!(!text(&r).contains("only the group"), "{r}");
    assert!(!bot.store_status(g).await, "nothing changed");
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_while_running_stops_the_bot_with_an_error() {
    let bot = start().await;
    let r = ask(&bot, 14, fake::private_text(14, 14, "/where")).await;
    assert!(!text(&r).is_empty());
    bot.fake.revoke_token();
    // Polling now gets 401 on every call: the bot stops on its own, with an error.
    let err = bot.wait_exit().await.unwrap_err();
    assert!(matches!(err, RunError::Fatal(_)), "{err:?}");
    assert!(err.to_string().contains("token"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_refuses_to_take_over_a_webhook_unless_told_to() {
    let fake = FakeApi::start().await;
    fake.set_webhook("https://bots.example.org/hook");
    let dir = tempfile::tempdir().unwrap();
    let err = app::run(
        fast_config(&fake),
        app_in(dir.path()).await.0,
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, RunError::WebhookInUse(_)), "{err:?}");
    assert!(err.to_string().contains("--replace-webhook"), "{err}");
    assert!(
        fake.calls_to("deleteWebhook").is_empty(),
        "the webhook was left alone"
    );
    assert!(fake.calls_to("getUpdates").is_empty());

    let mut config = fast_config(&fake);
    config.mode = Mode::Polling {
        timeout: Duration::from_secs(1),
        replace_webhook: true,
    };
    let bot = start_with(fake, config).await;
    assert_eq!(bot.fake.webhook_url(), "", "taken over on request");
    bot.stop().await.unwrap();
}

/// The fast test settings with the metrics server on a free port, and that port.
fn with_metrics(fake: &FakeApi) -> (Settings, u16) {
    let port = crate::free_port();
    let mut config = fast_config(fake);
    config.metrics_listen = Some(format!("127.0.0.1:{port}").parse().unwrap());
    (config, port)
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_are_served_to_the_operator() {
    let fake = FakeApi::start().await;
    let (config, port) = with_metrics(&fake);
    let bot = start_with(fake, config).await;
    let r = ask(&bot, 15, fake::private_text(15, 15, "what are the tariffs")).await;
    assert!(text(&r).contains("30%"));
    ask(
        &bot,
        15,
        fake::private_text(15, 15, "what is the capital of peru"),
    )
    .await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(get(&client, &format!("{base}/healthz")).await.0, 200);
    assert_eq!(get(&client, &format!("{base}/readyz")).await.0, 200);
    let (status, metrics) = get(&client, &format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    for needle in [
        "bot_updates_total{kind=\"message\"}",
        "bot_answers_total{outcome=\"answered\"}",
        "bot_answers_total{outcome=\"abstained\"}",
        "bot_reply_seconds_bucket",
        "bot_telegram_requests_total{method=\"sendMessage\",outcome=\"ok\"}",
        "bot_outbox_due",
    ] {
        assert!(
            metrics.contains(needle),
            "{needle} missing from:\n{metrics}"
        );
    }
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_deleted_while_running_is_not_ready_and_never_a_false_subscribed() {
    let fake = FakeApi::start().await;
    let (config, port) = with_metrics(&fake);
    let dir = tempfile::tempdir().unwrap();
    let (app, store) = app_in(dir.path()).await;
    let bot = start_app(fake, config, app, store).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let ready = format!("http://127.0.0.1:{port}/readyz");
    assert_eq!(get(&client, &ready).await.0, 200);
    std::fs::remove_file(dir.path().join("bot.db")).unwrap();
    let (status, body) = get(&client, &ready).await;
    assert_eq!(status, 503, "{body}");
    let r = ask(&bot, 16, fake::private_text(16, 16, "/subscribe")).await;
    assert!(text(&r).contains("try again"), "{}", text(&r));
    // Answers go on from memory.
    let r = ask(&bot, 16, fake::private_text(16, 16, "what are the tariffs")).await;
    assert!(text(&r).contains("30%"));
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_and_back_is_reported_and_never_a_false_subscribed() {
    use fake_bot_api::postgres::OwnServer;
    use trade_talks_bot::engine::{Engine, SharedEngine};
    use trade_talks_bot::store::Location;
    let server = tokio::task::spawn_blocking(OwnServer::start).await.unwrap();
    let store = trade_talks_bot::store::open(&Location::Postgres(server.url()))
        .await
        .unwrap();
    let fake = FakeApi::start().await;
    let (config, port) = with_metrics(&fake);
    let parts = app::Parts {
        engine: SharedEngine::new(Engine::builtin().unwrap()),
        store: store.clone(),
    };
    let bot = start_app(fake, config, parts, store).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let ready = format!("http://127.0.0.1:{port}/readyz");
    assert_eq!(get(&client, &ready).await.0, 200);
    let r = ask(&bot, 17, fake::private_text(17, 17, "/subscribe")).await;
    assert!(text(&r).starts_with("Subscribed"), "{}", text(&r));

    server.stop();
    assert_eq!(
        get(&client, &ready).await.0,
        503,
        "not ready without its database"
    );
    let r = ask(&bot, 18, fake::private_text(18, 18, "/subscribe")).await;
    assert!(text(&r).contains("try again"), "{}", text(&r));
    let t = Instant::now();
    let r = ask(&bot, 18, fake::private_text(18, 18, "what are the tariffs")).await;
    assert!(text(&r).contains("30%"), "answers go on from memory");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());

    server.restart();
    let log = server.log();
    fake_bot_api::wait_until_async(
        &format!("ready again; server log:\n{log}"),
        WAIT,
        || async { get(&client, &ready).await.0 == 200 },
    )
    .await;
    let r = ask(&bot, 18, fake::private_text(18, 18, "/subscribe")).await;
    assert!(text(&r).starts_with("Subscribed"), "{}", text(&r));
    assert!(
        bot.store.status(17).await.unwrap().subscribed,
        "nothing lost"
    );
    bot.stop().await.unwrap();
}

#[test]
fn a_bad_proxy_is_a_one_line_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"))
        .current_dir(dir.path())
        .env("TELOXIDE_TOKEN", "123:SECRET-VALUE")
        .env("TELOXIDE_PROXY", "socks9://proxy:1")
        .arg("run")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("TELOXIDE_PROXY"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("SECRET"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn sigterm_stops_a_webhook_bot_within_10_s_whatever_clients_hold() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(FakeApi::start());
    let dir = tempfile::tempdir().unwrap();
    let port = crate::free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"))
        .current_dir(dir.path())
        .env("TELOXIDE_TOKEN", FakeApi::TOKEN)
        .env("TELOXIDE_API_URL", fake.url().as_str())
        .env("NO_PROXY", "127.0.0.1")
        .args(["run", "--webhook-url"])
        .arg(format!("https://bots.example.org:{port}/hook"))
        .arg("--webhook-listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--webhook-secret", "s3cret"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    rt.block_on(fake.wait_for("setWebhook", 1, WAIT));
    // Slow clients: connections that send part of a request's headers and stall.
    let mut held = Vec::new();
    let deadline = Instant::now() + WAIT;
    while held.len() < 50 {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(mut s) => {
                let _ = s.write_all(b"POST /hook HTTP/1.1\r\nHost: x\r\nX-Telegram");
                held.push(s);
            }
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("webhook not listening: {e}"),
        }
    }
    let stopping = Instant::now();
    let (status, log) = terminate(child);
    let took = stopping.elapsed();
    assert!(status.success(), "exit {status:?}: {log}");
    assert!(took < Duration::from_secs(10), "stopped after {took:?}");
    assert!(
        fake.calls_to("deleteWebhook").is_empty(),
        "the webhook is left for the other replicas"
    );
    drop(held);
}

/// The value of an unlabelled counter in a Prometheus text page (0 if absent).
fn counter(page: &str, name: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_backlog_new_updates_are_shed_visibly() {
    let fake = FakeApi::start().await;
    let port = crate::free_port();
    let mut config = fast_config(&fake);
    // Telegram holds every answer until the test lets it go, so the handlers that were admitted
    // stay in flight however slowly this machine dispatches: exactly 5 may be. Inline queries,
    // because they are dispatched concurrently: teloxide's per-chat workers can pause dispatching
    // while a worker that has just taken an update finishes it, which a held answer never does.
    fake.hold_sends();
    config.reply_timeout = WAIT * 4;
    config.max_backlog = 5;
    config.metrics_listen = Some(format!("127.0.0.1:{port}").parse().unwrap());
    let bot = start_with(fake, config).await;
    for n in 1..=50 {
        bot.fake
            .push_update(fake::inline_query(n, "tariffs", &format!("q{n}")));
    }
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let answering = || bot.fake.calls_to("answerInlineQuery").len() as u64;
    // Every update is either shed or admitted, and an admitted one is sending its answer.
    let deadline = Instant::now() + WAIT;
    let shed = loop {
        let shed = counter(&get(&client, &url).await.1, "bot_shed_updates_total") as u64;
        if shed + answering() >= 50 {
            break shed;
        }
        assert!(Instant::now() < deadline, "{shed} shed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (shed, answering()),
        (45, 5),
        "shed and admitted, with a backlog of 5"
    );
    // Once Telegram answers, the admitted ones finish and new updates are admitted again.
    bot.fake.release_sends();
    let deadline = Instant::now() + WAIT;
    while counter(
        &get(&client, &url).await.1,
        "bot_telegram_requests_total{method=\"answerInlineQuery\",outcome=\"ok\"}",
    ) < 5.0
    {
        assert!(Instant::now() < deadline, "the held answers never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bot.fake.push_update(fake::private_text(2000, 77, "/where"));
    bot.fake.wait_for("sendMessage", 1, WAIT).await;
    let page = get(&client, &url).await.1;
    assert_eq!(counter(&page, "bot_shed_updates_total"), 45.0);
    bot.stop().await.unwrap();
}

/// A stop asked for while the dispatcher is busy handing updates to a handler still stops the
/// bot: teloxide's own shutdown signal reaches the dispatcher only if it is waiting at that
/// instant, so the bot ends the update stream instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_during_a_burst_to_one_chat_still_stops_the_bot() {
    let fake = FakeApi::start().await;
    let mut config = fast_config(&fake);
    // The first reply is held; the rest of the burst (queued before the bot starts, so its
    // first poll takes it all) fills that chat's queue, 64 in teloxide, and the dispatcher
    // waits for room in it when the stop comes.
    fake.hold_sends();
    config.reply_timeout = WAIT * 4;
    for _ in 1..=80 {
        fake.push_update(fake::private_text(5, 5, "/where"));
    }
    let mut bot = start_with(fake, config).await;
    bot.fake.wait_for("sendMessage", 1, WAIT).await;
    bot.request_stop();
    bot.fake.release_sends();
    bot.stop().await.unwrap();
}
