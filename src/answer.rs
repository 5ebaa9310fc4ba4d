//! The answerer: turns a command or a free-text question into a [`Reply`] — cited facts, or an
//! honest "the article doesn't cover that".
//!
//! Free text is scored against every current fact with a small BM25-style scorer over the
//! analysed terms (see [`crate::analyze`]). A question is answered only when the best facts cover
//! most of what it asks: a word the knowledge has never seen ("Japan", "age", "signed") weighs
//! heavily against answering, because a wrong answer is worse than none.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use smallvec::SmallVec;

use crate::analyze::{Analyzer, Token, Tokens};
use crate::command::Command;
use crate::knowledge::{Ask, Fact, KnowledgeBase, Topic};
use crate::text::split_words;

/// Longest question accepted, in characters; longer ones get a polite refusal.
pub const MAX_QUESTION_CHARS: usize = 1000;
/// Share of a question's weight that the answering facts must cover.
const MIN_COVERAGE: f32 = 0.6;
/// A claim's score against a question that does not ask what someone said.
const CLAIM_DISCOUNT: f32 = 0.8;
/// Share of a question's weight the best fact must cover in its own words (not only through
/// the sentence it cites, which other facts share).
const MIN_OWN_COVERAGE: f32 = 0.4;
/// Other facts are shown beside the best one when they score at least this share of it.
const ALSO_RATIO: f32 = 0.85;
/// …or this share, when they match everything the best one matches.
const SAME_MATCH_RATIO: f32 = 0.5;
/// A fact stating a word of the question the chosen ones leave unstated joins them at this
/// share of the best score.
const GAP_RATIO: f32 = 0.4;
/// At most this many facts answer one free-text question.
const MAX_FACTS: usize = 4;
/// How much a term found only in a fact's cited source counts, against one in the fact itself.
const SOURCE_WEIGHT: f32 = 0.3;
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Function words kept when forming word pairs, because they carry direction ("on china").
const DIRECTION_WORDS: &[&str] = &["on", "from", "against", "to", "into", "own", "in", "about"];

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
    /// The article does not answer the question, said in one short line (groups).
    NotCoveredBrief,
    /// A follow-up ("and china?", "why?") with no earlier question to follow: the bot asks what
    /// the user means instead of guessing.
    WhatDoYouMean,
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
fn question_kinds(words: &[String]) -> SmallVec<[Option<Ask>; 4]> {
    let mut kinds = SmallVec::new();
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str).unwrap_or("");
        let kind = match w.as_str() {
            "who" | "whom" | "whose" | "whos" => Some(Ask::Who),
            "where" | "wheres" => Some(Ask::Where),
            "when" => Some(Ask::When),
            "why" => Some(Ask::Why),
            "how" | "hows" if next == "come" => Some(Ask::Why),
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

/// One bit per [`Ask`].
fn ask_bit(a: Ask) -> u8 {
    1 << a as u8
}

/// The facts' kinds (as [`ask_bit`]s) that answer questions of these kinds; `None` when any
/// fact may.
fn wanted(kinds: &[Option<Ask>]) -> Option<u8> {
    let mut mask = 0;
    for k in kinds {
        mask |= match k {
            None => return None,
            Some(Ask::How) => ask_bit(Ask::How) | ask_bit(Ask::What),
            Some(k) => ask_bit(*k),
        };
    }
    (mask != 0).then_some(mask)
}

/// Whether a fact answering `asks` (its [`ask_bit`]s; none means any question) fits.
fn accepts(asks: u8, want: Option<u8>) -> bool {
    want.is_none_or(|w| asks == 0 || asks & w != 0)
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

/// The distinct content tokens of a text: the first of each stem that is not a function word.
fn terms<'t, 'a>(tokens: &'t [Token<'a>]) -> impl Iterator<Item = &'t Token<'a>> {
    tokens.iter().enumerate().filter_map(|(i, t)| {
        let first = !tokens[..i].iter().any(|s| !s.stop && s.stem == t.stem);
        (!t.stop && first).then_some(t)
    })
}

/// The pairs of adjacent tokens of a text, function words that carry direction kept.
fn pairs<'t, 'a>(tokens: &'t [Token<'a>]) -> impl Iterator<Item = (&'t Token<'a>, &'t Token<'a>)> {
    let mut kept = tokens
        .iter()
        .filter(|t| !t.stop || DIRECTION_WORDS.contains(&t.word.as_ref()));
    let mut prev = kept.next();
    std::iter::from_fn(move || {
        let next = kept.next()?;
        Some((prev.replace(next)?, next))
    })
}

/// What the index knows of one term (a stem) or one word pair: its weight, and the facts that
/// use it.
#[derive(Debug, Clone, Default)]
struct Posting {
    weight: f32,
    /// The facts using it in their own words (answer, keys, patterns), ascending.
    own: Vec<usize>,
    /// The facts using it only in their cited source (or their topics' names), ascending: a
    /// question may use the article's wording, but that scores less, since facts share
    /// sentences.
    source: Vec<usize>,
}

