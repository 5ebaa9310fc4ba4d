//! The real teloxide dispatcher against the fake Bot API on 127.0.0.1: private chats, groups,
//! inline mode, odd updates, failed sends, start-up errors, shutdown and the webhook.

use std::time::{Duration, Instant};

use serde_json::Value;
use std::sync::Arc;
use tokio::sync::oneshot;
use trade_talks_bot::engine::{Engine, SharedEngine};

use trade_talks_bot::app::{self, Parts};
use trade_talks_bot::command::Command;
use trade_talks_bot::pacing::Limits;
use trade_talks_bot::settings::{Mode, Secret, Settings};
use trade_talks_bot::store::SqliteStore;
use trade_talks_bot::telegram::RunError;

use fake_bot_api::{self as fake, Failure, FakeApi};

const WAIT: Duration = Duration::from_secs(10);

pub struct Running {
    pub fake: FakeApi,
    pub store: Arc<dyn trade_talks_bot::store::Store>,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<Result<(), RunError>>,
    _dir: Option<tempfile::TempDir>,
}

impl Running {
    /// Whether `chat` is subscribed, as the store says.
    pub async fn store_status(&self, chat: i64) -> bool {
        self.store.status(chat).await.unwrap().subscribed
    }

    /// Waits for the bot to stop on its own and returns how `run` ended.
    pub async fn wait_exit(mut self) -> Result<(), RunError> {
        // Held, not dropped: dropping the sender would ask the bot to stop.
        let _keep = self.stop.take();
        tokio::time::timeout(Duration::from_secs(15), &mut self.handle)
            .await
            .expect("bot stops within 15 s")
            .expect("bot task did not panic")
    }

    /// Asks the bot to stop, without waiting for it ([`Running::stop`] then waits).
    pub fn request_stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    /// Stops the bot gracefully and returns how `run` ended.
    pub async fn stop(mut self) -> Result<(), RunError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(Duration::from_secs(15), &mut self.handle)
            .await
            .expect("bot stops within 15 s")
            .expect("bot task did not panic")
    }
}

/// Our bot's settings for `fake`: its token and address, a 1 s long poll (so a shutdown is quick)
/// and the given pacing.
pub fn bot_config(fake: &FakeApi, limits: Limits) -> Settings {
    let mut settings = Settings::new(Secret::new(FakeApi::TOKEN));
    settings.api_url = Some(fake.url());
    settings.mode = Mode::Polling {
        timeout: Duration::from_secs(1),
        replace_webhook: false,
    };
    settings.limits = limits;
    settings
}

/// Sends SIGTERM to a bot process and waits for it to end: its exit status and its log (stderr,
/// if it was piped).
pub fn terminate(child: std::process::Child) -> (std::process::ExitStatus, String) {
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The bot against `fake`, with pacing loose enough that tests do not wait on it.
pub fn fast_config(fake: &FakeApi) -> Settings {
    let mut settings = bot_config(
        fake,
        Limits {
            broadcast_per_second: 1000,
            reply_cap_per_second: None,
            per_chat_interval: Duration::from_millis(10),
            per_group_per_minute: 6000,
        },
    );
    // A reply that fails with a 5xx is given up after this (teloxide would sleep 10 s first);
    // short, so the tests that wait on it stay far from their own limits.
    settings.reply_timeout = Duration::from_secs(2);
    settings
}

/// A store in `dir` (reopened if it exists), and the parts serving the built-in knowledge from
/// it.
pub async fn app_in(dir: &std::path::Path) -> (Parts, Arc<SqliteStore>) {
    let store = Arc::new(SqliteStore::open(&dir.join("bot.db")).await.unwrap());
    let kb = SharedEngine::new(Engine::builtin().unwrap());
    (
        Parts {
            engine: kb,
            store: store.clone(),
        },
        store,
    )
}

/// Starts the bot with `app` and waits until it polls.
pub async fn start_app(
    fake: FakeApi,
    config: Settings,
    parts: Parts,
    store: Arc<dyn trade_talks_bot::store::Store>,
) -> Running {
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(app::run(config, parts, async {
        let _ = rx.await;
    }));
    fake.wait_for("getUpdates", 1, WAIT).await;
    Running {
        fake,
        store,
        stop: Some(tx),
        handle,
        _dir: None,
    }
}

pub async fn start_with(fake: FakeApi, config: Settings) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let (app, store) = app_in(dir.path()).await;
    let mut running = start_app(fake, config, app, store).await;
    running._dir = Some(dir);
    running
}

