//! Rendering a [`Reply`] as plain text (terminal, JSON) or Telegram HTML: every dynamic string is
//! escaped, every fact carries its citation, claims read as claims, and HTML output is split into
//! messages within Telegram's 4096-character limit.

use crate::answer::{COMMANDS, Reply};
use crate::knowledge::{Fact, FactKind, KnowledgeBase, Source};

/// Telegram's limit on one message's text.
pub const TELEGRAM_LIMIT: usize = 4096;

/// One piece of a rendered reply, independent of the output format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    /// A bold heading line.
    Heading(String),
    /// A paragraph; `label` (e.g. "Claim by Greer") is shown emphasised before it.
    Text { label: Option<String>, text: String },
    /// A quoted citation: "[8] sentence" or an update's title and text.
    Quote { cite: String, text: String },
    /// A command with its description.
    Command { name: String, about: String },
}

const NOT_COVERED: &str = "The article doesn’t cover that, so I won’t guess. I answer only from one news article about the US–China trade talks at Lancaster House, London. See /topics for what it covers.";

fn cite_blocks(kb: &KnowledgeBase, fact: &Fact, out: &mut Vec<Block>) {
    for source in &fact.sources {
        match source {
            Source::Sentence(n) => {
                if let Some(s) = kb.sentence(*n) {
                    out.push(Block::Quote {
                        cite: format!("[{n}]"),
                        text: s.text.clone(),
                    });
                }
            }
            Source::Update(id) => {
                if let Some(u) = kb.update(id) {
                    out.push(Block::Quote {
                        cite: format!("Update {} — {} ({})", u.date, u.title, u.source),
                        text: u.text.clone(),
                    });
                }
            }
        }
    }
}

fn fact_blocks(kb: &KnowledgeBase, fact: &Fact, out: &mut Vec<Block>) {
    let label = match &fact.kind {
        FactKind::Claim { speaker, .. } => {
            Some(format!("Claim by {speaker}, not established fact:"))
        }
        _ => None,
    };
    out.push(Block::Text {
        label,
        text: fact.answer.clone(),
    });
    cite_blocks(kb, fact, out);
    // What this fact replaced, so a reader sees the change.
    let mut previous = fact.supersedes.as_deref().and_then(|id| kb.fact(id));
    while let Some(old) = previous {
        out.push(Block::Text {
            label: Some("Previously:".into()),
            text: old.answer.clone(),
        });
        cite_blocks(kb, old, out);
        previous = old.supersedes.as_deref().and_then(|id| kb.fact(id));
    }
}

fn help_blocks(kb: &KnowledgeBase, out: &mut Vec<Block>) {
    out.push(Block::Heading("Commands".into()));
    for (name, about) in COMMANDS {
        out.push(Block::Command {
            name: (*name).into(),
            about: (*about).into(),
        });
    }
    for t in &kb.topics {
        out.push(Block::Command {
            name: t.command.clone(),
            about: t.title.clone(),
        });
    }
    out.push(Block::Text {
        label: None,
        text: "Or just ask a question, e.g. “what tariffs did the US set on Chinese goods?” Every answer quotes the sentence of the article it comes from; claims are shown as claims.".into(),
    });
}