/// What scoring needs of one fact.
#[derive(Debug, Clone)]
struct FactEntry {
    /// BM25's length normalisation, `1 + K1 * (1 - B + B * len / avg_len)`.
    denom: f32,
    /// The kinds of question it answers, as [`ask_bit`]s; 0 for any.
    asks: u8,
    claim: bool,
    /// It states who someone is (a `role` key): what "who is X" asks first.
    role: bool,
    /// A claim's speaker as the answer names them (its words before the reporting verb), as
    /// stem ids: "what did X say" is answered only by a claim whose speaker is X.
    speaker: Vec<u32>,
}

/// The scorer's precomputed view of the facts; built once per knowledge base.
///
/// Terms are the analyser's stem ids ([`Token::term`]). Only current facts are indexed: a
/// superseded one is never an answer.
#[derive(Debug)]
pub struct Index {
    facts: Vec<FactEntry>,
    /// By stem id: `None` when no current fact uses it.
    terms: Vec<Option<Posting>>,
    /// By pair of stem ids (adjacent words, direction words kept: "on china").
    pairs: HashMap<(u32, u32), Posting>,
    unknown_weight: f32,
}

impl Index {
    /// Indexes the facts; the stems of every text indexed are numbered in `analyzer` first.
    pub(crate) fn build(
        facts: &[Fact],
        source_texts: &[String],
        topics: &[Topic],
        analyzer: &mut Analyzer,
    ) -> Index {
        // The texts of each fact's own words, and its source.
        // A fact's topic names count as its source does: weakly ("how did the call go" is not
        // asking when the trade war began, though that fact is filed under the call).
        let texts: Vec<(Vec<&str>, String)> = facts
            .iter()
            .zip(source_texts)
            .map(|(f, source)| {
                let mut own: Vec<&str> = vec![f.answer.as_str()];
                own.extend(f.keys.iter().map(String::as_str));
                own.extend(f.patterns.iter().map(String::as_str));
                if let crate::knowledge::FactKind::Claim { speaker, verb } = &f.kind {
                    own.push(speaker);
                    own.push(verb);
                }
                let mut source = source.clone();
                for t in topics.iter().filter(|t| f.topics.contains(&t.name)) {
                    source.push('\n');
                    source.push_str(&t.name);
                }
                (own, source)
            })
            .collect();
        for (own, source) in &texts {
            for text in own.iter().copied().chain([source.as_str()]) {
                analyzer.add_stems(text);
            }
        }
        let analyzer = &*analyzer;
        // (own terms, source-only terms, pairs) of each fact, as ids.
        type Raw = (HashSet<u32>, HashSet<u32>, HashSet<(u32, u32)>);
        let raw: Vec<Raw> = texts
            .iter()
            .map(|(own, source)| {
                let (mut terms, mut pairs) = (HashSet::default(), HashSet::default());
                for text in own {
                    let tokens = analyzer.tokens(text, false);
                    terms.extend(self::terms(&tokens).filter_map(Token::term));
                    pairs.extend(
                        self::pairs(&tokens).filter_map(|(a, b)| Some((a.term()?, b.term()?))),
                    );
                }
                let tokens = analyzer.tokens(source, false);
                let source_terms = self::terms(&tokens)
                    .filter_map(Token::term)
                    .filter(|t| !terms.contains(t))
                    .collect();
                (terms, source_terms, pairs)
            })
            .collect();
        let active: Vec<bool> = facts.iter().map(|f| f.superseded_by.is_none()).collect();
        let n = active.iter().filter(|a| **a).count().max(1) as f32;
        let mut terms: Vec<Option<Posting>> = vec![None; analyzer.stem_count()];
        let mut pairs: HashMap<(u32, u32), Posting> = HashMap::default();
        for (i, ((own, source_only, fact_pairs), _)) in raw
            .iter()
            .zip(&active)
            .enumerate()
            .filter(|(_, (_, a))| **a)
        {
            for &t in own {
                terms[t as usize].get_or_insert_default().own.push(i);
            }
            for &t in source_only {
                terms[t as usize].get_or_insert_default().source.push(i);
            }
            for key in fact_pairs {
                pairs.entry(*key).or_default().own.push(i);
            }
        }
        let idf = |d: usize| (1.0 + n / d as f32).ln();
        for p in terms.iter_mut().flatten().chain(pairs.values_mut()) {
            p.weight = idf(p.own.len() + p.source.len());
        }
        // A fact's length is its answer's: its keys and patterns are ways to ask for it, and a
        // fact with many of them is no less an answer.
        let lens: Vec<f32> = facts
            .iter()
            .map(|f| self::terms(&analyzer.tokens(&f.answer, false)).count() as f32)
            .collect();
        let avg_len = (lens
            .iter()
            .zip(&active)
            .filter(|(_, a)| **a)
            .map(|(l, _)| l)
            .sum::<f32>()
            / n)
            .max(1.0);
        let facts = facts
            .iter()
            .zip(lens)
            .map(|(f, len)| FactEntry {
                denom: 1.0 + K1 * (1.0 - B + B * len / avg_len),
                asks: f.asks.iter().fold(0, |m, a| m | ask_bit(*a)),
                claim: f.kind.is_claim(),
                role: f.keys.iter().any(|k| k == "role"),
                speaker: match &f.kind {
                    crate::knowledge::FactKind::Claim { verb, .. } => {
                        let words = split_words(&f.answer);
                        let end = words.iter().position(|w| *w == verb.to_lowercase());
                        let before = &words[..end.unwrap_or(0)];
                        // Each word alone too: "US Trade Representative" is Greer, and the US.
                        std::iter::once(before.join(" "))
                            .chain(before.iter().cloned())
                            .flat_map(|text| {
                                self::terms(&analyzer.tokens(&text, false))
                                    .filter_map(Token::term)
                                    .collect::<Vec<_>>()
                            })
                            .collect()
                    }
                    _ => Vec::new(),
                },
            })
            .collect();
        Index {
            facts,
            terms,
            pairs,
            unknown_weight: (1.0 + n).ln(),
        }
    }

