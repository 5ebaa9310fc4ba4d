//! Telegram's limits, checked against everything the knowledge makes the bot send: the command
//! menu, every reply that depends only on the knowledge, and each update's broadcast.
//!
//! Why at load: a message Telegram refuses is lost for every user who asks (or, for a broadcast,
//! for every subscriber), and nothing at run time can repair it. Checked here, a bad core file
//! stops the load with `file:line`, and a bad update file is set aside on its own.

use std::collections::HashMap;

use super::{KnowledgeBase, Problem, RejectedUpdate};
use crate::answer::Reply;
use crate::command::Command;
use crate::render;

/// Telegram's limit on the commands of one menu (setMyCommands).
pub const MAX_MENU_COMMANDS: usize = 100;
/// Telegram's limit on a command's name, in characters (a-z, 0-9 and _ only).
pub const MAX_COMMAND_CHARS: usize = 32;
/// Telegram's limit on a command's description in the menu, in characters.
pub const MAX_COMMAND_DESCRIPTION_CHARS: usize = 256;
/// The longest `source` link an update may have: longer links are truncated or refused by
/// browsers and link checkers, and one line of a reply must fit in a message.
pub const MAX_URL_CHARS: usize = 2048;

/// Why `name` cannot be a command in Telegram's menu; `None` when it can.
pub fn command_name_problem(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_COMMAND_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (!valid).then(|| format!("command \"{name}\" must be 1-{MAX_COMMAND_CHARS} of a-z, 0-9, _"))
}

/// Why `about` cannot describe a command in Telegram's menu; `None` when it can.
pub fn command_description_problem(about: &str) -> Option<String> {
    let chars = about.chars().count();
    if about.trim().is_empty() {
        Some("is empty; the command menu needs a description".into())
    } else if chars > MAX_COMMAND_DESCRIPTION_CHARS {
        Some(format!(
            "has {chars} characters; Telegram's command menu allows at most {MAX_COMMAND_DESCRIPTION_CHARS}"
        ))
    } else {
        None
    }
}

/// Why `url` is not a link the bot may print as an update's source; `None` when it is: an
/// http(s) URL with a host, no spaces or control characters, at most [`MAX_URL_CHARS`].
pub fn url_problem(url: &str) -> Option<String> {
    let chars = url.chars().count();
    if chars > MAX_URL_CHARS {
        return Some(format!("has {chars} characters, at most {MAX_URL_CHARS}"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("must be one http(s) link without spaces or line breaks".into());
    }
    match url::Url::parse(url) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            Some(format!("must be an http(s) link, not {}:", u.scheme()))
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => {
            Some("must be an http(s) link with a host name".into())
        }
        Ok(_) => None,
        Err(e) => Some(format!("must be an http(s) link ({e})")),
    }
}

/// Where the core files' problems are reported.
pub(super) struct CoreFiles<'a> {
    /// facts.toml: the menu and the topic list point at its `[[topic]]` lines.
    pub facts: &'a str,
    /// article.txt and the line of its `title:`, which /source shows.
    pub article: &'a str,
    pub title_line: usize,
}

/// The problems Telegram's limits find: the core's (the load fails) and each update file's
/// (that file is set aside).
#[derive(Default)]
pub(super) struct Found {
    pub core: Vec<Problem>,
    pub updates: Vec<RejectedUpdate>,
}

