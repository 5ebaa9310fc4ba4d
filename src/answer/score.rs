//! The scorer: a BM25-style score of every current fact against a question's analysed terms,
//! with what restricts an answer (the kind of question, specific words, claims and speakers).
//! Choosing and combining the facts that answer is the parent module's.

use smallvec::SmallVec;

use crate::analyze::{Stem, Token, Tokens};
use crate::engine::Engine;
use crate::index::{Index, K1, Posting, ask_bit, echoes, pairs, terms};
use crate::knowledge::{Ask, Phrasing};
use crate::text::is_english_word;

/// Share of a question's weight that the answering facts must cover.
pub(super) const MIN_COVERAGE: f32 = 0.6;

/// A claim's score against a question that does not ask what someone said.
pub(super) const CLAIM_DISCOUNT: f32 = 0.8;

/// A claim's further discount against a yes/no question that does not ask what someone said,
/// when a plain fact states all the claim matches: what someone said settles less than what the
/// article reports ("did Trump talk to Xi?" is settled by the call, not Trump's description).
pub(super) const YES_NO_CLAIM_DISCOUNT: f32 = 0.5;

/// How much a term found only in a fact's cited source counts, against one in the fact itself.
pub(super) const SOURCE_WEIGHT: f32 = 0.3;

/// The question kinds the wording reveals, one per question word; `None` stands for a word
/// such as "what" that any fact may answer. `phrasing` gives the lexicon's words for a person
/// ("which *person*", "the name of the Chinese *gentleman*" ask who), for a role, and for a
/// cause ("what's *behind*…" asks why).
pub(super) fn question_kinds(words: &[String], phrasing: &Phrasing) -> SmallVec<[Option<Ask>; 4]> {
    let person = |w: &str| super::listed(&phrasing.person_nouns, w);
    let mut kinds = SmallVec::new();
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str).unwrap_or("");
        let kind = match w.as_str() {
            "who" | "whom" | "whose" | "whos" => Some(Ask::Who),
            // "where does the data come from" asks for a source, which any fact may name.
            "where" | "wheres"
                if words[i + 1..].windows(2).any(|w| {
                    matches!(w[0].as_str(), "come" | "comes" | "came" | "coming") && w[1] == "from"
                }) =>
            {
                kinds.push(None);
                continue;
            }
            // "where do the tariffs stand now", "where's the rate sitting", "where did they cut
            // it to", "where'd it land": what it is.
            "where" | "wheres"
                if words[i + 1..].iter().any(|w| {
                    matches!(
                        w.as_str(),
                        "stand"
                            | "stands"
                            | "standing"
                            | "sit"
                            | "sits"
                            | "sitting"
                            | "land"
                            | "landed"
                    )
                }) || words.last().is_some_and(|l| l == "to") =>
            {
                kinds.push(None);
                continue;
            }
            "where" | "wheres" => Some(Ask::Where),
            // ("did Xi promise anything *when* they spoke": after a question's opening, a "when"
            // not joined by "and" is a conjunction.)
            "when"
                if i > 0
                    && words.first().is_some_and(|f| {
                        YES_NO_OPENERS.contains(&f.as_str()) || QUESTION_WORDS.contains(&f.as_str())
                    })
                    && !JOINERS.contains(&words[i - 1].as_str()) =>
            {
                continue;
            }
            "when" => Some(Ask::When),
            // "why is the call a big deal", "how come the import figure surprised people": what
            // makes something notable is what the article says of it, so any fact about it
            // answers, as for "what".
            "why" | "how" | "hows"
                if (w != "how" && w != "hows" || next == "come")
                    && asks_significance(&words[i + 1..]) =>
            {
                kinds.push(None);
                continue;
            }
            "why" => Some(Ask::Why),
            "how" | "hows" if next == "come" => Some(Ask::Why),
            // "how long ago", "how long since" and "how long has it been going on" ask when.
            // (Not "how long has Reeves been chancellor": how long someone has held a role.)
            "how" | "hows"
                if next == "long"
                    && (words
                        .get(i + 2)
                        .is_some_and(|w| matches!(w.as_str(), "ago" | "since"))
                        || words[i + 2..].iter().any(|w| w == "been"))
                    && !words
                        .iter()
                        .skip_while(|w| *w != "been")
                        .take(4)
                        .any(|w| super::listed(&phrasing.roles, w)) =>
            {
                Some(Ask::When)
            }
            "how" | "hows" => Some(match next {
                measure if MEASURES.contains(&measure) => Ask::HowMuch,
                "soon" => Ask::When,
                _ => Ask::How,
            }),
            // ("what's the month", "what is the reason": past "is" and "the".)
            "what" | "whats" | "which" => {
                let asked = words[i + 1..]
                    .iter()
                    .map(String::as_str)
                    .find(|w| !matches!(*w, "s" | "is" | "was" | "the"))
                    .unwrap_or("");
                match kind_word(asked).flatten() {
                    Some(kind) => Some(kind),
                    // "what's behind", "what caused": why.
                    None if super::listed(&phrasing.causes, asked) => Some(Ask::Why),
                    // "which person…", "what people…" (not "what the people hoped"): who.
                    // So does "what's the name of the Chinese gentleman" (not "…of the place").
                    None if (next == asked && person(asked))
                        || (asked == "name"
                            && words[i + 1..]
                                .iter()
                                .skip_while(|w| *w != "of")
                                .take(4)
                                .any(|w| person(w))) =>
                    {
                        Some(Ask::Who)
                    }
                    None => {
                        kinds.push(None);
                        continue;
                    }
                }
            }
            _ => continue,
        };
        kinds.push(kind);
    }
    kinds
}

/// Words after "how" that ask how much ("how big", "how far", "how strong").
pub(super) const MEASURES: &[&str] = &[
    "much", "many", "high", "big", "large", "low", "steep", "long", "far", "strong", "weak",
    "sharp", "fast",
];

/// Whether a "why" question's rest asks why something matters or surprised anyone.
fn asks_significance(rest: &[String]) -> bool {
    rest.iter().enumerate().any(|(i, w)| {
        matches!(
            w.as_str(),
            "matter"
                | "matters"
                | "mattered"
                | "significant"
                | "significance"
                | "important"
                | "importance"
                | "notable"
                | "noteworthy"
                | "remarkable"
                | "surprise"
                | "surprised"
                | "surprising"
                | "unexpected"
                | "shocking"
                | "shocked"
                | "unusual"
                | "special"
                | "attention"
        ) || (w == "deal" && i > 0 && matches!(rest[i - 1].as_str(), "big" | "huge"))
            // ("caught people off guard")
            || (w == "guard" && i > 0 && rest[i - 1] == "off")
            // ("why was the call rare", not "why did China restrict rare earths")
            || (w == "rare" && !rest.get(i + 1).is_some_and(|n| n.starts_with("earth")))
    })
}

