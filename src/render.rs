//! Rendering a [`Reply`] as plain text (terminal, JSON) or Telegram HTML: every dynamic string is
//! escaped, every fact is followed by the sentence it comes from (facts from one sentence share
//! one quote), claims read as claims, and HTML output is split into messages within Telegram's
//! 4096-character limit.

use std::borrow::Cow;

use crate::command::Command;
use crate::knowledge::{Fact, Knowledge, Source};
use crate::reply::Reply;

/// Telegram's limit on one message's text.
pub const TELEGRAM_LIMIT: usize = 4096;

/// Text of a block: borrowed from the knowledge where it can be, so rendering copies each
/// string once, into the output.
type Str<'a> = Cow<'a, str>;

/// One piece of a rendered reply, independent of the output format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block<'a> {
    /// A bold heading line.
    Heading(Str<'a>),
    /// A paragraph; `label` (e.g. "Claim by Greer") is shown emphasised before it.
    Text {
        label: Option<Str<'a>>,
        text: Str<'a>,
    },
    /// A quoted citation: "[8] sentence" or an update's title and text.
    Quote { cite: Str<'a>, text: Str<'a> },
    /// A command with its description.
    Command { name: Str<'a>, about: Str<'a> },
}

const NOT_COVERED: &str = "The article doesn’t cover that, so I won’t guess. I answer only from one news article about the US–China trade talks at Lancaster House, London. See /topics for what it covers.";

const NOT_COVERED_BRIEF: &str = "The article doesn’t cover that (see /topics).";

const NOTHING_MORE: &str = "That’s all the article says about it.";

const WHAT_DO_YOU_MEAN: &str = "What do you mean? I don’t know what that follows — please ask the whole question, e.g. “what tariffs did China set?”";

/// The quotes of a fact's sources that are not in `quoted` yet (which then holds them too).
fn cite_blocks<'a>(
    kb: &'a Knowledge,
    fact: &'a Fact,
    quoted: &mut Vec<&'a Source>,
    out: &mut Vec<Block<'a>>,
) {
    for source in &fact.sources {
        if quoted.contains(&source) {
            continue;
        }
        quoted.push(source);
        match source {
            Source::Sentence(n) => {
                if let Some(s) = kb.sentence(*n) {
                    out.push(Block::Quote {
                        cite: format!("[{n}]").into(),
                        text: Cow::Borrowed(s.text.as_str()),
                    });
                }
            }
            Source::Update(id) => {
                if let Some(u) = kb.update(id) {
                    out.push(Block::Quote {
                        cite: format!("Update {} — {} ({})", u.date, u.title, u.source).into(),
                        text: Cow::Borrowed(u.text.as_str()),
                    });
                }
            }
        }
    }
}

/// The fact's statement. A claim's answer names its speaker and keeps the article's reporting
/// verb ("Beijing argued …", checked when the knowledge loads), so it reads as what it is
/// without a label.
fn statement_block<'a>(fact: &'a Fact) -> Block<'a> {
    Block::Text {
        label: None,
        text: Cow::Borrowed(fact.answer.as_str()),
    }
}

/// The facts a reply states, in order, each followed by the sentences it comes from that the
/// reply has not quoted yet: a run of facts drawn from one sentence is stated together and the
/// sentence quoted once, and a sentence is never quoted twice in one reply.
fn facts_blocks<'a>(kb: &'a Knowledge, facts: &[&'a Fact], out: &mut Vec<Block<'a>>) {
    let mut quoted: Vec<&Source> = Vec::new();
    for (i, fact) in facts.iter().enumerate() {
        out.push(statement_block(fact));
        // Facts of the same sources that follow share the quote after the last of them.
        let next_shares = facts.get(i + 1).is_some_and(|next| {
            fact.supersedes.is_none() && next.supersedes.is_none() && next.sources == fact.sources
        });
        if !next_shares {
            tail_blocks(kb, fact, &mut quoted, out);
        }
    }
}