fn blocks(kb: &KnowledgeBase, reply: &Reply) -> Vec<Block> {
    let mut out = Vec::new();
    let text = |t: &str| Block::Text {
        label: None,
        text: t.to_string(),
    };
    match reply {
        Reply::Facts { heading, facts } => {
            if let Some(h) = heading {
                out.push(Block::Heading(h.clone()));
            }
            if facts.is_empty() {
                out.push(text("Nothing on this topic yet."));
            }
            for &i in facts {
                if let Some(f) = kb.facts.get(i) {
                    fact_blocks(kb, f, &mut out);
                }
            }
        }
        Reply::NotCovered => out.push(text(NOT_COVERED)),
        Reply::Start => {
            out.push(Block::Heading("Trade talks bot".into()));
            out.push(text("I answer questions about the US–China trade talks at Lancaster House, London — only from one news article, always quoting the sentence I rely on, and I say so when the article doesn’t cover something."));
            help_blocks(kb, &mut out);
        }
        Reply::Help => help_blocks(kb, &mut out),
        Reply::Topics => {
            out.push(Block::Heading("What the article covers".into()));
            for t in &kb.topics {
                out.push(Block::Command {
                    name: t.command.clone(),
                    about: t.title.clone(),
                });
            }
            out.push(text("Ask about any of these in your own words, too."));
        }
        Reply::Source => {
            out.push(Block::Heading(kb.title.clone()));
            out.push(text(&format!(
                "Source: {}. {} numbered sentences; every answer quotes the sentence it comes from. Promotional lines of the page are not used.",
                kb.credit,
                kb.sentences.len()
            )));
            if !kb.updates.is_empty() {
                out.push(text(&format!(
                    "Plus {} published update(s): see /latest.",
                    kb.updates.len()
                )));
            }
        }
        Reply::Latest(ids) => {
            out.push(Block::Heading("Latest updates".into()));
            if ids.is_empty() {
                out.push(text("No updates have been published yet. /subscribe to get them as they come."));
            }
            for &i in ids {
                if let Some(u) = kb.updates.get(i) {
                    out.push(Block::Quote {
                        cite: format!("{} — {} ({})", u.date, u.title, u.source),
                        text: u.text.clone(),
                    });
                }
            }
        }
        Reply::UnknownCommand(name) => out.push(text(&format!(
            "I don’t know the command /{name}. Try /help or /topics."
        ))),
        Reply::Empty => out.push(text(
            "Ask me something about the US–China trade talks, e.g. /ask what tariffs did the US set? — or see /topics.",
        )),
        Reply::TooLong(n) => out.push(text(&format!(
            "That message is too long for me ({n} characters). Please ask a shorter question (under {} characters).",
            crate::answer::MAX_QUESTION_CHARS
        ))),
        Reply::NotForMe => {}
        Reply::Subscription(s) => {
            use crate::subscriptions::SubscriptionReply as S;
            out.push(text(&match s {
                S::Subscribed => "Subscribed: this chat will get each new update about the talks once, as it is published. /unsubscribe to stop.".to_string(),
                S::AlreadySubscribed => "This chat is already subscribed; nothing changed. /status shows what it has had.".to_string(),
                S::Unsubscribed => "Unsubscribed: no more updates in this chat. /subscribe to start again.".to_string(),
                S::WasNotSubscribed => "This chat was not subscribed; nothing changed.".to_string(),
                S::Status { subscribed: true, delivered } => format!("This chat is subscribed and has had {delivered} update(s)."),
                S::Status { subscribed: false, .. } => "This chat is not subscribed. /subscribe to get updates.".to_string(),
                S::AdminsOnly => "Sorry, only the group’s administrators can change its subscription. /status shows it.".to_string(),
                S::Unavailable => "Sorry, subscriptions are unavailable right now; please try again in a minute.".to_string(),
            }));
        }
        Reply::ChatOnly(name) => out.push(text(&format!(
            "/{name} works in a Telegram chat with the bot; here there is nothing to subscribe."
        ))),
    }
    out
}

/// Plain text, for the terminal and JSON output. Empty for [`Reply::NotForMe`].
pub fn plain(kb: &KnowledgeBase, reply: &Reply) -> String {
    let mut s = String::new();
    for b in blocks(kb, reply) {
        match b {
            Block::Heading(h) => s.push_str(&format!("{h}\n")),
            Block::Text {
                label: Some(l),
                text,
            } => s.push_str(&format!("{l} {text}\n")),
            Block::Text { label: None, text } => s.push_str(&format!("{text}\n")),
            Block::Quote { cite, text } => s.push_str(&format!("  {cite} “{text}”\n")),
            Block::Command { name, about } => s.push_str(&format!("  /{name} — {about}\n")),
        }
    }
    s.trim_end().to_string()
}

/// Escapes `<`, `>`, `&` (and quotes) for Telegram's HTML parse mode.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn html_block(b: &Block) -> String {
    match b {
        Block::Heading(h) => format!("<b>{}</b>", escape(h)),
        Block::Text {
            label: Some(l),
            text,
        } => format!("<i>{}</i> {}", escape(l), escape(text)),
        Block::Text { label: None, text } => escape(text),
        Block::Quote { cite, text } => {
            format!("<blockquote>{} {}</blockquote>", escape(cite), escape(text))
        }
        Block::Command { name, about } => format!("/{} — {}", escape(name), escape(about)),
    }
}