/// The facts' kinds (as [`ask_bit`]s) that answer questions of these kinds; `None` when any
/// fact may.
pub(super) fn wanted(kinds: &[Option<Ask>]) -> Option<u8> {
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
pub(super) fn accepts(asks: u8, want: Option<u8>) -> bool {
    want.is_none_or(|w| asks == 0 || asks & w != 0)
}

/// A question in several parts ("where are the talks and what are they about") may be answered
/// by several facts together; a single question only by its best facts.
pub(super) fn is_multi_part(words: &[String], kinds: &[Option<Ask>]) -> bool {
    let mut asked: Vec<Ask> = kinds.iter().flatten().copied().collect();
    asked.dedup();
    // "and" right before a question word or a verb ("… and what did they discuss", "… and
    // then is it over") starts a second question; "and" joining two names ("where are the US
    // and Chinese officials meeting") does not (see [`Question::either`]).
    let joins_questions = words.iter().enumerate().any(|(i, w)| {
        let next = words[i + 1..].iter().find(|n| {
            !matches!(
                n.as_str(),
                "also" | "then" | "if" | "so" | "please" | "tell" | "me"
            )
        });
        JOINERS.contains(&w.as_str())
            && next.is_some_and(|n| {
                matches!(
                    n.as_str(),
                    "what"
                        | "whats"
                        | "who"
                        | "whos"
                        | "whom"
                        | "where"
                        | "when"
                        | "why"
                        | "how"
                        | "which"
                        | "is"
                        | "are"
                        | "was"
                        | "were"
                        | "did"
                        | "does"
                        | "do"
                )
            })
    });
    asked.len() >= 2 || joins_questions
}

/// Words that open a yes/no question ("did Trump talk to Xi").
pub(super) const YES_NO_OPENERS: &[&str] = &[
    "did", "does", "do", "is", "are", "was", "were", "has", "have", "will", "can", "didnt",
    "doesnt", "dont", "isnt", "arent", "wasnt", "werent", "hasnt", "havent",
];

/// Forms of "be", which ask whether something is a detail of a kind ("was it in Paris?").
const BE: &[&str] = &[
    "is", "are", "was", "were", "isnt", "arent", "wasnt", "werent", "s", "re",
];

/// Whether words ask yes or no: they open with "did", "is"… or end with a tag (the lexicon's
/// `tags`: "…, right?"; or "…, didn't it?").
pub(super) fn is_yes_no(words: &[String], phrasing: &Phrasing) -> bool {
    let opens = words
        .first()
        .is_some_and(|w| YES_NO_OPENERS.contains(&w.as_str()));
    let n = words.len();
    let last = words.last().map_or("", String::as_str);
    let tag = super::listed(&phrasing.tags, last)
        // "…, wasn't it?", "…, wasn't it Paris?"
        || words[n.saturating_sub(3)..].windows(2).any(|w| {
            crate::text::is_negation(&w[0])
                && matches!(w[1].as_str(), "it" | "they" | "he" | "she")
        })
        // (…or inside, past a subject: "the window, wasn't it actually 60 days, not longer?")
        || (words.windows(2).skip(1).any(|w| {
            crate::text::is_negation(&w[0])
                && matches!(w[1].as_str(), "it" | "they" | "he" | "she")
        }) && !words.iter().any(|w| QUESTION_WORDS.contains(&w.as_str())))
        // "…, correct me if I'm wrong", "…, according to this piece?"
        || words.windows(3).any(|w| w == ["correct", "me", "if"])
        || words[n.saturating_sub(4)..].starts_with(&["according".into(), "to".into()]);
    // "so the US cut its tariffs to 10%?": a conclusion to check.
    let concludes = n > 2
        && words[0] == "so"
        && !QUESTION_WORDS.contains(&words[1].as_str())
        && !matches!(words[1].as_str(), "and" | "far" | "much" | "many");
    opens || (n > 2 && tag) || concludes
}

/// The words that open a question.
const QUESTION_WORDS: &[&str] = &[
    "who", "whom", "whose", "whos", "what", "whats", "which", "where", "wheres", "when", "why",
    "how", "hows",
];

/// The verbs that follow what a question asks about ("how much … *does* China mine").
pub(super) const AUXILIARIES: &[&str] = &[
    "do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "will", "would", "can",
    "could", "should",
];

/// Words joining two parts of a question.
const JOINERS: &[&str] = &["and", "or", "but", "plus", "also", "versus", "vs"];

/// Words before a claim word ("say", "describe") that make it a question about the article
/// rather than about what someone said.
const NOT_SPEAKERS: &[&str] = &[
    "you", "article", "it", "story", "report", "piece", "text", "deal", "truce", "data",
];

/// Whether a question has a reciprocal pronoun ("each other", "one another"), and whether it
/// names all sides ("both sides", "each side", "whom" after "who").
pub(super) fn reciprocal(words: &[String]) -> (bool, bool) {
    let has = |a: &str, b: &str| words.windows(2).any(|w| w[0] == a && w[1] == b);
    let pronoun = has("each", "other") || has("one", "another");
    let sides = has("both", "sides")
        || has("both", "side")
        || has("each", "side")
        || (words.iter().any(|w| w == "who")
            && (words.iter().any(|w| w == "whom")
                || words.iter().filter(|w| *w == "who").count() >= 2));
    (pronoun, sides)
}

/// Claim words that end a question in the passive ("how was the call *described*").
const PARTICIPLES: &[&str] = &[
    "described",
    "said",
    "claimed",
    "argued",
    "told",
    "stated",
    "accused",
    "blamed",
    "alleged",
];

/// Words before a name that make it no speaker ("the call *with* Xi").
const NOT_SPEAKER_BEFORE: &[&str] = &["with", "to", "against", "on", "about", "of", "which"];

/// Whether the token at `k` comes right after one of [`NOT_SPEAKER_BEFORE`], past an article
/// ("went on *a* TV network and said…").
fn after_not_speaker(tokens: &[Token], k: usize) -> bool {
    tokens[..k]
        .iter()
        .rev()
        .find(|t| !matches!(t.word.as_ref(), "a" | "an" | "the"))
        .is_some_and(|t| NOT_SPEAKER_BEFORE.contains(&t.word.as_ref()))
}

/// A fact scored against a question.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scored {
    pub(super) fact: u32,
    pub(super) score: f32,
    /// Share of the question's weight this fact covers on its own.
    pub(super) coverage: f32,
    /// Which of the question's terms it matches, in its own words or its source's (bit i = term i).
    pub(super) matched: u64,
    /// Which it matches in its own words (answer, keys, patterns).
    pub(super) own: u64,
    /// It matches every strict word of the question.
    pub(super) all_strict: bool,
    /// It matches the question's claim words itself (only then may a non-claim answer "say").
    pub(super) claim_ok: bool,
    /// It is a claim.
    pub(super) claim: bool,
    /// It states who someone is.
    pub(super) role: bool,
    /// Which of the question's word pairs it matches (bit k = pair k).
    pub(super) pairs: u64,
}