/// What follows a fact's statement when it ends a run: its quotes not yet in the reply, and
/// what it replaced, so a reader sees the change.
fn tail_blocks<'a>(
    kb: &'a Knowledge,
    fact: &'a Fact,
    quoted: &mut Vec<&'a Source>,
    out: &mut Vec<Block<'a>>,
) {
    cite_blocks(kb, fact, quoted, out);
    let mut previous = fact.supersedes.as_deref().and_then(|id| kb.fact(id));
    while let Some(old) = previous {
        out.push(Block::Text {
            label: Some(Cow::Borrowed("Previously:")),
            text: Cow::Borrowed(old.answer.as_str()),
        });
        cite_blocks(kb, old, quoted, out);
        previous = old.supersedes.as_deref().and_then(|id| kb.fact(id));
    }
}

fn help_blocks<'a>(kb: &'a Knowledge, out: &mut Vec<Block<'a>>) {
    out.push(Block::Heading("Commands".into()));
    for c in &Command::FIXED {
        out.push(Block::Command {
            name: Cow::Owned(c.name().to_string()),
            about: c.about().unwrap_or_default().into(),
        });
    }
    for t in &kb.topics {
        out.push(Block::Command {
            name: Cow::Borrowed(t.command.as_str()),
            about: Cow::Borrowed(t.title.as_str()),
        });
    }
    out.push(Block::Text {
        label: None,
        text: "Or just ask a question, e.g. “what tariffs did the US set on Chinese goods?” Every answer quotes the sentence of the article it comes from; claims are shown as claims.".into(),
    });
}

fn blocks<'a>(kb: &'a Knowledge, reply: &'a Reply) -> Vec<Block<'a>> {
    let mut out = Vec::new();
    let text = |t: String| Block::Text {
        label: None,
        text: Cow::Owned(t),
    };
    let fixed = |t: &'static str| Block::Text {
        label: None,
        text: Cow::Borrowed(t),
    };
    match reply {
        Reply::Facts { heading, facts } => {
            if let Some(h) = heading {
                out.push(Block::Heading(Cow::Borrowed(h.as_str())));
            }
            if facts.is_empty() {
                out.push(fixed("Nothing on this topic yet."));
            }
            let facts: Vec<&Fact> = facts.iter().filter_map(|id| kb.fact(id)).collect();
            facts_blocks(kb, &facts, &mut out);
        }
        Reply::NotCovered => out.push(fixed(NOT_COVERED)),
        Reply::NotCoveredBrief => out.push(fixed(NOT_COVERED_BRIEF)),
        Reply::NothingMore => out.push(fixed(NOTHING_MORE)),
        Reply::WhatDoYouMean => out.push(fixed(WHAT_DO_YOU_MEAN)),
        Reply::Start => {
            out.push(Block::Heading("Trade talks bot".into()));
            out.push(fixed("I answer questions about the US–China trade talks at Lancaster House, London — only from one news article, always quoting the sentence I rely on, and I say so when the article doesn’t cover something."));
            help_blocks(kb, &mut out);
        }
        Reply::Help => help_blocks(kb, &mut out),
        Reply::Topics => {
            out.push(Block::Heading("What the article covers".into()));
            for t in &kb.topics {
                out.push(Block::Command {
                    name: Cow::Borrowed(t.command.as_str()),
                    about: Cow::Borrowed(t.title.as_str()),
                });
            }
            out.push(fixed("Ask about any of these in your own words, too."));
        }
        Reply::Source => {
            out.push(Block::Heading(Cow::Borrowed(kb.title.as_str())));
            out.push(text(format!(
                "Source: {}. {} numbered sentences; every answer quotes the sentence it comes from. Promotional lines of the page are not used.",
                kb.credit,
                kb.sentences.len()
            )));
            if !kb.updates.is_empty() {
                out.push(text(format!(
                    "Plus {} published update(s): see /latest.",
                    kb.updates.len()
                )));
            }
        }
        Reply::Latest(ids) => {
            out.push(Block::Heading("Latest updates".into()));
            if ids.is_empty() {
                out.push(fixed("No updates have been published yet. /subscribe to get them as they come."));
            }
            for id in ids {
                if let Some(u) = kb.update(id) {
                    out.push(Block::Quote {
                        cite: format!("{} — {} ({})", u.date, u.title, u.source).into(),
                        text: Cow::Borrowed(u.text.as_str()),
                    });
                }
            }
        }
        Reply::UnknownCommand(name) => out.push(text(format!(
            "I don’t know the command /{name}. Try /help or /topics."
        ))),
        Reply::Empty => out.push(fixed(
            "Ask me something about the US–China trade talks, e.g. /ask what tariffs did the US set? — or see /topics.",
        )),
        Reply::TooLong(n) => out.push(text(format!(
            "That message is too long for me ({n} characters). Please ask a shorter question (under {} characters).",
            crate::reply::MAX_QUESTION_CHARS
        ))),
        Reply::NotForMe => {}
        Reply::Subscription(s) => {
            use crate::reply::SubscriptionReply as S;
            out.push(text(match s {
                S::Subscribed => "Subscribed: this chat will get each new update about the talks once, as it is published. /unsubscribe to stop.".to_string(),
                S::AlreadySubscribed => "This chat is already subscribed; nothing changed. /status shows what it has had.".to_string(),
                S::Unsubscribed => "Unsubscribed: no more updates in this chat. /subscribe to start again.".to_string(),
                S::WasNotSubscribed => "This chat was not subscribed; nothing changed.".to_string(),
                S::Status { subscribed: true, delivered } => format!("This chat is subscribed and has had {delivered} update(s)."),
                S::Status { subscribed: false, .. } => "This chat is not subscribed. /subscribe to get updates.".to_string(),
                S::AdminsOnly => "Sorry, only the group’s administrators can change its subscription. /status shows it.".to_string(),
                S::CannotCheckAdmin => "Sorry, I could not check with Telegram whether you are an administrator of this group; please try again in a minute.".to_string(),
                S::Unavailable => "Sorry, subscriptions are unavailable right now; please try again in a minute.".to_string(),
            }));
        }
        Reply::ChatOnly(name) => out.push(text(format!(
            "/{name} works in a Telegram chat with the bot; here there is nothing to subscribe."
        ))),
    }
    out
}

