//! The answerer: turns a command or a free-text question into a [`Reply`] — cited facts, or an
//! honest "the article doesn't cover that".
//!
//! Free text is scored against every current fact with a small BM25-style scorer over the
//! analysed terms (see [`crate::analyze`]). A question is answered only when the best facts cover
//! most of what it asks: a word the knowledge has never seen ("Japan", "age", "signed") weighs
//! heavily against answering, because a wrong answer is worse than none.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::analyze::{Analyzer, Token, split_words};
use crate::knowledge::{Ask, Fact, KnowledgeBase, Topic};

/// Longest question accepted, in characters; longer ones get a polite refusal.
pub const MAX_QUESTION_CHARS: usize = 1000;
/// Share of a question's weight that the answering facts must cover.
const MIN_COVERAGE: f32 = 0.6;
/// Share of a question's weight the best fact must cover in its own words (not only through
/// the sentence it cites, which other facts share).
const MIN_OWN_COVERAGE: f32 = 0.4;
/// Other facts are shown beside the best one when they score at least this share of it.
const ALSO_RATIO: f32 = 0.85;
/// At most this many facts answer one free-text question.
const MAX_FACTS: usize = 4;
/// How much a term found only in a fact's cited source counts, against one in the fact itself.
const SOURCE_WEIGHT: f32 = 0.3;
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Function words kept when forming word pairs, because they carry direction ("on china").
const DIRECTION_WORDS: &[&str] = &["on", "from", "against", "to", "into", "own", "in", "about"];

/// The fixed commands (topic commands come from the knowledge files).
pub const COMMANDS: &[(&str, &str)] = &[
    ("start", "What this bot is"),
    ("help", "How to use the bot"),
    ("topics", "What the article covers"),
    ("ask", "Ask a question: /ask what tariffs did the US set?"),
    ("source", "The source article"),
    ("latest", "The most recent updates"),
    ("subscribe", "Get new updates about the talks in this chat"),
    ("unsubscribe", "Stop updates in this chat"),
    ("status", "Is this chat subscribed?"),
];

/// What the bot replies, before rendering.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reply {
    /// Facts (indexes into `KnowledgeBase::facts`), best first; `heading` is set for a topic.
    Facts {
        heading: Option<String>,
        facts: Vec<usize>,
    },
    /// The article does not answer the question.
    NotCovered,
    Start,
    Help,
    Topics,
    Source,
    /// The most recent updates, newest first (indexes into `KnowledgeBase::updates`).
    Latest(Vec<usize>),
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
    Subscription(crate::subscriptions::SubscriptionReply),
}

impl Reply {
    /// Whether the reply states facts.
    pub fn answered(&self) -> bool {
        matches!(self, Reply::Facts { .. })
    }
}

/// The question kinds the wording reveals, one per question word; `None` stands for a word
/// such as "what" that any fact may answer.
fn question_kinds(words: &[String]) -> Vec<Option<Ask>> {
    let mut kinds = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str).unwrap_or("");
        let kind = match w.as_str() {
            "who" | "whom" | "whose" | "whos" => Some(Ask::Who),
            "where" | "wheres" => Some(Ask::Where),
            "when" => Some(Ask::When),
            "why" => Some(Ask::Why),
            "how" | "hows" => Some(match next {
                "much" | "many" | "high" | "big" | "large" | "low" | "steep" | "long" => {
                    Ask::HowMuch
                }
                "soon" => Ask::When,
                _ => Ask::How,
            }),
            "what" | "whats" | "which" => match next {
                "percent" | "percentage" | "share" | "rate" | "proportion" | "fraction" => {
                    Some(Ask::HowMuch)
                }
                "date" | "day" | "month" | "year" | "time" => Some(Ask::When),
                "city" | "country" | "place" | "venue" | "location" => Some(Ask::Where),
                _ => {
                    kinds.push(None);
                    continue;
                }
            },
            _ => continue,
        };
        kinds.push(kind);
    }
    kinds
}

fn accepts(fact: &Fact, kinds: &[Option<Ask>]) -> bool {
    kinds.is_empty()
        || fact.asks.is_empty()
        || kinds.iter().any(|k| match k {
            None => true,
            Some(Ask::How) => fact.asks.iter().any(|a| matches!(a, Ask::How | Ask::What)),
            Some(k) => fact.asks.contains(k),
        })
}

