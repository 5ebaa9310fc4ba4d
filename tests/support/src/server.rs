//! Owns the fake Bot API server: [`FakeApi`], its record of [`Call`]s, injected [`Failure`]s and
//! the rate [`Limits`] it checks sends against.
//!
//! [`FakeApi::start`] binds `127.0.0.1:0` and serves `/bot<token>/<method>` for the methods the
//! bot calls: getMe, getUpdates, getWebhookInfo, setWebhook, deleteWebhook, setMyCommands,
//! sendMessage, getChatMember and answerInlineQuery; any other method answers 404. Method names
//! match case-insensitively. Parameters are read as teloxide sends them: a JSON body (an empty one
//! is `{}`), or `multipart/form-data` for setWebhook (its values stay strings). Every request that
//! names a token and a method is recorded, answered with an error or not.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, watch};

use crate::updates::{
    BOT_USER, BOT_USER_ID, BOT_USERNAME, ChatRef, KNOWN_STATUSES, UserRef, chat_member_json,
    unix_now,
};

/// The fake holds a `getUpdates` long poll for at most this long, whatever `timeout` asks.
const LONG_POLL_CAP: Duration = Duration::from_secs(1);

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Call {
    /// The method name as it arrived (case preserved; compare case-insensitively).
    pub method: String,
    /// All parameters as a JSON object.
    pub params: Value,
    /// When the request arrived.
    pub at: Instant,
    /// `None` if the call was answered `ok: true`; otherwise the HTTP status of the error answer
    /// (injected [`Failure`], 429 from enforced [`Limits`], 404 unknown method, 401 wrong or
    /// revoked token, 400 bad parameters). Failed calls never count in [`Stats`].
    pub error_code: Option<u16>,
}

