//! The subscription commands (`/subscribe`, `/unsubscribe`, `/status`): parsing them, who may
//! run them, and what they answer. The data lives in the [`Store`].

pub use crate::reply::SubscriptionReply;
use crate::store::Store;

/// `/subscribe`, `/unsubscribe` or `/status`: the commands that act on a chat's subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionCommand {
    Subscribe,
    Unsubscribe,
    Status,
}

impl SubscriptionCommand {
    /// The command `text` gives, if it is one of these addressed to this bot (`/status`,
    /// `/status@ThisBot` with the bot's name in any case, arguments ignored).
    pub fn parse(text: &str, bot_username: &str) -> Option<Self> {
        let rest = text.trim_start().strip_prefix('/')?;
        let head = rest.split(char::is_whitespace).next().unwrap_or(rest);
        let (name, target) = match head.split_once('@') {
            Some((n, t)) => (n, Some(t)),
            None => (head, None),
        };
        if target.is_some_and(|t| !t.eq_ignore_ascii_case(bot_username)) {
            return None;
        }
        match name.to_ascii_lowercase().as_str() {
            "subscribe" => Some(Self::Subscribe),
            "unsubscribe" => Some(Self::Unsubscribe),
            "status" => Some(Self::Status),
            _ => None,
        }
    }

    /// Whether the command changes the subscription (and so needs permission in groups).
    pub fn changes(self) -> bool {
        self != Self::Status
    }
}

/// Whether the sender may change the chat's subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Allowed,
    /// In a group, only administrators may.
    Denied,
    /// Telegram could not say (the administrator check failed).
    Unknown,
}

/// Runs a subscription command for a chat. A store that fails (gone, locked, full) answers
/// [`SubscriptionReply::Unavailable`], never a false "Subscribed".
pub async fn command(
    store: &dyn Store,
    command: SubscriptionCommand,
    chat: i64,
    permission: Permission,
) -> SubscriptionReply {
    use SubscriptionCommand as C;
    let result = match (command, permission) {
        (C::Status, _) => store.status(chat).await.map(|s| SubscriptionReply::Status {
            subscribed: s.subscribed,
            delivered: s.delivered,
        }),
        (_, Permission::Denied) => Ok(SubscriptionReply::AdminsOnly),
        (_, Permission::Unknown) => Ok(SubscriptionReply::CannotCheckAdmin),
        (C::Subscribe, Permission::Allowed) => store.subscribe(chat).await.map(|new| {
            if new {
                SubscriptionReply::Subscribed
            } else {
                SubscriptionReply::AlreadySubscribed
            }
        }),
        (C::Unsubscribe, Permission::Allowed) => store.unsubscribe(chat).await.map(|was| {
            if was {
                SubscriptionReply::Unsubscribed
            } else {
                SubscriptionReply::WasNotSubscribed
            }
        }),
    };
    result.unwrap_or_else(|e| {
        log::error!("subscription command {command:?} in chat {chat}: {e}");
        SubscriptionReply::Unavailable
    })
}
