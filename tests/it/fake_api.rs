//! Owns the fake Telegram Bot API server used by the integration tests, plus JSON builders for updates.
//!
//! [`FakeApi::start`] binds `127.0.0.1:0` and serves `/{bot<token>}/{method}` from a tokio task.
//! Every request that names a token and a method is recorded as a [`Call`] (including ones
//! answered with an error: see [`Call::error_code`]). Method names match case-insensitively.
//!
//! Parameters are read from the query string and from the body: JSON (an empty body is `{}`),
//! `application/x-www-form-urlencoded` or `multipart/form-data`. Form and multipart values stay
//! strings (so `chat_id` may be `"42"`), except values that parse as a JSON object or array;
//! file parts are recorded as the string `"<file NAME>"`. Use [`Call::chat_id`] to read a chat id
//! in either form.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, watch};

/// User id of the fake bot (what `getMe` answers).
pub const BOT_USER_ID: u64 = 7_000_001;
/// Username of the fake bot (what `getMe` answers).
pub const BOT_USERNAME: &str = "TradeTalksTestBot";
/// Id of Telegram's "GroupAnonymousBot", the `from` of anonymous group admins' messages.
pub const GROUP_ANONYMOUS_BOT_ID: u64 = 1_087_968_824;
/// The user that performs service actions whose builder takes no user id (e.g. [`migrate_to`]).
pub const DEFAULT_USER_ID: u64 = 5_000_001;
/// Chat ids at or below this are supergroups (or channels); between it and 0 are basic groups.
pub const SUPERGROUP_ID_LIMIT: i64 = -1_000_000_000_000;

/// The fake holds a `getUpdates` long poll for at most this long, whatever `timeout` asks.
const LONG_POLL_CAP: Duration = Duration::from_secs(1);

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Call {
    /// The method name as it arrived (case preserved; compare case-insensitively).
    pub method: String,
    /// The token from the URL (`bot<token>`).
    pub token: String,
    /// All parameters as a JSON object (see the module docs for form/multipart values).
    pub params: Value,
    /// When the request arrived.
    pub at: Instant,
    /// `None` if the call was answered `ok: true`; otherwise the HTTP status of the error answer
    /// (injected [`Failure`], 429 from enforced [`Limits`], 404 unknown method, 401 wrong token,
    /// 400 bad parameters). Failed calls never count in [`Stats`].
    pub error_code: Option<u16>,
}

impl Call {
    /// The `chat_id` parameter, whether it came as a number or a numeric string.
    pub fn chat_id(&self) -> Option<i64> {
        self.params.get("chat_id").and_then(as_i64)
    }

    /// The `text` parameter, if any.
    pub fn text(&self) -> Option<&str> {
        self.params.get("text").and_then(Value::as_str)
    }

    /// `true` if the call was answered `ok: true`.
    pub fn is_ok(&self) -> bool {
        self.error_code.is_none()
    }
}

/// An error answer to inject with [`FakeApi::fail_next`] / [`FakeApi::fail_always`].
#[derive(Clone, Debug)]
pub enum Failure {
    /// 429 "Too Many Requests: retry after N" with `parameters.retry_after = N`.
    RetryAfter(u32),
    /// 403 with the given description, e.g. "Forbidden: bot was blocked by the user".
    Forbidden(String),
    /// 400 "Bad Request: group chat was upgraded to a supergroup chat" with
    /// `parameters.migrate_to_chat_id`.
    Migrate(i64),
    /// 400 "Bad Request: chat not found".
    ChatNotFound,
    /// 502 "Bad Gateway" (teloxide's own requests sleep 10 s after a 5xx, the bot's sends do
    /// not: use sparingly).
    Server,
    /// 401 "Unauthorized".
    Unauthorized,
}

impl Failure {
    /// The HTTP status and the JSON body the fake answers with.
    pub fn response(&self) -> (u16, Value) {
        match self {
            Failure::RetryAfter(n) => (
                429,
                error_body_with(
                    429,
                    &format!("Too Many Requests: retry after {n}"),
                    json!({ "retry_after": n }),
                ),
            ),
            Failure::Forbidden(description) => (403, error_body(403, description)),
            Failure::Migrate(to) => (
                400,
                error_body_with(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    json!({ "migrate_to_chat_id": to }),
                ),
            ),
            Failure::ChatNotFound => (400, error_body(400, "Bad Request: chat not found")),
            Failure::Server => (502, error_body(502, "Bad Gateway")),
            Failure::Unauthorized => (401, error_body(401, "Unauthorized")),
        }
    }
}

/// Rate limits checked on every message-sending `send*` call (all `send*` but `sendChatAction`).
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// A send to a chat sooner than this after the previous accepted send to it is a violation.
    pub per_chat_min_interval: Option<Duration>,
    /// More than this many accepted sends in any sliding 1-second window is a violation.
    pub global_per_second: Option<u32>,
    /// If `true`, a violating call gets 429 with `retry_after = 1` (and is not accepted);
    /// otherwise it is accepted and only counted in [`Stats::violations`].
    pub reject: bool,
}