/// One distinct term of a question.
pub(super) struct QuestionTerm {
    /// Its stem id, if some current fact uses it.
    pub(super) id: Option<u32>,
    pub(super) weight: f32,
    /// A claim word, which counts towards coverage only where matched.
    pub(super) optional: bool,
}

/// The analysed question: terms with their weights, and what restricts the answer.
pub(super) struct Question {
    /// At most 64, one bit each in the masks.
    pub(super) terms: SmallVec<[QuestionTerm; 12]>,
    pub(super) required_weight: f32,
    /// Bits of the strict terms.
    pub(super) strict: u64,
    pub(super) multi_part: bool,
    /// It asks yes or no (see [`is_yes_no`]).
    pub(super) yes_no: bool,
    /// It asks what will happen (see [`asks_future`]).
    pub(super) future: bool,
    /// The kinds of question asked, one per question word.
    pub(super) kinds: SmallVec<[Option<Ask>; 4]>,
    /// It asks what someone said.
    pub(super) claim_intent: bool,
    /// "who is X": only a person (strict words) after "who".
    pub(super) who_is: bool,
    /// Bits of the terms an answer must state in its own words (a follow-up's own words).
    pub(super) must: u64,
    /// Bits of names joined by "and" or "or" ("the US and China"): a fact naming one of them
    /// may answer for it, if it states everything else the question asks; together the facts
    /// must name them all.
    pub(super) either: u64,
    /// Bits of the names and other specific words (strict in the lexicon).
    pub(super) names: u64,
    /// What "how much" or "how many" measures has a word no fact uses ("how much of rare earth
    /// *processing*").
    pub(super) unknown_measure: bool,
    /// It asks what the sides say of each other ("who accuses whom", "the accusations on both
    /// sides"): each speaker's claim answers.
    pub(super) reciprocal: bool,
    /// Bits of "accuse": a reciprocal question's answers are accusations.
    pub(super) accuse: u64,
    /// Bits of names in a clause placing the question in time ("… before *the Americans*"):
    /// a fact saying what came before or after settles them without naming them.
    pub(super) anchors: u64,
    /// Bits of the words of that clause, its "before" or "after" with them.
    pub(super) timing: u64,
}

impl Question {
    /// Bits of the terms that are not claim words.
    pub(super) fn required(&self) -> u64 {
        self.terms
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.optional)
            .fold(0, |m, (j, _)| m | 1 << j)
    }

    /// Whether the facts matching `mask` leave nothing essential unanswered: a question of one
    /// or two content words ("agreed in London") has no word to spare.
    pub(super) fn answered_by(&self, mask: u64) -> bool {
        let required = self.required();
        let strict = self.strict & !self.anchors;
        self.covered(mask) >= MIN_COVERAGE
            && mask & strict == strict
            && (required.count_ones() > 2 || mask & required == required)
    }
}

impl Question {
    pub(super) fn covered(&self, mask: u64) -> f32 {
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
/// Of names joined by "and" ("what did Greer and Beijing claim"), one speaking is enough.
pub(super) fn speaks(q: &Question, bits: u64, speaker: &[u32]) -> bool {
    let is_speaker = |(_, t): &(usize, &QuestionTerm)| t.id.is_some_and(|id| speaker.contains(&id));
    let named = |mask: u64| {
        q.terms
            .iter()
            .enumerate()
            .filter(move |(j, _)| mask & (1 << j) != 0)
    };
    named(bits & !q.either).all(|jt| is_speaker(&jt))
        && (bits & q.either == 0 || named(bits & q.either).any(|jt| is_speaker(&jt)))
}

/// The stem of a question's focus: the first content word after its first "what", "which" or
/// "how" that is not a name ("tariff" in "what's the exact tariff on magnets", "agree" in "what
/// did the US agree to", "call" in "how long did the call last").
fn focus_stem<'t, 'a>(tokens: &'t [Token<'a>], index: &Index) -> Option<&'t Stem<'a>> {
    let start = tokens
        .iter()
        .position(|t| matches!(t.word.as_ref(), "what" | "whats" | "which" | "how" | "hows"))?;
    let mut rest = &tokens[start + 1..];
    // "how long", "how much": the measure, not the thing measured.
    if tokens[start].word.starts_with("how")
        && rest.first().is_some_and(|t| {
            MEASURES.contains(&t.word.as_ref())
                || matches!(t.word.as_ref(), "soon" | "often" | "come")
        })
    {
        rest = &rest[1..];
    }
    // "what country", "which month": the kind of answer (see [`question_kinds`]), not its
    // subject. ("what year" asks for a year, which the answer must state.)
    if rest
        .first()
        .is_some_and(|t| kind_word(&t.word).is_some() && t.word != "year")
    {
        rest = &rest[1..];
    }
    // (…nor the kind of answer wherever it is: "which Reeves country".)
    let content = |t: &Token| {
        !t.stop && !t.claim && !t.strict && kind_word(&t.word).is_none_or(|_| t.word == "year")
    };
    let at = rest.iter().position(content)?;
    // (A clause placing a measure in time is no focus: "the tariff is how much *after* the
    // truce".)
    let measure = tokens[start].word.starts_with("how");
    if measure && matches!(rest[at].word.as_ref(), "before" | "after" | "follow") {
        return None;
    }
    // An English word no fact uses, right before one a fact does, describes it: the focus of
    // "which historic mansion" is the mansion. (A name is asked about: "which Nvidia chips".)
    let unused = |t: &Token| index.weight(t.term()).is_none();
    match rest.get(at + 1) {
        Some(next)
            if unused(&rest[at])
                && is_english_word(&rest[at].word)
                && !unused(next)
                && content(next) =>
        {
            Some(&next.stem)
        }
        _ => Some(&rest[at].stem),
    }
}

/// Whether a question asks what will happen: "will", "'ll", "gonna", "going to" before a
/// verb, or "next" ("the next round").
pub(super) fn asks_future(words: &[String]) -> bool {
    // (…or what would have been, had something not happened: "would China have lifted the
    // curbs if the US hadn't…", which the article no more reports.)
    // ("would have", or "would" and its subject, up to two words, then "have".)
    let would_have = words.iter().enumerate().any(|(i, w)| match w.as_str() {
        "wouldve" | "couldve" => true,
        "would" | "could" | "might" => words[i + 1..]
            .iter()
            .take(3)
            .any(|n| matches!(n.as_str(), "have" | "ve")),
        _ => false,
    });
    let counterfactual = would_have && words.iter().any(|w| w == "if");
    counterfactual
        || words.iter().enumerate().any(|(i, w)| match w.as_str() {
            "will" | "ll" | "gonna" | "next" => true,
            "going" => {
                words.get(i + 1).is_some_and(|n| n == "to")
                    && words
                        .get(i + 2)
                        .is_some_and(|v| !matches!(v.as_str(), "the" | "a" | "an"))
            }
            _ => false,
        })
}

/// Whether a question asks what came after the London talks ("did the US cut tariffs after the
/// talks?"): after the article, as the future is.
fn asks_after_talks(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        matches!(w.as_str(), "after" | "following" | "since")
            && words[i + 1..]
                .iter()
                .find(|n| !matches!(n.as_str(), "the" | "this" | "these" | "that" | "those"))
                .is_some_and(|n| {
                    matches!(
                        n.as_str(),
                        "talks"
                            | "talk"
                            | "meeting"
                            | "meetings"
                            | "london"
                            | "round"
                            | "negotiations"
                    )
                })
    })
}