    /// The weight of a term, if some current fact uses it.
    fn weight(&self, term: Option<u32>) -> Option<f32> {
        Some(self.posting(term?)?.weight)
    }

    fn posting(&self, term: u32) -> Option<&Posting> {
        self.terms.get(term as usize)?.as_ref()
    }
}

/// A fact scored against a question.
#[derive(Debug, Clone, PartialEq)]
struct Scored {
    fact: u32,
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
    /// It is a claim.
    claim: bool,
    /// It states who someone is.
    role: bool,
    /// Which of the question's word pairs it matches (bit k = pair k).
    pairs: u64,
}

/// One distinct term of a question.
struct QuestionTerm {
    /// Its stem id, if some current fact uses it.
    id: Option<u32>,
    weight: f32,
    /// A claim word, which counts towards coverage only where matched.
    optional: bool,
}

/// The analysed question: terms with their weights, and what restricts the answer.
struct Question {
    /// At most 64, one bit each in the masks.
    terms: SmallVec<[QuestionTerm; 12]>,
    required_weight: f32,
    /// Bits of the strict terms.
    strict: u64,
    multi_part: bool,
    /// The kinds of question asked, one per question word.
    kinds: SmallVec<[Option<Ask>; 4]>,
    /// It asks what someone said.
    claim_intent: bool,
    /// "who is X": only a person (strict words) after "who".
    who_is: bool,
    /// Bits of the terms an answer must state in its own words (a follow-up's own words).
    must: u64,
}

impl Question {
    /// Bits of the terms that are not claim words.
    fn required(&self) -> u64 {
        self.terms
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.optional)
            .fold(0, |m, (j, _)| m | 1 << j)
    }

    /// Whether the facts matching `mask` leave nothing essential unanswered: a question of one
    /// or two content words ("agreed in London") has no word to spare.
    fn answered_by(&self, mask: u64) -> bool {
        let required = self.required();
        self.covered(mask) >= MIN_COVERAGE
            && mask & self.strict == self.strict
            && (required.count_ones() > 2 || mask & required == required)
    }
}

impl Question {
    fn covered(&self, mask: u64) -> f32 {
        let mut got = 0.0;
        let mut optional = 0.0;
        for (i, t) in self.terms.iter().enumerate() {
            if mask & (1 << i) != 0 {
                got += t.weight;
                if t.optional {
                    optional += t.weight;
                }
            }
        }
        let total = self.required_weight + optional;
        if total == 0.0 { 0.0 } else { got / total }
    }
}

/// Whether a claim's speaker is everyone the question names as speaking (`bits` of its terms).
fn speaks(q: &Question, bits: u64, speaker: &[u32]) -> bool {
    q.terms
        .iter()
        .enumerate()
        .filter(|(j, _)| bits & (1 << j) != 0)
        .all(|(_, t)| t.id.is_some_and(|id| speaker.contains(&id)))
}