/// Splits a block whose text alone exceeds a message into several blocks of the same kind.
fn split_block(b: Block, max_chars: usize) -> Vec<Block> {
    let chunks = |t: &str| -> Vec<String> {
        let chars: Vec<char> = t.chars().collect();
        chars
            .chunks(max_chars)
            .map(|c| c.iter().collect())
            .collect()
    };
    match b {
        Block::Text { label, text } if text.chars().count() > max_chars => chunks(&text)
            .into_iter()
            .map(|t| Block::Text {
                label: label.clone(),
                text: t,
            })
            .collect(),
        Block::Quote { cite, text } if text.chars().count() > max_chars => chunks(&text)
            .into_iter()
            .map(|t| Block::Quote {
                cite: cite.clone(),
                text: t,
            })
            .collect(),
        other => vec![other],
    }
}

/// Telegram HTML messages for a reply, each within [`TELEGRAM_LIMIT`] characters even before
/// entity parsing (so the rendered text is always under it). Empty for [`Reply::NotForMe`].
pub fn html(kb: &KnowledgeBase, reply: &Reply) -> Vec<String> {
    html_limited(kb, reply, TELEGRAM_LIMIT)
}

/// [`html`] with a chosen limit (tests use a small one).
pub fn html_limited(kb: &KnowledgeBase, reply: &Reply, limit: usize) -> Vec<String> {
    // Escaping can grow text up to 6x ("&quot;"); quotes add a cite. Keep chunks well inside.
    let chunk = (limit / 7).max(16);
    let mut messages = Vec::new();
    let mut cur = String::new();
    for b in blocks(kb, reply)
        .into_iter()
        .flat_map(|b| split_block(b, chunk))
    {
        let piece = html_block(&b);
        let piece = if piece.chars().count() > limit {
            piece.chars().take(limit).collect()
        } else {
            piece
        };
        if !cur.is_empty() && cur.chars().count() + 1 + piece.chars().count() > limit {
            messages.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(&piece);
    }
    if !cur.is_empty() {
        messages.push(cur);
    }
    messages
}

/// The message subscribers receive for a published update: its title, date, text and source.
pub fn update_html(u: &crate::knowledge::Update) -> Vec<String> {
    let heading = format!("<b>Update: {}</b> ({})", escape(&u.title), escape(&u.date));
    let link = format!("Source: {}", escape(&u.source));
    let chunk = TELEGRAM_LIMIT / 7;
    let chars: Vec<char> = u.text.chars().collect();
    let mut parts: Vec<String> = chars
        .chunks(chunk)
        .map(|c| escape(&c.iter().collect::<String>()))
        .collect();
    if let Some(first) = parts.first_mut() {
        *first = format!("{heading}\n{first}");
    }
    if let Some(last) = parts.last_mut() {
        last.push('\n');
        last.push_str(&link);
        last.push_str("\n/latest shows recent updates; /unsubscribe stops them.");
    }
    parts
}

/// The ids of the facts a reply states.
pub fn fact_ids<'a>(kb: &'a KnowledgeBase, reply: &Reply) -> Vec<&'a str> {
    match reply {
        Reply::Facts { facts, .. } => facts
            .iter()
            .filter_map(|&i| kb.facts.get(i))
            .map(|f| f.id.as_str())
            .collect(),
        _ => Vec::new(),
    }
}

/// The article sentence numbers a reply cites, in order, without repeats.
pub fn sentence_numbers(kb: &KnowledgeBase, reply: &Reply) -> Vec<u32> {
    let mut out = Vec::new();
    if let Reply::Facts { facts, .. } = reply {
        for f in facts.iter().filter_map(|&i| kb.facts.get(i)) {
            for s in &f.sources {
                if let Source::Sentence(n) = s
                    && !out.contains(n)
                {
                    out.push(*n);
                }
            }
        }
    }
    out
}
