//! The Telegram webhook: our own axum route (secret check, size limit, bounded queue) and the
//! [`UpdateListener`] the dispatcher reads it through, in place of teloxide's
//! `webhooks::axum_no_setup`.
//!
//! Why our own: teloxide's route answers 200 before the update is handled, queues on an
//! unbounded channel (a burst or a stuck dispatcher grows memory without limit), compares the
//! secret in variable time, and logs the whole body of an update it cannot parse. Here a full
//! queue answers 503 so Telegram keeps the update and retries later, the secret is compared in
//! constant time, and bad input is logged by its size and error only.
//!
//! This module does not call setWebhook or deleteWebhook; the caller does, around the listener.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use futures_core::Stream;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::{Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendTimeoutError;

/// The largest update body the route accepts (413 above it). Real updates are a few kilobytes
/// (a 4096-character message with entities and a quoted reply stays under 100 KiB), so this
/// leaves ample room while keeping a forged body from costing much to buffer and parse.
pub const MAX_UPDATE_BYTES: usize = 512 * 1024;

/// How long a request waits for room in a full queue before it is answered 503. Long enough to
/// ride out a burst, short enough that Telegram's request (and our connection slot) is not
/// held for long while the dispatcher is stuck.
pub const BUSY_WAIT: Duration = Duration::from_secs(2);

/// The header in which Telegram sends the `secret_token` given to setWebhook.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Builds the webhook route and its listener.
///
/// - `path`: the URL path Telegram posts to (the path of the webhook URL). A missing leading `/`
///   is added and `{`/`}` match literally. The router is built without axum's 0.7-syntax
///   checks, so a segment starting with `:` or `*` is fine here; merging this router into one
///   that keeps those checks would panic on such a path.
/// - `secret`: the `secret_token` given to setWebhook. An empty secret rejects every request
///   (fail closed): an unauthenticated webhook would let anyone inject updates.
/// - `capacity`: how many updates may wait for the dispatcher (at least 1).
///
/// The router answers POST at `path`:
/// - 401 when the secret header is missing or wrong;
/// - 413 when the body is over [`MAX_UPDATE_BYTES`];
/// - 200 when the body is not an update we understand (malformed JSON, JSON that is not an
///   update, or an update of a kind this teloxide cannot parse): one warning is logged and the
///   update is dropped, since Telegram would otherwise redeliver it forever;
/// - 200 once a valid update is queued for the listener;
/// - 503 when the queue stays full for [`BUSY_WAIT`], or the listener has stopped, so Telegram
///   retries later instead of us buffering without bound.
///
/// Other paths get 404 and other methods 405.
pub fn webhook(path: String, secret: String, capacity: usize) -> (WebhookListener, Router) {
    if secret.is_empty() {
        log::error!("webhook: no secret token configured; every webhook request will get 401");
    }
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let (token, flag) = mk_stop_token();
    let shared = Arc::new(Shared {
        secret: secret.into_bytes(),
        tx,
        stopped: flag.clone(),
    });
    let router = Router::new()
        .without_v07_checks()
        .route(&route_path(&path), post(receive))
        .with_state(shared);
    let listener = WebhookListener {
        rx,
        token,
        flag,
        closed: false,
    };
    (listener, router)
}

/// The update listener fed by [`webhook`]'s route.
///
/// Using its stop token (the dispatcher does on shutdown) makes the route answer 503 and ends
/// the update stream once the updates already queued have been handed out. Stop the HTTP server
/// after the dispatcher returns, not by awaiting a clone of the stop flag: the flag's clones
/// share one waker slot, which this stream's polls take, so another waiter is never woken.
pub struct WebhookListener {
    rx: mpsc::Receiver<Update>,
    token: StopToken,
    flag: StopFlag,
    /// Whether the stop was seen and the queue closed to new updates.
    closed: bool,
}

impl UpdateListener for WebhookListener {
    type Err = Infallible;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }
}

impl<'a> AsUpdateStream<'a> for WebhookListener {
    type StreamErr = Infallible;
    type Stream = Updates<'a>;

    fn as_stream(&'a mut self) -> Self::Stream {
        Updates(self)
    }
}

/// The stream of queued updates; it ends after a stop, once the queue is drained.
pub struct Updates<'a>(&'a mut WebhookListener);

impl Stream for Updates<'_> {
    type Item = Result<Update, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let listener = &mut *self.0;
        if !listener.closed && Pin::new(&mut listener.flag).poll(cx).is_ready() {
            // No new updates from now on; the ones already queued are still handed out, then
            // `poll_recv` answers `None` and the stream ends.
            listener.rx.close();
            listener.closed = true;
        }
        listener.rx.poll_recv(cx).map(|update| update.map(Ok))
    }
}

struct Shared {
    secret: Vec<u8>,
    tx: mpsc::Sender<Update>,
    stopped: StopFlag,
}

/// What became of one webhook request; the label of `bot_webhook_requests_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Unauthorized,
    Malformed,
    TooLarge,
    Busy,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Unauthorized => "unauthorized",
            Outcome::Malformed => "malformed",
            Outcome::TooLarge => "too_large",
            Outcome::Busy => "busy",
        }
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> StatusCode {
    let (outcome, status) = process(&shared, &headers, body).await;
    metrics::counter!("bot_webhook_requests_total", "outcome" => outcome.label()).increment(1);
    status
}