impl Call {
    /// The `chat_id` parameter, if it is a number.
    pub fn chat_id(&self) -> Option<i64> {
        self.params.get("chat_id").and_then(Value::as_i64)
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
    fn response(&self) -> (u16, Value) {
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

/// Rate limits checked on every sendMessage.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// A send to a chat sooner than this after the previous accepted send to it is a violation.
    pub per_chat_min_interval: Option<Duration>,
    /// More than this many accepted sends in any sliding 1-second window is a violation.
    pub global_per_second: Option<u32>,
    /// More than this many accepted sends to one group (a negative chat id) in any sliding
    /// minute is a violation.
    pub per_group_per_minute: Option<u32>,
    /// If `true`, a violating call gets 429 with `retry_after = 1` (and is not accepted);
    /// otherwise it is accepted and only counted in [`Stats::violations`].
    pub reject: bool,
}

/// Counters over the sendMessage calls.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Accepted (answered `ok: true`) sends.
    pub sent: u64,
    /// Sends that broke the [`Limits`] in force, rejected or not.
    pub violations: u64,
    /// Accepted sends per chat id.
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
    /// While true, every sendMessage and answerInlineQuery is accepted (and recorded) at once,
    /// but answered only when it turns false again: handlers held in flight for as long as a
    /// test needs.
    holding: watch::Sender<bool>,
}

#[derive(Default)]
struct FakeState {
    calls: Vec<Call>,
    /// Unconfirmed updates as JSON text, each already carrying its `update_id` (serialized once
    /// when pushed, so answering `getUpdates` copies text rather than rebuilding JSON values).
    updates: VecDeque<(i64, String)>,
    /// The last `update_id` given out.
    last_update_id: i64,
    /// The last `message_id` given to a message the bot sent.
    last_message_id: i64,
    fail_next: Vec<(String, Option<i64>, Failure)>,
    fail_always: Vec<(String, i64, Failure)>,
    members: HashMap<(i64, u64), String>,
    limits: Limits,
    stats: Stats,
    /// Arrival times of accepted sends within the last second or so.
    recent_sends: VecDeque<Instant>,
    last_send_to_chat: HashMap<i64, Instant>,
    /// Accepted sends per group within the last minute or so.
    group_sends: HashMap<i64, VecDeque<Instant>>,
    /// The webhook set with setWebhook ("" when none), as getWebhookInfo reports it.
    webhook_url: String,
    /// Every call answers 401, as after the token was revoked.
    revoked: bool,
    /// sendMessage to these chats is accepted at once but answered only after the delay.
    slow_chats: HashMap<i64, Duration>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A panicking test must not poison the fake for everyone else.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, call: Call) {
        self.lock().calls.push(call);
        self.call_recorded.notify_waiters();
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
            state: Mutex::default(),
            update_pushed: Notify::new(),
            call_recorded: Notify::new(),
            shutdown,
            holding: watch::channel(false).0,
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
            st.last_update_id += 1;
            let id = st.last_update_id;
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
        let Some(first) = calls.first().map(|c| c.at) else {
            return "no calls at all".into();
        };
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
            let outcome = c
                .error_code
                .map_or_else(|| "ok".to_string(), |code| format!("error {code}"));
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

    /// From now on, sendMessage to `chat` is accepted (and counted) at once, but its answer
    /// reaches the bot only after `delay`: a slow Telegram.
    pub fn slow_sends_to(&self, chat: i64, delay: Duration) {
        self.inner.lock().slow_chats.insert(chat, delay);
    }

    /// From now on every sendMessage and answerInlineQuery is accepted (and recorded) at once,
    /// but answered only after [`FakeApi::release_sends`]: the bot's handlers stay in flight until then, however long
    /// the test takes.
    pub fn hold_sends(&self) {
        self.inner.holding.send_replace(true);
    }

    /// Answers the held sends, and every later one at once.
    pub fn release_sends(&self) {
        self.inner.holding.send_replace(false);
    }

    /// From now on every call answers 401 "Unauthorized", as when the token was revoked.
    pub fn revoke_token(&self) {
        self.inner.lock().revoked = true;
    }

    /// Sets the webhook getWebhookInfo reports, as another deployment would have.
    pub fn set_webhook(&self, url: &str) {
        self.inner.lock().webhook_url = url.to_string();
    }

    /// The webhook currently set ("" when none).
    pub fn webhook_url(&self) -> String {
        self.inner.lock().webhook_url.clone()
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
    // Arrival time, taken before the lock, so a busy test reading the state does not bunch
    // requests up in the record.
    let at = Instant::now();
    let params = match read_params(&headers, &body) {
        Ok(p) => Value::Object(p),
        Err(description) => {
            inner.record(Call {
                method,
                params: json!({}),
                at,
                error_code: Some(400),
            });
            return reply(400, error_body(400, &description));
        }
    };
    let method_is_send = method.eq_ignore_ascii_case("sendMessage");
    let holdable = method_is_send || method.eq_ignore_ascii_case("answerInlineQuery");
    let mut held = inner.holding.subscribe();
    let (answer, delay) = {
        let mut st = inner.lock();
        let answer = decide(&mut st, &method, token, &params, at);
        let delay = method_is_send
            .then(|| params.get("chat_id").and_then(Value::as_i64))
            .flatten()
            .and_then(|chat| st.slow_chats.get(&chat).copied());
        let error_code = match &answer {
            Answer::Reply(code, _) if *code != 200 => Some(*code),
            _ => None,
        };
        st.calls.push(Call {
            method,
            params,
            at,
            error_code,
        });
        (answer, delay)
    };
    inner.call_recorded.notify_waiters();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if holdable {
        // Held until released, or until the fake shuts down (which waits for its requests).
        let mut stopped = inner.shutdown.subscribe();
        tokio::select! {
            _ = held.wait_for(|holding| !*holding) => {}
            _ = stopped.wait_for(|stopped| *stopped) => {}
        }
    }
    match answer {
        Answer::Reply(code, body) => reply(code, body),
        Answer::Ok(body) => reply_ok(body),
        Answer::LongPoll { limit, until } => long_poll(&inner, limit, until).await,
    }
}

/// `/bot<token>/<method>` → (token, method).
fn split_path(path: &str) -> Option<(&str, String)> {
    let (bot, method) = path.strip_prefix("/bot")?.split_once('/')?;
    let method = method.trim_end_matches('/');
    if bot.is_empty() || method.is_empty() || method.contains('/') {
        return None;
    }
    Some((bot, method.to_owned()))
}

fn decide(st: &mut FakeState, method: &str, token: &str, params: &Value, at: Instant) -> Answer {
    if token != FakeApi::TOKEN || st.revoked {
        return Answer::Reply(401, error_body(401, "Unauthorized"));
    }
    let m = method.to_ascii_lowercase();
    let chat_id = params.get("chat_id").and_then(Value::as_i64);
    if let Some(failure) = st.take_failure(&m, chat_id) {
        let (code, body) = failure.response();
        return Answer::Reply(code, body);
    }
    let chat_not_found = || Answer::Reply(400, error_body(400, "Bad Request: chat not found"));
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
        "getwebhookinfo" => ok(json!({
            "url": st.webhook_url,
            "has_custom_certificate": false,
            "pending_update_count": st.updates.len(),
        })),
        "setwebhook" => {
            let url = params.get("url").and_then(Value::as_str).unwrap_or("");
            st.webhook_url = url.to_string();
            ok(json!(true))
        }
        "deletewebhook" => {
            st.webhook_url.clear();
            ok(json!(true))
        }
        "setmycommands" | "answerinlinequery" => ok(json!(true)),
        "sendmessage" => {
            let Some(chat) = chat_id else {
                return chat_not_found();
            };
            if let Err((code, body)) = st.check_limits(chat, at) {
                return Answer::Reply(code, body);
            }
            st.stats.sent += 1;
            *st.stats.per_chat.entry(chat).or_insert(0) += 1;
            let text = params.get("text").and_then(Value::as_str).unwrap_or("");
            Answer::Ok(st.bot_message(chat, text))
        }
        "getchatmember" => {
            let user = params.get("user_id").and_then(Value::as_u64);
            match (chat_id, user) {
                (Some(chat), Some(user)) if user > 0 => {
                    let status = st
                        .members
                        .get(&(chat, user))
                        .map_or("member", String::as_str);
                    let user_json = if user == BOT_USER_ID {
                        json!(BOT_USER)
                    } else {
                        json!({ "id": user, "is_bot": false, "first_name": "User" })
                    };
                    ok(chat_member_json(user_json, status))
                }
                (None, _) => chat_not_found(),
                _ => Answer::Reply(400, error_body(400, "Bad Request: user not found")),
            }
        }
        _ => Answer::Reply(404, error_body(404, "Not Found: method not found")),
    }
}

/// A message the bot sent, as the fake answers sendMessage.
#[derive(Serialize)]
struct BotMessage<'a> {
    message_id: i64,
    date: u64,
    chat: ChatRef,
    from: UserRef,
    text: &'a str,
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
        let too_many_for_group = match self.limits.per_group_per_minute {
            Some(max) if chat < 0 => {
                let sends = self.group_sends.entry(chat).or_default();
                while sends
                    .front()
                    .is_some_and(|t| at.duration_since(*t) >= Duration::from_secs(60))
                {
                    sends.pop_front();
                }
                sends.len() >= max as usize
            }
            _ => false,
        };
        if too_soon_for_chat || too_many_globally || too_many_for_group {
            self.stats.violations += 1;
            if self.limits.reject {
                return Err(Failure::RetryAfter(1).response());
            }
        }
        self.recent_sends.push_back(at);
        self.last_send_to_chat.insert(chat, at);
        if chat < 0 && self.limits.per_group_per_minute.is_some() {
            self.group_sends.entry(chat).or_default().push_back(at);
        }
        Ok(())
    }

    /// The `ok: true` body whose result is a new message from the bot in `chat`. Written straight
    /// from borrowed parts into one buffer sized for it: the fake should cost the bots' machine as
    /// little as it can, whatever the length of the text.
    fn bot_message(&mut self, chat: i64, text: &str) -> String {
        self.last_message_id += 1;
        let message = BotMessage {
            message_id: self.last_message_id,
            date: unix_now(),
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
        let number = |key: &str| params.get(key).and_then(Value::as_i64);
        let offset = number("offset").unwrap_or(0);
        let timeout = number("timeout").unwrap_or(0).max(0) as u64;
        let limit = number("limit").unwrap_or(100).clamp(1, 100) as usize;
        self.updates.retain(|(id, _)| *id >= offset);
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
        if !inner.lock().updates.is_empty() {
            break;
        }
        if tokio::time::timeout_at(until, notified).await.is_err() {
            break;
        }
    }
    let body = inner.lock().pending(limit);
    reply_ok(body)
}