/// What a "which" question asks to be told apart: its first content word after "which", or
/// after "what kind of" ("type", "sort"), when that is the question's first question word
/// ("how did *which* side…" asks how first).
fn which_target<'t, 'a>(tokens: &'t [Token<'a>]) -> Option<&'t Token<'a>> {
    let at = tokens.iter().position(|t| {
        matches!(
            t.word.as_ref(),
            "which" | "what" | "whats" | "how" | "who" | "where" | "when"
        )
    })?;
    let rest = &tokens[at + 1..];
    let rest = match tokens[at].word.as_ref() {
        "which" => rest,
        "what" | "whats"
            if rest.len() > 2
                && matches!(
                    rest[0].word.as_ref(),
                    "kind" | "type" | "sort" | "kinds" | "types"
                )
                && rest[1].word == "of" =>
        {
            &rest[2..]
        }
        _ => return None,
    };
    // (A word of no subject right after "which" is what is asked: "which *side* cut tariffs"
    // asks for a side, not which cut.)
    let at = rest.iter().position(|t| !t.stop).filter(|&at| at == 0)?;
    let (first, next) = (&rest[at], rest.get(at + 1));
    // Of a name before a noun ("which Huawei components did…"), the noun: a word that ends
    // the question or comes before its verb ("which OECD *revised*…" is no noun).
    // ("which Huawei components *exactly* did…": a word of no subject before the verb too.)
    let aux = |v: &Token| AUXILIARIES.contains(&v.word.as_ref());
    let noun = next.filter(|n| {
        !n.stop
            && !n.strict
            && rest
                .iter()
                .skip(at + 2)
                .find(|v| !v.stop || aux(v))
                .is_none_or(aux)
    });
    Some(match first.strict {
        true => noun.unwrap_or(first),
        false => first,
    })
}

/// Whether a word after "what" or "which" says what kind of answer is wanted ("what percent",
/// "which city"), and the kind of question it makes, if it restricts the answer: "which
/// country mines the most" asks for a country, not a place.
pub(super) fn kind_word(word: &str) -> Option<Option<Ask>> {
    match word {
        "percent" | "percentage" | "share" | "rate" | "proportion" | "fraction" => {
            Some(Some(Ask::HowMuch))
        }
        "reason" | "reasons" | "cause" | "motive" => Some(Some(Ask::Why)),
        "date" | "day" | "month" | "year" | "time" => Some(Some(Ask::When)),
        "city" | "town" | "place" | "venue" | "location" => Some(Some(Ask::Where)),
        "country" => Some(None),
        _ => None,
    }
}

/// Whether a token is the lexicon's "accuse" (which "blame", "accusations", "mad at"… read as).
fn accuses(t: &Token) -> bool {
    t.claim && t.word == "accuse"
}

/// Scores every current fact that fits the question's kind, best first, with the analysed
/// question for combining facts.
/// `must` are words (as the analyser reads them) the answer must state, as if strict: a
/// follow-up's own words.
pub(super) fn score_all(
    engine: &Engine,
    words: &[String],
    must: &[String],
) -> (Question, Vec<Scored>) {
    let mut tokens = Tokens::new();
    engine.analyzer.tokens_into(words, true, &mut tokens);
    // What the sides say of each other ("what do both sides say about each other") is what
    // they accuse each other of.
    let (pronoun, sides) = reciprocal(words);
    if (pronoun || sides) && !tokens.iter().any(accuses) && tokens.iter().any(|t| t.claim) {
        let mut accusing = words.to_vec();
        accusing.push("accuse".into());
        let mut tokens = Tokens::new();
        engine.analyzer.tokens_into(&accusing, true, &mut tokens);
        return score_tokens(engine, &accusing, tokens, must);
    }
    score_tokens(engine, words, tokens, must)
}