async fn process(shared: &Shared, headers: &HeaderMap, body: Body) -> (Outcome, StatusCode) {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes());
    if !secret_matches(&shared.secret, given) {
        return (Outcome::Unauthorized, StatusCode::UNAUTHORIZED);
    }
    if shared.stopped.is_stopped() {
        return (Outcome::Busy, StatusCode::SERVICE_UNAVAILABLE);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPDATE_BYTES as u64) {
        return (Outcome::TooLarge, StatusCode::PAYLOAD_TOO_LARGE);
    }
    let bytes = match Limited::new(body, MAX_UPDATE_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return (Outcome::TooLarge, StatusCode::PAYLOAD_TOO_LARGE);
        }
        Err(e) => {
            log::warn!("webhook: cannot read a request body: {e}");
            return (Outcome::Malformed, StatusCode::BAD_REQUEST);
        }
    };
    let update = match parse_update(&bytes) {
        Ok(update) => update,
        Err(reason) => {
            log::warn!(
                "webhook: dropping a {}-byte body that is not an update: {reason}",
                bytes.len()
            );
            return (Outcome::Malformed, StatusCode::OK);
        }
    };
    match shared.tx.send_timeout(update, BUSY_WAIT).await {
        Ok(()) => (Outcome::Ok, StatusCode::OK),
        Err(SendTimeoutError::Timeout(_)) => {
            log::warn!(
                "webhook: the update queue stayed full for {BUSY_WAIT:?}; answering 503 so Telegram retries"
            );
            (Outcome::Busy, StatusCode::SERVICE_UNAVAILABLE)
        }
        Err(SendTimeoutError::Closed(_)) => (Outcome::Busy, StatusCode::SERVICE_UNAVAILABLE),
    }
}

/// Parses an update; `Err` is a reason fit for the log (it quotes nothing from the body).
///
/// An update whose kind teloxide cannot parse comes out of serde as `UpdateKind::Error`; it is
/// refused here too, since the dispatcher could do nothing with it but log it.
fn parse_update(bytes: &[u8]) -> Result<Update, String> {
    match serde_json::from_slice::<Update>(bytes) {
        Ok(update) if matches!(update.kind, UpdateKind::Error(_)) => Err(format!(
            "update {} is of a kind we cannot parse",
            update.id.0
        )),
        Ok(update) => Ok(update),
        Err(e) => Err(redact_quoted(&e.to_string())),
    }
}

/// serde_json quotes offending string values in its messages (`invalid type: string "…"`);
/// those come from the body, so each quoted string is replaced by `"…"`.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            out.push('…');
            let mut escaped = false;
            for inner in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if inner == '\\' {
                    escaped = true;
                } else if inner == '"' {
                    out.push('"');
                    break;
                }
            }
        }
    }
    out
}

/// Whether `given` is the secret, in time that depends only on the lengths.
///
/// Why constant time: an early-exit comparison leaks how many leading bytes of a guess were
/// right, letting an attacker who can time our answers recover the secret byte by byte. The
/// length is not secret (Telegram allows 1–256 characters). An empty secret matches nothing.
fn secret_matches(secret: &[u8], given: Option<&[u8]>) -> bool {
    let Some(given) = given else {
        return false;
    };
    if secret.is_empty() || secret.len() != given.len() {
        return false;
    }
    let diff = secret
        .iter()
        .zip(given)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

/// The route for `path`: rooted, with braces escaped so they match literally.
fn route_path(path: &str) -> String {
    let path = path.trim();
    let mut out = String::with_capacity(path.len() + 1);
    if !path.starts_with('/') {
        out.push('/');
    }
    for c in path.chars() {
        match c {
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_must_match_exactly() {
        assert!(secret_matches(b"s3cret", Some(b"s3cret")));
        assert!(!secret_matches(b"s3cret", Some(b"s3creT")));
        assert!(!secret_matches(b"s3cret", Some(b"s3cre")));
        assert!(!secret_matches(b"s3cret", Some(b"s3crets")));
        assert!(!secret_matches(b"s3cret", Some(b"")));
        assert!(!secret_matches(b"s3cret", None));
    }

    #[test]
    fn an_empty_secret_matches_nothing() {
        assert!(!secret_matches(b"", Some(b"")));
        assert!(!secret_matches(b"", None));
    }

    #[test]
    fn quoted_body_text_never_reaches_the_log() {
        let e = serde_json::from_slice::<Update>(br#"{"update_id":"my password"}"#)
            .expect_err("a string is no update id");
        let shown = redact_quoted(&e.to_string());
        assert!(!shown.contains("password"), "{shown}");
        assert_eq!(
            redact_quoted(r#"invalid type: string "a\"b", expected u32 at line 1"#),
            r#"invalid type: string "…", expected u32 at line 1"#
        );
        assert_eq!(redact_quoted("unterminated \"abc"), "unterminated \"…");
        assert_eq!(
            redact_quoted("missing field `update_id`"),
            "missing field `update_id`"
        );
    }

    #[test]
    fn only_updates_we_understand_are_accepted() {
        let valid = br#"{"update_id":7,"message":{"message_id":1,"date":0,"chat":{"id":5,"type":"private","first_name":"A"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"hi"}}"#;
        let update = parse_update(valid).expect("a private text message");
        assert_eq!(update.id.0, 7);
        for bad in [
            &b"not json"[..],
            b"",
            b"[]",
            b"{}",
            b"{\"message\":{}}",
            b"{\"update_id\":-1}",
            b"{\"update_id\":1,\"something_new\":{}}",
            b"{\"update_id\":1,\"message\":{\"bogus\":true}}",
            b"\xff\xfe",
        ] {
            assert!(
                parse_update(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn any_path_makes_a_route_without_panicking() {
        for path in [
            "/hook", "hook", "", "  /x  ", "/a{b}c", "/{x}", "/:x", "/*x", "/a/{*b}",
        ] {
            let (_listener, _router) = webhook(path.to_string(), "s".into(), 1);
        }
        assert_eq!(route_path("hook"), "/hook");
        assert_eq!(route_path("/a{b}"), "/a{{b}}");
    }
}