/// Scores every current fact that fits the question's kind, best first, with the analysed
/// question for combining facts.
/// `must` are words (as the analyser reads them) the answer must state, as if strict: a
/// follow-up's own words.
fn score_all(kb: &KnowledgeBase, words: &[String], must: &[String]) -> (Question, Vec<Scored>) {
    let index = &kb.index;
    let kinds = question_kinds(words);
    let multi_part = is_multi_part(words, &kinds);
    let mut tokens = Tokens::new();
    kb.analyzer.tokens_into(words, true, &mut tokens);
    // "how would you describe…" asks the bot, not what somebody claimed.
    let claim_intent = tokens
        .iter()
        .enumerate()
        .any(|(i, t)| t.claim && (i == 0 || tokens[i - 1].word != "you"));
    let mut q = Question {
        terms: SmallVec::new(),
        required_weight: 0.0,
        strict: 0,
        multi_part,
        kinds,
        claim_intent,
        who_is: false,
        must: 0,
    };
    let mut claim_bits = 0u64;
    // Names before the first claim word say who is speaking ("what did Greer claim").
    let first_claim = tokens.iter().position(|t| t.claim).unwrap_or(0);
    let mut speaker_bits = 0u64;
    for t in terms(&tokens) {
        let weight = index.weight(t.term());
        // A stem is strict when any of its words is.
        let strict = tokens
            .iter()
            .any(|s| (s.strict || must.iter().any(|m| *m == s.word)) && s.stem == t.stem);
        // Unknown one- and two-letter fragments ("wr") say nothing either way.
        if weight.is_none() && !strict && kb.analyzer.stem_text(&t.stem).chars().count() <= 2 {
            continue;
        }
        if q.terms.len() == 64 {
            break;
        }
        let bit = 1 << q.terms.len();
        if strict {
            q.strict |= bit;
        }
        if must.iter().any(|m| *m == t.word) {
            q.must |= bit;
        }
        if t.claim {
            claim_bits |= bit;
        }
        if strict && tokens[..first_claim].iter().any(|s| s.stem == t.stem) {
            speaker_bits |= bit;
        }
        let weight_or_unknown = weight.unwrap_or(index.unknown_weight);
        if !t.claim {
            q.required_weight += weight_or_unknown;
        }
        q.terms.push(QuestionTerm {
            id: weight.and(t.term()),
            weight: weight_or_unknown,
            optional: t.claim,
        });
    }
    let question_pairs: Vec<&Posting> = pairs(&tokens)
        .filter_map(|(a, b)| index.pairs.get(&(a.term()?, b.term()?)))
        .collect();
    if q.terms.is_empty() {
        return (q, Vec::new());
    }
    q.who_is = q.kinds.as_slice() == [Some(Ask::Who)]
        && !claim_intent
        && q.strict.count_ones() as usize == q.terms.len();
    // The facts that share at least one term in their own words: only those can be an answer.
    let mut candidates: Vec<usize> = q
        .terms
        .iter()
        .filter_map(|t| index.posting(t.id?))
        .flat_map(|p| p.own.iter().copied())
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    let want = wanted(&q.kinds);
    let mut out = Vec::with_capacity(candidates.len());
    for i in candidates {
        let e = &index.facts[i];
        // A claim gives a reason only for why somebody says something: "why did the US halt
        // sales" is not answered by what Beijing argued.
        let why = q.kinds.contains(&Some(Ask::Why));
        if !accepts(e.asks, want) || (why && e.claim && !claim_intent) {
            continue;
        }
        let (mut matched, mut own) = (0u64, 0u64);
        let mut s = 0.0;
        for (j, t) in q.terms.iter().enumerate() {
            let Some(p) = t.id.and_then(|id| index.posting(id)) else {
                continue;
            };
            if p.own.binary_search(&i).is_ok() {
                matched |= 1 << j;
                own |= 1 << j;
                s += t.weight * (K1 + 1.0) / e.denom;
            } else if p.source.binary_search(&i).is_ok() {
                matched |= 1 << j;
                s += SOURCE_WEIGHT * t.weight * (K1 + 1.0) / e.denom;
            }
        }
        let mut pairs = 0u64;
        for (k, p) in question_pairs.iter().enumerate() {
            if p.own.binary_search(&i).is_ok() {
                s += p.weight;
                pairs |= 1 << k.min(63);
            }
        }
        out.push(Scored {
            fact: i as u32,
            score: s,
            coverage: q.covered(matched),
            matched,
            own,
            all_strict: matched & q.strict == q.strict,
            claim_ok: !claim_intent
                || (e.claim && speaks(&q, speaker_bits, &e.speaker))
                || (!e.claim && own & claim_bits != 0),
            claim: e.claim,
            role: e.role,
            pairs,
        });
    }
    // A fact that leaves much of the question unmatched ranks lower, however strong its match;
    // a claim ranks below a plain fact unless the question asks what someone said.
    for s in &mut out {
        s.score *= s.coverage * q.covered(s.own);
        if s.claim && !claim_intent {
            s.score *= CLAIM_DISCOUNT;
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.fact.cmp(&b.fact)));
    // "who is X" asks for X's role first, whatever else the article says of X; so does a
    // name alone ("bessent?") when X's role is the best answer anyway.
    let names_only = q.strict.count_ones() as usize == q.terms.len() && !claim_intent;
    q.who_is |= q.kinds.is_empty() && names_only && out.first().is_some_and(|s| s.role);
    if q.who_is {
        out.sort_by_key(|s| !s.role);
    }
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
    let parts = question_parts(kb, question);
    match parts.as_slice() {
        [] => Reply::Empty,
        [one] => answer_words(kb, one, &[]),
        _ => {
            // Two questions in one: each part is answered on its own, and all must be; a part
            // that says "he", "they" or "it" is about the part before it ("who is Reeves and
            // why does she matter").
            let mut facts: Vec<usize> = Vec::new();
            for (k, part) in parts.iter().enumerate() {
                let refers = k > 0 && part.iter().any(|w| PRONOUNS.contains(&w.as_str()));
                let alone = answer_words(kb, part, &[]);
                let reply = match Subject::of(kb, &parts[k.saturating_sub(1)]) {
                    Some(before) if refers => {
                        let mut words = part.clone();
                        words.extend(before.content.into_iter().map(|c| c.word));
                        // The reading answered most precisely (fewest facts) is the one meant.
                        let with = answer_words(kb, &words, &[]);
                        if fact_count(&with) <= fact_count(&alone) {
                            with
                        } else {
                            alone
                        }
                    }
                    _ => alone,
                };
                let Reply::Facts { facts: found, .. } = reply else {
                    return answer_words(kb, &parts.concat(), &[]);
                };
                for f in found {
                    if !facts.contains(&f) {
                        facts.push(f);
                    }
                }
            }
            Reply::Facts {
                heading: None,
                facts,
            }
        }
    }
}