/// A question in several parts ("where are the talks and what are they about") may be answered
/// by several facts together; a single question only by its best facts.
fn is_multi_part(words: &[String], kinds: &[Option<Ask>]) -> bool {
    let mut asked: Vec<Ask> = kinds.iter().flatten().copied().collect();
    asked.dedup();
    asked.len() >= 2
        || words.iter().any(|w| {
            matches!(
                w.as_str(),
                "and" | "or" | "but" | "plus" | "also" | "versus" | "vs"
            )
        })
}

/// A term (stem) and whether it is a claim word.
type Term<'a> = (&'a str, bool);
/// Two adjacent stems, which carry direction ("on china").
type Pair<'a> = (&'a str, &'a str);

/// The terms and word pairs a text contributes.
fn terms_and_pairs<'a>(tokens: &'a [Token<'_>]) -> (Vec<Term<'a>>, Vec<Pair<'a>>) {
    let mut terms: Vec<Term<'a>> = Vec::new();
    for t in tokens.iter().filter(|t| !t.stop) {
        if !terms.iter().any(|(s, _)| *s == t.stem) {
            terms.push((&t.stem, t.claim));
        }
    }
    let kept: Vec<&Token> = tokens
        .iter()
        .filter(|t| !t.stop || DIRECTION_WORDS.contains(&t.word.as_ref()))
        .collect();
    let pairs = kept
        .windows(2)
        .map(|w| (w[0].stem.as_ref(), w[1].stem.as_ref()))
        .collect();
    (terms, pairs)
}

/// For each term id, the facts that use it: one bit per fact, `stride` words per term.
///
/// Why inverted: a question has a handful of terms, so scoring reads a few short rows and then
/// visits only the facts that share a term with it, instead of testing every term against every
/// fact's own set (which, with caches cold between messages, cost more than the arithmetic).
#[derive(Debug)]
struct Postings {
    stride: usize,
    bits: Vec<u64>,
}

impl Postings {
    fn new(terms: usize, facts: usize) -> Postings {
        let stride = facts.div_ceil(64).max(1);
        Postings {
            stride,
            bits: vec![0; terms * stride],
        }
    }

    fn insert(&mut self, term: u32, fact: usize) {
        self.bits[term as usize * self.stride + fact / 64] |= 1 << (fact % 64);
    }

    /// The facts using `term`, as a bitset.
    fn row(&self, term: u32) -> &[u64] {
        let start = term as usize * self.stride;
        &self.bits[start..start + self.stride]
    }
}

/// Whether fact `i` is in the bitset `row`.
fn has(row: &[u64], i: usize) -> bool {
    row[i / 64] & (1 << (i % 64)) != 0
}

#[derive(Debug)]
struct FactEntry {
    /// Ids of its word pairs, sorted.
    pairs: Vec<u32>,
    len: f32,
    active: bool,
}

/// The scorer's precomputed view of the facts; built once per knowledge base.
///
/// Terms (stems) and word pairs are numbered when the index is built, so scoring a question
/// compares numbers and tests bits instead of hashing strings for every fact.
#[derive(Debug)]
pub struct Index {
    entries: Vec<FactEntry>,
    /// Facts by the terms of their own answer, keys, patterns and topics.
    own: Postings,
    /// Facts by the terms only their cited source uses: they let a question use the article's
    /// wording, but score less, since several facts share one sentence.
    source: Postings,
    /// stem → term id, for every stem of a fact, its source or its word pairs.
    term_ids: HashMap<String, u32>,
    /// By term id; `None` for a stem no current fact uses as a term.
    idf: Vec<Option<f32>>,
    /// (term, term) → pair id.
    pair_ids: HashMap<(u32, u32), u32>,
    /// By pair id.
    pair_idf: Vec<f32>,
    unknown_weight: f32,
    avg_len: f32,
}