/// Counters over the message-sending `send*` calls (all `send*` but `sendChatAction`).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Accepted (answered `ok: true`) sends.
    pub sent: u64,
    /// Sends that broke the [`Limits`] in force, rejected or not.
    pub violations: u64,
    /// Accepted sends per chat id (for a bot that only uses `sendMessage`, its messages per chat).
    pub per_chat: HashMap<i64, u64>,
}

/// A handle on a running fake Bot API server; cheap to clone.
#[derive(Clone)]
pub struct FakeApi {
    inner: Arc<Inner>,
    addr: SocketAddr,
}

struct Inner {
    state: Mutex<FakeState>,
    /// Woken on every `push_update` (long polls wait on it).
    update_pushed: Notify,
    /// Woken on every recorded call (`wait_for` waits on it).
    call_recorded: Notify,
    shutdown: watch::Sender<bool>,
}

struct FakeState {
    calls: Vec<Call>,
    /// Unconfirmed updates as JSON text, each already carrying its `update_id` (serialized once
    /// when pushed, so answering `getUpdates` copies text rather than rebuilding JSON values).
    updates: VecDeque<(i64, String)>,
    next_update_id: i64,
    next_message_id: i64,
    fail_next: Vec<(String, Option<i64>, Failure)>,
    fail_always: Vec<(String, i64, Failure)>,
    members: HashMap<(i64, u64), String>,
    limits: Limits,
    stats: Stats,
    /// Arrival times of accepted sends within the last second or so.
    recent_sends: VecDeque<Instant>,
    last_send_to_chat: HashMap<i64, Instant>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A panicking test must not poison the fake for everyone else.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl FakeApi {
    /// The only token the fake accepts; any other gets 401 on every method.
    pub const TOKEN: &'static str = "123456:TEST-TOKEN";

    /// Binds `127.0.0.1:0` and serves in a tokio task of the current runtime.
    pub async fn start() -> FakeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake Bot API: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake Bot API: local_addr");
        let (shutdown, mut shutdown_rx) = watch::channel(false);
        let inner = Arc::new(Inner {
            state: Mutex::new(FakeState {
                calls: Vec::new(),
                updates: VecDeque::new(),
                next_update_id: 1,
                next_message_id: 1,
                fail_next: Vec::new(),
                fail_always: Vec::new(),
                members: HashMap::new(),
                limits: Limits::default(),
                stats: Stats::default(),
                recent_sends: VecDeque::new(),
                last_send_to_chat: HashMap::new(),
            }),
            update_pushed: Notify::new(),
            call_recorded: Notify::new(),
            shutdown,
        });
        let app = Router::new()
            .route("/{*rest}", any(handle))
            .with_state(Arc::clone(&inner));
        tokio::spawn(async move {
            let stop = async move {
                let _ = shutdown_rx.wait_for(|stopped| *stopped).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
            {
                eprintln!("fake Bot API server error: {e}");
            }
        });
        FakeApi { inner, addr }
    }

    /// The base URL to give teloxide: `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.addr)).expect("fake Bot API url")
    }

    /// A teloxide bot with [`FakeApi::TOKEN`], pointed at this fake, ignoring proxy variables.
    pub fn bot(&self) -> teloxide::Bot {
        let client = teloxide::net::default_reqwest_settings()
            .no_proxy()
            .build()
            .expect("reqwest client");
        teloxide::Bot::with_client(Self::TOKEN, client).set_api_url(self.url())
    }

    /// Our bot's configuration for this fake: its token and address, a 1 s long poll (so a
    /// shutdown is quick) and the given reply pacing.
    pub fn bot_config(
        &self,
        limits: trade_talks_bot::pacing::Limits,
    ) -> trade_talks_bot::telegram::Config {
        let mut config = trade_talks_bot::telegram::Config::new(Self::TOKEN.into());
        config.api_url = Some(self.url());
        config.poll_timeout = Duration::from_secs(1);
        config.limits = limits;
        config
    }

    pub fn bot_user_id(&self) -> u64 {
        BOT_USER_ID
    }

    pub fn bot_username(&self) -> &str {
        BOT_USERNAME
    }

    /// Sets `update_id` on `update` to a fresh id, queues it for `getUpdates`, returns the id.
    pub fn push_update(&self, mut update: Value) -> i64 {
        let id = {
            let mut st = self.inner.lock();
            let id = st.next_update_id;
            st.next_update_id += 1;
            update
                .as_object_mut()
                .expect("push_update: an update must be a JSON object")
                .insert("update_id".into(), json!(id));
            st.updates.push_back((id, update.to_string()));
            id
        };
        self.inner.update_pushed.notify_waiters();
        id
    }

    /// Updates queued and not yet confirmed by a `getUpdates` offset.
    pub fn pending_updates(&self) -> usize {
        self.inner.lock().updates.len()
    }