/// Plain text, for the terminal and JSON output. Empty for [`Reply::NotForMe`].
pub fn plain(kb: &Knowledge, reply: &Reply) -> String {
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
    escape_into(&mut out, s);
    out
}

/// [`escape`], appending to `out`; runs with nothing to escape are copied in one go.
fn escape_into(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            _ => continue,
        };
        // The four are ASCII, so `i` is a character boundary.
        out.push_str(&s[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Appends a block's HTML to `out`.
fn html_block_into(out: &mut String, b: &Block) {
    match b {
        Block::Heading(h) => {
            out.push_str("<b>");
            escape_into(out, h);
            out.push_str("</b>");
        }
        Block::Text { label, text } => {
            if let Some(l) = label {
                out.push_str("<i>");
                escape_into(out, l);
                out.push_str("</i> ");
            }
            escape_into(out, text);
        }
        Block::Quote { cite, text } => {
            out.push_str("<blockquote>");
            escape_into(out, cite);
            out.push(' ');
            escape_into(out, text);
            out.push_str("</blockquote>");
        }
        Block::Command { name, about } => {
            out.push('/');
            escape_into(out, name);
            out.push_str(" — ");
            escape_into(out, about);
        }
    }
}

/// Whether `t` is longer than `max_chars` characters (counting only when it may be).
fn longer_than(t: &str, max_chars: usize) -> bool {
    t.len() > max_chars && t.chars().count() > max_chars
}

/// Calls `f` with the block, or with the blocks it splits into when its text alone exceeds
/// `max_chars` characters.
fn split_block<'a>(b: Block<'a>, max_chars: usize, f: &mut impl FnMut(&Block<'_>)) {
    let chunks = |t: &str| -> Vec<String> {
        let chars: Vec<char> = t.chars().collect();
        chars
            .chunks(max_chars)
            .map(|c| c.iter().collect())
            .collect()
    };
    match &b {
        Block::Text { label, text } if longer_than(text, max_chars) => {
            for t in chunks(text) {
                f(&Block::Text {
                    label: label.clone(),
                    text: Cow::Owned(t),
                });
            }
        }
        Block::Quote { cite, text } if longer_than(text, max_chars) => {
            for t in chunks(text) {
                f(&Block::Quote {
                    cite: cite.clone(),
                    text: Cow::Owned(t),
                });
            }
        }
        _ => f(&b),
    }
}

/// Telegram HTML messages for a reply, each within [`TELEGRAM_LIMIT`] characters even before
/// entity parsing (so the rendered text is always under it), rendered when asked: a reply costs
/// microseconds, so nothing is rendered ahead. Empty for [`Reply::NotForMe`].
pub fn html(kb: &Knowledge, reply: &Reply) -> Vec<String> {
    html_limited(kb, reply, TELEGRAM_LIMIT)
}

/// How many characters of text one HTML piece may hold: escaping can grow text up to 6x
/// ("&quot;") and quotes add a cite, so pieces stay well inside the limit.
fn chunk_chars(limit: usize) -> usize {
    (limit / 7).max(16)
}

/// Joins HTML pieces, one per line, into messages of at most `limit` characters.
struct Messages {
    limit: usize,
    done: Vec<String>,
    cur: String,
    cur_chars: usize,
}

impl Messages {
    /// `bytes`: room for the first message.
    fn new(limit: usize, bytes: usize) -> Messages {
        Messages {
            limit,
            done: Vec::new(),
            cur: String::with_capacity(bytes),
            cur_chars: 0,
        }
    }

    /// Adds a piece of `chars` characters, cut to the limit if it alone exceeds it.
    fn add(&mut self, piece: &str, chars: usize) {
        let (piece, chars) = if chars > self.limit {
            let end = piece
                .char_indices()
                .nth(self.limit)
                .map_or(piece.len(), |(i, _)| i);
            (&piece[..end], self.limit)
        } else {
            (piece, chars)
        };
        if !self.cur.is_empty() && self.cur_chars + 1 + chars > self.limit {
            self.done.push(std::mem::take(&mut self.cur));
            self.cur_chars = 0;
        }
        if !self.cur.is_empty() {
            self.cur.push('\n');
            self.cur_chars += 1;
        }
        self.cur.push_str(piece);
        self.cur_chars += chars;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.cur.is_empty() {
            self.done.push(self.cur);
        }
        self.done
    }
}

/// [`html`] with a chosen limit (tests use a small one).
pub fn html_limited(kb: &Knowledge, reply: &Reply, limit: usize) -> Vec<String> {
    let chunk = chunk_chars(limit);
    let mut messages = Messages::new(limit, 1024);
    let mut piece = String::with_capacity(512);
    let mut add = |b: &Block<'_>| {
        piece.clear();
        html_block_into(&mut piece, b);
        messages.add(&piece, piece.chars().count());
    };
    for b in blocks(kb, reply) {
        split_block(b, chunk, &mut add);
    }
    messages.finish()
}

/// The last line of every broadcast update. Only a group's administrators may unsubscribe it,
/// so the line says who can, in words that fit a group and a private chat alike.
const UPDATE_FOOTER: &str = "\n/latest shows recent updates; /status shows this chat’s subscription. An administrator (or you, in a private chat) can /unsubscribe.";

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
        last.push_str(UPDATE_FOOTER);
    }
    parts
}

