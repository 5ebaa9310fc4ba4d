//! The delivery worker's [`Sender`] over the Bot API: sends each part when the shared limiter
//! allows, and maps teloxide's errors onto what delivery must do.

use teloxide::types::ChatId;
use teloxide::{ApiError, RequestError};

use std::sync::Arc;

use super::send_html::{Endpoint, SendHtml};
use crate::delivery::{SendError, Sender};
use crate::pacing::Limiter;

/// Sends update messages with HTML parse mode and no link previews, each part when the shared
/// limiter allows.
pub struct TelegramSender {
    endpoint: Endpoint,
    limiter: Arc<Limiter>,
}

impl TelegramSender {
    pub fn new(endpoint: Endpoint, limiter: Arc<Limiter>) -> Self {
        TelegramSender { endpoint, limiter }
    }
}

/// Maps a failed request to what delivery does next.
pub fn classify(e: &RequestError) -> SendError {
    match e {
        RequestError::RetryAfter(secs) => SendError::RetryAfter(secs.duration()),
        RequestError::MigrateToChatId(id) => SendError::Migrated(id.0),
        RequestError::Api(
            api @ (ApiError::BotBlocked
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::GroupDeactivated),
        ) => SendError::Gone(api.to_string()),
        // teloxide knows only some 403 texts; any other "Forbidden: …" (e.g. kicked from a
        // basic group) arrives as Unknown with Telegram's description.
        RequestError::Api(ApiError::Unknown(desc)) if desc.starts_with("Forbidden") => {
            SendError::Gone(desc.clone())
        }
        other => SendError::Transient(other.to_string()),
    }
}

impl Sender for TelegramSender {
    async fn send(&self, chat: i64, parts: Vec<String>) -> Result<(), SendError> {
        for part in parts {
            self.limiter.acquire(chat).await;
            SendHtml::new(ChatId(chat), part)
                .send(&self.endpoint)
                .await
                .map_err(|e| classify(&e))?;
        }
        Ok(())
    }
}
