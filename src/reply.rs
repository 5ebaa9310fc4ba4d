//! What the bot replies, before rendering: the one type the answerer produces and the renderer,
//! the transports and the Telegram-limits check read. A leaf, so none of them imports another
//! to share it.

/// Longest question accepted, in characters; longer ones get a polite refusal.
pub const MAX_QUESTION_CHARS: usize = 1000;

/// What the bot replies, before rendering.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reply {
    /// Facts, by id, best first; `heading` is set for a topic. Ids, not places in a list, so
    /// a reply still means the same facts after a reload (a fact gone since is left out).
    Facts {
        heading: Option<String>,
        facts: Vec<String>,
    },
    /// The article does not answer the question.
    NotCovered,
    /// The article does not answer the question, said in one short line (groups).
    NotCoveredBrief,
    /// "what else?" when the answer before already quoted all the article says of it.
    NothingMore,
    /// A follow-up ("and china?", "why?") with no earlier question to follow: the bot asks what
    /// the user means instead of guessing.
    WhatDoYouMean,
    Start,
    Help,
    Topics,
    Source,
    /// The most recent updates, newest first, by id.
    Latest(Vec<String>),
    /// A command the bot does not know (name without the slash).
    UnknownCommand(String),
    /// `/ask` or a message with nothing to answer.
    Empty,
    /// A question longer than [`MAX_QUESTION_CHARS`].
    TooLong(usize),
    /// A command addressed to another bot (`/tariffs@OtherBot`): say nothing.
    NotForMe,
    /// A command that only works inside a Telegram chat (subscriptions).
    ChatOnly(String),
    /// The outcome of `/subscribe`, `/unsubscribe` or `/status` in a chat.
    Subscription(SubscriptionReply),
}

impl Reply {
    /// These facts, by id, with no heading.
    pub fn facts(facts: Vec<String>) -> Reply {
        Reply::Facts {
            heading: None,
            facts,
        }
    }

    /// Whether the reply states facts.
    pub fn answered(&self) -> bool {
        matches!(self, Reply::Facts { .. })
    }
}

/// What `/subscribe`, `/unsubscribe` and `/status` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionReply {
    Subscribed,
    AlreadySubscribed,
    Unsubscribed,
    WasNotSubscribed,
    Status {
        subscribed: bool,
        delivered: u64,
    },
    /// In a group, only administrators may change the subscription.
    AdminsOnly,
    /// Telegram could not tell whether the sender is an administrator; try again.
    CannotCheckAdmin,
    /// The database failed; the user is told to try again.
    Unavailable,
}