/// Scores the facts for a question's words, analysed as `tokens`.
fn score_tokens<'a>(
    engine: &'a Engine,
    words: &'a [String],
    tokens: Tokens<'a>,
    must: &[String],
) -> (Question, Vec<Scored>) {
    let index = &engine.index;
    let kinds = question_kinds(words, &engine.knowledge.lexicon.phrasing);
    let multi_part = is_multi_part(words, &kinds);
    // "how would you describe…" asks the bot, and "what does the article say about…" asks
    // what the article reports, not what somebody claimed.
    // "describe Trump's trade policy" asks the bot too.
    // ("why do people say the truce might fall apart" asks why it might, not who says so, and
    // "the truce is said to be at risk" names nobody who says it.)
    let why = kinds.contains(&Some(Ask::Why));
    let claim_intent = tokens.iter().enumerate().any(|(i, t)| {
        t.claim
            && match i {
                0 => t.word != "describe",
                _ => {
                    let before = tokens[i - 1].word.as_ref();
                    let passive = matches!(before, "is" | "are" | "was" | "were" | "be")
                        && tokens.get(i + 1).is_some_and(|n| n.word == "to");
                    // Hearsay to be checked: "my friend says…, is that right?", "I heard…".
                    // (Not "people": "what do people say about the talks" asks for words quoted.)
                    let hearsay = matches!(before, "i" | "someone" | "somebody" | "everyone")
                        || (i >= 2 && tokens[i - 2].word == "my");
                    // (…past an adverb: "what did the deal *actually* say"; or a verb of
                    // being: "how come people *are* saying…".)
                    let subject = tokens[..i]
                        .iter()
                        .rev()
                        .find(|b| {
                            !matches!(
                                b.word.as_ref(),
                                "actual"
                                    | "actually"
                                    | "really"
                                    | "exactly"
                                    | "are"
                                    | "keep"
                                    | "kept"
                                    | "still"
                            )
                        })
                        .map_or(before, |b| b.word.as_ref());
                    // ("the truce *as described* in the article": no one's words asked for.)
                    let nobody = NOT_SPEAKERS.contains(&before)
                        || NOT_SPEAKERS.contains(&subject)
                        || before == "as"
                        || (why && (before == "people" || subject == "people"));
                    !nobody && !passive && !hearsay
                }
            }
    });
    // "how is Trump's trade policy described" asks how anyone describes it, the article too:
    // a plain fact answers as well as a claim ("how was it described by Trump" names who).
    let any_description = tokens.iter().enumerate().any(|(i, t)| {
        t.word == "describe"
            && tokens[..i]
                .iter()
                .any(|b| matches!(b.word.as_ref(), "is" | "was" | "are" | "were"))
            && !tokens[i..].iter().any(|n| n.word == "by")
    });
    let after_talks = asks_after_talks(words);
    let mut q = Question {
        terms: SmallVec::new(),
        required_weight: 0.0,
        strict: 0,
        multi_part,
        yes_no: is_yes_no(words, &engine.knowledge.lexicon.phrasing),
        future: asks_future(words) || after_talks,
        kinds,
        claim_intent,
        who_is: false,
        must: 0,
        either: 0,
        names: 0,
        reciprocal: false,
        accuse: 0,
        anchors: 0,
        timing: 0,
        unknown_measure: false,
    };
    // "each other", "both sides", "who … whom": the words say whose claims are asked for, all
    // sides', and are no subject of their own (the lexicon reads them all as "both"). "Each
    // other" and "one another" never are ("is it normal for Trump and Xi to phone each other").
    let (pronoun, sides) = reciprocal(words);
    q.reciprocal = claim_intent && (pronoun || sides);
    let how_long_when = q.kinds.contains(&Some(Ask::When))
        && words.windows(2).any(|w| w[0] == "how" && w[1] == "long");
    let focus = focus_stem(&tokens, index);
    // "how much did exports rise": what is measured is the last word as much as the first.
    // So does what a "which" question says of what it asks about ("which rare earths are
    // *restricted*").
    let first_asking = words
        .iter()
        .find(|w| QUESTION_WORDS.contains(&w.as_str()))
        .map(String::as_str);
    let which = first_asking == Some("which");
    // (…both the word after the one asked about and the last one, before a clause placing it
    // in time: "which British official *met* He Lifeng before the talks began", "which rare
    // earths are mined in *London*".)
    let content = |t: &&Token| !t.stop && !t.claim && !t.strict;
    let main = tokens
        .iter()
        .position(|t| matches!(t.word.as_ref(), "before" | "after" | "while" | "until"))
        .map_or(&tokens[..], |end| &tokens[..end]);
    let mut measured: SmallVec<[&Stem; 2]> = SmallVec::new();
    // So is the last word of a "what" question: "what tariff did China put on *magnets*".
    let what = matches!(first_asking, Some("what" | "whats"));
    // (A word naming the matter in general, "the chip design software *issue*", is no
    // measure.)
    let general = |t: &&Token| {
        matches!(
            t.word.as_ref(),
            "issue" | "thing" | "situation" | "matter" | "story"
        )
    };
    // (Nor is the kind of answer wanted: "the trade war began in which *month*".)
    let last = main
        .iter()
        .rposition(|t| content(&t) && !general(&t) && kind_word(&t.word).is_none());
    // (…of a "what" question, when it ends on what a preposition names: "put on *magnets*"
    // ("put on" reads as "impose"), not "what restrictions did the US *put on* China".)
    // (…past names before it: "the tariff on *Chinese* EVs".)
    let named = last.is_some_and(|i| {
        main[..i].iter().rev().find(|t| !t.strict).is_some_and(|t| {
            matches!(
                t.word.as_ref(),
                "on" | "in" | "for" | "about" | "to" | "from" | "with" | "of" | "at" | "impose"
            )
        })
    });
    // (…and of a yes/no question: "did the US put tariffs on *rare earths*?" is not settled
    // by its tariff on Chinese goods. A detail of a kind, "in *London*?", is settled as such.)
    let detail = last.is_some_and(|i| engine.analyzer.kind(&main[i].word).is_some());
    let checked = q.yes_no && !detail;
    if which || ((what || checked) && named) || q.kinds.as_slice() == [Some(Ask::HowMuch)] {
        measured.extend(last.map(|i| &main[i].stem));
    }
    // …and every word of what a share is of: "what percentage of US *rare earth imports*
    // come from China" is not answered by the tariff on imports from China.
    let share_of = tokens
        .windows(2)
        .position(|w| kind_word(&w[0].word) == Some(Some(Ask::HowMuch)) && w[1].word == "of");
    if let Some(at) = share_of {
        let of = tokens[at + 2..]
            .iter()
            .take_while(|t| !AUXILIARIES.contains(&t.word.as_ref()) && t.word != "from");
        measured.extend(of.filter(|t| content(t)).map(|t| &t.stem));
    }
    if which {
        let after = tokens
            .iter()
            .position(|t| focus == Some(&t.stem))
            .map_or(0, |i| i + 1);
        // (…not what a preposition adds to it: "which month did the war *between the two
        // nations* start" asks when it started, "which city was the ceasefire *on levies*
        // struck in" where it was struck.)
        let said = (after..tokens.len()).find(|&k| {
            content(&&tokens[k])
                && kind_word(&tokens[k].word).is_none()
                && k.checked_sub(1).is_none_or(|p| {
                    !matches!(
                        tokens[p].word.as_ref(),
                        "between" | "among" | "of" | "from" | "in" | "with" | "on" | "over"
                    )
                })
        });
        measured.extend(said.map(|k| &tokens[k].stem));
    }
    // What "how much" or "what percentage" measures runs up to the verb: "how much of rare
    // earth processing does".
    q.unknown_measure = tokens
        .windows(2)
        .position(|w| match w[0].word.as_ref() {
            "how" => matches!(w[1].word.as_ref(), "much" | "many"),
            "what" | "which" => kind_word(&w[1].word) == Some(Some(Ask::HowMuch)),
            _ => false,
        })
        .is_some_and(|i| {
            tokens[i + 2..]
                .iter()
                .take_while(|t| !AUXILIARIES.contains(&t.word.as_ref()))
                .any(|t| !t.stop && !t.claim && index.weight(t.term()).is_none())
        });
    let yes_no = q.yes_no;
    // A number a yes/no question checks is what the answer settles, not its subject: "did
    // China lower its tariffs to 30%?" is settled by the rate China set.
    // (…in words too: "does China mine like *half* of all rare earths?")
    let checked_number = |t: &Token| {
        yes_no
            && (t.word.starts_with(|c: char| c.is_ascii_digit())
                || matches!(
                    t.word.as_ref(),
                    "zero" | "half" | "third" | "quarter" | "twice" | "double" | "triple"
                ))
    };
    // The details of a kind a yes/no question names ("in *Paris*"), by term bit.
    let mut slots: SmallVec<[(u64, usize); 4]> = SmallVec::new();
    // …a word the lexicon does not know and no English word list has, beside one, being part of it
    // ("*Janet* Yellen"; "visit" in "will Trump visit Beijing" is no name).
    let how_much = q.kinds.as_slice() == [Some(Ask::HowMuch)];
    let slot_kind = |t: &Token| {
        let kind = |s: &Token| engine.analyzer.kind(&s.word);
        // (A how-much question's measure of a kind is checked as such too: "how much did
        // exports fall?" is settled by how much they rose.)
        if !yes_no {
            return kind(t).filter(|_| how_much && measured.contains(&&t.stem));
        }
        kind(t).or_else(|| {
            let at = tokens.iter().position(|s| s.stem == t.stem)?;
            let unknown = t.term().is_none() && !is_english_word(&t.word);
            let beside = [at.checked_sub(1), Some(at + 1)];
            unknown
                .then(|| {
                    beside
                        .into_iter()
                        .flatten()
                        .find_map(|i| kind(tokens.get(i)?))
                })
                .flatten()
        })
    };
    let mut claim_bits = 0u64;
    // Names before the first claim word say who is speaking ("what did Greer claim"), unless
    // it is said of them: "how was the Trump-Xi call described" names no speaker.
    // (The passive: a participle after a form of "be" or "get" and no "did" or "has": "what's
    // the US accused of", "only China got accused" name the accused.)
    let passive = words
        .iter()
        .position(|w| PARTICIPLES.contains(&w.as_str()))
        .is_some_and(|p| {
            words[..p].iter().any(|w| {
                matches!(
                    w.as_str(),
                    "is" | "are"
                        | "was"
                        | "were"
                        | "s"
                        | "been"
                        | "be"
                        | "being"
                        | "get"
                        | "gets"
                        | "got"
                        | "getting"
                )
            }) && !words[..p]
                .iter()
                .any(|w| matches!(w.as_str(), "did" | "does" | "do" | "has" | "have" | "had"))
        });
    let first_claim = if passive {
        0
    } else {
        tokens.iter().position(|t| t.claim).unwrap_or(0)
    };
    // (…as are two details of one kind, one of them a fact's, "in January or February", which
    // the fact naming its own settles.)
    let same_kind = |a: &Token, b: &Token| {
        let kind = engine.analyzer.kind(&a.word);
        kind.is_some()
            && kind == engine.analyzer.kind(&b.word)
            && [a, b].iter().any(|t| index.weight(t.term()).is_some())
    };
    let alternatives: Vec<&Stem> = tokens
        .windows(3)
        .filter(|w| {
            w[1].word == "or"
                && ([&w[0], &w[2]].iter().all(|t| !t.stop && !t.strict) || same_kind(&w[0], &w[2]))
        })
        .flat_map(|w| [&w[0].stem, &w[2].stem])
        .collect();
    let mut speaker_bits = 0u64;
    // Bits of the terms named somewhere other than right after "with" or "to": who may be
    // speaking, wherever the claim word is.
    let mut subject_bits = 0u64;
    // Names after "accuse" are the accused: "who accused China of breaking the deal" is not
    // answered by what Beijing argued; so are names before it in the passive.
    let mut accused_bits = 0u64;
    // Where a clause placing the question in time begins ("… *after* his talks with the
    // Americans").
    let time_clause = tokens
        .iter()
        .position(|t| matches!(t.word.as_ref(), "before" | "after" | "follow"));
    // (…unless "against" says who: "the allegations Beijing made against the US" are
    // Beijing's, about the US.)
    let accusation = tokens.iter().position(accuses);
    let against = accusation.and_then(|a| {
        tokens[a..]
            .iter()
            .position(|t| t.word == "against")
            .map(|g| (a, a + g))
    });
    let accused = accusation.map(|a| match against {
        Some((_, g)) if !passive => &tokens[g..],
        _ if passive => &tokens[..a],
        _ => &tokens[a..],
    });
    let accusers = match against {
        Some((a, g)) if !passive => &tokens[a..g],
        _ => &[],
    };
    for t in terms(&tokens) {
        // "how long has it been going on" asks when: "long" is part of the question word.
        if (t.word == "both" && (pronoun || q.reciprocal)) || (how_long_when && t.word == "long") {
            continue;
        }
        // ("…, true?" asks yes or no, as "…, right?" does; "what's the reason…" asks why.)
        if checked_number(t)
            || (yes_no && super::listed(&engine.knowledge.lexicon.phrasing.tags, &t.word))
            || kind_word(&t.word) == Some(Some(Ask::Why))
        {
            continue;
        }
        let weight = index.weight(t.term());
        // A stem is strict when any of its words is.
        // A name or other specific word, by the lexicon; a follow-up's own word is as strict.
        let name = tokens.iter().any(|s| s.strict && s.stem == t.stem);
        let strict = name
            || tokens
                .iter()
                .any(|s| must.iter().any(|m| *m == s.word) && s.stem == t.stem);
        // Unknown one- and two-letter fragments ("wr") say nothing either way.
        if weight.is_none() && !strict && engine.analyzer.stem_text(&t.stem).chars().count() <= 2 {
            continue;
        }
        if q.terms.len() == 64 {
            break;
        }
        let bit = 1 << q.terms.len();
        // The word a question asks about must be answered, as a name must: "what's the exact
        // tariff on magnets" is not answered by what was said of magnets.
        // (An unknown word asked about, "what did CBS *ask* Hassett", no fact can answer.)
        // (Words offered as a choice are optional, below: "up or down" is no focus.)
        let choice = alternatives.contains(&&t.stem);
        let focus = !multi_part
            && !claim_intent
            && !choice
            && (focus == Some(&t.stem) || measured.contains(&&t.stem));
        // A yes/no question is settled only by a fact stating all it asks: "did the US stop
        // selling *airplane* parts" is not settled by the chip software it did stop.
        // (What someone is said to be accused of is settled by what they were accused of: "did
        // Beijing accuse the US of banning *TikTok*?")
        // (Whether the word stands only from `at` on.)
        let only_from = |at: usize| {
            tokens
                .iter()
                .enumerate()
                .all(|(k, s)| s.stem != t.stem || k >= at)
        };
        let accused_of = claim_intent && accusation.is_some_and(|a| only_from(a + 1));
        let unsettled = yes_no && !multi_part && weight.is_none() && !t.claim && !accused_of;
        // A name no fact has right before the claim word is its speaker, whom the article never
        // quotes: "what did Nvidia say about the chip restrictions".
        let unknown_speaker = weight.is_none()
            && first_claim > 0
            && tokens[first_claim - 1].stem == t.stem
            && !t.stop
            && !is_english_word(&t.word);
        if (strict && !choice) || focus || unsettled || unknown_speaker {
            q.strict |= bit;
        }
        if must.iter().any(|m| *m == t.word) {
            q.must |= bit;
        }
        if name {
            q.names |= bit;
        }
        if name && time_clause.is_some_and(|at| only_from(at + 1)) {
            q.anchors |= bit;
        }
        if time_clause.is_some_and(only_from) {
            q.timing |= bit;
        }
        if t.claim {
            claim_bits |= bit;
            if accuses(t) {
                q.accuse |= bit;
            }
        }
        // (A follow-up's own word is no speaker: "magnets" in "what about magnets?"; nor is a
        // name after "with" or "to": "Trump's call with Xi, how did it go?" asks what Trump
        // said.)
        // (…nor a name said to be mentioned: "is Huawei *mentioned* in the accusations?")
        let mentioned = |k: usize| {
            tokens.get(k + 1).is_some_and(|n| {
                matches!(
                    n.word.as_ref(),
                    "mentioned" | "mention" | "named" | "listed" | "cited" | "included"
                )
            })
        };
        if tokens[..first_claim].iter().enumerate().any(|(k, s)| {
            s.strict && s.stem == t.stem && !after_not_speaker(&tokens, k) && !mentioned(k)
        }) || accusers.iter().any(|s| s.strict && s.stem == t.stem)
        {
            speaker_bits |= bit;
        }
        if tokens
            .iter()
            .enumerate()
            .any(|(k, s)| s.stem == t.stem && !after_not_speaker(&tokens, k))
        {
            subject_bits |= bit;
        }
        if accused.is_some_and(|named| named.iter().any(|s| s.strict && s.stem == t.stem)) {
            accused_bits |= bit;
        }
        let weight_or_unknown = weight.unwrap_or(index.unknown_weight);
        // Words offered as a choice ("up or down", "before or after") are optional: the fact
        // settling the question states one of them.
        if !t.claim && !choice {
            q.required_weight += weight_or_unknown;
        }
        if let Some(kind) =
            slot_kind(t).filter(|&k| weight.is_none() || !engine.analyzer.several(k))
        {
            slots.push((bit, kind));
        }
        q.terms.push(QuestionTerm {
            id: weight.and(t.term()),
            weight: weight_or_unknown,
            optional: t.claim || choice,
        });
    }
    // Names joined by "and"/"or", a "the" allowed before the second.
    let mut joined: SmallVec<[u32; 4]> = SmallVec::new();
    for (i, t) in tokens.iter().enumerate() {
        let mut rest = tokens[i + 1..].iter();
        let (Some(joiner), Some(other)) = (rest.next(), rest.find(|n| n.word != "the")) else {
            continue;
        };
        if t.strict && other.strict && JOINERS.contains(&joiner.word.as_ref()) {
            joined.extend(t.term());
            joined.extend(other.term());
        }
        // …or people and outlets set side by side with none ("the Trump Xi call", "Hassett
        // CBS what did he say"; in "the American trade representative" the US says whose).
        let kind = |t: &Token| t.strict && engine.analyzer.kind(&t.word).is_some();
        if kind(t) && kind(joiner) && t.stem != joiner.stem {
            joined.extend(t.term());
            joined.extend(joiner.term());
        }
    }
    // …and the names a comparison sets side by side ("is the US tariff higher than China's").
    if let Some(than) = tokens.iter().position(|t| t.word == "than") {
        let before = tokens[..than].iter().rev().find(|t| t.strict);
        let after = tokens[than + 1..].iter().find(|t| t.word != "the");
        if let (Some(a), Some(b)) = (before, after.filter(|t| t.strict)) {
            joined.extend(a.term());
            joined.extend(b.term());
        }
    }
    if !multi_part {
        for (j, t) in q.terms.iter().enumerate() {
            if t.id.is_some_and(|id| joined.contains(&id)) {
                q.either |= 1 << j;
            }
        }
    }
    // The details a yes/no question checks, by term: they choose no fact (below).
    let checked: SmallVec<[u32; 4]> = slots
        .iter()
        .filter_map(|&(bit, _)| q.terms[bit.trailing_zeros() as usize].id)
        .collect();
    let is_checked =
        |t: &Token| checked_number(t) || t.term().is_some_and(|id| checked.contains(&id));
    let question_pairs: Vec<&Posting> = pairs(&tokens)
        .filter(|(a, b)| !is_checked(a) && !is_checked(b))
        .filter_map(|(a, b)| index.pairs.get(&(a.term()?, b.term()?)))
        .collect();
    if q.terms.is_empty() {
        return (q, Vec::new());
    }
    // "who is X", "who's the Chinese vice premier they met": X's role first.
    let names_first = tokens
        .windows(2)
        .position(|w| w[0].word == "who" && matches!(w[1].word.as_ref(), "is" | "s" | "was"))
        .and_then(|i| tokens[i + 2..].iter().find(|t| !t.stop))
        .is_some_and(|t| t.strict);
    q.who_is = q.kinds.as_slice() == [Some(Ask::Who)]
        && !claim_intent
        && (names_first || q.strict.count_ones() as usize == q.terms.len());
    // The facts that share at least one term in their own words: only those can be an answer.
    let mut candidates: Vec<usize> = q
        .terms
        .iter()
        .filter_map(|t| index.posting(t.id?))
        .flat_map(|p| p.own.iter().copied())
        .collect();
    // "wasn't it in Paris?": a yes/no question naming only a detail of a kind is settled by
    // the facts naming one of that kind.
    if candidates.is_empty() && yes_no {
        candidates = (0..index.facts.len())
            .filter(|&i| {
                slots
                    .iter()
                    .any(|(_, kind)| index.facts[i].kinds.contains(kind))
            })
            .collect();
    }
    candidates.sort_unstable();
    candidates.dedup();
    // "which economists", "what kind of components": what a fact's answer says only in general
    // ("concerns among economists") does not say which; nor does what the question itself says
    // ("components from Huawei" for "which Huawei components").
    let which_target = (!multi_part)
        .then(|| which_target(&tokens))
        .flatten()
        .and_then(Token::term);
    let asked_ids: SmallVec<[u32; 12]> = q.terms.iter().filter_map(|t| t.id).collect();
    // The article reports what happened and what was said; what will happen next ("will
    // tariffs go back up", "when's the next round") only a fact that looks ahead answers.
    let future = q.future;
    // "What year" asks for a year, which "for over a year" is not.
    let year = words.windows(2).any(|w| {
        matches!(w[0].as_str(), "what" | "whats" | "which")
            && matches!(w[1].as_str(), "year" | "yr")
    });
    // "How many" asks for a count, which a share ("69% of the world's rare earth elements") is
    // not: only a fact stating a number that is no percentage answers it.
    // ("fell how many in May?" asks how much: a count is of the thing named next.)
    let count = words.windows(3).any(|w| {
        w[0] == "how"
            && w[1] == "many"
            && !matches!(
                w[2].as_str(),
                "percent" | "per" | "pct" | "percentage" | "in" | "on" | "at" | "by" | "of"
                // (…nor is "how many is the tax", a learner's "how much".)
                | "is" | "are" | "was" | "were"
            )
    });
    // (…or names the people counted: "how many officials did the US send" is answered by the
    // delegation's three names.)
    // A count of people ("how many officials…") is answered by a fact naming them, of the US
    // side: the article names one Chinese official, no Chinese delegation to count (nor
    // each side's).
    let phrasing = &engine.knowledge.lexicon.phrasing;
    let person = |w: &String| {
        super::listed(&phrasing.person_nouns, w)
            || super::listed(&phrasing.roles, w)
            || matches!(
                w.as_str(),
                "officials" | "ppl" | "delegates" | "members" | "negotiators"
            )
    };
    // ("how many US officials…": a side may come first.)
    let counts_people = words.windows(4).any(|w| {
        w[0] == "how"
            && w[1] == "many"
            && (person(&w[2]) || (matches!(w[2].as_str(), "us" | "american") && person(&w[3])))
    }) && !tokens
        .iter()
        .any(|t| matches!(t.word.as_ref(), "china" | "each" | "both" | "either"));
    let names_people = |i: usize| {
        let answer = &engine.knowledge.facts[i].answer;
        let people = engine
            .analyzer
            .tokens(answer, false)
            .iter()
            .filter(|t| engine.index.people.iter().any(|p| *p == t.word))
            .count();
        people >= 2
    };
    let counts = |i: usize| {
        let answer = &engine.knowledge.facts[i].answer;
        names_people(i)
            || answer.split_whitespace().any(|w| {
                let w = w.trim_end_matches(['.', ',']);
                (w.starts_with(|c: char| c.is_ascii_digit()) && !w.ends_with('%'))
                    || matches!(w, "two" | "three" | "four" | "five" | "six" | "ten")
            })
    };
    // A yes/no question asking whether something is in a place asks where ("is the meeting in
    // London?": the venue, not who met), as the lexicon's kind says. ("did He Lifeng meet
    // anyone in London" asks whom, and "is Bessent part of the delegation in London" whether
    // he is: more than a subject beside the place.)
    let asks_of = |t: &Token| {
        let kind = engine.analyzer.kind(&t.word)?;
        engine.analyzer.kind_asks(kind)
    };
    let subject_words = tokens
        .iter()
        .filter(|t| !t.stop && asks_of(t).is_none())
        .count();
    // ("was it in Paris?", and as a statement to confirm: "the talks are in London, yeah?")
    let tagged = !words
        .first()
        .is_some_and(|w| YES_NO_OPENERS.contains(&w.as_str()));
    let be = match tagged {
        true => words.iter().any(|w| BE.contains(&w.as_str())),
        false => words.first().is_some_and(|w| BE.contains(&w.as_str())),
    };
    let kind_asked = (yes_no && q.kinds.is_empty() && subject_words <= 2 && be)
        .then(|| tokens.iter().find_map(asks_of))
        .flatten();
    let want = match kind_asked {
        Some(asked) => wanted(&[Some(asked)]),
        None => wanted(&q.kinds),
    };
    let settles = if yes_no { echoes(&tokens) } else { Vec::new() };
    let mut out = Vec::with_capacity(candidates.len());
    for i in candidates {
        let e = &index.facts[i];
        // A claim gives a reason only for why somebody says something, or how they feel: "why
        // did the US halt sales" is not answered by what Beijing argued, "why isn't Hassett
        // happy" is by what Hassett said.
        // (A name after "to" or "with" is no speaker: "why did the US stop selling software
        // to China" does not name Beijing as saying anything.)
        let names_speaker = q.terms.iter().enumerate().any(|(j, t)| {
            q.strict & subject_bits & (1 << j) != 0
                && t.id.is_some_and(|id| e.speaker.contains(&id))
        });
        let general = which_target.is_some_and(|w| {
            e.specifiers
                .iter()
                .any(|(t, which)| *t == w && which.iter().all(|s| asked_ids.contains(s)))
        });
        // (The names a count of people is answered by answer "who", not "how many".)
        if !(accepts(e.asks, want) || (counts_people && names_people(i)))
            || (why && e.claim && !claim_intent && !names_speaker)
            || general
            // (Whether something came after the talks is settled by a fact saying it came
            // before.)
            || (future && !e.future && !(after_talks && q.yes_no && e.timed))
            || (year && !e.year)
            || (count && !counts(i))
        {
            continue;
        }
        let (mut matched, mut own) = (0u64, 0u64);
        let mut s = 0.0;
        for (j, t) in q.terms.iter().enumerate() {
            let Some(p) = t.id.and_then(|id| index.posting(id)) else {
                continue;
            };
            // A fact asking what the question asks ("what was agreed") does not answer it,
            // unless the question only asks whether it holds ("are exports back to what was
            // agreed?").
            if q.strict & (1 << j) != 0
                && t.id
                    .is_some_and(|id| e.echoes.contains(&id) && !settles.contains(&id))
            {
                continue;
            }
            if p.own.binary_search(&i).is_ok() {
                matched |= 1 << j;
                own |= 1 << j;
                s += t.weight * (K1 + 1.0) / e.denom;
            } else if p.source.binary_search(&i).is_ok() {
                matched |= 1 << j;
                s += SOURCE_WEIGHT * t.weight * (K1 + 1.0) / e.denom;
            }
        }
        // A fact naming a detail of the kind a yes/no question names settles it: "were the
        // talks in Paris?" is answered by where they are.
        // It settles it as well as a fact naming that detail does, so the detail does not
        // choose between them: what it is said of does ("did exports *fall*?" is settled by
        // the exports that rose, not the imports that fell).
        // (A fact whose sentence has the detail, not its own words, has had part of its
        // weight already.)
        for &(bit, kind) in &slots {
            if own & bit == 0 && e.kinds.contains(&kind) {
                let had = if matched & bit != 0 {
                    SOURCE_WEIGHT
                } else {
                    0.0
                };
                let weight = q.terms[bit.trailing_zeros() as usize].weight;
                s += (1.0 - had) * weight * (K1 + 1.0) / e.denom;
                matched |= bit;
                own |= bit;
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
            all_strict: {
                let settled = matched | if e.timed { q.anchors } else { 0 };
                settled & q.strict & !q.either == q.strict & !q.either
                    && (q.either == 0 || matched & q.either != 0)
            },
            claim_ok: !claim_intent
                || (any_description && !e.claim)
                || (e.claim
                    && speaks(&q, speaker_bits, &e.speaker)
                    && !q.terms.iter().enumerate().any(|(j, t)| {
                        accused_bits & !speaker_bits & (1 << j) != 0
                            && t.id.is_some_and(|id| e.speaker.contains(&id))
                    }))
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
    if yes_no && !claim_intent {
        let plain: Vec<u64> = out.iter().filter(|s| !s.claim).map(|s| s.own).collect();
        for s in out.iter_mut().filter(|s| s.claim) {
            if plain.iter().any(|own| own & s.own == s.own) {
                s.score *= YES_NO_CLAIM_DISCOUNT;
            }
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