impl Index {
    pub(crate) fn build(
        facts: &[Fact],
        source_texts: &[String],
        topics: &[Topic],
        analyzer: &Analyzer,
    ) -> Index {
        // First the terms and pairs of each fact as strings, then numbered.
        // (terms, source terms, pairs) of each fact.
        type Raw = (HashSet<String>, HashSet<String>, HashSet<(String, String)>);
        let mut raw: Vec<Raw> = Vec::with_capacity(facts.len());
        for (f, source) in facts.iter().zip(source_texts) {
            let mut terms = HashSet::default();
            let mut pairs = HashSet::default();
            let mut texts: Vec<&str> = vec![f.answer.as_str()];
            texts.extend(f.keys.iter().map(String::as_str));
            texts.extend(f.patterns.iter().map(String::as_str));
            let topic_titles: Vec<&str> = topics
                .iter()
                .filter(|t| f.topics.contains(&t.name))
                .map(|t| t.name.as_str())
                .collect();
            texts.extend(topic_titles);
            if let crate::knowledge::FactKind::Claim { speaker, verb } = &f.kind {
                texts.push(speaker);
                texts.push(verb);
            }
            for text in texts {
                let tokens = analyzer.tokens(text, false);
                let (t, p) = terms_and_pairs(&tokens);
                terms.extend(t.into_iter().map(|(s, _)| s.to_string()));
                pairs.extend(p.into_iter().map(|(a, b)| (a.to_string(), b.to_string())));
            }
            let tokens = analyzer.tokens(source, false);
            let (source_terms, _) = terms_and_pairs(&tokens);
            let source_terms = source_terms
                .into_iter()
                .filter(|(s, _)| !terms.contains(*s))
                .map(|(s, _)| s.to_string())
                .collect();
            raw.push((terms, source_terms, pairs));
        }
        let active: Vec<bool> = facts.iter().map(|f| f.superseded_by.is_none()).collect();
        let n = active.iter().filter(|a| **a).count().max(1) as f32;
        // Document frequencies over the current facts; every stem and pair gets an id.
        let mut term_ids: HashMap<String, u32> = HashMap::default();
        let mut df: Vec<usize> = Vec::new();
        let mut pair_ids: HashMap<(u32, u32), u32> = HashMap::default();
        let mut pair_df: Vec<usize> = Vec::new();
        let mut term_id = |t: &String, df: &mut Vec<usize>| -> u32 {
            let next = term_ids.len() as u32;
            let id = *term_ids.entry(t.clone()).or_insert(next);
            if id == next {
                df.push(0);
            }
            id
        };
        let mut entries = Vec::with_capacity(raw.len());
        // (fact, term id) of every own and every source term, for the postings below.
        let (mut own_terms, mut source_only) = (Vec::new(), Vec::new());
        for (i, ((terms, source_terms, pairs), &is_active)) in raw.iter().zip(&active).enumerate() {
            let mut entry = FactEntry {
                pairs: Vec::with_capacity(pairs.len()),
                len: terms.len() as f32,
                active: is_active,
            };
            for t in terms {
                let id = term_id(t, &mut df);
                own_terms.push((i, id));
                df[id as usize] += usize::from(is_active);
            }
            for t in source_terms {
                let id = term_id(t, &mut df);
                source_only.push((i, id));
                df[id as usize] += usize::from(is_active);
            }
            for (a, b) in pairs {
                let key = (term_id(a, &mut df), term_id(b, &mut df));
                let next = pair_ids.len() as u32;
                let id = *pair_ids.entry(key).or_insert(next);
                if id == next {
                    pair_df.push(0);
                }
                pair_df[id as usize] += usize::from(is_active);
                entry.pairs.push(id);
            }
            entry.pairs.sort_unstable();
            entries.push(entry);
        }
        let (mut own, mut source) = (
            Postings::new(df.len(), entries.len()),
            Postings::new(df.len(), entries.len()),
        );
        for (i, id) in own_terms {
            own.insert(id, i);
        }
        for (i, id) in source_only {
            source.insert(id, i);
        }
        let unknown_weight = (1.0 + n).ln();
        let idf_of = |d: usize| {
            if d == 0 {
                None
            } else {
                Some((1.0 + n / d as f32).ln())
            }
        };
        let idf = df.iter().map(|&d| idf_of(d)).collect();
        let pair_idf = pair_df.iter().map(|&d| idf_of(d).unwrap_or(0.0)).collect();
        let avg_len = entries
            .iter()
            .filter(|e| e.active)
            .map(|e| e.len)
            .sum::<f32>()
            / n;
        Index {
            entries,
            own,
            source,
            term_ids,
            idf,
            pair_ids,
            pair_idf,
            unknown_weight,
            avg_len: avg_len.max(1.0),
        }
    }

    /// The id of a stem and its weight, if some current fact uses it as a term.
    fn term(&self, stem: &str) -> Option<(u32, f32)> {
        let id = *self.term_ids.get(stem)?;
        Some((id, self.idf[id as usize]?))
    }

    /// The id of a word pair some fact uses.
    fn pair(&self, (a, b): &Pair) -> Option<u32> {
        let key = (*self.term_ids.get(*a)?, *self.term_ids.get(*b)?);
        self.pair_ids.get(&key).copied()
    }
}