/// The HTML tags Telegram's parse mode accepts that this bot may send.
pub const TELEGRAM_TAGS: &[&str] = &[
    "b",
    "i",
    "u",
    "s",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
];

/// Why Telegram would refuse one message of HTML, or show it other than meant; `None` when it
/// is fine: at most [`TELEGRAM_LIMIT`] characters (counted before entity parsing, as
/// [`html`] promises), not blank, only [`TELEGRAM_TAGS`], each closed in the order opened, and
/// every `<`, `>` and `&` part of a tag or an entity.
///
/// Why check what we render ourselves: text comes from the knowledge files, and a piece longer
/// than a message is cut, which can leave a tag open; Telegram then refuses the whole message.
pub fn html_problem(part: &str) -> Option<String> {
    let chars = part.chars().count();
    if chars > TELEGRAM_LIMIT {
        return Some(format!(
            "{chars} characters, over Telegram's {TELEGRAM_LIMIT} per message"
        ));
    }
    if part.trim().is_empty() {
        return Some("the message is empty".into());
    }
    let mut open: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(offset) = part[i..].find(['<', '>', '&']) {
        let at = i + offset;
        let rest = &part[at..];
        if rest.starts_with('>') {
            return Some("a \">\" outside a tag (it must be written &gt;)".into());
        }
        if let Some(after) = rest.strip_prefix('&') {
            let entity = after.split_once(';').map(|(e, _)| e);
            if !entity.is_some_and(is_entity) {
                return Some("an \"&\" that starts no entity (it must be written &amp;)".into());
            }
            i = at + 1;
            continue;
        }
        let Some(end) = rest.find('>').filter(|&e| !rest[1..e].contains('<')) else {
            return Some("a \"<\" that starts no tag (it must be written &lt;)".into());
        };
        let tag = &rest[1..end];
        if let Some(name) = tag.strip_prefix('/') {
            match open.pop() {
                Some(top) if top == name => {}
                Some(top) => return Some(format!("</{name}> closes <{top}>")),
                None => return Some(format!("</{name}> closes no tag")),
            }
        } else {
            let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
            if !TELEGRAM_TAGS.contains(&name) {
                return Some(format!("<{name}> is not one of Telegram's tags"));
            }
            let attributes_ok = match name {
                "a" => attributes.starts_with("href=\"") && attributes.ends_with('"'),
                _ => attributes.is_empty(),
            };
            if !attributes_ok {
                return Some(format!("<{tag}> has attributes Telegram does not accept"));
            }
            open.push(name);
        }
        i = at + end + 1;
    }
    open.last().map(|top| format!("<{top}> is never closed"))
}