/// Checks the command menu and renders every reply the knowledge can produce — each topic
/// command, /help, /start, /topics, /source, /latest, each fact as an answer, each update in
/// /latest and as a broadcast — against Telegram's limits.
///
/// A problem is blamed on what causes it: a topic or core fact at its line in facts.toml, an
/// update's fact or text on that update's file. Free-text answers are joined from the facts'
/// own pieces, so checking each fact alone covers them.
pub(super) fn check(kb: &KnowledgeBase, core: &CoreFiles<'_>) -> Found {
    let mut found = Found::default();
    let mut updates: HashMap<String, Vec<Problem>> = HashMap::new();
    let mut blame_update = |file: &str, line: usize, message: String| {
        updates.entry(file.to_string()).or_default().push(Problem {
            file: file.to_string(),
            line: Some(line),
            message,
        });
    };
    let core_at = |line: usize, message: String| Problem {
        file: core.facts.to_string(),
        line: Some(line),
        message,
    };
    found.core.extend(menu_problems(kb, core.facts));

    // Each topic: its heading alone (the topic's own text), then the whole reply.
    for (topic, facts) in kb.topics_with_facts() {
        let heading = Some(topic.title.clone());
        let alone = Reply::Facts {
            heading: heading.clone(),
            facts: Vec::new(),
        };
        let own = render::reply_problems(kb, &alone);
        for p in &own {
            found.core.push(core_at(
                topic.line,
                format!(
                    "topic \"{}\": the /{} reply breaks Telegram's limits: {p}",
                    topic.name, topic.command
                ),
            ));
        }
        if !own.is_empty() {
            continue;
        }
        let whole = Reply::Facts {
            heading,
            facts: facts.to_vec(),
        };
        let problems = render::reply_problems(kb, &whole);
        // The facts of an update joined it last: blame the latest update file it shows.
        let culprit = facts
            .iter()
            .filter_map(|&i| kb.facts.get(i))
            .filter(|f| f.file != core.facts)
            .max_by(|a, b| super::update_order(&a.file, &b.file));
        for p in problems {
            let message = format!("the /{} reply breaks Telegram's limits: {p}", topic.command);
            match culprit {
                Some(f) => blame_update(&f.file, f.line, format!("fact \"{}\": {message}", f.id)),
                None => found.core.push(core_at(
                    topic.line,
                    format!("topic \"{}\": {message}", topic.name),
                )),
            }
        }
    }

    // Each fact as an answer on its own (statement, quotes, what it replaced).
    for (i, f) in kb.facts.iter().enumerate() {
        let reply = Reply::Facts {
            heading: None,
            facts: vec![i],
        };
        for p in render::reply_problems(kb, &reply) {
            let message = format!(
                "fact \"{}\": its answer breaks Telegram's limits: {p}",
                f.id
            );
            if f.file == core.facts {
                found.core.push(core_at(f.line, message));
            } else {
                blame_update(&f.file, f.line, message);
            }
        }
    }

    // Each update: its broadcast and its entry in /latest.
    for (i, u) in kb.updates.iter().enumerate() {
        for p in render::update_problems(u) {
            blame_update(
                &u.file,
                u.line,
                format!(
                    "update \"{}\": its broadcast breaks Telegram's limits: {p}",
                    u.id
                ),
            );
        }
        for p in render::reply_problems(kb, &Reply::Latest(vec![i])) {
            blame_update(
                &u.file,
                u.line,
                format!(
                    "update \"{}\": its entry in /latest breaks Telegram's limits: {p}",
                    u.id
                ),
            );
        }
    }

    // The replies made of everything: each part was checked above, so these only fail if
    // putting the parts together does; blamed on the core, or the newest update shown.
    for p in render::reply_problems(kb, &Reply::Source) {
        found.core.push(Problem {
            file: core.article.to_string(),
            line: Some(core.title_line),
            message: format!("the /source reply breaks Telegram's limits: {p}"),
        });
    }
    // The topic list shows every title: a topic's problem found above is its cause, so the
    // lists are only checked (and blamed on the first topic) when no topic has one.
    let first_topic_line = kb.topics.first().map_or(1, |t| t.line);
    if found.core.is_empty() {
        for (command, reply) in [
            ("help", Reply::Help),
            ("start", Reply::Start),
            ("topics", Reply::Topics),
        ] {
            for p in render::reply_problems(kb, &reply) {
                found.core.push(core_at(
                    first_topic_line,
                    format!("the /{command} reply breaks Telegram's limits: {p}"),
                ));
            }
        }
    }
    let latest = crate::answer::respond(kb, "/latest", None);
    if let Reply::Latest(shown) = &latest
        && let Some(newest) = shown.first().and_then(|&i| kb.updates.get(i))
    {
        for p in render::reply_problems(kb, &latest) {
            blame_update(
                &newest.file,
                newest.line,
                format!(
                    "update \"{}\": the /latest reply breaks Telegram's limits: {p}",
                    newest.id
                ),
            );
        }
    }

    found.updates = updates
        .into_iter()
        .map(|(file, problems)| RejectedUpdate { file, problems })
        .collect();
    found
        .updates
        .sort_by(|a, b| super::update_order(&a.file, &b.file));
    found
}

/// The command menu (topics, then the bot's own commands) against Telegram's limits: each
/// description, topic commands unique and not one of the bot's own, at most
/// [`MAX_MENU_COMMANDS`]. Command names themselves are checked as facts.toml is parsed.
fn menu_problems(kb: &KnowledgeBase, facts_file: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut at = |line: usize, message: String| {
        out.push(Problem {
            file: facts_file.to_string(),
            line: Some(line),
            message,
        })
    };
    let mut seen: HashMap<&str, (&str, usize)> = HashMap::new();
    let own: Vec<&str> = Command::FIXED.iter().map(Command::name).collect();
    for (k, t) in kb.topics.iter().enumerate() {
        if own.contains(&t.command.as_str()) {
            at(
                t.line,
                format!(
                    "topic \"{}\": command /{} is one of the bot's own commands ({}); choose another",
                    t.name,
                    t.command,
                    own.join(", ")
                ),
            );
        } else if let Some((other, line)) = seen.get(t.command.as_str()) {
            at(
                t.line,
                format!(
                    "topic \"{}\": command /{} is already topic \"{other}\"'s (line {line})",
                    t.name, t.command
                ),
            );
        } else {
            seen.insert(&t.command, (&t.name, t.line));
        }
        if let Some(p) = command_description_problem(&t.title) {
            at(t.line, format!("topic \"{}\": title {p}", t.name));
        }
        if k + Command::FIXED.len() == MAX_MENU_COMMANDS {
            at(
                t.line,
                format!(
                    "topic \"{}\": the command menu would have {} commands ({} topics and {} of the bot's own); Telegram allows at most {MAX_MENU_COMMANDS}",
                    t.name,
                    kb.topics.len() + Command::FIXED.len(),
                    kb.topics.len(),
                    Command::FIXED.len()
                ),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bots_own_commands_fit_the_menu() {
        assert!(Command::FIXED.len() < MAX_MENU_COMMANDS);
        for c in &Command::FIXED {
            assert_eq!(command_name_problem(c.name()), None, "{c:?}");
            assert_eq!(
                command_description_problem(c.about().unwrap_or_default()),
                None,
                "{c:?}"
            );
        }
    }

    #[test]
    fn urls() {
        assert_eq!(url_problem("https://example.org/a?b=1&c=2"), None);
        assert_eq!(url_problem("http://example.org"), None);
        for bad in [
            "https://",
            "ftp://example.org/x",
            "example.org",
            "https://example.org/a b",
            "https://example.org/\nx",
            "javascript:alert(1)",
        ] {
            assert!(url_problem(bad).is_some(), "{bad}");
        }
        let long = format!("https://example.org/{}", "a".repeat(MAX_URL_CHARS));
        assert!(url_problem(&long).is_some_and(|p| p.contains("at most 2048")));
    }
}