/// A fact scored against a question.
#[derive(Debug, Clone, PartialEq)]
struct Scored {
    fact: usize,
    score: f32,
    /// Share of the question's weight this fact covers on its own.
    coverage: f32,
    /// Which of the question's terms it matches, in its own words or its source's (bit i = term i).
    matched: u64,
    /// Which it matches in its own words (answer, keys, patterns).
    own: u64,
    /// It matches every strict word of the question.
    all_strict: bool,
    /// It matches the question's claim words itself (only then may a non-claim answer "say").
    claim_ok: bool,
}

/// The analysed question: terms with their weights, and what restricts the answer.
struct Question {
    /// One weight per term (at most 64 terms, one bit each).
    weights: Vec<f32>,
    /// Claim words count towards coverage only where matched.
    optional: Vec<bool>,
    required_weight: f32,
    /// Bits of the strict terms.
    strict: u64,
    multi_part: bool,
    /// The kinds of question asked, one per question word.
    kinds: Vec<Option<Ask>>,
}

impl Question {
    fn covered(&self, mask: u64) -> f32 {
        let mut got = 0.0;
        let mut optional = 0.0;
        for i in 0..self.weights.len() {
            if mask & (1 << i) != 0 {
                got += self.weights[i];
                if self.optional[i] {
                    optional += self.weights[i];
                }
            }
        }
        let total = self.required_weight + optional;
        if total == 0.0 { 0.0 } else { got / total }
    }
}

/// Scores every current fact that fits the question's kind, best first, with the analysed
/// question for combining facts.
fn score_all(kb: &KnowledgeBase, words: Vec<String>) -> (Question, Vec<Scored>) {
    let index = &kb.index;
    let kinds = question_kinds(&words);
    let multi_part = is_multi_part(&words, &kinds);
    let tokens = kb.analyzer.tokens_of(&words, true);
    // "how would you describe…" asks the bot, not what somebody claimed.
    let claim_intent = tokens
        .iter()
        .enumerate()
        .any(|(i, t)| t.claim && (i == 0 || tokens[i - 1].word != "you"));
    let strict_stems: HashSet<&str> = tokens
        .iter()
        .filter(|t| t.strict)
        .map(|t| t.stem.as_ref())
        .collect();
    let (terms, pairs) = terms_and_pairs(&tokens);
    // Unknown one- and two-letter fragments ("wr") say nothing either way.
    let terms: Vec<Term> = terms
        .into_iter()
        .filter(|(t, _)| {
            t.chars().count() > 2 || index.term(t).is_some() || strict_stems.contains(t)
        })
        .take(64)
        .collect();
    let known: Vec<Option<(u32, f32)>> = terms.iter().map(|(t, _)| index.term(t)).collect();
    let weights: Vec<f32> = known
        .iter()
        .map(|k| k.map_or(index.unknown_weight, |(_, w)| w))
        .collect();
    let pair_ids: Vec<u32> = pairs.iter().filter_map(|p| index.pair(p)).collect();
    let q = Question {
        required_weight: terms
            .iter()
            .zip(&weights)
            .filter(|((_, claim), _)| !claim)
            .map(|(_, w)| w)
            .sum(),
        optional: terms.iter().map(|(_, c)| *c).collect(),
        strict: terms
            .iter()
            .enumerate()
            .filter(|(_, (t, _))| strict_stems.contains(t))
            .fold(0, |m, (i, _)| m | (1 << i)),
        multi_part,
        kinds,
        weights,
    };
    let claim_bits: u64 = terms
        .iter()
        .enumerate()
        .filter(|(_, (_, c))| *c)
        .fold(0, |m, (i, _)| m | (1 << i));
    let mut out = Vec::with_capacity(index.entries.len());
    if q.weights.is_empty() {
        return (q, out);
    }
    // The postings of each term (none for a stem no current fact uses), and the facts that
    // share at least one term in their own words: only those can be an answer.
    let rows: Vec<Option<(&[u64], &[u64])>> = known
        .iter()
        .map(|k| k.map(|(id, _)| (index.own.row(id), index.source.row(id))))
        .collect();
    let mut candidates = vec![0u64; index.own.stride];
    for (own_row, _) in rows.iter().flatten() {
        for (c, w) in candidates.iter_mut().zip(*own_row) {
            *c |= w;
        }
    }
    let facts_in = candidates.iter().enumerate().flat_map(|(word, &bits)| {
        let mut rest = bits;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                word * 64 + bit
            })
        })
    });
    for i in facts_in {
        let (e, fact) = (&index.entries[i], &kb.facts[i]);
        if !e.active || !accepts(fact, &q.kinds) {
            continue;
        }
        let denom = 1.0 + K1 * (1.0 - B + B * e.len / index.avg_len);
        let (mut matched, mut own) = (0u64, 0u64);
        let mut s = 0.0;
        for (j, (row, w)) in rows.iter().zip(&q.weights).enumerate() {
            let Some((own_row, source_row)) = row else {
                continue;
            };
            if has(own_row, i) {
                matched |= 1 << j;
                own |= 1 << j;
                s += w * (K1 + 1.0) / denom;
            } else if has(source_row, i) {
                matched |= 1 << j;
                s += SOURCE_WEIGHT * w * (K1 + 1.0) / denom;
            }
        }
        for p in &pair_ids {
            if e.pairs.binary_search(p).is_ok() {
                s += index.pair_idf[*p as usize];
            }
        }
        out.push(Scored {
            fact: i,
            score: s,
            coverage: q.covered(matched),
            matched,
            own,
            all_strict: matched & q.strict == q.strict,
            claim_ok: !claim_intent || fact.kind.is_claim() || own & claim_bits != 0,
        });
    }
    // A fact that leaves much of the question unmatched ranks lower, however strong its match.
    for s in &mut out {
        s.score *= s.coverage * q.covered(s.own);
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.fact.cmp(&b.fact)));
    (q, out)
}