/// How many facts a reply states; `usize::MAX` for one that states none, so that comparing
/// readings of a question prefers any answer to none, and the most precise answer.
fn fact_count(reply: &Reply) -> usize {
    match reply {
        Reply::Facts { facts, .. } => facts.len(),
        _ => usize::MAX,
    }
}

/// Words that point back to what was just asked about.
const PRONOUNS: &[&str] = &[
    "he", "she", "they", "them", "him", "her", "his", "it", "its", "their", "that", "this",
    "those", "these", "there",
];

/// Words that open a question of their own after "and" ("… and what did they discuss").
const QUESTION_OPENERS: &[&str] = &[
    "who", "whom", "whose", "what", "which", "where", "when", "why", "how", "did", "does", "do",
    "is", "are", "was", "were", "has", "have", "will", "can",
];

/// The questions in one message, as analysable words: split at `?` and `;`, and at "and",
/// "also" or "plus" followed by a question word. Chat shorthand is written out first.
fn question_parts(kb: &KnowledgeBase, question: &str) -> Vec<Vec<String>> {
    let mut parts = Vec::new();
    for piece in question.split(['?', ';']) {
        let words = kb.analyzer.expand_shorthand(split_words(piece));
        let mut start = 0;
        for i in 1..words.len().saturating_sub(1) {
            let joins = matches!(words[i].as_str(), "and" | "also" | "plus");
            if joins && i > start + 1 && QUESTION_OPENERS.contains(&words[i + 1].as_str()) {
                parts.push(words[start..i].to_vec());
                start = i + 1;
            }
        }
        if start < words.len() {
            parts.push(words[start..].to_vec());
        }
    }
    parts
}

/// Answers one question, as words.
fn answer_words(kb: &KnowledgeBase, words: &[String], must: &[String]) -> Reply {
    if words.is_empty() {
        return Reply::Empty;
    }
    let (q, scored) = score_all(kb, words, must);
    // A question in several parts is checked as a whole below; each part alone may be partial.
    let eligible = |s: &Scored| {
        s.own & q.must == q.must
            && s.claim_ok
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
            .filter(|s| {
                // A fact matching all the best one matches, in its own words too, answers as
                // well ("who accuses whom": each side's accusation).
                let as_full = s.matched & best.matched == best.matched
                    && s.own & best.own == best.own
                    && s.pairs & best.pairs == best.pairs
                    && s.score >= best.score * SAME_MATCH_RATIO;
                s.fact != best.fact
                    && (s.score >= best.score * ALSO_RATIO || as_full)
                    && eligible(s)
                    // Concise: a claim does not pad a plain answer, nor a side fact a role.
                    && (s.claim == best.claim || q.claim_intent)
                    && (!q.who_is || (s.role && best.role))
            })
            .take(MAX_FACTS - 1),
    );
    let mut matched = chosen.iter().fold(0u64, |m, s| m | s.matched);
    let mut own = chosen.iter().fold(0u64, |m, s| m | s.own);
    // A content word the chosen facts state only through their quoted sentence ("what happened
    // after the truce…") is answered by the fact that states it, when there is one.
    let required = q.required();
    while chosen.len() < MAX_FACTS && !q.multi_part {
        let missing = required & !own;
        let next = scored.iter().find(|s| {
            s.own & missing != 0
                && s.score >= best.score * GAP_RATIO
                && eligible(s)
                && (s.claim == best.claim || q.claim_intent)
                && !chosen.iter().any(|c| c.fact == s.fact)
        });
        let Some(n) = next else { break };
        matched |= n.matched;
        own |= n.own;
        chosen.push(n);
    }
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
            let want = wanted(&[Some(*kind)]);
            let answers = |s: &Scored| accepts(kb.index.facts[s.fact as usize].asks, want);
            if chosen.len() >= MAX_FACTS || chosen.iter().any(|c| answers(c)) {
                continue;
            }
            if let Some(n) = scored
                .iter()
                .find(|s| !chosen.iter().any(|c| c.fact == s.fact) && answers(s))
            {
                matched |= n.matched;
                chosen.push(n);
            }
        }
    }
    if !q.answered_by(matched) {
        return Reply::NotCovered;
    }
    Reply::Facts {
        heading: None,
        facts: chosen.iter().map(|s| s.fact as usize).collect(),
    }
}