pub async fn start() -> Running {
    let fake = FakeApi::start().await;
    let config = fast_config(&fake);
    start_with(fake, config).await
}

/// Pushes an update and waits for the next sendMessage to `chat`; returns its parameters.
pub async fn ask(bot: &Running, chat: i64, update: Value) -> Value {
    let before = sent_to(&bot.fake, chat).len();
    bot.fake.push_update(update);
    let deadline = Instant::now() + WAIT;
    loop {
        let sent = sent_to(&bot.fake, chat);
        if sent.len() > before {
            return sent[before].clone();
        }
        assert!(
            Instant::now() < deadline,
            "no reply in chat {chat}; calls: {}",
            bot.fake.describe_calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn sent_to(fake: &FakeApi, chat: i64) -> Vec<Value> {
    fake.calls_to("sendMessage")
        .into_iter()
        .filter(|c| c.chat_id() == Some(chat))
        .map(|c| c.params)
        .collect()
}

/// Sends a marker question after `update` and checks that nothing but the marker's answer
/// came back: proves `update` was ignored without waiting on a timer.
pub async fn assert_ignored(bot: &Running, chat: i64, update: Value, marker: Value) {
    let before = sent_to(&bot.fake, chat).len();
    bot.fake.push_update(update);
    let reply = ask(bot, chat, marker).await;
    let sent = sent_to(&bot.fake, chat);
    assert_eq!(
        sent.len(),
        before + 1,
        "expected only the marker's reply, got {:#?}",
        &sent[before..]
    );
    assert!(
        reply["text"].as_str().unwrap().contains("Lancaster House"),
        "{reply}"
    );
}

pub fn text(v: &Value) -> &str {
    v["text"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_chat_commands_free_text_and_odd_input() {
    let bot = start().await;
    // The command menu is registered at start.
    let menu = bot.fake.wait_for("setMyCommands", 1, WAIT).await;
    let names: Vec<&str> = menu[0].params["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    let kb = Engine::builtin().unwrap();
    let expected = kb
        .knowledge
        .topics
        .iter()
        .map(|t| t.command.clone())
        .chain(Command::FIXED.iter().map(|c| c.name().to_string()));
    assert_eq!(
        names.len(),
        kb.knowledge.topics.len() + Command::FIXED.len()
    );
    for c in expected {
        let c = c.as_str();
        assert!(names.contains(&c), "{c} missing from {names:?}");
    }

    let r = ask(&bot, 10, fake::private_text(10, 10, "/tariffs")).await;
    assert_eq!(r["parse_mode"], "HTML");
    assert_eq!(r["chat_id"], 10);
    assert_eq!(r["link_preview_options"]["is_disabled"], true);
    assert!(
        text(&r).contains("30%") && text(&r).contains("<blockquote>[8]"),
        "{r}"
    );
    assert!(
        r.get("reply_parameters").is_none(),
        "private replies need not quote"
    );

    let r = ask(
        &bot,
        10,
        fake::private_text(10, 10, "who attended the talks?"),
    )
    .await;
    for name in [
        "Howard Lutnick",
        "Scott Bessent",
        "Jamieson Greer",
        "He Lifeng",
    ] {
        assert!(text(&r).contains(name), "{r}");
    }
    let r = ask(&bot, 10, fake::private_text(10, 10, "/nonsense<b>")).await;
    assert!(
        text(&r).contains("/nonsense&lt;b&gt;") && text(&r).contains("/help"),
        "{r}"
    );
    let r = ask(
        &bot,
        10,
        fake::private_text(10, 10, "what is Bitcoin worth?"),
    )
    .await;
    assert!(text(&r).contains("doesn’t cover"), "{r}");
    let r = ask(&bot, 10, fake::private_text(10, 10, &"x".repeat(10_000))).await;
    assert!(
        text(&r).contains("too long") && text(&r).chars().count() < 4096,
        "{r}"
    );
    let r = ask(
        &bot,
        10,
        fake::private_text(10, 10, "🙂 \u{200F}tariffs\u{200B} on china?"),
    )
    .await;
    assert!(text(&r).contains("30%"), "{r}");
    // Non-text messages in private get a hint; edits are ignored.
    let r = ask(&bot, 10, fake::private_sticker(10, 10)).await;
    assert!(text(&r).contains("text questions"), "{r}");
    assert_ignored(
        &bot,
        10,
        fake::edited_private_text(10, 10, "/tariffs"),
        fake::private_text(10, 10, "/where"),
    )
    .await;
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_answer_commands_for_this_bot_mentions_and_replies_only() {
    let bot = start().await;
    let g = -100;
    let r = ask(
        &bot,
        g,
        fake::group_text(g, 11, "/tariffs@TradeTalksTestBot"),
    )
    .await;
    assert!(text(&r).contains("30%"));
    assert!(
        r["reply_parameters"]["message_id"].is_number(),
        "group replies quote the question: {r}"
    );
    let r = ask(&bot, g, fake::group_text(g, 11, "/who@tradetalkstestbot")).await;
    assert!(text(&r).contains("Lutnick"));
    let where_q = || fake::group_text(g, 11, "/where");
    assert_ignored(
        &bot,
        g,
        fake::group_text(g, 11, "/tariffs@OtherBot"),
        where_q(),
    )
    .await;
    assert_ignored(
        &bot,
        g,
        fake::group_text(g, 11, "who attended the talks?"),
        where_q(),
    )
    .await;
    assert_ignored(
        &bot,
        g,
        fake::group_text(g, 11, "/nosuchcommand"),
        where_q(),
    )
    .await;
    assert_ignored(&bot, g, fake::group_new_member_service(g, 12), where_q()).await;
    let r = ask(
        &bot,
        g,
        fake::group_text(g, 11, "@TradeTalksTestBot who attended the talks?"),
    )
    .await;
    assert!(text(&r).contains("Bessent"), "{r}");
    let r = ask(
        &bot,
        g,
        fake::group_reply_to_bot(g, 11, "and china's tariffs?", 5, fake::BOT_USER_ID),
    )
    .await;
    assert!(text(&r).contains("10%"), "{r}");
    // An anonymous admin (no user of its own) is answered like anyone.
    let r = ask(&bot, g, fake::anonymous_admin_text(g, "/truce")).await;
    assert!(text(&r).contains("Geneva"));
    // Channel posts have no sender: ignored, and the bot keeps serving.
    bot.fake.push_update(fake::channel_post(-1009, "/tariffs"));
    let r = ask(&bot, 10, fake::private_text(10, 10, "/where")).await;
    assert!(text(&r).contains("Lancaster"));
    assert!(sent_to(&bot.fake, -1009).is_empty());
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_use_the_chat_context_and_in_groups_only_a_reply_thread() {
    let bot = start().await;
    // Private chat: "and china?" right after a question uses its subject.
    let r = ask(
        &bot,
        20,
        fake::private_text(20, 20, "what tariffs did the US put on Chinese goods?"),
    )
    .await;
    assert!(text(&r).contains("30%"), "{r}");
    let r = ask(&bot, 20, fake::private_text(20, 20, "and china?")).await;
    // The answer is China's rate (the quoted sentence holds both).
    assert!(
        text(&r).starts_with("China lowered its tariff rates to 10%"),
        "{r}"
    );
    // Another chat has no context: the bot asks what the user means.
    let r = ask(&bot, 21, fake::private_text(21, 21, "and china?")).await;
    assert!(text(&r).contains("What do you mean"), "{r}");

    // Group: a question by mention sets the subject; a follow-up by mention (not a reply to the
    // bot) is not read with it, a reply to the bot's answer is.
    let g = -200;
    let r = ask(
        &bot,
        g,
        fake::group_text(
            g,
            31,
            "@TradeTalksTestBot how much did exports rise in May?",
        ),
    )
    .await;
    assert!(text(&r).contains("4.8%"), "{r}");
    let r = ask(
        &bot,
        g,
        fake::group_text(g, 31, "@TradeTalksTestBot what about imports?"),
    )
    .await;
    assert!(text(&r).contains("What do you mean"), "{r}");
    let r = ask(
        &bot,
        g,
        fake::group_reply_to_bot(g, 31, "what about imports?", 7, fake::BOT_USER_ID),
    )
    .await;
    assert!(text(&r).contains("May imports fell 3.4%"), "{r}");
    assert!(!text(&r).contains("showed China’s May exports"), "{r}");
    // Another user replying in the same group has no subject of their own yet.
    let r = ask(
        &bot,
        g,
        fake::group_reply_to_bot(g, 32, "what about imports?", 7, fake::BOT_USER_ID),
    )
    .await;
    assert!(text(&r).contains("What do you mean"), "{r}");
    // In groups "not covered" is one short line.
    let r = ask(
        &bot,
        g,
        fake::group_text(g, 31, "@TradeTalksTestBot what is bitcoin worth?"),
    )
    .await;
    assert!(
        text(&r).contains("doesn’t cover") && !text(&r).contains('\n') && text(&r).len() < 80,
        "{r}"
    );
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_queries_return_cited_cards_or_the_topic_list() {
    let bot = start().await;
    bot.fake
        .push_update(fake::inline_query(10, "tariffs on china", "q1"));
    bot.fake.push_update(fake::inline_query(10, "", "q2"));
    bot.fake
        .push_update(fake::inline_query(10, "weather in paris", "q3"));
    let calls = bot.fake.wait_for("answerInlineQuery", 3, WAIT).await;
    let by_id = |id: &str| {
        calls
            .iter()
            .find(|c| c.params["inline_query_id"] == id)
            .unwrap()
            .params["results"]
            .as_array()
            .unwrap()
            .clone()
    };
    let cards = by_id("q1");
    assert_eq!(cards[0]["id"], "tariff-us-on-china");
    let content = cards[0]["input_message_content"]["message_text"]
        .as_str()
        .unwrap();
    assert!(
        content.contains("30%") && content.contains("<blockquote>[8]"),
        "{content}"
    );
    assert_eq!(cards[0]["input_message_content"]["parse_mode"], "HTML");
    let topics = Engine::builtin().unwrap().knowledge.topics.len();
    for id in ["q2", "q3"] {
        let cards = by_id(id);
        assert_eq!(cards.len(), topics, "{id}: one card per topic");
        assert!(
            cards
                .iter()
                .any(|c| c["title"].as_str().unwrap().contains("Tariff"))
        );
    }
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sends_are_survived_and_do_not_stall_other_chats() {
    let bot = start().await;
    // 403: logged, the next update is served.
    bot.fake.fail_next(
        "sendMessage",
        Some(20),
        Failure::Forbidden("Forbidden: bot was blocked by the user".into()),
    );
    bot.fake.push_update(fake::private_text(20, 20, "/tariffs"));
    let r = ask(&bot, 21, fake::private_text(21, 21, "/where")).await;
    assert!(text(&r).contains("Lancaster"));
    // 429 with retry_after: the reply waits and is retried, the answer arrives.
    bot.fake
        .fail_next("sendMessage", Some(22), Failure::RetryAfter(1));
    let started = Instant::now();
    bot.fake.push_update(fake::private_text(22, 22, "/truce"));
    let deadline = Instant::now() + WAIT;
    while !bot
        .fake
        .calls_to("sendMessage")
        .iter()
        .any(|c| c.chat_id() == Some(22) && c.is_ok())
    {
        assert!(Instant::now() < deadline, "{}", bot.fake.describe_calls());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "retried before retry_after"
    );
    // 5xx: logged; another chat is still answered promptly, and so is the failing chat's next
    // update (the reply path does not sleep 10 s after a 5xx as teloxide's requests do).
    bot.fake.fail_next("sendMessage", Some(23), Failure::Server);
    // Counted before the update goes out, or a quick bot's failed call could be missed.
    let sends_before = bot.fake.calls_to("sendMessage").len();
    bot.fake.push_update(fake::private_text(23, 23, "/chips"));
    bot.fake
        .wait_for("sendMessage", sends_before + 1, WAIT)
        .await;
    for (chat, command, expected) in [(24, "/call", "Trump"), (23, "/where", "Lancaster")] {
        let t = Instant::now();
        let r = ask(&bot, chat, fake::private_text(chat, chat as u64, command)).await;
        assert!(text(&r).contains(expected));
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "chat {chat} waited {:?}",
            t.elapsed()
        );
    }
    // A chat's own next update is still served after its failure.
    let r = ask(&bot, 20, fake::private_text(20, 20, "/where")).await;
    assert!(text(&r).contains("Lancaster"));
    drop(bot);
}

/// `run`'s outcome, or a test failure after three [`WAIT`]s: a startup that should fail must not hang.
async fn within<T>(run: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT * 3, run)
        .await
        .expect("app::run neither failed nor stopped in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_and_unreachable_api_are_clear_errors_without_the_token() {
    let fake = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast_config(&fake);
    config.token = Secret::new("999:WRONG-SECRET-TOKEN");
    let err = within(app::run(
        config,
        app_in(dir.path()).await.0,
        std::future::pending(),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, RunError::TokenRejected(_)), "{err:?}");
    assert!(!err.to_string().contains("WRONG-SECRET"), "{err}");

    // Bound but not listening: connecting is refused, and no other test can take the port
    // meanwhile (a port merely freed could be rebound by a parallel test's fake API, whose
    // getMe would then succeed and leave this bot running).
    let closed = tokio::net::TcpSocket::new_v4().unwrap();
    closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = closed.local_addr().unwrap().port();
    let mut config = fast_config(&fake);
    config.api_url = Some(format!("http://127.0.0.1:{port}/").parse().unwrap());
    let err = within(app::run(
        config,
        app_in(dir.path()).await.0,
        std::future::pending(),
    ))
    .await
    .unwrap_err();
    drop(closed);
    assert!(matches!(err, RunError::Unreachable { .. }), "{err:?}");
    assert!(!err.to_string().contains(FakeApi::TOKEN), "{err}");

    // A URL that cannot have a path: an error, not teloxide's panic.
    let mut config = fast_config(&fake);
    config.api_url = Some("mailto:bots@example.org".parse().unwrap());
    let err = within(app::run(
        config,
        app_in(dir.path()).await.0,
        std::future::pending(),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, RunError::Settings(_)), "{err:?}");
    assert!(!err.to_string().contains(FakeApi::TOKEN), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_checks_the_secret_and_dispatches() {
    let fake = FakeApi::start().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut config = fast_config(&fake);
    config.mode = Mode::Webhook {
        listen: format!("127.0.0.1:{port}").parse().unwrap(),
        url: format!("http://127.0.0.1:{port}/telegram/hook")
            .parse()
            .unwrap(),
        secret: Secret::new("s3cret-Value_1"),
    };
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(app::run(config, app_in(dir.path()).await.0, async {
        let _ = rx.await;
    }));
    let set = fake.wait_for("setWebhook", 1, WAIT).await;
    assert_eq!(set[0].params["secret_token"], "s3cret-Value_1");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut update = fake::private_text(30, 30, "/tariffs");
    update["update_id"] = 1.into();
    let url = format!("http://127.0.0.1:{port}/telegram/hook");
    // The server may need a moment to accept connections.
    let deadline = Instant::now() + WAIT;
    let wrong = loop {
        match client
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", "wrong")
            .json(&update)
            .send()
            .await
        {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("webhook not listening: {e}"),
        }
    };
    assert_eq!(wrong.status(), 401);
    let missing = client.post(&url).json(&update).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert!(
        sent_to(&fake, 30).is_empty(),
        "a refused update was dispatched"
    );
    let right = client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-Value_1")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let calls = fake.wait_for("sendMessage", 1, WAIT).await;
    assert_eq!(calls[0].chat_id(), Some(30));
    assert!(calls[0].text().unwrap().contains("30%"));
    let _ = tx.send(());
    tokio::time::timeout(Duration::from_secs(15), handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[test]
fn the_binary_stops_cleanly_on_sigterm_and_never_logs_the_token() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(FakeApi::start());
    let dir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"))
        .current_dir(dir.path())
        .env("TELOXIDE_TOKEN", FakeApi::TOKEN)
        .env("TELOXIDE_API_URL", fake.url().as_str())
        .env("RUST_LOG", "trace")
        .env("NO_PROXY", "127.0.0.1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    rt.block_on(async {
        fake.wait_for("getUpdates", 1, WAIT).await;
        fake.push_update(fake::private_text(40, 40, "/tariffs"));
        fake.wait_for("sendMessage", 1, WAIT).await;
    });
    let (status, log) = terminate(child);
    assert!(status.success(), "exit {status:?}: {log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(
        !log.contains(FakeApi::TOKEN) && !log.contains("TEST-TOKEN"),
        "token in log: {log}"
    );
}