/// Answers a free-text question.
///
/// The best fact must fit what the question asks for: a claim when it asks what someone said,
/// every specific word it names (another country, a person, a date) unless the question has
/// several parts, and a good part of the question in the fact's own words. Near-ties join it;
/// for a question in several parts, the facts covering the rest of it are added. The question is
/// answered only when the chosen facts together cover [`MIN_COVERAGE`] of it and every specific
/// word it names. The caller ([`respond`]) has already refused over-long input.
fn answer_question(kb: &KnowledgeBase, question: &str) -> Reply {
    let words = split_words(question);
    if words.is_empty() {
        return Reply::Empty;
    }
    let (q, scored) = score_all(kb, words);
    // A question in several parts is checked as a whole below; each part alone may be partial.
    let eligible = |s: &Scored| {
        s.claim_ok
            && (q.multi_part || s.all_strict)
            && q.covered(s.own) >= MIN_OWN_COVERAGE * if q.multi_part { 0.5 } else { 1.0 }
    };
    let Some(best) = scored.iter().find(|s| eligible(s)) else {
        return Reply::NotCovered;
    };
    let mut chosen: Vec<&Scored> = Vec::with_capacity(MAX_FACTS);
    chosen.push(best);
    chosen.extend(
        scored
            .iter()
            .filter(|s| s.fact != best.fact && s.score >= best.score * ALSO_RATIO && eligible(s))
            .take(MAX_FACTS - 1),
    );
    let mut matched = chosen.iter().fold(0u64, |m, s| m | s.matched);
    let mut own = chosen.iter().fold(0u64, |m, s| m | s.own);
    if q.multi_part {
        while chosen.len() < MAX_FACTS {
            let gain = |s: &Scored| q.covered(own | s.own) - q.covered(own);
            let next = scored
                .iter()
                .filter(|s| !chosen.iter().any(|c| c.fact == s.fact) && gain(s) > 0.0)
                .max_by(|a, b| {
                    gain(a)
                        .total_cmp(&gain(b))
                        .then(a.score.total_cmp(&b.score))
                });
            let Some(n) = next else { break };
            matched |= n.matched;
            own |= n.own;
            chosen.push(n);
        }
        // Each kind of question asked ("where … and how long …") gets a fact of that kind.
        for kind in q.kinds.iter().flatten() {
            if chosen.len() >= MAX_FACTS
                || chosen
                    .iter()
                    .any(|c| accepts(&kb.facts[c.fact], &[Some(*kind)]))
            {
                continue;
            }
            if let Some(n) = scored.iter().find(|s| {
                !chosen.iter().any(|c| c.fact == s.fact)
                    && accepts(&kb.facts[s.fact], &[Some(*kind)])
            }) {
                matched |= n.matched;
                chosen.push(n);
            }
        }
    }
    if q.covered(matched) < MIN_COVERAGE || matched & q.strict != q.strict {
        return Reply::NotCovered;
    }
    Reply::Facts {
        heading: None,
        facts: chosen.iter().map(|s| s.fact).collect(),
    }
}

