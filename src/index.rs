//! The fact index the scorer reads: every current fact's terms and word pairs (as the
//! analyser's stem ids) with BM25 weights, and what restricts each fact as an answer. Built once
//! per engine from the knowledge; nothing here knows about questions.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::analyze::{Analyzer, Token};
use crate::knowledge::{Ask, Fact, FactKind, Topic};
use crate::text::split_words;

pub(crate) const K1: f32 = 1.2;

pub(crate) const B: f32 = 0.75;

/// Function words kept when forming word pairs, because they carry direction ("on china").
pub(crate) const DIRECTION_WORDS: &[&str] =
    &["on", "from", "against", "to", "into", "own", "in", "about"];

/// One bit per [`Ask`].
pub(crate) fn ask_bit(a: Ask) -> u8 {
    1 << a as u8
}

/// The distinct content tokens of a text: the first of each stem that is not a function word.
pub(crate) fn terms<'t, 'a>(tokens: &'t [Token<'a>]) -> impl Iterator<Item = &'t Token<'a>> {
    tokens.iter().enumerate().filter_map(|(i, t)| {
        let first = !tokens[..i].iter().any(|s| !s.stop && s.stem == t.stem);
        (!t.stop && first).then_some(t)
    })
}

/// The pairs of adjacent tokens of a text, function words that carry direction kept.
pub(crate) fn pairs<'t, 'a>(
    tokens: &'t [Token<'a>],
) -> impl Iterator<Item = (&'t Token<'a>, &'t Token<'a>)> {
    let mut kept = tokens
        .iter()
        .filter(|t| !t.stop || DIRECTION_WORDS.contains(&t.word.as_ref()));
    let mut prev = kept.next();
    std::iter::from_fn(move || {
        let next = kept.next()?;
        Some((prev.replace(next)?, next))
    })
}

/// The index of the current fact standing for `id`: the fact itself, or the one superseding it.
fn current(facts: &[Fact], id: &str) -> Option<usize> {
    let mut i = facts.iter().position(|f| f.id == id)?;
    // A chain of updates is at most as long as the facts.
    for _ in 0..facts.len() {
        match &facts[i].superseded_by {
            Some(newer) => i = facts.iter().position(|f| &f.id == newer)?,
            None => return Some(i),
        }
    }
    None
}

/// Stands among a term's specifiers for its being a proper name, which no question term is.
const NAMED: u32 = u32::MAX;

/// Prepositions after a word that say which one it is ("components *from* Huawei").
const SPECIFYING: &[&str] = &["of", "on", "from", "for", "in", "to", "about", "against"];

/// The terms of an answer with the terms that say which one it means, around each use: a
/// modifier next to it ("*student* visas", "rare earth *magnets*"), a name or number close
/// after it, or what a preposition after it names ("components from *Huawei*"). A term with
/// none ("concerns among *economists*") names no particular one, so its fact does not answer
/// "which economists"; a proper name ("the *OECD*") is particular itself.
fn specifiers(tokens: &[Token], answer: &str) -> Vec<(u32, Vec<u32>)> {
    let words: Vec<&str> = answer.split_whitespace().collect();
    let capital = |w: &&str| w.starts_with(|c: char| c.is_uppercase());
    let lower = |w: &str| -> String {
        w.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    let mut names: Vec<String> = Vec::new();
    for (i, w) in words.iter().enumerate().skip(1).filter(|(_, w)| capital(w)) {
        names.push(lower(w));
        if let Some(next) = words.get(i + 1).filter(|n| capital(n)) {
            names.push(lower(w) + &lower(next));
        }
    }
    let mut out: Vec<(u32, Vec<u32>)> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Some(term) = t.term().filter(|_| !t.stop) else {
            continue;
        };
        let mut found: Vec<u32> = Vec::new();
        if names.iter().any(|n| *n == t.word) {
            found.push(NAMED);
        }
        if let Some(before) = i.checked_sub(1).map(|b| &tokens[b]).filter(|b| !b.stop) {
            found.extend(before.term());
        }
        let after = &tokens[i + 1..tokens.len().min(i + 4)];
        found.extend(
            after
                .iter()
                .filter(|a| a.strict || a.word.starts_with(|c: char| c.is_ascii_digit()))
                .filter_map(Token::term),
        );
        // The word of a compound it begins ("export *restrictions*"), then what a
        // preposition after it names ("restrictions on *rare earth* magnets").
        let compound = after.iter().take(1).take_while(|a| !a.stop).count();
        found.extend(after[..compound].iter().filter_map(Token::term));
        if tokens
            .get(i + 1 + compound)
            .is_some_and(|a| SPECIFYING.contains(&a.word.as_ref()))
        {
            found.extend(
                tokens[i + 2 + compound..]
                    .iter()
                    .take(2)
                    .find(|a| !a.stop)
                    .and_then(Token::term),
            );
        }
        match out.iter_mut().find(|(t, _)| *t == term) {
            Some((_, all)) => all.extend(found),
            None => out.push((term, found)),
        }
    }
    out
}

