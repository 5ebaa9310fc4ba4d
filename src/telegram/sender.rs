//! Outgoing messages through teloxide's own `Requester`: the sendMessage the bot uses everywhere
//! (HTML, no link previews), replies bounded by a timeout, the delivery worker's [`Sender`], and
//! the mapping of teloxide's errors onto what delivery must do and onto metrics.

use std::time::Duration;

use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::*;
use teloxide::requests::JsonRequest;
use teloxide::types::{LinkPreviewOptions, ParseMode};
use teloxide::{ApiError, RequestError};

use crate::delivery::{SendError, Sender};

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

/// sendMessage in HTML without link previews: every message the bot sends.
pub fn send_html(
    bot: &Bot,
    chat: ChatId,
    text: String,
) -> JsonRequest<teloxide::payloads::SendMessage> {
    bot.send_message(chat, text)
        .parse_mode(ParseMode::Html)
        .link_preview_options(no_preview())
}

/// The metrics label of a request's outcome.
pub fn outcome_label<T>(result: &Result<T, RequestError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(RequestError::RetryAfter(_)) => "429",
        Err(RequestError::MigrateToChatId(_)) => "400",
        Err(RequestError::Network(_)) | Err(RequestError::Io(_)) => "network",
        Err(RequestError::Api(api)) => {
            if gone(api).is_some() || description(api).starts_with("Forbidden") {
                "403"
            } else if is_bad_request(api) {
                "400"
            } else if matches!(api, ApiError::InvalidToken) {
                "401"
            } else {
                // teloxide reads a 5xx's description into `Unknown` as well; whatever is not a
                // client error is counted as the server's.
                "5xx"
            }
        }
        Err(_) => "other",
    }
}

/// Telegram's own description (teloxide's Display of `Unknown` adds a prefix).
fn description(api: &ApiError) -> String {
    match api {
        ApiError::Unknown(desc) => desc.clone(),
        known => known.to_string(),
    }
}

/// A 400: Telegram refused the request itself (teloxide names only some of these).
fn is_bad_request(api: &ApiError) -> bool {
    description(api).starts_with("Bad Request")
}

/// Counts one Bot API call by method and outcome.
pub fn count_request<T>(method: &'static str, result: &Result<T, RequestError>) {
    metrics::counter!(
        "bot_telegram_requests_total",
        "method" => method,
        "outcome" => outcome_label(result)
    )
    .increment(1);
    if let Err(RequestError::RetryAfter(wait)) = result {
        metrics::counter!("bot_retry_after_seconds_total").increment(wait.duration().as_secs());
    }
}

/// The chat is gone for the bot (blocked, kicked, deleted): Telegram's reason.
fn gone(api: &ApiError) -> Option<String> {
    match api {
        ApiError::BotBlocked
        | ApiError::BotKicked
        | ApiError::BotKickedFromSupergroup
        | ApiError::BotKickedFromChannel
        | ApiError::ChatNotFound
        | ApiError::UserDeactivated
        | ApiError::CantInitiateConversation
        | ApiError::CantTalkWithBots
        | ApiError::GroupDeactivated => Some(api.to_string()),
        // teloxide knows only some 403 texts; any other "Forbidden: …" (e.g. kicked from a
        // basic group) arrives as Unknown with Telegram's description.
        ApiError::Unknown(desc) if desc.starts_with("Forbidden") => Some(desc.clone()),
        _ => None,
    }
}

/// Maps a failed request to what delivery does next.
pub fn classify(e: &RequestError) -> SendError {
    match e {
        RequestError::RetryAfter(secs) => SendError::RetryAfter(secs.duration()),
        RequestError::MigrateToChatId(id) => SendError::Migrated(id.0),
        RequestError::Api(api) => match gone(api) {
            Some(why) => SendError::Gone(why),
            None if is_bad_request(api) => SendError::Rejected(api.to_string()),
            None => SendError::Transient(api.to_string()),
        },
        other => SendError::Transient(other.to_string()),
    }
}

/// Sends update messages for the delivery worker (which paces them).
pub struct TelegramSender {
    bot: Bot,
}

impl TelegramSender {
    pub fn new(bot: Bot) -> Self {
        TelegramSender { bot }
    }
}

impl Sender for TelegramSender {
    async fn send(&self, chat: i64, text: String) -> Result<(), SendError> {
        let result = send_html(&self.bot, ChatId(chat), text).await;
        count_request("sendMessage", &result);
        result.map(|_| ()).map_err(|e| classify(&e))
    }
}

/// A reply's outcome when it is bounded by a timeout.
#[derive(Debug)]
pub enum ReplyError {
    TimedOut,
    Request(RequestError),
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyError::TimedOut => f.write_str("no answer from Telegram in time"),
            ReplyError::Request(e) => e.fmt(f),
        }
    }
}

/// Sends one reply, bounded by `timeout`, and counts it.
pub async fn send_reply(
    request: JsonRequest<teloxide::payloads::SendMessage>,
    timeout: Duration,
) -> Result<(), ReplyError> {
    match tokio::time::timeout(timeout, request.send()).await {
        Ok(result) => {
            count_request("sendMessage", &result);
            result.map(|_| ()).map_err(ReplyError::Request)
        }
        Err(_) => {
            metrics::counter!(
                "bot_telegram_requests_total",
                "method" => "sendMessage",
                "outcome" => "timeout"
            )
            .increment(1);
            Err(ReplyError::TimedOut)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_map_to_what_delivery_does() {
        assert_eq!(
            classify(&RequestError::Api(ApiError::BotBlocked)),
            SendError::Gone(ApiError::BotBlocked.to_string())
        );
        let kicked = ApiError::Unknown("Forbidden: bot was kicked from the group chat".into());
        assert!(matches!(
            classify(&RequestError::Api(kicked)),
            SendError::Gone(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown(
                "Internal Server Error".into()
            ))),
            SendError::Transient(_)
        ));
        assert_eq!(
            outcome_label::<()>(&Err(RequestError::Api(ApiError::BotBlocked))),
            "403"
        );
        assert_eq!(
            outcome_label::<()>(&Err(RequestError::Api(ApiError::Unknown(
                "Bad Request: message is too long".into()
            )))),
            "400"
        );
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown(
                "Bad Request: message is too long".into()
            ))),
            SendError::Rejected(_)
        ));
    }
}