    /// All calls so far, in arrival order (failed ones included; see [`Call::error_code`]).
    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().calls.clone()
    }

    /// All calls to `method` (case-insensitive), failed ones included.
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.inner
            .lock()
            .calls
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .cloned()
            .collect()
    }

    /// Texts of the accepted `sendMessage` calls to `chat_id`, in order.
    pub fn sent_texts(&self, chat_id: i64) -> Vec<String> {
        self.calls_to("sendMessage")
            .into_iter()
            .filter(|c| c.is_ok() && c.chat_id() == Some(chat_id))
            .filter_map(|c| c.text().map(str::to_owned))
            .collect()
    }

    /// Waits until at least `n` calls to `method` (case-insensitive, failed ones included) have
    /// arrived and returns all of them; panics listing every call seen if `timeout` passes first.
    pub async fn wait_for(&self, method: &str, n: usize, timeout: Duration) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.call_recorded.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let seen = self.calls_to(method);
            if seen.len() >= n {
                return seen;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let seen = self.calls_to(method);
                if seen.len() >= n {
                    return seen;
                }
                panic!(
                    "fake Bot API: waited {timeout:?} for {n} call(s) to {method}, saw {}.\n{}",
                    seen.len(),
                    self.describe_calls()
                );
            }
        }
    }

    /// A human-readable list of every call so far (for assertion messages).
    pub fn describe_calls(&self) -> String {
        let calls = self.calls();
        if calls.is_empty() {
            return "no calls at all".into();
        }
        let first = calls[0].at;
        let mut out = format!("all {} call(s):", calls.len());
        for (i, c) in calls.iter().enumerate() {
            let mut params = c.params.to_string();
            if params.len() > 200 {
                let mut cut = 200;
                while !params.is_char_boundary(cut) {
                    cut -= 1;
                }
                params.truncate(cut);
                params.push('…');
            }
            let outcome = match c.error_code {
                None => "ok".to_string(),
                Some(code) => format!("error {code}"),
            };
            out.push_str(&format!(
                "\n  #{i} +{:?} {} [{outcome}] {params}",
                c.at.duration_since(first),
                c.method
            ));
        }
        out
    }

    /// The next call to `method` (case-insensitive; `"*"` means any method) whose `chat_id` is
    /// `chat_id` (any call, with or without a chat, if `None`) fails once with `failure`.
    /// Several queued for the same call are used in the order they were queued.
    pub fn fail_next(&self, method: &str, chat_id: Option<i64>, failure: Failure) {
        self.inner
            .lock()
            .fail_next
            .push((method.to_ascii_lowercase(), chat_id, failure));
    }

    /// Every call to `method` (case-insensitive; `"*"` means any method) whose `chat_id` is
    /// `chat_id` fails with `failure`, e.g. a chat the bot was kicked from.
    pub fn fail_always(&self, method: &str, chat_id: i64, failure: Failure) {
        self.inner
            .lock()
            .fail_always
            .push((method.to_ascii_lowercase(), chat_id, failure));
    }

    /// Removes every pending `fail_next` and `fail_always` rule.
    pub fn clear_failures(&self) {
        let mut st = self.inner.lock();
        st.fail_next.clear();
        st.fail_always.clear();
    }

    /// What `getChatMember` answers for `user_id` in `chat_id` (default "member"). `status` is one
    /// of "creator", "administrator", "member", "left", "kicked", "restricted".
    pub fn set_chat_member(&self, chat_id: i64, user_id: u64, status: &str) {
        assert!(
            KNOWN_STATUSES.contains(&status),
            "set_chat_member: unknown status {status:?} (expected one of {KNOWN_STATUSES:?})"
        );
        self.inner
            .lock()
            .members
            .insert((chat_id, user_id), status.to_owned());
    }

    /// Replaces the rate limits in force (the default is none).
    pub fn set_limits(&self, limits: Limits) {
        self.inner.lock().limits = limits;
    }

    pub fn stats(&self) -> Stats {
        self.inner.lock().stats.clone()
    }

    /// Stops accepting connections; in-flight requests finish.
    pub fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
    }
}

const KNOWN_STATUSES: [&str; 6] = [
    "creator",
    "administrator",
    "member",
    "left",
    "kicked",
    "restricted",
];

// ---------------------------------------------------------------------------------------------
// Request handling
// ---------------------------------------------------------------------------------------------

/// What to answer, decided under the lock.
enum Answer {
    Reply(u16, Value),
    /// A whole `ok: true` body, from [`ok_body_with`].
    Ok(String),
    LongPoll {
        limit: usize,
        until: tokio::time::Instant,
    },
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((token, method)) = split_path(uri.path()) else {
        return reply(404, error_body(404, "Not Found"));
    };
    let params = match read_params(&uri, &headers, &body) {
        Ok(p) => p,
        Err(description) => {
            let (code, body) = (400, error_body(400, &description));
            record(
                &inner,
                &method,
                &token,
                Value::Object(Map::new()),
                Some(code),
            );
            return reply(code, body);
        }
    };
    // Arrival time, taken before the lock, so a busy test reading the state does not bunch
    // requests up in the record.
    let at = Instant::now();
    let answer = {
        let mut st = inner.lock();
        let answer = decide(&mut st, &method, &token, &params, at);
        let error_code = match &answer {
            Answer::Reply(code, _) if *code != 200 => Some(*code),
            _ => None,
        };
        st.calls.push(Call {
            method: method.clone(),
            token,
            params,
            at,
            error_code,
        });
        answer
    };
    inner.call_recorded.notify_waiters();
    match answer {
        Answer::Reply(code, body) => reply(code, body),
        Answer::Ok(body) => reply_ok(body),
        Answer::LongPoll { limit, until } => long_poll(&inner, limit, until).await,
    }
}