/// What a conversation last asked about, for a follow-up: the question's words ("what", "how
/// much") and its content, as the analyser reads it ("tariff", "us").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    asks: Vec<String>,
    content: Vec<Content>,
    /// The question as the analyser reads it, every word kept ("what are the us tariff on
    /// china"), for a follow-up that turns it around.
    sequence: Vec<Content>,
}

/// One content word of a subject and what replaces it in a follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Content {
    word: String,
    class: ContentClass,
}

/// A follow-up's words replace the subject's words of the same class: "and china?" after "what
/// are the US tariffs?" keeps "tariffs" and replaces "US".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentClass {
    /// A name, a country, a date: a strict word.
    Specific,
    /// A word asking what someone said.
    Claim,
    Other,
    /// A function word ("the", "on"): kept only in a subject's sequence.
    Function,
}

impl Subject {
    /// A subject of these content words, for tests of the context store.
    pub fn for_tests(words: &[&str]) -> Subject {
        Subject {
            sequence: Vec::new(),
            asks: vec!["what".into()],
            content: words
                .iter()
                .map(|w| Content {
                    word: (*w).into(),
                    class: ContentClass::Other,
                })
                .collect(),
        }
    }

    /// The subject of a question, if it has content.
    fn of(kb: &KnowledgeBase, words: &[String]) -> Option<Subject> {
        let asks = question_words(words);
        let sequence: Vec<Content> = kb
            .analyzer
            .tokens(&words.join(" "), true)
            .into_iter()
            .map(|t| Content {
                class: if t.stop {
                    ContentClass::Function
                } else if t.strict {
                    ContentClass::Specific
                } else if t.claim {
                    ContentClass::Claim
                } else {
                    ContentClass::Other
                },
                word: t.word.into_owned(),
            })
            .collect();
        let content: Vec<Content> = sequence
            .iter()
            .filter(|c| c.class != ContentClass::Function)
            .cloned()
            .collect();
        (!content.is_empty()).then_some(Subject {
            asks,
            content,
            sequence,
        })
    }

    /// The question turned around ("the other way around", "vice versa"): its first two
    /// names or countries swapped, "the US tariffs on China" read as "the China tariffs on
    /// the US".
    fn reversed(&self) -> Option<Vec<String>> {
        let mut specific = self
            .sequence
            .iter()
            .filter(|c| c.class == ContentClass::Specific)
            .map(|c| c.word.as_str());
        let a = specific.next()?;
        let b = specific.find(|w| *w != a)?;
        Some(
            self.sequence
                .iter()
                .map(|c| match c.word.as_str() {
                    w if w == a => b.to_string(),
                    w if w == b => a.to_string(),
                    w => w.to_string(),
                })
                .collect(),
        )
    }

    /// The readings of a follow-up: its own question words (or else the subject's), its own
    /// content, and the subject's content less what the follow-up replaces — every word of the
    /// classes it names, or just one of them ("what about imports?" after "how much did exports
    /// rise in May?" replaces "exports", not "May").
    fn follow(&self, follow_up: &Subject) -> Vec<Vec<String>> {
        let asks = if follow_up.asks.is_empty() {
            &self.asks
        } else {
            &follow_up.asks
        };
        let replaces = |c: &Content| follow_up.content.iter().any(|f| f.class == c.class);
        let reading = |keep: &dyn Fn(usize, &Content) -> bool| -> Vec<String> {
            asks.iter()
                .chain(follow_up.content.iter().map(|c| &c.word))
                .chain(
                    self.content
                        .iter()
                        .enumerate()
                        .filter(|(i, c)| keep(*i, c))
                        .map(|(_, c)| &c.word),
                )
                .cloned()
                .collect()
        };
        let mut readings = vec![reading(&|_, c| !replaces(c))];
        if self.content.iter().filter(|c| replaces(c)).count() > 1 {
            for (one, _) in self.content.iter().enumerate().filter(|(_, c)| replaces(c)) {
                readings.push(reading(&|i, _| i != one));
            }
        }
        readings
    }
}

/// The question words of a question, in order ("how", "much").
fn question_words(words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let after_how = i > 0 && words[i - 1] == "how";
        let asks = matches!(
            w.as_str(),
            "who" | "whom" | "whose" | "what" | "which" | "where" | "when" | "why" | "how"
        ) || (after_how
            && matches!(w.as_str(), "much" | "many" | "long" | "come" | "high"));
        if asks {
            out.push(w.clone());
        }
    }
    out
}

/// The lexicon's word for "the other way around", "vice versa".
const REVERSE: &str = "reverse";

