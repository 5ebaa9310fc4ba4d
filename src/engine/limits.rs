//! Telegram's limits, checked against everything the knowledge makes the bot send: the command
//! menu, every reply that depends only on the knowledge, and each update's broadcast.
//!
//! Why at load: a message Telegram refuses is lost for every user who asks (or, for a broadcast,
//! for every subscriber), and nothing at run time can repair it. Checked here, a bad core file
//! stops the load with `file:line`, and a bad update file is set aside on its own. It lives
//! above the renderer (it renders every reply), so the knowledge below stays plain data.

use std::collections::HashMap;

use crate::command::Command;
use crate::knowledge::{
    Knowledge, MAX_MENU_COMMANDS, Problem, RejectedUpdate, command_description_problem,
    update_order,
};
use crate::render;
use crate::reply::Reply;

/// Where the core files' problems are reported.
pub(crate) struct CoreFiles<'a> {
    /// facts.toml: the menu and the topic list point at its `[[topic]]` lines.
    pub facts: &'a str,
    /// article.txt, whose `title:` line /source shows.
    pub article: &'a str,
}

/// The problems Telegram's limits find: the core's (the load fails) and each update file's
/// (that file is set aside).
#[derive(Default)]
pub(crate) struct Found {
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
pub(crate) fn check(kb: &Knowledge, core: &CoreFiles<'_>) -> Found {
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
            facts: facts.iter().map(|f| f.id.clone()).collect(),
        };
        let problems = render::reply_problems(kb, &whole);
        // The facts of an update joined it last: blame the latest update file it shows.
        let culprit = facts
            .iter()
            .filter(|f| f.file != core.facts)
            .max_by(|a, b| update_order(&a.file, &b.file));
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
    for f in &kb.facts {
        let reply = Reply::Facts {
            heading: None,
            facts: vec![f.id.clone()],
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
    for u in &kb.updates {
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
        for p in render::reply_problems(kb, &Reply::Latest(vec![u.id.clone()])) {
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
            line: Some(kb.title_line),
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
    let shown = kb.latest_updates();
    if let Some(newest) = shown.first() {
        let latest = kb.latest_reply();
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
    found.updates.sort_by(|a, b| update_order(&a.file, &b.file));
    found
}

/// The command menu (topics, then the bot's own commands) against Telegram's limits: each
/// description, topic commands unique and not one of the bot's own, at most
/// [`MAX_MENU_COMMANDS`]. Command names themselves are checked as facts.toml is parsed.
fn menu_problems(kb: &Knowledge, facts_file: &str) -> Vec<Problem> {
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