/// An HTML entity's name, between `&` and `;`, as Telegram knows it.
fn is_entity(name: &str) -> bool {
    if let Some(hex) = name.strip_prefix("#x") {
        !hex.is_empty() && hex.len() <= 6 && hex.chars().all(|c| c.is_ascii_hexdigit())
    } else if let Some(dec) = name.strip_prefix('#') {
        !dec.is_empty() && dec.len() <= 7 && dec.chars().all(|c| c.is_ascii_digit())
    } else {
        matches!(name, "lt" | "gt" | "amp" | "quot")
    }
}

/// Why a reply the knowledge produces breaks Telegram's limits, one line per problem; empty when
/// it is fine.
///
/// Two checks: every line the splitting rules produce fits in one message (a longer one is cut
/// when the messages are joined, losing text and perhaps a closing tag), and every message as
/// [`html`] sends it passes [`html_problem`].
pub fn reply_problems(kb: &Knowledge, reply: &Reply) -> Vec<String> {
    let mut out = Vec::new();
    let mut piece = String::new();
    for b in blocks(kb, reply) {
        split_block(b, chunk_chars(TELEGRAM_LIMIT), &mut |b| {
            piece.clear();
            html_block_into(&mut piece, b);
            let chars = piece.chars().count();
            if chars > TELEGRAM_LIMIT {
                out.push(format!(
                    "one line is {chars} characters of HTML, more than a message holds ({TELEGRAM_LIMIT}), so it would be cut"
                ));
            }
        });
    }
    out.extend(messages_problems(&html(kb, reply)));
    out
}

/// Why the broadcast of this update ([`update_html`]) breaks Telegram's limits; empty when it
/// is fine.
pub fn update_problems(u: &crate::knowledge::Update) -> Vec<String> {
    messages_problems(&update_html(u))
}

/// [`html_problem`] of each message, naming which one.
fn messages_problems(messages: &[String]) -> Vec<String> {
    let n = messages.len();
    messages
        .iter()
        .enumerate()
        .filter_map(|(k, m)| html_problem(m).map(|p| format!("message {} of {n}: {p}", k + 1)))
        .collect()
}

/// The ids of the facts a reply states.
pub fn fact_ids<'a>(kb: &'a Knowledge, reply: &Reply) -> Vec<&'a str> {
    match reply {
        Reply::Facts { facts, .. } => facts
            .iter()
            .filter_map(|id| kb.fact(id))
            .map(|f| f.id.as_str())
            .collect(),
        _ => Vec::new(),
    }
}

/// The article sentence numbers a reply cites, in order, without repeats.
pub fn sentence_numbers(kb: &Knowledge, reply: &Reply) -> Vec<u32> {
    let mut out = Vec::new();
    if let Reply::Facts { facts, .. } = reply {
        for f in facts.iter().filter_map(|id| kb.fact(id)) {
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