/// Openings that make a message a follow-up ("and china?", "what about imports?").
const FOLLOW_UP_OPENINGS: &[&[&str]] = &[
    &["and", "what", "about"],
    &["and", "how", "about"],
    &["what", "about"],
    &["how", "about"],
    &["what", "of"],
    &["same", "for"],
    &["and"],
];

/// The follow-up a message is, if it is one: a message opening with "and" or "what about", or
/// one of question words and claim words only ("why?", "how come?", "who said that?"). Its
/// subject may have no content.
/// The second value tells a follow-up only by its "he" or "it", which is a whole question when
/// nothing came before it ("why are they meeting?").
fn as_follow_up(kb: &KnowledgeBase, words: &[String]) -> Option<(Subject, bool)> {
    let opening = FOLLOW_UP_OPENINGS
        .iter()
        .find(|o| words.len() > o.len() && words.iter().zip(o.iter()).all(|(w, o)| w == o));
    let rest = &words[opening.map_or(0, |o| o.len())..];
    let content = Subject::of(kb, rest).map(|s| s.content).unwrap_or_default();
    let asks = question_words(rest);
    // Question words with nothing to ask about but what someone said: "why?", "who said
    // that?", "what did he claim?".
    let bare = !asks.is_empty() && content.iter().all(|c| c.class == ContentClass::Claim);
    // "what's his job?", "how long does it last?": about someone or something just named.
    let refers = rest.iter().any(|w| PRONOUNS.contains(&w.as_str()))
        && !content.iter().any(|c| c.class == ContentClass::Specific);

    let subject = Subject {
        asks,
        content,
        sequence: Vec::new(),
    };
    let turns_around = subject.content.iter().any(|c| c.word == REVERSE);
    let only_refers = opening.is_none() && !bare && !turns_around;
    (opening.is_some() || bare || refers || turns_around).then_some((subject, only_refers))
}

/// Answers one message in a conversation: as [`respond`], but a follow-up ("and china?",
/// "why?") is read with `context`, the conversation's last subject, and without one the bot
/// asks what the user means. Also returns the subject to remember, when the message was
/// answered from the article.
pub fn respond_in(
    kb: &KnowledgeBase,
    input: &str,
    bot_username: Option<&str>,
    context: Option<&Subject>,
) -> (Reply, Option<Subject>) {
    let text = input.trim();
    let question = match text.split_once(char::is_whitespace) {
        _ if input.chars().count() > MAX_QUESTION_CHARS => None,
        Some((head, rest)) if head.eq_ignore_ascii_case("/ask") => Some(rest),
        _ if text.starts_with('/') => None,
        _ => Some(text),
    };
    let Some(question) = question else {
        return (respond(kb, input, bot_username), None);
    };
    answer_in(kb, question, context, true)
}