fn record(inner: &Inner, method: &str, token: &str, params: Value, error_code: Option<u16>) {
    inner.lock().calls.push(Call {
        method: method.to_owned(),
        token: token.to_owned(),
        params,
        at: Instant::now(),
        error_code,
    });
    inner.call_recorded.notify_waiters();
}

/// `/bot<token>/<method>` → (token, method).
fn split_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix('/')?;
    let (bot, method) = rest.split_once('/')?;
    let token = bot.strip_prefix("bot")?;
    let method = method.trim_end_matches('/');
    if token.is_empty() || method.is_empty() || method.contains('/') {
        return None;
    }
    Some((token.to_owned(), method.to_owned()))
}

fn decide(st: &mut FakeState, method: &str, token: &str, params: &Value, at: Instant) -> Answer {
    if token != FakeApi::TOKEN {
        return Answer::Reply(401, error_body(401, "Unauthorized"));
    }
    let m = method.to_ascii_lowercase();
    let chat_id = params.get("chat_id").and_then(as_i64);

    if let Some(failure) = st.take_failure(&m, chat_id) {
        let (code, body) = failure.response();
        return Answer::Reply(code, body);
    }

    let is_message_send = m.starts_with("send") && m != "sendchataction";
    if is_message_send {
        let Some(chat) = chat_id else {
            return Answer::Reply(400, error_body(400, "Bad Request: chat not found"));
        };
        if let Err(retry) = st.check_limits(chat, at) {
            return Answer::Reply(retry.0, retry.1);
        }
        let text = params
            .get("text")
            .or_else(|| params.get("caption"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let message = st.bot_message(chat, text, None, None);
        st.stats.sent += 1;
        *st.stats.per_chat.entry(chat).or_insert(0) += 1;
        return Answer::Ok(message);
    }

    match m.as_str() {
        "getme" => ok(json!({
            "id": BOT_USER_ID,
            "is_bot": true,
            "first_name": "Trade Talks",
            "username": BOT_USERNAME,
            "can_join_groups": true,
            "can_read_all_group_messages": false,
            "supports_inline_queries": true,
            "can_connect_to_business": false,
            "has_main_web_app": false,
        })),
        "getupdates" => st.get_updates(params),
        "deletewebhook"
        | "setwebhook"
        | "setmycommands"
        | "deletemycommands"
        | "answercallbackquery"
        | "answerinlinequery"
        | "sendchataction"
        | "leavechat"
        | "deletemessage"
        | "setmydescription"
        | "setmyshortdescription"
        | "setmyname"
        | "setchatmenubutton"
        | "pinchatmessage"
        | "unpinchatmessage"
        | "close"
        | "logout" => ok(json!(true)),
        "getmycommands" => ok(json!([])),
        "getwebhookinfo" => ok(json!({
            "url": "",
            "has_custom_certificate": false,
            "pending_update_count": st.updates.len(),
        })),
        "editmessagetext" | "editmessagecaption" | "editmessagereplymarkup" => {
            if params.get("inline_message_id").is_some() {
                return ok(json!(true));
            }
            let Some(chat) = chat_id else {
                return Answer::Reply(400, error_body(400, "Bad Request: chat not found"));
            };
            let text = params
                .get("text")
                .or_else(|| params.get("caption"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let message_id = params.get("message_id").and_then(as_i64);
            Answer::Ok(st.bot_message(chat, text, message_id, Some(unix_now())))
        }
        "getchatmember" => {
            let user = params.get("user_id").and_then(as_i64);
            match (chat_id, user) {
                (Some(chat), Some(user)) if user > 0 => {
                    let user = user as u64;
                    let status = st
                        .members
                        .get(&(chat, user))
                        .map_or("member", String::as_str);
                    let user_json = if user == BOT_USER_ID {
                        bot_user_json()
                    } else {
                        json!({ "id": user, "is_bot": false, "first_name": "User" })
                    };
                    ok(chat_member_json(user_json, status))
                }
                (None, _) => Answer::Reply(400, error_body(400, "Bad Request: chat not found")),
                _ => Answer::Reply(400, error_body(400, "Bad Request: user not found")),
            }
        }
        "getchatadministrators" => {
            let Some(chat) = chat_id else {
                return Answer::Reply(400, error_body(400, "Bad Request: chat not found"));
            };
            let mut admins: Vec<(u64, &str)> = st
                .members
                .iter()
                .filter(|((c, _), s)| *c == chat && (*s == "creator" || *s == "administrator"))
                .map(|((_, u), s)| (*u, s.as_str()))
                .collect();
            admins.sort_unstable();
            let list: Vec<Value> = admins
                .into_iter()
                .map(|(u, s)| {
                    let user = if u == BOT_USER_ID {
                        bot_user_json()
                    } else {
                        json!({ "id": u, "is_bot": false, "first_name": "User" })
                    };
                    chat_member_json(user, s)
                })
                .collect();
            ok(Value::Array(list))
        }
        "getchat" => match chat_id {
            Some(chat) => ok(chat_full_info_json(chat)),
            None => Answer::Reply(400, error_body(400, "Bad Request: chat not found")),
        },
        _ => Answer::Reply(404, error_body(404, "Not Found: method not found")),
    }
}

impl FakeState {
    fn take_failure(&mut self, method: &str, chat_id: Option<i64>) -> Option<Failure> {
        let matches_method = |m: &str| m == "*" || m == method;
        if let Some(i) = self
            .fail_next
            .iter()
            .position(|(m, c, _)| matches_method(m) && (c.is_none() || *c == chat_id))
        {
            return Some(self.fail_next.remove(i).2);
        }
        let chat = chat_id?;
        self.fail_always
            .iter()
            .find(|(m, c, _)| matches_method(m) && *c == chat)
            .map(|(_, _, f)| f.clone())
    }

    /// Checks a send to `chat` arriving at `at` against the limits; on acceptance records it.
    /// `Err` carries the 429 answer for a rejected violation.
    fn check_limits(&mut self, chat: i64, at: Instant) -> Result<(), (u16, Value)> {
        let window = Duration::from_secs(1);
        while self
            .recent_sends
            .front()
            .is_some_and(|t| at.duration_since(*t) >= window)
        {
            self.recent_sends.pop_front();
        }
        let too_soon_for_chat = match (
            self.limits.per_chat_min_interval,
            self.last_send_to_chat.get(&chat),
        ) {
            (Some(min), Some(last)) => at.duration_since(*last) < min,
            _ => false,
        };
        let too_many_globally = self
            .limits
            .global_per_second
            .is_some_and(|max| self.recent_sends.len() >= max as usize);
        if too_soon_for_chat || too_many_globally {
            self.stats.violations += 1;
            if self.limits.reject {
                return Err(Failure::RetryAfter(1).response());
            }
        }
        self.recent_sends.push_back(at);
        self.last_send_to_chat.insert(chat, at);
        Ok(())
    }

    /// The `ok: true` body whose result is a message from the bot in `chat`, with a fresh id
    /// unless `message_id` is given. Written straight from borrowed parts into one buffer sized
    /// for it: the fake should cost the bots' machine as little as it can, whatever the length of
    /// the text.
    fn bot_message(
        &mut self,
        chat: i64,
        text: &str,
        message_id: Option<i64>,
        edit_date: Option<u64>,
    ) -> String {
        let id = message_id.unwrap_or_else(|| {
            let id = self.next_message_id;
            self.next_message_id += 1;
            id
        });
        let message = BotMessage {
            message_id: id,
            date: unix_now(),
            edit_date,
            chat: ChatRef::of(chat),
            from: BOT_USER,
            text,
        };
        // The text (escaping may lengthen it a little) and about 200 bytes of other fields.
        ok_body_with(text.len() + text.len() / 8 + 256, |out| {
            serde_json::to_writer(out, &message).expect("a message serializes")
        })
    }

    /// Confirms updates below `offset`; answers now if any are pending, else asks for a long poll.
    fn get_updates(&mut self, params: &Value) -> Answer {
        let offset = params.get("offset").and_then(as_i64).unwrap_or(0);
        let timeout = params.get("timeout").and_then(as_i64).unwrap_or(0).max(0) as u64;
        let limit = params
            .get("limit")
            .and_then(as_i64)
            .unwrap_or(100)
            .clamp(1, 100) as usize;
        if offset > 0 {
            self.updates.retain(|(id, _)| *id >= offset);
        } else if offset < 0 {
            let keep = offset.unsigned_abs() as usize;
            while self.updates.len() > keep {
                self.updates.pop_front();
            }
        }
        if !self.updates.is_empty() || timeout == 0 {
            return Answer::Ok(self.pending(limit));
        }
        let hold = Duration::from_secs(timeout).min(LONG_POLL_CAP);
        Answer::LongPoll {
            limit,
            until: tokio::time::Instant::now() + hold,
        }
    }

    /// The `ok: true` body whose result is the first `limit` pending updates.
    fn pending(&self, limit: usize) -> String {
        let updates = || self.updates.iter().take(limit).map(|(_, u)| u);
        ok_body_with(updates().map(|u| u.len() + 1).sum::<usize>() + 2, |out| {
            out.push(b'[');
            for (i, u) in updates().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(u.as_bytes());
            }
            out.push(b']');
        })
    }
}

async fn long_poll(inner: &Inner, limit: usize, until: tokio::time::Instant) -> Response {
    loop {
        let notified = inner.update_pushed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let st = inner.lock();
            if !st.updates.is_empty() {
                return reply_ok(st.pending(limit));
            }
        }
        if tokio::time::timeout_at(until, notified).await.is_err() {
            let st = inner.lock();
            return reply_ok(st.pending(limit));
        }
    }
}

fn ok(result: Value) -> Answer {
    Answer::Reply(200, ok_body(result))
}

fn ok_body(result: Value) -> Value {
    json!({ "ok": true, "result": result })
}

fn error_body(code: u16, description: &str) -> Value {
    json!({ "ok": false, "error_code": code, "description": description })
}

fn error_body_with(code: u16, description: &str, parameters: Value) -> Value {
    json!({ "ok": false, "error_code": code, "description": description, "parameters": parameters })
}

/// `{"ok":true,"result":…}` with the result written by `write`, in one buffer of about
/// `capacity` bytes plus the wrapper.
fn ok_body_with(capacity: usize, write: impl FnOnce(&mut Vec<u8>)) -> String {
    const PREFIX: &str = r#"{"ok":true,"result":"#;
    let mut body = Vec::with_capacity(PREFIX.len() + capacity + 1);
    body.extend_from_slice(PREFIX.as_bytes());
    write(&mut body);
    body.push(b'}');
    String::from_utf8(body).expect("JSON is UTF-8")
}

/// A 200 answer with a body from [`ok_body_with`].
fn reply_ok(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn reply(code: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A number, or a string holding one (form and multipart bodies send numbers as strings).
fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

// ---------------------------------------------------------------------------------------------
// Parameter parsing
// ---------------------------------------------------------------------------------------------

fn read_params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Value, String> {
    let mut params = Map::new();
    if let Some(query) = uri.query() {
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            params.insert(k.into_owned(), form_value(&v));
        }
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let boundary = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(multipart_boundary)
            .ok_or("Bad Request: multipart body without a boundary")?;
        params.extend(parse_multipart(body, &boundary));
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        for (k, v) in url::form_urlencoded::parse(body) {
            params.insert(k.into_owned(), form_value(&v));
        }
    } else if !body.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => params.extend(map),
            Ok(Value::Null) => {}
            Ok(_) => return Err("Bad Request: parameters must be a JSON object".into()),
            Err(e) => return Err(format!("Bad Request: can't parse JSON body: {e}")),
        }
    }
    Ok(Value::Object(params))
}

/// A form value: JSON if it is a JSON object or array, else the string itself.
fn form_value(s: &str) -> Value {
    let t = s.trim_start();
    if (t.starts_with('{') || t.starts_with('['))
        && let Ok(v) = serde_json::from_str::<Value>(s)
    {
        return v;
    }
    Value::String(s.to_owned())
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// A small `multipart/form-data` reader: text parts become values, file parts `"<file NAME>"`.
fn parse_multipart(body: &[u8], boundary: &str) -> Map<String, Value> {
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    let mut out = Map::new();
    for part in text.split(delimiter.as_str()) {
        let Some(part) = part.strip_prefix("\r\n") else {
            continue; // the preamble, or the closing "--"
        };
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or("");
        let Some(name) = disposition_param(disposition, "name") else {
            continue;
        };
        let value = match disposition_param(disposition, "filename") {
            Some(file) => Value::String(format!("<file {file}>")),
            None => form_value(content),
        };
        out.insert(name, value);
    }
    // teloxide sends files as `"photo": "attach://<part>"` plus a file part named `<part>`:
    // record `"photo": "<file NAME>"` instead.
    let attached: Vec<(String, String)> = out
        .iter()
        .filter_map(|(k, v)| {
            let part = v.as_str()?.strip_prefix("attach://")?;
            Some((k.clone(), part.to_owned()))
        })
        .collect();
    for (key, part) in attached {
        if let Some(file) = out.get(&part).cloned() {
            out.remove(&part);
            out.insert(key, file);
        }
    }
    out
}

fn disposition_param(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

// ---------------------------------------------------------------------------------------------
// JSON builders (objects and updates). Updates carry no `update_id`: `push_update` sets it.
// ---------------------------------------------------------------------------------------------

/// Message ids for builder-made messages: unique within the test process.
static NEXT_BUILT_MESSAGE_ID: AtomicI64 = AtomicI64::new(100_000);

fn next_built_message_id() -> i64 {
    NEXT_BUILT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed)
}

/// Parses an update built here (with its `update_id` set, e.g. by `push_update`'s caller or by
/// hand) the way teloxide does, from JSON text.
///
/// Note: `serde_json::from_value::<Update>` does not work with teloxide-core 0.13: its `UpdateKind`
/// deserializer expects borrowed keys and yields `UpdateKind::Error` from a `Value`. Going through
/// a string, as teloxide itself does for `getUpdates`, works.
pub fn to_teloxide_update(update: &Value) -> teloxide::types::Update {
    serde_json::from_str(&update.to_string())
        .unwrap_or_else(|e| panic!("not a teloxide Update: {e}: {update}"))
}

/// A `User` with a username (the fake bot's shape).
#[derive(Clone, Copy, Serialize)]
struct UserRef {
    id: u64,
    is_bot: bool,
    first_name: &'static str,
    username: &'static str,
}

const BOT_USER: UserRef = UserRef {
    id: BOT_USER_ID,
    is_bot: true,
    first_name: "Trade Talks",
    username: BOT_USERNAME,
};

/// A `Chat` as the fake describes chats it did not build from a test's update.
#[derive(Serialize)]
struct ChatRef {
    id: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'static str>,
}

impl ChatRef {
    /// Private ("User") if > 0, supergroup if <= -10^12, else a basic group.
    fn of(chat_id: i64) -> ChatRef {
        let (kind, first_name, title) = if chat_id > 0 {
            ("private", Some("User"), None)
        } else if chat_id <= SUPERGROUP_ID_LIMIT {
            ("supergroup", None, Some("Group"))
        } else {
            ("group", None, Some("Group"))
        };
        ChatRef {
            id: chat_id,
            kind,
            first_name,
            title,
        }
    }
}

/// A message the bot sent (or edited), as the fake answers `send*` and `edit*` calls.
#[derive(Serialize)]
struct BotMessage<'a> {
    message_id: i64,
    date: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    edit_date: Option<u64>,
    chat: ChatRef,
    from: UserRef,
    text: &'a str,
}

/// The fake bot as a `User`.
pub fn bot_user_json() -> Value {
    json!(BOT_USER)
}

/// The human sender used by the builders: first name "Alice", username "alice".
pub fn alice(user_id: u64) -> Value {
    json!({
        "id": user_id,
        "is_bot": false,
        "first_name": "Alice",
        "username": "alice",
        "language_code": "en",
    })
}

/// Telegram's GroupAnonymousBot, the `from` of an anonymous admin's message.
pub fn group_anonymous_bot() -> Value {
    json!({
        "id": GROUP_ANONYMOUS_BOT_ID,
        "is_bot": true,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    })
}

/// A `Chat` for an id: private ("User") if > 0, supergroup if <= -10^12, else a basic group.
pub fn chat_json(chat_id: i64) -> Value {
    json!(ChatRef::of(chat_id))
}

/// A channel `Chat`.
pub fn channel_chat_json(chat_id: i64) -> Value {
    json!({ "id": chat_id, "type": "channel", "title": "Channel" })
}

/// The `ChatFullInfo` that `getChat` answers for an id (same typing rule as [`chat_json`]).
pub fn chat_full_info_json(chat_id: i64) -> Value {
    let mut v = chat_json(chat_id);
    v["accepted_gift_types"] = json!({
        "unlimited_gifts": false,
        "limited_gifts": false,
        "unique_gifts": false,
        "premium_subscription": false,
    });
    v["max_reaction_count"] = json!(11);
    v
}

/// A `ChatMember` for `user` (a `User` object) with the given status and the fields teloxide
/// needs for it. Panics on an unknown status.
pub fn chat_member_json(user: Value, status: &str) -> Value {
    let mut v = match status {
        "creator" => json!({ "is_anonymous": false }),
        "administrator" => json!({
            "can_be_edited": false,
            "is_anonymous": false,
            "can_manage_chat": true,
            "can_delete_messages": true,
            "can_manage_video_chats": true,
            "can_restrict_members": true,
            "can_promote_members": false,
            "can_change_info": true,
            "can_invite_users": true,
            "can_post_stories": false,
            "can_edit_stories": false,
            "can_delete_stories": false,
            "can_pin_messages": true,
            "can_manage_topics": false,
        }),
        "member" | "left" => json!({}),
        "kicked" => json!({ "until_date": 0 }),
        "restricted" => json!({
            "until_date": 0,
            "is_member": true,
            "can_send_messages": false,
            "can_send_audios": false,
            "can_send_documents": false,
            "can_send_photos": false,
            "can_send_videos": false,
            "can_send_video_notes": false,
            "can_send_voice_notes": false,
            "can_send_polls": false,
            "can_send_other_messages": false,
            "can_add_web_page_previews": false,
            "can_change_info": false,
            "can_invite_users": false,
            "can_pin_messages": false,
            "can_manage_topics": false,
        }),
        other => panic!("chat_member_json: unknown status {other:?}"),
    };
    v["status"] = json!(status);
    v["user"] = user;
    v
}

/// The chat Alice talks to the bot in: a private chat when `chat_id` > 0, else per [`chat_json`].
fn alice_chat(chat_id: i64) -> Value {
    if chat_id > 0 {
        json!({ "id": chat_id, "type": "private", "first_name": "Alice", "username": "alice" })
    } else {
        chat_json(chat_id)
    }
}

/// A message skeleton: fresh message id, date now, `chat`, and `from` if given.
fn message(chat: Value, from: Option<Value>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("message_id".into(), json!(next_built_message_id()));
    m.insert("date".into(), json!(unix_now()));
    m.insert("chat".into(), chat);
    if let Some(from) = from {
        m.insert("from".into(), from);
    }
    m
}

fn update(kind: &str, payload: Map<String, Value>) -> Value {
    let mut u = Map::new();
    u.insert(kind.into(), Value::Object(payload));
    Value::Object(u)
}

/// A "message" update: Alice writes `text` to the bot in private chat `chat_id`.
pub fn private_text(chat_id: i64, user_id: u64, text: &str) -> Value {
    let mut m = message(alice_chat(chat_id), Some(alice(user_id)));
    m.insert("text".into(), json!(text));
    update("message", m)
}

/// A "message" update: Alice writes `text` in group `chat_id` (group or supergroup by id).
pub fn group_text(chat_id: i64, user_id: u64, text: &str) -> Value {
    let mut m = message(chat_json(chat_id), Some(alice(user_id)));
    m.insert("text".into(), json!(text));
    update("message", m)
}

/// A group "message" update replying to the bot's message `replied_message_id`.
pub fn group_reply_to_bot(
    chat_id: i64,
    user_id: u64,
    text: &str,
    replied_message_id: i32,
    bot_user_id: u64,
) -> Value {
    let mut bot = bot_user_json();
    bot["id"] = json!(bot_user_id);
    let mut replied = message(chat_json(chat_id), Some(bot));
    replied.insert("message_id".into(), json!(replied_message_id));
    replied.insert("text".into(), json!("(an earlier answer from the bot)"));
    let mut m = message(chat_json(chat_id), Some(alice(user_id)));
    m.insert("text".into(), json!(text));
    m.insert("reply_to_message".into(), Value::Object(replied));
    update("message", m)
}

/// A group "message" update from an anonymous admin (from GroupAnonymousBot, sender_chat the group).
pub fn anonymous_admin_text(chat_id: i64, text: &str) -> Value {
    let mut m = message(chat_json(chat_id), Some(group_anonymous_bot()));
    m.insert("sender_chat".into(), chat_json(chat_id));
    m.insert("text".into(), json!(text));
    update("message", m)
}

/// A "channel_post" update in channel `chat_id` (no `from`; `sender_chat` is the channel).
pub fn channel_post(chat_id: i64, text: &str) -> Value {
    let mut m = message(channel_chat_json(chat_id), None);
    m.insert("sender_chat".into(), channel_chat_json(chat_id));
    m.insert("text".into(), json!(text));
    update("channel_post", m)
}

/// An "edited_message" update: Alice edited a private message to `text`.
pub fn edited_private_text(chat_id: i64, user_id: u64, text: &str) -> Value {
    let mut m = message(alice_chat(chat_id), Some(alice(user_id)));
    m.insert("date".into(), json!(unix_now().saturating_sub(60)));
    m.insert("edit_date".into(), json!(unix_now()));
    m.insert("text".into(), json!(text));
    update("edited_message", m)
}

/// A "message" update: Alice sends a sticker in a private chat.
pub fn private_sticker(chat_id: i64, user_id: u64) -> Value {
    let mut m = message(alice_chat(chat_id), Some(alice(user_id)));
    m.insert(
        "sticker".into(),
        json!({
            "file_id": "CAACAgIAAxkBAAFakeStickerFileId",
            "file_unique_id": "AgADFakeSticker",
            "file_size": 12_345,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": false,
            "is_video": false,
            "emoji": "👍",
            "set_name": "FakeStickerSet",
        }),
    );
    update("message", m)
}

/// A "message" update: Alice sends a photo (two sizes, no caption) in a private chat.
pub fn private_photo(chat_id: i64, user_id: u64) -> Value {
    let mut m = message(alice_chat(chat_id), Some(alice(user_id)));
    m.insert(
        "photo".into(),
        json!([
            { "file_id": "AgACAgIAAxkBAAFakePhotoSmall", "file_unique_id": "AQADFakeS", "file_size": 1_234, "width": 90, "height": 67 },
            { "file_id": "AgACAgIAAxkBAAFakePhotoLarge", "file_unique_id": "AQADFakeL", "file_size": 45_678, "width": 800, "height": 600 },
        ]),
    );
    update("message", m)
}

/// An "inline_query" update from Alice.
pub fn inline_query(user_id: u64, query: &str, id: &str) -> Value {
    let mut q = Map::new();
    q.insert("id".into(), json!(id));
    q.insert("from".into(), alice(user_id));
    q.insert("query".into(), json!(query));
    q.insert("offset".into(), json!(""));
    q.insert("chat_type".into(), json!("sender"));
    update("inline_query", q)
}

/// A "my_chat_member" update: user `user_id` changed the bot's status in `chat_id` from
/// `old_status` to `new_status` (e.g. "member" → "kicked" when removed or blocked).
pub fn my_chat_member(chat_id: i64, user_id: u64, old_status: &str, new_status: &str) -> Value {
    let mut u = Map::new();
    u.insert("chat".into(), alice_chat(chat_id));
    u.insert("from".into(), alice(user_id));
    u.insert("date".into(), json!(unix_now()));
    u.insert(
        "old_chat_member".into(),
        chat_member_json(bot_user_json(), old_status),
    );
    u.insert(
        "new_chat_member".into(),
        chat_member_json(bot_user_json(), new_status),
    );
    update("my_chat_member", u)
}

/// A service "message" in basic group `old_chat_id`: it was upgraded to supergroup `new_chat_id`.
pub fn migrate_to(old_chat_id: i64, new_chat_id: i64) -> Value {
    let mut m = message(chat_json(old_chat_id), Some(alice(DEFAULT_USER_ID)));
    m.insert("migrate_to_chat_id".into(), json!(new_chat_id));
    update("message", m)
}

/// A service "message" in supergroup `new_chat_id`: it was upgraded from group `old_chat_id`.
pub fn migrate_from(new_chat_id: i64, old_chat_id: i64) -> Value {
    let mut m = message(chat_json(new_chat_id), Some(group_anonymous_bot()));
    m.insert("sender_chat".into(), chat_json(new_chat_id));
    m.insert("migrate_from_chat_id".into(), json!(old_chat_id));
    update("message", m)
}

/// A service "message" in `chat_id`: Alice (`user_id`) joined the group.
pub fn group_new_member_service(chat_id: i64, user_id: u64) -> Value {
    let mut m = message(chat_json(chat_id), Some(alice(user_id)));
    m.insert("new_chat_members".into(), json!([alice(user_id)]));
    update("message", m)
}