/// Answers one message: a `/command` (optionally `/command@bot`) or free text.
///
/// `bot_username` is the bot's own name; a command addressed to another bot gets
/// [`Reply::NotForMe`]. Matching of the bot name is case-insensitive, as Telegram's is.
pub fn respond(kb: &KnowledgeBase, input: &str, bot_username: Option<&str>) -> Reply {
    let chars = input.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Reply::TooLong(chars);
    }
    let input = input.trim();
    let Some(rest) = input.strip_prefix('/') else {
        return answer_question(kb, input);
    };
    let (head, args) = match rest.split_once(char::is_whitespace) {
        Some((h, a)) => (h, a.trim()),
        None => (rest, ""),
    };
    let (name, target) = match head.split_once('@') {
        Some((n, t)) => (n, Some(t)),
        None => (head, None),
    };
    if let (Some(target), Some(me)) = (target, bot_username)
        && !target.eq_ignore_ascii_case(me)
    {
        return Reply::NotForMe;
    }
    let name = name.to_lowercase();
    match name.as_str() {
        "start" => Reply::Start,
        "help" => Reply::Help,
        "topics" => Reply::Topics,
        "source" => Reply::Source,
        "latest" => Reply::Latest((0..kb.updates.len()).rev().take(5).collect()),
        "ask" if args.is_empty() => Reply::Empty,
        "ask" => answer_question(kb, args),
        "subscribe" | "unsubscribe" | "status" => Reply::ChatOnly(name),
        _ => match kb.command_topic(&name) {
            Some((topic, facts)) => Reply::Facts {
                heading: Some(topic.title.clone()),
                facts: facts.to_vec(),
            },
            None => Reply::UnknownCommand(name),
        },
    }
}

/// Where a message was written and how it reached the bot, as far as answering cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inbound<'a> {
    pub text: &'a str,
    /// A private chat with the bot (everything is a question there).
    pub private: bool,
    /// The message replies to one of the bot's own messages.
    pub reply_to_bot: bool,
    /// The bot's username, without `@`.
    pub bot_username: &'a str,
}

/// Decides whether and how to answer a chat message: in private chats every message; in groups
/// commands for this bot, and free text only when the bot is mentioned or replied to. Unknown
/// commands are answered with a hint in private chats and ignored in groups (no spam).
pub fn route(kb: &KnowledgeBase, m: Inbound<'_>) -> Option<Reply> {
    let text = m.text.trim_start();
    if text.starts_with('/') {
        return match respond(kb, text, Some(m.bot_username)) {
            Reply::NotForMe => None,
            Reply::UnknownCommand(_) if !m.private => None,
            r => Some(r),
        };
    }
    if m.private {
        return Some(respond(kb, text, Some(m.bot_username)));
    }
    let mention = format!("@{}", m.bot_username.to_lowercase());
    let lower = text.to_lowercase();
    if let Some(at) = lower.find(&mention) {
        // Byte offsets in `lower` match `text` only for ASCII; rebuild from `lower` to be safe.
        let question = format!("{}{}", &lower[..at], &lower[at + mention.len()..]);
        return Some(respond(kb, &question, Some(m.bot_username)));
    }
    m.reply_to_bot
        .then(|| respond(kb, text, Some(m.bot_username)))
}

/// How a free-text question was understood and scored, for `ask --explain`: the analysed words
/// and the best-scoring facts, so an operator can see why the bot answered or abstained.
pub fn explain(kb: &KnowledgeBase, question: &str) -> String {
    let mut out = String::from("words:");
    for t in kb.analyzer.tokens(question, true) {
        let mut flags = String::new();
        for (on, f) in [(t.stop, "stop"), (t.claim, "claim"), (t.strict, "strict")] {
            if on {
                flags.push(' ');
                flags.push_str(f);
            }
        }
        let known = if t.stop || kb.index.term(&t.stem).is_some() {
            ""
        } else {
            " unknown"
        };
        out.push_str(&format!(" {}[{}{flags}{known}]", t.word, t.stem));
    }
    let (q, scored) = score_all(kb, split_words(question));
    out.push_str(&format!("\nmulti-part: {}\n", q.multi_part));
    for s in scored.iter().take(6) {
        out.push_str(&format!(
            "{:<22} score {:>6.2}  coverage {:.2}  own {:.2}  strict {}  claim-ok {}\n",
            kb.facts[s.fact].id,
            s.score,
            s.coverage,
            q.covered(s.own),
            s.all_strict,
            s.claim_ok
        ));
    }
    out
}