fn ok(result: Value) -> Answer {
    Answer::Reply(200, json!({ "ok": true, "result": result }))
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

// ---------------------------------------------------------------------------------------------
// Parameter parsing: JSON bodies, and multipart/form-data (teloxide's setWebhook)
// ---------------------------------------------------------------------------------------------

fn read_params(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(rest) = content_type.strip_prefix("multipart/form-data") {
        let boundary = rest
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .ok_or("Bad Request: multipart body without a boundary")?;
        return Ok(parse_multipart(body, boundary.trim_matches('"')));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err("Bad Request: parameters must be a JSON object".into()),
        Err(e) => Err(format!("Bad Request: can't parse JSON body: {e}")),
    }
}

/// A small `multipart/form-data` reader: each part's content becomes a string value under its
/// name (teloxide sends no files to the methods served here).
fn parse_multipart(body: &[u8], boundary: &str) -> Map<String, Value> {
    let text = String::from_utf8_lossy(body);
    let mut out = Map::new();
    for part in text.split(format!("--{boundary}").as_str()) {
        // The preamble and the closing "--" do not start with a line break.
        let Some((head, content)) = part
            .strip_prefix("\r\n")
            .and_then(|p| p.split_once("\r\n\r\n"))
        else {
            continue;
        };
        let name = head
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .flat_map(|l| l.split(';'))
            .find_map(|p| p.trim().strip_prefix("name="));
        if let Some(name) = name {
            let content = content.strip_suffix("\r\n").unwrap_or(content);
            out.insert(name.trim_matches('"').to_owned(), json!(content));
        }
    }
    out
}