/// The terms of a text that follow a question word closely, as what it leaves unknown ("what
/// was agreed"): the first content word within three words of "what", "which" or "how".
pub(crate) fn echoes(tokens: &[Token]) -> Vec<u32> {
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t.word.as_ref(), "what" | "which" | "how"))
        .filter_map(|(i, _)| tokens[i + 1..].iter().take(3).find(|t| !t.stop)?.term())
        .collect()
}

/// What the index knows of one term (a stem) or one word pair: its weight, and the facts that
/// use it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Posting {
    pub(crate) weight: f32,
    /// The facts using it in their own words (answer, keys, patterns), ascending.
    pub(crate) own: Vec<usize>,
    /// The facts using it only in their cited source (or their topics' names), ascending: a
    /// question may use the article's wording, but that scores less, since facts share
    /// sentences.
    pub(crate) source: Vec<usize>,
}

/// What scoring needs of one fact.
#[derive(Debug, Clone)]
pub(crate) struct FactEntry {
    /// BM25's length normalisation, `1 + K1 * (1 - B + B * len / avg_len)`.
    pub(crate) denom: f32,
    /// The kinds of question it answers, as [`ask_bit`]s; 0 for any.
    pub(crate) asks: u8,
    pub(crate) claim: bool,
    /// It states who someone is (a `role` key): what "who is X" asks first.
    pub(crate) role: bool,
    /// Its answer speaks of what is to come ("… *will* ripple across global markets", "Xi
    /// *agreed to* resume trade"): only such a fact answers a question about the future.
    pub(crate) future: bool,
    /// Its answer places it before or after something ("*Before* this round of talks, He Lifeng
    /// also met…"): it settles whether it came after the talks.
    pub(crate) timed: bool,
    /// Its answer names a year ("2025"): only such a fact answers "what year".
    pub(crate) year: bool,
    /// The lexicon's kinds of detail its answer names ("London": a place), as indexes.
    pub(crate) kinds: Vec<usize>,
    /// Terms its answer names as unknown, right after a question word ("agree" in "fall short
    /// of what was agreed in Geneva"): it does not answer a question about them.
    pub(crate) echoes: Vec<u32>,
    /// Each term of its answer with the terms saying which one it means (see [`specifiers`]).
    pub(crate) specifiers: Vec<(u32, Vec<u32>)>,
    /// A claim's speaker as the answer names them (its words before the reporting verb), as
    /// stem ids: "what did X say" is answered only by a claim whose speaker is X.
    pub(crate) speaker: Vec<u32>,
    /// The current facts (by index) completing this one: its `details`, each read as the fact
    /// that now supersedes it, if any.
    pub(crate) details: Vec<u32>,
}

