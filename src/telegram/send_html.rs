//! `SendHtml`: the bot's one way to send a message — sendMessage in HTML, without link previews,
//! whose success is checked but whose echo is not parsed into a teloxide `Message`.
//!
//! Why: the bot never uses the message Telegram sends back, and building a `Message` from that
//! echo (its text included) costs more instructions than answering the question did (callgrind
//! over `cargo bench --bench e2e`). Failures are parsed exactly as for `send_message`, so 429,
//! 403 and group migrations arrive as the same `RequestError`s.

use serde::Serialize;
use teloxide::Bot;
use teloxide::requests::{JsonRequest, Payload};
use teloxide::types::{ChatId, LinkPreviewOptions, MessageId, ParseMode, ReplyParameters};

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

impl Payload for SendHtml {
    /// Whatever Telegram returns on success is skipped, not parsed.
    type Output = serde::de::IgnoredAny;
    const NAME: &'static str = "SendMessage";
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

    /// The request, ready for `send` or `send_ref`.
    pub fn request(self, bot: &Bot) -> JsonRequest<Self> {
        JsonRequest::new(bot.clone(), self)
    }
}
