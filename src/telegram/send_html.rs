//! `SendHtml`: the bot's one way to send a message — sendMessage in HTML, without link previews,
//! posted through the bot's own HTTP client to an [`Endpoint`] built once, its success checked
//! but the message Telegram echoes back not parsed.
//!
//! Why not teloxide's request path: for every send it builds the method URL anew, grows the JSON
//! body from 128 bytes by doubling, re-checks the reply as UTF-8 into a second copy, and buffers
//! the whole echoed message (our reply's text included) in serde's untagged-enum content tree
//! before it can skip it. For a bot whose replies are ~500 bytes that is a visible share of the
//! work per update (`perf` and callgrind over `cargo bench --bench e2e`: with this path and a
//! reply buffer sized to the reply, the bot's instructions per update fell from 196k to 178k). Failures are read into teloxide's own
//! types as teloxide reads them, so 429, 403 and group migrations arrive as the same
//! `RequestError`s, and network errors go through teloxide's conversion, which hides the token.

use std::sync::Arc;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};
use teloxide::types::{
    ChatId, LinkPreviewOptions, MessageId, ParseMode, ReplyParameters, ResponseParameters,
};
use teloxide::{ApiError, Bot, RequestError};

/// sendMessage with `parse_mode` HTML and link previews off; see the module docs.
#[derive(Debug, Clone, Serialize)]
pub struct SendHtml {
    chat_id: ChatId,
    text: String,
    parse_mode: ParseMode,
    link_preview_options: LinkPreviewOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_parameters: Option<ReplyParameters>,
}

/// Link previews off: answers quote the article; a preview of an update's source would only
/// crowd them.
pub fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// Where one bot's sendMessage requests go: its HTTP client (proxy settings included) and the
/// method's URL. The URL holds the token: it is never logged or shown.
#[derive(Clone)]
pub struct Endpoint {
    client: reqwest::Client,
    url: reqwest::Url,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Endpoint(sendMessage)")
    }
}

impl Endpoint {
    /// The endpoint of `bot`, at the bot's API URL as teloxide builds it
    /// (`<api>/bot<token>/SendMessage`); `None` if that URL cannot have a path (`mailto:…`).
    pub fn new(bot: &Bot) -> Option<Endpoint> {
        let mut url = bot.api_url();
        url.path_segments_mut()
            .ok()?
            .push(&format!("bot{}", bot.token()))
            .push("SendMessage");
        Some(Endpoint {
            client: bot.client().clone(),
            url,
        })
    }
}

/// What a reply to a send says: success, or why not. `result` (the echoed message) is skipped
/// without being buffered.
#[derive(Deserialize)]
struct Outcome {
    ok: bool,
    description: Option<ApiError>,
    parameters: Option<ResponseParameters>,
}

/// The reply's body as teloxide would read it for this request: `Ok` on `"ok": true`, a 429 or a
/// migration from its parameters, otherwise the API error its description names.
fn outcome(body: &[u8]) -> Result<(), RequestError> {
    let invalid = |source: serde_json::Error| RequestError::InvalidJson {
        source: Arc::new(source),
        raw: String::from_utf8_lossy(body).into(),
    };
    let o: Outcome = serde_json::from_slice(body).map_err(invalid)?;
    match o {
        Outcome { ok: true, .. } => Ok(()),
        Outcome {
            parameters: Some(ResponseParameters::RetryAfter(wait)),
            ..
        } => Err(RequestError::RetryAfter(wait)),
        Outcome {
            parameters: Some(ResponseParameters::MigrateToChatId(to)),
            ..
        } => Err(RequestError::MigrateToChatId(to)),
        Outcome {
            description: Some(e),
            ..
        } => Err(RequestError::Api(e)),
        Outcome {
            description: None, ..
        } => Err(invalid(serde::de::Error::missing_field("description"))),
    }
}

impl SendHtml {
    pub fn new(chat: ChatId, text: String) -> Self {
        SendHtml {
            chat_id: chat,
            text,
            parse_mode: ParseMode::Html,
            link_preview_options: no_preview(),
            reply_parameters: None,
        }
    }

    /// Sent as a reply to `message`, or on its own if that message is gone.
    pub fn reply_to(mut self, message: MessageId) -> Self {
        self.reply_parameters = Some(ReplyParameters::new(message).allow_sending_without_reply());
        self
    }

    /// Posts the message to `to`; may be called again to retry.
    pub async fn send(&self, to: &Endpoint) -> Result<(), RequestError> {
        // The text plus the other fields (about 150 bytes), so the body is written in one go.
        let mut body = Vec::with_capacity(self.text.len() + 192);
        serde_json::to_writer(&mut body, self).map_err(|source| RequestError::InvalidJson {
            source: Arc::new(source),
            raw: "".into(),
        })?;
        let response = to
            .client
            .post(to.url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body)
            .send()
            .await?;
        outcome(&response.bytes().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_skips_the_echoed_message() {
        let body = br#"{"ok":true,"result":{"message_id":7,"date":1,"chat":{"id":5,"type":"private"},"text":"a \"long\" reply\n"}}"#;
        assert!(outcome(body).is_ok());
    }

    #[test]
    fn failures_read_as_teloxide_reads_them() {
        let retry = br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#;
        assert!(
            matches!(outcome(retry), Err(RequestError::RetryAfter(s)) if s.seconds() == 3),
            "{:?}",
            outcome(retry)
        );
        let moved = br#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-100123}}"#;
        assert!(matches!(
            outcome(moved),
            Err(RequestError::MigrateToChatId(ChatId(-100123)))
        ));
        let blocked = br#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#;
        assert!(matches!(
            outcome(blocked),
            Err(RequestError::Api(ApiError::BotBlocked))
        ));
        let other = br#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#;
        assert!(matches!(
            outcome(other),
            Err(RequestError::Api(ApiError::Unknown(d))) if d == "Internal Server Error"
        ));
    }

    #[test]
    fn a_body_that_is_not_a_reply_is_invalid_json_with_the_body() {
        for body in [&b"<html>502 Bad Gateway</html>"[..], br#"{"ok":false}"#] {
            match outcome(body) {
                Err(RequestError::InvalidJson { raw, .. }) => {
                    assert_eq!(raw.as_bytes(), body)
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