/// The scorer's precomputed view of the facts; built once per knowledge base.
///
/// Terms are the analyser's stem ids ([`Token::term`]). Only current facts are indexed: a
/// superseded one is never an answer.
#[derive(Debug)]
pub struct Index {
    pub(crate) facts: Vec<FactEntry>,
    /// By stem id: `None` when no current fact uses it.
    pub(crate) terms: Vec<Option<Posting>>,
    /// By pair of stem ids (adjacent words, direction words kept: "on china").
    pub(crate) pairs: HashMap<(u32, u32), Posting>,
    pub(crate) unknown_weight: f32,
    /// The people the facts name, as the analyser's words: the names a role fact opens with
    /// ("Howard Lutnick is…", "Donald Trump and Xi Jinping are…").
    pub(crate) people: Vec<String>,
}

impl Index {
    /// Whether a claim's speaker has this stem ("both" of "Both sides").
    pub(crate) fn quotes(&self, term: u32) -> bool {
        self.facts.iter().any(|f| f.speaker.contains(&term))
    }

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
                // "2.9%" is a percentage, which "what percentage…" asks for.
                if f.answer.contains('%') {
                    own.push("percent");
                }
                if let FactKind::Claim { speaker, verb } = &f.kind {
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
        let answers: Vec<Vec<Token>> = facts
            .iter()
            .map(|f| analyzer.tokens(&f.answer, false))
            .collect();
        let lens: Vec<f32> = answers
            .iter()
            .map(|tokens| self::terms(tokens).count() as f32)
            .collect();
        let avg_len = (lens
            .iter()
            .zip(&active)
            .filter(|(_, a)| **a)
            .map(|(l, _)| l)
            .sum::<f32>()
            / n)
            .max(1.0);
        let people = facts
            .iter()
            .zip(&answers)
            .filter(|(f, _)| f.superseded_by.is_none() && f.keys.iter().any(|k| k == "role"))
            .flat_map(|(_, tokens)| {
                let end = tokens
                    .iter()
                    .position(|t| matches!(t.word.as_ref(), "is" | "are"))
                    .unwrap_or(0);
                tokens[..end]
                    .iter()
                    .filter(|t| t.strict)
                    .map(|t| t.word.to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        let facts = facts
            .iter()
            .zip(lens)
            .zip(&answers)
            .map(|((f, len), tokens)| (f, len, tokens, split_words(&f.answer)))
            .map(|(f, len, tokens, words)| FactEntry {
                denom: 1.0 + K1 * (1.0 - B + B * len / avg_len),
                asks: f.asks.iter().fold(0, |m, a| m | ask_bit(*a)),
                claim: f.kind.is_claim(),
                role: f.keys.iter().any(|k| k == "role"),
                future: {
                    words.iter().any(|w| w == "will")
                        || words
                            .windows(2)
                            .any(|w| w[0].starts_with("agree") && w[1] == "to")
                },
                timed: words.iter().any(|w| {
                    matches!(
                        w.as_str(),
                        "before" | "prior" | "after" | "follows" | "followed" | "preceded"
                    )
                }),
                echoes: echoes(tokens),
                specifiers: specifiers(tokens, &f.answer),
                speaker: match &f.kind {
                    FactKind::Claim { verb, .. } => {
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
                year: words.iter().any(|w| {
                    w.len() == 4 && w.parse::<u32>().is_ok_and(|y| (1900..2100).contains(&y))
                }),
                kinds: tokens
                    .iter()
                    .filter_map(|t| analyzer.kind(&t.word))
                    .collect(),
                details: f
                    .details
                    .iter()
                    .filter_map(|d| current(facts, d))
                    .map(|i| i as u32)
                    .collect(),
            })
            .collect();
        Index {
            facts,
            terms,
            pairs,
            unknown_weight: (1.0 + n).ln(),
            people,
        }
    }

    /// The weight of a term, if some current fact uses it.
    pub(crate) fn weight(&self, term: Option<u32>) -> Option<f32> {
        Some(self.posting(term?)?.weight)
    }

    pub(crate) fn posting(&self, term: u32) -> Option<&Posting> {
        self.terms.get(term as usize)?.as_ref()
    }
}