/// A free-text question in a conversation: see [`respond_in`].
fn answer_in(
    kb: &KnowledgeBase,
    question: &str,
    context: Option<&Subject>,
    remember: bool,
) -> (Reply, Option<Subject>) {
    // The subject to remember after an answer (not worked out when nobody keeps it: `ask`).
    let subject_of = |reply: &Reply, words: &[String]| {
        (remember && reply.answered())
            .then(|| Subject::of(kb, words))
            .flatten()
    };
    let words = kb.analyzer.expand_shorthand(split_words(question));
    let follow_up = as_follow_up(kb, &words).filter(|(_, only_refers)| {
        // Without context, "why are they meeting?" is a question of its own.
        context.is_some() || !only_refers
    });
    if let Some((follow_up, only_refers)) = follow_up {
        // What the follow-up says without its opening ("china's tariffs" of "and china's
        // tariffs?"), which may be a whole question itself.
        let alone: Vec<String> = follow_up
            .asks
            .iter()
            .chain(follow_up.content.iter().map(|c| &c.word))
            .cloned()
            .collect();
        let Some(subject) = context else {
            // Without context, only a follow-up that says enough is answered on its own.
            // ("who accuses whom" says enough; "who said that?" does not).
            let points_back = words.iter().any(|w| PRONOUNS.contains(&w.as_str()));
            let says = follow_up
                .content
                .iter()
                .any(|c| c.class != ContentClass::Claim || !points_back);
            if says && (follow_up.content.len() >= 2 || !follow_up.asks.is_empty()) {
                let reply = answer_words(kb, &alone, &[]);
                if reply.answered() {
                    let next = subject_of(&reply, &alone);
                    return (reply, next);
                }
            }
            return (Reply::WhatDoYouMean, None);
        };
        // The reading the article answers most precisely (fewest facts) is the one meant. A
        // follow-up that points back ("what's his job?") is about the subject or declined; one
        // opening with "and" may also be a whole question ("and china's tariffs?").
        let own: Vec<String> = follow_up.content.iter().map(|c| c.word.clone()).collect();
        let most_precise = |readings: Vec<Vec<String>>| {
            let mut best: Option<(Reply, Vec<String>)> = None;
            for words in readings {
                let reply = answer_words(kb, &words, &own);
                if best
                    .as_ref()
                    .is_none_or(|(b, _)| fact_count(&reply) < fact_count(b))
                {
                    best = Some((reply, words));
                }
            }
            best
        };
        if follow_up.content.iter().any(|c| c.word == REVERSE) {
            let reply = subject
                .reversed()
                .map_or(Reply::NotCovered, |words| answer_words(kb, &words, &[]));
            let next = subject.reversed().filter(|_| reply.answered());
            return (reply, next.and_then(|words| Subject::of(kb, &words)));
        }
        let mut best = most_precise(subject.follow(&follow_up));
        let answered = best.as_ref().is_some_and(|(r, _)| r.answered());
        if !only_refers && !follow_up.content.is_empty() {
            let mut readings = vec![alone];
            if let Some((_, words)) = best.take().filter(|_| answered) {
                readings.insert(0, words);
            }
            best = most_precise(readings);
        }
        let Some((reply, words)) = best else {
            return (Reply::NotCovered, None);
        };
        let next = subject_of(&reply, &words);
        return (reply, next);
    }
    let reply = answer_question(kb, question);
    let next = subject_of(&reply, &words);
    (reply, next)
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
        return answer_in(kb, input, None, false).0;
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
    let topics = kb.topics.iter().map(|t| t.command.as_str());
    match Command::parse(&name, topics) {
        Some(Command::Start) => Reply::Start,
        Some(Command::Help) => Reply::Help,
        Some(Command::Topics) => Reply::Topics,
        Some(Command::Source) => Reply::Source,
        Some(Command::Latest) => Reply::Latest((0..kb.updates.len()).rev().take(5).collect()),
        Some(Command::Ask) if args.is_empty() => Reply::Empty,
        Some(Command::Ask) => answer_in(kb, args, None, false).0,
        Some(c) if c.chat_only() => Reply::ChatOnly(name),
        Some(c) => match kb.command_topic(c.name()) {
            Some((topic, facts)) => Reply::Facts {
                heading: Some(topic.title.clone()),
                facts: facts.to_vec(),
            },
            None => Reply::UnknownCommand(name),
        },
        None => Reply::UnknownCommand(name),
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
/// commands are answered with a hint in private chats and ignored in groups (no spam), and "not
/// covered" is one short line in groups.
///
/// `context` is the conversation's last subject ([`crate::context`]); it is used in private
/// chats, and in groups only for a reply to the bot (a reply thread). The second value is the
/// subject to remember for a follow-up, when the message set one.
pub fn route_in(
    kb: &KnowledgeBase,
    m: Inbound<'_>,
    context: Option<&Subject>,
) -> Option<(Reply, Option<Subject>)> {
    let text = m.text.trim_start();
    let me = Some(m.bot_username);
    if text.starts_with('/') {
        return match respond(kb, text, me) {
            Reply::NotForMe => None,
            Reply::UnknownCommand(_) if !m.private => None,
            r => Some((r, None)),
        };
    }
    let brief = |(reply, subject): (Reply, Option<Subject>)| match reply {
        Reply::NotCovered if !m.private => (Reply::NotCoveredBrief, subject),
        r => (r, subject),
    };
    if m.private {
        return Some(respond_in(kb, text, me, context));
    }
    let context = context.filter(|_| m.reply_to_bot);
    let mention = format!("@{}", m.bot_username.to_lowercase());
    let lower = text.to_lowercase();
    // A mention is the name whole: `@ThisBotX` is another bot.
    let whole = |at: usize| {
        !lower[at + mention.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    };
    if let Some(at) = lower
        .match_indices(&mention)
        .map(|(i, _)| i)
        .find(|&i| whole(i))
    {
        // Byte offsets in `lower` match `text` only for ASCII; rebuild from `lower` to be safe.
        let question = format!("{}{}", &lower[..at], &lower[at + mention.len()..]);
        return Some(brief(respond_in(kb, &question, me, context)));
    }
    m.reply_to_bot
        .then(|| brief(respond_in(kb, text, me, context)))
}

/// [`route_in`] without follow-up context.
pub fn route(kb: &KnowledgeBase, m: Inbound<'_>) -> Option<Reply> {
    route_in(kb, m, None).map(|(reply, _)| reply)
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
        let known = if t.stop || kb.index.weight(t.term()).is_some() {
            ""
        } else {
            " unknown"
        };
        out.push_str(&format!(
            " {}[{}{flags}{known}]",
            t.word,
            kb.analyzer.stem_text(&t.stem)
        ));
    }
    let words = kb.analyzer.expand_shorthand(split_words(question));
    let (q, scored) = score_all(kb, &words, &[]);
    out.push_str(&format!("\nmulti-part: {}\n", q.multi_part));
    for s in scored.iter().take(6) {
        out.push_str(&format!(
            "{:<22} score {:>6.2}  coverage {:.2}  own {:.2}  strict {}  claim-ok {}\n",
            kb.facts[s.fact as usize].id,
            s.score,
            s.coverage,
            q.covered(s.own),
            s.all_strict,
            s.claim_ok
        ));
    }
    out
}
