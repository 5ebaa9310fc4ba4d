//! The bot's commands as one type: the fixed ones and the knowledge's topic commands. Routing,
//! `/help`, the Telegram command menu, the knowledge checks and the tests all name commands
//! through [`Command`], so a command is added or renamed in one place. A leaf: the topic
//! commands are passed in, so this module imports nothing of the crate.

/// A command the bot answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start,
    Help,
    Topics,
    Ask,
    Source,
    Latest,
    Subscribe,
    Unsubscribe,
    Status,
    /// A topic of the knowledge, by its command name (`/tariffs`).
    Topic(String),
}

impl Command {
    /// The fixed commands, in the order `/help` and the menu list them.
    pub const FIXED: [Command; 9] = [
        Command::Start,
        Command::Help,
        Command::Topics,
        Command::Ask,
        Command::Source,
        Command::Latest,
        Command::Subscribe,
        Command::Unsubscribe,
        Command::Status,
    ];

    /// The name, without the slash.
    pub fn name(&self) -> &str {
        match self {
            Command::Start => "start",
            Command::Help => "help",
            Command::Topics => "topics",
            Command::Ask => "ask",
            Command::Source => "source",
            Command::Latest => "latest",
            Command::Subscribe => "subscribe",
            Command::Unsubscribe => "unsubscribe",
            Command::Status => "status",
            Command::Topic(name) => name,
        }
    }

    /// What a fixed command does, for `/help` and the menu; `None` for a topic (whose title
    /// says it).
    pub fn about(&self) -> Option<&'static str> {
        Some(match self {
            Command::Start => "What this bot is",
            Command::Help => "How to use the bot",
            Command::Topics => "What the article covers",
            Command::Ask => "Ask a question: /ask what tariffs did the US set?",
            Command::Source => "The source article",
            Command::Latest => "The most recent updates",
            Command::Subscribe => "Get new updates about the talks in this chat",
            Command::Unsubscribe => "Stop updates in this chat",
            Command::Status => "Is this chat subscribed?",
            Command::Topic(_) => return None,
        })
    }

    /// Whether it only makes sense inside a Telegram chat (subscriptions).
    pub fn chat_only(&self) -> bool {
        matches!(
            self,
            Command::Subscribe | Command::Unsubscribe | Command::Status
        )
    }

    /// The command named `name` (lowercase, no slash), given the knowledge's topic commands;
    /// `None` for a name the bot does not know.
    pub fn parse<'a>(name: &str, mut topics: impl Iterator<Item = &'a str>) -> Option<Command> {
        if let Some(fixed) = Command::FIXED.iter().find(|c| c.name() == name) {
            return Some(fixed.clone());
        }
        topics
            .any(|t| t == name)
            .then(|| Command::Topic(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_to_their_command() {
        for c in Command::FIXED {
            assert_eq!(
                Command::parse(c.name(), std::iter::empty()),
                Some(c.clone())
            );
            assert!(c.about().is_some(), "{c:?}");
        }
        assert_eq!(
            Command::parse("tariffs", ["who", "tariffs"].into_iter()),
            Some(Command::Topic("tariffs".into()))
        );
        assert_eq!(Command::parse("nosuch", ["tariffs"].into_iter()), None);
        assert!(Command::Status.chat_only() && !Command::Help.chat_only());
    }
}
