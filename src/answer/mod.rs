//! The answerer: turns a command or a free-text question into a [`Reply`] — cited facts, or an
//! honest "the article doesn't cover that".
//!
//! Free text is scored against every current fact with a small BM25-style scorer over the
//! analysed terms (see [`crate::analyze`]). A question is answered only when the best facts cover
//! most of what it asks: a word the knowledge has never seen ("Japan", "age", "signed") weighs
//! heavily against answering, because a wrong answer is worse than none.
//!
//! - `score`: the index and the scorer (what each fact matches of a question).
//! - `follow_up`: a conversation's [`Subject`] and the readings of a follow-up.
//! - `rewrite`: rewordings of a question before it is scored ("was it Bessent who…").
//! - `speakers`: answers about people and their words ("who called it a very good talk?",
//!   "who else did He Lifeng meet?", another speaker's word on a claim).
//! - here: choosing the facts that answer (near-ties, gaps, two questions in one), commands,
//!   follow-ups in a conversation, and routing a chat message.

use crate::command::Command;
use crate::engine::Engine;
use crate::knowledge::{Ask, Fact, Source};
pub use crate::reply::{MAX_QUESTION_CHARS, Reply};
use crate::text::{is_english_word, numbers, split_words};

mod follow_up;
mod rewrite;
mod score;
mod speakers;

pub use follow_up::Subject;
use follow_up::{
    ContentClass, PERSONS, PRONOUNS, REVERSE, TIMES, WH_WORDS, as_follow_up, other_side, pronoun_at,
};
use score::{Scored, YES_NO_OPENERS, accepts, score_all, wanted};
use speakers::{
    quoted, someone_else, someone_new, who_said_the_words, with_another_speaker, with_who_answered,
    wrong_speaker,
};

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

/// Answers a free-text question.
///
/// The best fact must fit what the question asks for: a claim when it asks what someone said,
/// every specific word it names (another country, a person, a date) unless the question has
/// several parts, and a good part of the question in the fact's own words. Near-ties join it;
/// for a question in several parts, the facts covering the rest of it are added. The question is
/// answered only when the chosen facts together cover `score::MIN_COVERAGE` of it and every specific
/// word it names. The caller ([`respond`]) has already refused over-long input.
fn answer_question(engine: &Engine, question: &str) -> Reply {
    let parts = question_parts(engine, question);
    match parts.as_slice() {
        [] => Reply::Empty,
        [one] => match elliptic_and(engine, one) {
            Some(reply) => reply,
            None => match answer_words(engine, one, &[], &[]) {
                Reply::NotCovered => either_side_of_and(engine, one)
                    .or_else(|| first_option(engine, one))
                    .unwrap_or(Reply::NotCovered),
                reply => reply,
            },
        },
        _ => {
            // Two questions in one: each part is answered on its own, and all must be; a part
            // that says "he", "they" or "it" is about the part before it ("who is Reeves and
            // why does she matter").
            let mut facts: Vec<String> = Vec::new();
            for (k, part) in parts.iter().enumerate() {
                // …as is a part that is only a question word ("… and why?").
                let refers = k > 0
                    && (part.iter().any(|w| PRONOUNS.contains(&w.as_str()))
                        || Subject::of(engine, part).is_none());
                // …and a part naming only a name asks what the part before asked, of it
                // ("what tariff did the US set and what did China set?").
                let only_names = Subject::of(engine, part).filter(|s| {
                    k > 0 && s.content.iter().all(|c| c.class == ContentClass::Specific)
                });
                let reply = match Subject::of(engine, &parts[k.saturating_sub(1)]) {
                    Some(before) if only_names.is_some() && !refers => {
                        let named = only_names.as_ref().expect("checked above");
                        before
                            .follow(
                                named,
                                &engine.index.people,
                                &engine.knowledge.lexicon.women,
                                &|w| quoted(engine, w),
                            )
                            .iter()
                            .map(|reading| answer_words(engine, reading, &[], &[]))
                            .min_by_key(fact_count)
                            .unwrap_or(Reply::NotCovered)
                    }
                    Some(before) if refers => {
                        // "he" or "they" stands for all the part before is about, or for one
                        // of its words ("they" in "… share of rare earths and what are they
                        // used for"). The reading answered most precisely (fewest facts) with
                        // something new is the one meant.
                        let all: Vec<String> =
                            before.content.iter().map(|c| c.word.clone()).collect();
                        let readings = std::iter::once(all)
                            .chain(before.content.iter().map(|c| vec![c.word.clone()]));
                        let new = |r: &Reply| match r {
                            Reply::Facts { facts: found, .. } => {
                                found.iter().any(|f| !facts.contains(f))
                            }
                            _ => false,
                        };
                        // Alone, "what did they talk about" may still ask about the talks;
                        // "why does she matter" is about nobody.
                        let person = part.iter().any(|w| PERSONS.contains(&w.as_str()));
                        let mut best = if person {
                            Reply::NotCovered
                        } else {
                            answer_words(engine, part, &[], &[])
                        };
                        for extra in readings {
                            let mut words = part.clone();
                            words.extend(extra);
                            let with = answer_words(engine, &words, &[], &[]);
                            if (new(&with), usize::MAX - fact_count(&with))
                                >= (new(&best), usize::MAX - fact_count(&best))
                            {
                                best = with;
                            }
                        }
                        best
                    }
                    _ => answer_words(engine, part, &[], &[]),
                };
                // (A part unanswered: the question as one, its parts joined again.)
                let Reply::Facts { facts: found, .. } = reply else {
                    return answer_words(engine, &parts.join(&["and".to_string()][..]), &[], &[]);
                };
                for f in found {
                    if !facts.contains(&f) {
                        facts.push(f);
                    }
                }
            }
            Reply::facts(facts)
        }
    }
}

/// "was it Greer who said so, or Bessent?", "did the OECD cut it to 2.9%, or the IMF?": a choice
/// whose first option the article states is answered by what it states of that option (which
/// shows the other is not it); the options joined by "or" inside a question are scored as
/// such already.
fn first_option(engine: &Engine, words: &[String]) -> Option<Reply> {
    // (Not a comparison: "who is bigger, the US or Japan?" is not answered by the US alone.)
    let compares = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "bigger"
                | "larger"
                | "smaller"
                | "stronger"
                | "weaker"
                | "richer"
                | "poorer"
                | "better"
                | "worse"
        )
    });
    if compares {
        return None;
    }
    let or = words.iter().rposition(|w| w == "or")?;
    let reply = (or >= 3).then(|| answer_words(engine, &words[..or], &[], &[]))?;
    reply.answered().then_some(reply)
}

/// Two subjects joined by "and" with no question word between ("may exports and the oecd
/// number pls"), each answered on its own, when the whole is not: both must be. A question
/// with a question word or a verb asking is one question ("what did the US and China agree
/// in London?", "did the US and China sign a deal?").
fn either_side_of_and(engine: &Engine, words: &[String]) -> Option<Reply> {
    if words
        .iter()
        .any(|w| WH_WORDS.contains(&w.as_str()) || score::AUXILIARIES.contains(&w.as_str()))
    {
        return None;
    }
    let at = words.iter().position(|w| w == "and")?;
    // Names joined ("Greer and Reeves meeting") name one subject.
    let named = |w: &[String]| {
        let tokens = engine.analyzer.tokens(&w.join(" "), true);
        tokens.iter().all(|t| t.strict || t.stop) && tokens.iter().any(|t| t.strict)
    };
    let (before, after) = (&words[at.saturating_sub(1)..at], &words[at + 1..]);
    let after = &after[..after.len().min(2)];
    if named(before) && (named(&after[..after.len().min(1)]) || named(after)) {
        return None;
    }
    let mut facts: Vec<String> = Vec::new();
    for side in [&words[..at], &words[at + 1..]] {
        let Reply::Facts { facts: found, .. } = answer_words(engine, side, &[], &[]) else {
            return None;
        };
        facts.extend(
            found
                .into_iter()
                .filter(|f| !facts.contains(f))
                .collect::<Vec<_>>(),
        );
    }
    Some(Reply::facts(facts))
}

/// A question ending in "and" and a second name alone ("US tariff rate and China's?", "what
/// did Greer say, and Beijing?") asks the same of both: each reading answered, both must be.
fn elliptic_and(engine: &Engine, words: &[String]) -> Option<Reply> {
    let at = words.iter().rposition(|w| w == "and")?;
    let strict = |w: &[String]| {
        let tokens = engine.analyzer.tokens(&w.join(" "), true);
        match tokens.as_slice() {
            [t] if t.strict => Some(t.word.to_string()),
            _ => None,
        }
    };
    let after: Vec<String> = words[at + 1..]
        .iter()
        .filter(|w| !matches!(w.as_str(), "s" | "too" | "please" | "pls" | "the"))
        .cloned()
        .collect();
    let second = strict(&after)?;
    // The first name, among the words before "and", which say more than it.
    let before = &words[..at];
    let first = before
        .iter()
        .position(|w| strict(std::slice::from_ref(w)).is_some())?;
    // ("a call between Trump and Xi" joins two names: one subject.)
    let joined = strict(&before[before.len() - 1..]).is_some();
    if before.len() < 2 || joined || strict(&before[first..=first])? == second {
        return None;
    }
    let mut other = before.to_vec();
    other[first] = after.join(" ");
    let mut facts: Vec<String> = Vec::new();
    for reading in [before.to_vec(), other] {
        let Reply::Facts { facts: found, .. } = answer_words(engine, &reading, &[], &[]) else {
            return None;
        };
        for f in found {
            if !facts.contains(&f) {
                facts.push(f);
            }
        }
    }
    Some(Reply::facts(facts))
}

/// Whether at most two facts use a word (in their own words or their sentences): a word that
/// alone says what is asked about.
fn rare(engine: &Engine, word: &str) -> bool {
    let tokens = engine.analyzer.tokens(word, false);
    tokens.iter().all(|t| {
        t.term()
            .and_then(|id| engine.index.posting(id))
            .is_some_and(|p| p.own.len() + p.source.len() <= 2)
    })
}

/// Whether a word asks if something said is so ("is China *actually* shipping them?").
fn checks_truth(word: &str) -> bool {
    matches!(
        word,
        "actually"
            | "really"
            | "true"
            | "truly"
            | "indeed"
            | "happening"
            | "happened"
            | "confirmed"
            | "confirm"
            | "right"
            | "correct"
            | "accurate"
            // "has anyone backed that up?" (not "back": "are exports back to…")
            | "backed"
            | "support"
            | "supported"
            // "did anyone push back on that?", "does anyone disagree?"
            | "push"
            | "disagree"
            | "disagrees"
            | "dispute"
            | "disputes"
            | "disputed"
            | "contradict"
            | "contradicts"
            | "contradicted"
    )
}

/// How many facts a reply states; `usize::MAX` for one that states none, so that comparing
/// readings of a question prefers any answer to none, and the most precise answer.
fn fact_count(reply: &Reply) -> usize {
    match reply {
        Reply::Facts { facts, .. } => facts.len(),
        _ => usize::MAX,
    }
}

/// Whether a word opens a question: a question word or a yes/no opener ("… and what did they
/// discuss", "… and is it over").
fn opens_question(word: &str) -> bool {
    WH_WORDS.contains(&word) || YES_NO_OPENERS.contains(&word)
}

/// The questions in one message, as analysable words: split at `?` and `;`, and at "and",
/// "also" or "plus" followed by a question word. Chat shorthand is written out first.
fn question_parts(engine: &Engine, question: &str) -> Vec<Vec<String>> {
    let mut parts: Vec<Vec<String>> = Vec::new();
    for piece in question.split_inclusive(['?', ';']) {
        // (A piece with its own question mark asks: "…falling apart? both accusing each other?")
        let asked = piece.ends_with('?');
        let words = message_words(engine, piece.trim_end_matches(['?', ';']));
        if !parts.is_empty() && !asked && is_remark(engine, &words) {
            continue;
        }
        let mut start = 0;
        for i in 1..words.len().saturating_sub(1) {
            let joins = matches!(words[i].as_str(), "and" | "also" | "plus");
            // (…with a preposition before the question word: "and to which outlet did he speak")
            let opens = |w: &String| opens_question(w);
            let asks = opens(&words[i + 1])
                || (matches!(
                    words[i + 1].as_str(),
                    "to" | "from" | "with" | "for" | "in" | "on"
                ) && words.get(i + 2).is_some_and(opens));
            if joins && i > start + 1 && asks {
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

/// Whether text has a word some current fact uses (not a function word).
fn has_known_word(engine: &Engine, words: &[String]) -> bool {
    engine
        .analyzer
        .tokens(&words.join(" "), true)
        .iter()
        .any(|t| !t.stop && engine.index.weight(t.term()).is_some())
}

/// Whether one word is a word the article has, as a noun after "this" may be ("this *trade*
/// tension"; in "was that *before*…" it is no noun).
fn known_noun(engine: &Engine, word: &str) -> bool {
    !TIMES.contains(&word) && has_known_word(engine, &[word.to_string()])
}

/// Whether words after a question are a remark rather than another question: "Thank you
/// kindly", "I believe it was somewhere in Switzerland". A question word, an opening that asks
/// ("is", "and"), or a few words the article uses ("and bessent?", "tariffs rn?") ask.
fn is_remark(engine: &Engine, words: &[String]) -> bool {
    let asks = words.iter().any(|w| WH_WORDS.contains(&w.as_str()))
        || words
            .first()
            .is_some_and(|w| opens_question(w) || w == "and");
    !asks && (words.len() > 3 || !has_known_word(engine, words))
}

/// A message's words as the answerer reads them: without its preamble, chat shorthand written
/// out, then reworded by [`rewrite::REWRITES`].
fn message_words(engine: &Engine, text: &str) -> Vec<String> {
    // An @handle names whom the message is for ("@newsbot tariffs?"), never what it asks.
    let text: String = text
        .split_whitespace()
        .filter(|w| !(w.starts_with('@') && w.len() > 1))
        .collect::<Vec<_>>()
        .join(" ");
    // ("export growth y/y?": year over year, not "why why".)
    let text = text
        .replace("y/y", "year over year")
        .replace("Y/Y", "year over year");
    let words = engine
        .analyzer
        .expand_shorthand(split_words(without_preamble(engine, &text)));
    rewrite::apply(engine, words)
}

/// A question without the clauses before it that ask nothing and name nothing specific: "Hi
/// there! I was reading about the trade talks, could you tell me who China sent" asks who China
/// sent, not about trade talks. A clause naming a country or a person ("In Geneva, what was
/// agreed") is kept, unless it is a whole sentence that asks nothing ("Hello, I'm from Germany
/// and don't follow US politics. Could you explain what role Greer has?").
fn without_preamble<'q>(engine: &Engine, piece: &'q str) -> &'q str {
    let words_of = |text: &str| engine.analyzer.expand_shorthand(split_words(text));
    // A clause the question points back to ("I read Xi agreed something. What did *he*
    // agree?", "Rare earth trade will start again, who said *that*?") is part of it.
    // ("this" before a noun, "how long has this trade tension…", points at the noun.)
    // (A pronoun after a name points to the name: "…, but I saw something about the OECD,
    // what did *they* say?")
    let refers_back = |text: &str| {
        let words = words_of(text);
        let pronoun =
            (0..words.len()).position(|i| pronoun_at(&words, i, |n| known_noun(engine, n)));
        pronoun.is_some_and(|p| {
            let before = engine.analyzer.tokens(&words[..p].join(" "), true);
            !before.iter().any(|t| t.strict)
        })
    };
    let kept =
        |i: usize, words: &[String]| refers_back(&piece[i..]) && has_known_word(engine, words);
    // A whole sentence asks when it opens as a question, has a request ("I would like to
    // know…"), or asks of something the article has ("I was wondering where the truce was
    // arranged."; "My memory is not what it was." does not).
    let requests = &engine.knowledge.lexicon.phrasing.requests;
    let sentence_asks = |words: &[String]| {
        words
            .first()
            .is_some_and(|w| opens_question(w) || listed(requests, w))
            || words.iter().any(|w| w == "know" || listed(requests, w))
            || (words.iter().any(|w| WH_WORDS.contains(&w.as_str()))
                && has_known_word(engine, words))
    };
    let mut start = 0;
    // Whole sentences first: a sentence that asks nothing goes, whatever its clauses name
    // ("Hello, I am from Brazil, my English is not so good. What is the 90-day thing?").
    for (i, c) in sentence_ends(piece, false) {
        let words = words_of(&piece[start..i]);
        if sentence_asks(&words) || kept(i, &words) {
            break;
        }
        start = i + c.len_utf8();
    }
    // Then the clauses of the sentence that asks: one goes when it has no question word and
    // names nothing specific.
    let from = start;
    let sentence_end = sentence_ends(&piece[from..], false)
        .next()
        .map(|(i, _)| from + i);
    let clauses = piece[from..]
        .char_indices()
        .map(|(i, c)| (from + i, c))
        .take_while(|&(i, _)| sentence_end.is_none_or(|end| i < end))
        // (A dash between spaces parts clauses too: "prepping a briefing - who did…".)
        .filter(|&(i, c)| match c {
            ',' | ':' | '—' | '–' => true,
            '-' => piece[..i].ends_with(' ') && piece[i + 1..].starts_with(' '),
            _ => false,
        });
    for (i, c) in clauses {
        let words = words_of(&piece[start..i]);
        // (A clause opening as a question asks: "is it just one side accusing the other, or
        // both?".)
        let wh = words.iter().any(|w| WH_WORDS.contains(&w.as_str()))
            || words.first().is_some_and(|w| opens_question(w));
        // (A strict word names something when the article has it or it is a place or a
        // person: "an *old* man's curiosity" names nothing, "in *Paris*" does.)
        let names = engine
            .analyzer
            .tokens(&words.join(" "), true)
            .iter()
            .any(|t| {
                // ("quick one before my meeting," names no time the question is about.)
                let time = matches!(t.word.as_ref(), "before" | "prior" | "previous" | "after");
                t.strict
                    && !time
                    && (engine.index.weight(t.term()).is_some()
                        || engine.analyzer.kind(&t.word).is_some()
                        || !is_english_word(&t.word))
            });
        if wh || names || kept(i, &words) {
            break;
        }
        start = i + c.len_utf8();
    }
    let mut rest = &piece[start..];
    // …nor the sentences after it that are remarks ("… where the truce was arranged. I believe
    // it was in Switzerland").
    let end = sentence_ends(rest, false).map(|(i, _)| i).find(|&i| {
        is_remark(
            engine,
            &engine.analyzer.expand_shorthand(split_words(&rest[i..])),
        )
    });
    if let Some(end) = end {
        rest = &rest[..end];
    }
    if rest.len() == piece.len() {
        return piece;
    }
    // Only when a question with a subject the article knows follows: in "geneva truce 30 and
    // 10, who's which?" the clause is the subject, and in "the truce period is 60 days,
    // correct?" the question.
    let subject = has_known_word(engine, &engine.analyzer.expand_shorthand(split_words(rest)));
    if subject { rest } else { piece }
}

/// Where the sentences of a text end, and with what: "!", a full stop that ends a sentence
/// and, with `questions`, "?".
fn sentence_ends(
    text: &str,
    questions: bool,
) -> impl DoubleEndedIterator<Item = (usize, char)> + '_ {
    text.char_indices().filter(move |&(i, c)| match c {
        '!' => true,
        '?' => questions,
        '.' => ends_sentence(text, i),
        _ => false,
    })
}

/// Whether the full stop at `i` ends a sentence: a space follows it, and it ends no
/// abbreviation ("U.S. officials") or number ("4.8%").
fn ends_sentence(text: &str, i: usize) -> bool {
    let word = text[..i].rsplit(char::is_whitespace).next().unwrap_or("");
    text[i + 1..].starts_with(char::is_whitespace)
        && word.chars().count() > 1
        && !word.contains('.')
}

/// Answers one question, as words.
fn answer_words(engine: &Engine, words: &[String], must: &[String], except: &[Source]) -> Reply {
    if words.is_empty() {
        return Reply::Empty;
    }
    let (q, mut scored) = score_all(engine, words, must);
    // "what else?": no fact quoting a sentence the answer before quoted.
    if !except.is_empty() {
        scored.retain(|s| {
            let sources = &engine.knowledge.facts[s.fact as usize].sources;
            sources.iter().all(|source| !except.contains(source))
        });
    }
    // A question in several parts is checked as a whole below; each part alone may be partial.
    // A reason is given only for exactly what is asked: "why was the truce brokered" is not
    // answered by what has put it at risk.
    let why = !q.multi_part && q.kinds.contains(&Some(Ask::Why));
    let required = q.required();
    // "why did China do that?" names nothing to explain: no fact about China is its reason.
    // Nor is any fact about Beijing what "what will Beijing do?" asks: the article reports no
    // one's plans. An accusation is something to explain ("why is China mad at the US?" is
    // answered by what Beijing argued).
    if (why || q.future) && required & !q.names == 0 && (!why || q.accuse == 0) {
        return Reply::NotCovered;
    }
    // "when" or "how long" of names alone ("how long has He Lifeng been vice premier", read as
    // him twice) asks of nothing the article dates.
    let asks_when = match words {
        [first, ..] if first == "when" => true,
        [how, long, ..] => how == "how" && long == "long",
        _ => false,
    };
    if asks_when && required != 0 && required & !q.names == 0 {
        return Reply::NotCovered;
    }
    // A number answers only for exactly what is measured: "how much of rare earth processing
    // does China control" is not answered by China's share of mining.
    if q.unknown_measure && !q.multi_part {
        return Reply::NotCovered;
    }
    let eligible = |s: &Scored| {
        s.own & q.must == q.must
            && s.claim_ok
            && (q.multi_part || s.all_strict)
            && (!why || s.own & required == required)
            // One of names joined by "and" answers for its part only with everything else
            // but when it was ("the US and China tariffs *after the truce*").
            && (q.either == 0 || {
                let rest = required & !q.strict & !q.timing;
                s.own & rest == rest
            })
            // (A fact naming one of names joined by "and" counts as naming them all here.)
            && q.covered(s.own | if s.own & q.either != 0 { q.either } else { 0 })
                >= MIN_OWN_COVERAGE * if q.multi_part { 0.5 } else { 1.0 }
    };
    let Some(best) = scored.iter().find(|s| eligible(s)) else {
        return Reply::NotCovered;
    };
    // Who someone is answers "who" questions and questions naming them ("what's Bessent's
    // job?"); "what came before the talks" is the call, not who the leaders on it are.
    let asks_who = q.who_is || q.kinds.contains(&Some(Ask::Who)) || q.names != 0;
    let best = match best.role && !asks_who {
        true => scored
            .iter()
            .find(|s| eligible(s) && !s.role)
            .unwrap_or(best),
        false => best,
    };
    // When the best fact alone leaves part of a single question unanswered, the best one that
    // answers all of it ("were these talks in Geneva?": the venue, not the Geneva truce).
    let best = match q.multi_part || q.answered_by(best.matched) {
        true => best,
        false => scored
            .iter()
            .find(|s| eligible(s) && q.answered_by(s.matched))
            .unwrap_or(best),
    };
    // "what was agreed in Geneva", "trump xi call?": what something is, with the facts that
    // complete it, right after it (the truce, then its terms). Not for a yes/no question or one
    // of another kind.
    let what = q.kinds.iter().all(Option::is_none) && !q.multi_part && !q.yes_no;
    // The fact a best one completes comes first when it answers as fully ("trump xi call?" is
    // the call, then what Trump said of it), unless the question asks what someone said.
    // So does a fact with details scoring near and matching as fully, being what the thing is
    // ("geneva truce?" is the truce before the accusations that followed it).
    let best = match what && !q.claim_intent {
        true => {
            let as_fully = |p: &&Scored| {
                p.matched & best.matched == best.matched
                    && p.own & best.own == best.own
                    && eligible(p)
            };
            let details = |p: &Scored| &engine.index.facts[p.fact as usize].details;
            scored
                .iter()
                .find(|p| details(p).contains(&best.fact) && as_fully(p))
                .or_else(|| {
                    let near = |p: &&Scored| p.score >= best.score * ALSO_RATIO;
                    (details(best).is_empty())
                        .then(|| {
                            scored
                                .iter()
                                .find(|p| !details(p).is_empty() && near(p) && as_fully(p))
                        })
                        .flatten()
                })
                .unwrap_or(best)
        }
        false => best,
    };
    // A role pads only an answer to "who is" or another role ("did Trump and Xi talk" is the
    // call, not who they are, which the call already says).
    let role_pads = |s: &Scored| q.who_is || !s.role || best.role;
    let mut chosen: Vec<&Scored> = Vec::with_capacity(MAX_FACTS);
    chosen.push(best);
    // A number a yes/no question checks that the best fact does not state: the fact stating it
    // joins ("did the US drop the tariffs to 30%?": China's rate, and the US's 30%; "so the US
    // went to 10% and China to 30%?": both).
    if q.yes_no {
        let stated = |s: &Scored| numbers(&engine.knowledge.facts[s.fact as usize].answer);
        let mut asked = numbers(&words.join(" "));
        asked.retain(|n| !stated(best).contains(n));
        let stating = scored.iter().find(|s| {
            s.fact != best.fact
                && stated(s).iter().any(|n| asked.contains(n))
                && eligible(s)
                && s.score >= best.score * GAP_RATIO
        });
        if let Some(s) = stating {
            chosen.push(s);
        }
        // …and a number only a figure settles: "was China at 125% before Geneva?" is not
        // settled by a fact stating none. ("3 months ago", "6 months" are times, which "last
        // month", "for over a year" settle.)
        let figure =
            |s: &&Scored| !numbers(&engine.knowledge.facts[s.fact as usize].answer).is_empty();
        let time = words.windows(2).any(|w| {
            w[0].starts_with(|c: char| c.is_ascii_digit())
                && matches!(
                    w[1].as_str(),
                    "day" | "days" | "week" | "weeks" | "month" | "months" | "year" | "years"
                )
        });
        if !asked.is_empty() && !time && !chosen.iter().any(figure) {
            return Reply::NotCovered;
        }
    }
    // Names joined by "and": the best fact for each ("the US and China tariffs": each side's).
    for j in (0..q.terms.len()).filter(|j| q.either & (1 << j) != 0) {
        if let Some(s) = scored.iter().find(|s| {
            s.own & (1 << j) != 0
                && eligible(s)
                && role_pads(s)
                && !chosen.iter().any(|c| c.fact == s.fact)
        }) {
            chosen.push(s);
        }
    }
    // "who accuses whom": the best claim of each other speaker, saying what the question asks.
    if q.reciprocal {
        let claims = if q.accuse != 0 { q.accuse } else { !required };
        for s in &scored {
            let speaker = |s: &Scored| &engine.index.facts[s.fact as usize].speaker;
            if chosen.len() < MAX_FACTS
                && s.claim
                && s.own & claims != 0
                && eligible(s)
                && !chosen.iter().any(|c| speaker(c) == speaker(s))
            {
                chosen.push(s);
            }
        }
    }
    let taken: Vec<u32> = chosen.iter().map(|c| c.fact).collect();
    let room = MAX_FACTS.saturating_sub(chosen.len());
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
                !taken.contains(&s.fact)
                    && (s.score >= best.score * ALSO_RATIO || as_full)
                    && eligible(s)
                    // Concise: a claim does not pad a plain answer, nor a side fact a role.
                    && (s.claim == best.claim || q.claim_intent)
                    && (!q.who_is || (s.role && best.role))
                    && role_pads(s)
                    // …nor, to what the sides accuse each other of, anything but accusations.
                    && (!q.reciprocal || q.accuse == 0 || s.own & q.accuse != 0)
            })
            .take(room),
    );
    let mut matched = chosen.iter().fold(0u64, |m, s| m | s.matched);
    let mut own = chosen.iter().fold(0u64, |m, s| m | s.own);
    // A content word the chosen facts state only through their quoted sentence ("what happened
    // after the truce…") is answered by the fact that states it, when there is one.
    while chosen.len() < MAX_FACTS && !q.multi_part {
        let missing = required & matched & !own;
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
            let answers = |s: &Scored| accepts(engine.index.facts[s.fact as usize].asks, want);
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
    let mut facts: Vec<u32> = chosen.iter().map(|s| s.fact).collect();
    // (Only when all of them fit beside the facts already chosen.)
    let details = &engine.index.facts[best.fact as usize].details;
    let others = facts.iter().filter(|f| !details.contains(f)).count();
    if what && others + details.len() <= MAX_FACTS {
        facts.retain(|f| !details.contains(f));
        facts.splice(1..1, details.iter().copied());
    }
    Reply::Facts {
        heading: None,
        facts: facts
            .into_iter()
            .map(|f| engine.knowledge.facts[f as usize].id.clone())
            .collect(),
    }
}

/// Answers one message in a conversation: as [`respond`], but a follow-up ("and china?",
/// "why?") is read with `context`, the conversation's last subject, and without one the bot
/// asks what the user means. Also returns the subject to remember, when the message was
/// answered from the article.
pub fn respond_in(
    engine: &Engine,
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
        return (respond(engine, input, bot_username), None);
    };
    answer_in(engine, question, context, true)
}

/// The subject to remember after `reply` to `words` (not worked out when nobody keeps it:
/// `ask`).
fn subject_of(engine: &Engine, remember: bool, reply: &Reply, words: &[String]) -> Option<Subject> {
    let mut subject = (remember && reply.answered())
        .then(|| Subject::of(engine, &with_who_answered(engine, reply, words)))
        .flatten()?;
    subject.said = match reply {
        Reply::Facts { facts, .. } => facts
            .first()
            .and_then(|id| engine.knowledge.fact(id))
            .filter(|f| f.kind.is_claim())
            .map(|f| f.id.clone()),
        _ => None,
    };
    if let Reply::Facts { facts, .. } = reply {
        subject.answered = facts.clone();
    }
    Some(subject)
}

/// A follow-up ("and china?", "why?", "who said that?") read with the conversation's last
/// subject, `context`; without one, answered only when it says enough on its own.
fn answer_follow_up(
    engine: &Engine,
    words: &[String],
    follow_up: &Subject,
    only_refers: bool,
    context: Option<&Subject>,
    remember: bool,
    except: &[Source],
) -> (Reply, Option<Subject>) {
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
        let points_back = follow_up::points_back(engine, words);
        let says = follow_up
            .content
            .iter()
            .any(|c| c.class != ContentClass::Claim || !points_back);
        if says {
            // "what about Huawei?" is answered, since few facts name Huawei; "and China?"
            // asks of something before.
            let enough = follow_up.content.len() >= 2
                || !follow_up.asks.is_empty()
                || follow_up.content.iter().all(|c| rare(engine, &c.word));
            let reply = answer_words(engine, &alone, &[], &[]);
            if reply.answered() && enough {
                let next = subject_of(engine, remember, &reply, &alone);
                return (reply, next);
            }
        }
        // "where is it?", "where's this happening?" with nothing before: "it" is what the
        // article is about, the talks. (A bare "where?" still asks what the user means.)
        let the_event = words
            .iter()
            .any(|w| matches!(w.as_str(), "it" | "this" | "that"));
        let where_only = matches!(follow_up.asks.as_slice(), [w] if w == "where");
        if follow_up.content.is_empty() && where_only && the_event && !follow_up.says_he() {
            let about_talks = [follow_up.asks[0].clone(), "talks".to_string()];
            let reply = answer_words(engine, &about_talks, &[], &[]);
            if reply.answered() {
                let next = subject_of(engine, remember, &reply, &about_talks);
                return (reply, next);
            }
        }
        return (Reply::WhatDoYouMean, None);
    };
    // The reading the article answers most precisely (fewest facts) is the one meant. A
    // follow-up that points back ("what's his job?") is about the subject or declined; one
    // opening with "and" may also be a whole question ("and china's tariffs?").
    // (A kind of answer, "which *country*?", is what the answer names, not a word it says;
    // nor is each of a choice, "up or down?", which the answer states one of.)
    let choice = |word: &str| {
        follow_up
            .sequence
            .windows(3)
            .any(|w| w[1].word == "or" && (w[0].word == word || w[2].word == word))
    };
    let own: Vec<String> = follow_up
        .content
        .iter()
        .filter(|c| score::kind_word(&c.word).is_none() && !choice(&c.word))
        .map(|c| c.word.clone())
        .collect();
    let most_precise_except = |readings: Vec<Vec<String>>, except: &[Source]| {
        let mut best: Option<(Reply, Vec<String>)> = None;
        for words in readings {
            let reply = answer_words(engine, &words, &own, except);
            if best
                .as_ref()
                .is_none_or(|(b, _)| fact_count(&reply) < fact_count(b))
            {
                best = Some((reply, words));
            }
        }
        best
    };
    let most_precise = |readings: Vec<Vec<String>>| most_precise_except(readings, except);
    // "who said that?" after an answer with what someone claimed: the claim names them.
    // ("who says so?": "so" points back too.)
    let who_said = words
        .iter()
        .any(|w| PRONOUNS.contains(&w.as_str()) || w == "so")
        && follow_up.asks == ["who"]
        && !follow_up.content.is_empty()
        && follow_up
            .content
            .iter()
            .all(|c| c.class == ContentClass::Claim);
    // …and "to who?", "who did he tell?": whom the claim was made to, which it names.
    let to_whom = has_any(words, &["who", "whom"])
        && has_any(words, &["to", "tell", "told"])
        && all_in(words, TO_WHOM);
    // …and "source?", "according to whom?", "says who?", "where's that from?": whose claim
    // it is.
    let source = (has_any(words, &["source", "sources", "according", "says"])
        && all_in(words, SOURCE))
        || (has_any(words, &["where"]) && has_any(words, &["from"]) && all_in(words, FROM_WHERE));
    if let Some(claim) = subject
        .said
        .as_ref()
        .filter(|_| who_said || to_whom || source)
    {
        let reply = Reply::facts(vec![claim.clone()]);
        return (reply, Some(subject.clone()));
    }
    // (After a plain fact, its answer says where it comes from: "New data from Beijing…";
    // "who did he say it to?" asks something else of a person.)
    let of_the_answer = !has_any(words, &["he", "she", "they", "him", "her", "them", "to"]);
    if (source || (who_said && of_the_answer))
        && subject.said.is_none()
        && !subject.answered.is_empty()
    {
        return (
            Reply::facts(subject.answered.clone()),
            Some(subject.clone()),
        );
    }
    // "and the other side?" after a claim: what the side it names says ("Greer claimed China
    // failed…": what China says).
    let other_side = words.windows(2).any(|w| {
        w[0] == "other" && matches!(w[1].as_str(), "side" | "sides" | "party" | "camp" | "one")
    });
    // (The claim the answer before was, and its speaker as the analyser reads them.)
    let claim = subject
        .said
        .as_ref()
        .and_then(|id| engine.knowledge.fact(id));
    let speaker = claim
        .and_then(|claim| claim.kind.speaker())
        .map(|speaker| engine.analyzer.tokens(speaker, true));
    if let Some(claim) = claim.filter(|_| other_side) {
        let speaker = speaker.as_deref().unwrap_or_default();
        let named = engine
            .analyzer
            .tokens(&claim.answer, true)
            .into_iter()
            .find(|t| t.strict && !speaker.iter().any(|s| s.stem == t.stem));
        if let Some(side) = named {
            let reading: Vec<String> = ["what", "did", side.word.as_ref(), "say"]
                .map(str::to_string)
                .to_vec();
            let reply = answer_words(engine, &reading, &[], &[]);
            if reply.answered() {
                let next = subject_of(engine, remember, &reply, &reading);
                return (reply, next);
            }
        }
        // (The article quotes no other side: not the same claim again.)
        return (Reply::NotCovered, None);
    }
    // "and what did Xi say?" after what Trump said of the call: what Xi said of it, which a
    // claim Trump made does not answer.
    let asks_claim = follow_up
        .content
        .iter()
        .any(|c| c.class == ContentClass::Claim);
    let other_speaker = speaker.filter(|_| asks_claim).is_some_and(|speaker| {
        follow_up
            .content
            .iter()
            .any(|c| c.class == ContentClass::Specific && !speaker.iter().any(|s| s.word == c.word))
    });
    if other_speaker && !follow_up.says_he() {
        let mut reading = alone.clone();
        reading.extend(
            subject
                .content
                .iter()
                .filter(|c| c.class == ContentClass::Other)
                .map(|c| c.word.clone()),
        );
        let reply = answer_words(engine, &reading, &[], &[]);
        let next = subject_of(engine, remember, &reply, &reading);
        return (reply, next);
    }
    // "from what?", "compared to what?" after a figure: the figure it changed from, which the
    // answer before gives only if it says "from" a number.
    let rest: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .skip_while(|w| *w == "and")
        .collect();
    let from_what = matches!(
        rest.as_slice(),
        ["from", "what"]
            | ["from", "how", "much"]
            | ["compared", "to" | "with", "what"]
            | ["up" | "down", "from", "what"]
    );
    if from_what {
        let says_from = subject.answered.iter().any(|id| {
            engine.knowledge.fact(id).is_some_and(|f| {
                says_before(&f.answer, "from", |w| {
                    w.starts_with(|c: char| c.is_ascii_digit())
                })
            })
        });
        return match says_from {
            true => (
                Reply::facts(subject.answered.clone()),
                Some(subject.clone()),
            ),
            false => (Reply::NotCovered, None),
        };
    }
    // "why there?", "why then though?" after where or when something is: why that place or
    // time, which the article never says.
    let why_that = follow_up.asks == ["why"]
        && follow_up.content.is_empty()
        && words.iter().any(|w| matches!(w.as_str(), "there" | "then"));
    if why_that {
        return (Reply::NotCovered, None);
    }
    // "is that true?" (and "really?"): the answer before is what the article states. A claim
    // it does not settle; another speaker's word on it may (below).
    let asks_true = words.iter().any(|w| w == "true")
        && follow_up
            .content
            .iter()
            .all(|c| c.word == "true" || c.class == ContentClass::Function);
    if asks_true && subject.said.is_none() && !subject.answered.is_empty() {
        let reply = Reply::facts(subject.answered.clone());
        return (reply, Some(subject.clone()));
    }
    // "is that a lot?", "is that bad?" after a figure: what it means, which the answer says
    // ("a much steeper decline than expected") or a fact of its sentence saying why it matters
    // (China's 69%: any shift will ripple across global markets).
    const SIZE: &[&str] = &[
        "lot",
        "much",
        "big",
        "huge",
        "large",
        "significant",
        "bad",
        "high",
    ];
    let asks_size = has_any(words, SIZE)
        && all_in(
            words,
            &[
                SIZE,
                &["is", "s", "that", "this", "it", "a", "so", "really"],
            ]
            .concat(),
        );
    let figures: Vec<&Fact> = (subject.answered.iter())
        .filter(|_| asks_size)
        .filter_map(|id| engine.knowledge.fact(id))
        .collect();
    let figure: Vec<String> = figures.iter().flat_map(|f| numbers(&f.answer)).collect();
    if !figure.is_empty() {
        let sentences = sources_of(engine, &subject.answered);
        // (A fact saying why about the same figure: not the 90 days beside the 30% tariff.)
        let why = (engine.knowledge.facts.iter()).filter(|f| {
            f.asks.contains(&Ask::Why)
                && !subject.answered.contains(&f.id)
                && numbers(&f.answer).iter().any(|n| figure.contains(n))
                && f.sources.iter().any(|s| sentences.contains(s))
        });
        let mut facts = subject.answered.clone();
        facts.extend(why.map(|f| f.id.clone()));
        let judged = figures.iter().any(|f| f.answer.contains(" than "));
        if judged || facts.len() > subject.answered.len() {
            return (Reply::facts(facts), Some(subject.clone()));
        }
    }
    // (…as "the other side?" does after what is no claim: "what are the US tariffs?", "the
    // other side?")
    if follow_up.content.iter().any(|c| c.word == REVERSE) || other_side {
        let reply = subject.reversed().map_or(Reply::NotCovered, |words| {
            answer_words(engine, &words, &[], &[])
        });
        let next = subject.reversed().filter(|_| reply.answered());
        return (reply, next.and_then(|words| Subject::of(engine, &words)));
    }
    // A follow-up asking yes or no ("is that in Paris?") still does, with the subject's
    // question word: "is where are the talks held in Paris".
    let opener = words
        .first()
        .filter(|w| YES_NO_OPENERS.contains(&w.as_str()));
    let readings = subject.follow(
        follow_up,
        &engine.index.people,
        &engine.knowledge.lexicon.women,
        &|w| quoted(engine, w),
    );
    let readings: Vec<Vec<String>> = readings
        .into_iter()
        .map(|r| match opener {
            Some(o) if r.first() != Some(o) => std::iter::once(o.clone()).chain(r).collect(),
            _ => r,
        })
        .collect();
    let mut best = most_precise(readings.clone());
    // "for how long?" after the tariffs: a detail of the same event, which the answer's own
    // sentence gives (the 90 days to negotiate, beside the rates), before anything else.
    let answered_sources = sources_of(engine, &subject.answered);
    let asks_only = !follow_up.asks.is_empty()
        && !follow_up.says_he()
        && follow_up
            .content
            .iter()
            .all(|c| c.class != ContentClass::Specific);
    if asks_only && !answered_sources.is_empty() {
        let mut elsewhere: Vec<Source> = engine
            .knowledge
            .facts
            .iter()
            .flat_map(|f| {
                f.sources
                    .iter()
                    .filter(|s| !answered_sources.contains(s))
                    .cloned()
            })
            .collect();
        elsewhere.extend(except.iter().cloned());
        let same = most_precise_except(readings, &elsewhere);
        let new = same.as_ref().is_some_and(|(r, _)| match r {
            Reply::Facts { facts, .. } => facts.iter().any(|f| !subject.answered.contains(f)),
            _ => false,
        });
        if new {
            best = same;
        }
    }
    // "where was it agreed?" after "how long is the truce period?": when no reading with all
    // the subject is answered, "it" may be one thing of it (where the truce was agreed).
    let it = words
        .iter()
        .any(|w| matches!(w.as_str(), "it" | "that" | "this"));
    // ("what was it before?" asks of all of it, at another time.)
    let asks_of_it = follow_up
        .content
        .iter()
        .any(|c| c.class == ContentClass::Other && !TIMES.contains(&c.word.as_str()))
        && !follow_up
            .content
            .iter()
            .any(|c| TIMES.contains(&c.word.as_str()));
    if it
        && asks_of_it
        && unanswered(&best)
        && subject.content.len() > 1
        && !follow_up.asks.is_empty()
    {
        let each = subject.content.iter().map(|c| {
            let mut reading = follow_up.asks.clone();
            reading.extend(follow_up.content.iter().map(|f| f.word.clone()));
            reading.push(c.word.clone());
            reading
        });
        best = most_precise(each.collect());
    }
    let answered = best.as_ref().is_some_and(|(r, _)| r.answered());
    // The follow-up as a question of its own: only when it says something beyond what
    // someone said ("what did she say?" is not asking what anybody said) and enough to
    // ask by itself ("and china's tariffs?", not "and for the US?"), and about nobody just
    // named ("and what did he accuse China of?" is about him).
    // ("who's accusing who?" asks what the sides say of each other, a question of its own.)
    let (each_other, both_sides) = score::reciprocal(words);
    let stands_alone = (follow_up
        .content
        .iter()
        .any(|c| c.class != ContentClass::Claim)
        || each_other
        || both_sides)
        && (follow_up.content.len() >= 2 || !follow_up.asks.is_empty())
        && !follow_up.says_he()
        // ("and what was *it* before?" is about what came before; "who said it wasn't
        // enough?" may be about what it says someone said.)
        && (asks_claim
            || !words
                .iter()
                .any(|w| matches!(w.as_str(), "it" | "its" | "this" | "that" | "them")));
    // "who said it wasn't enough?" after "what did Trump say about the call?": when no
    // reading with the subject is answered, "it" may be what the follow-up itself says
    // someone said.
    let asks_who_said = follow_up
        .content
        .iter()
        .any(|c| c.class == ContentClass::Claim);
    if only_refers && !answered && asks_who_said && stands_alone {
        best = most_precise(vec![alone.clone()]);
    }
    // "how long have *these tensions* been hitting markets?": a pronoun only as a determiner
    // before a word the article has names its thing; when no reading with the subject is
    // answered, it is a question of its own.
    let determiners_only =
        (0..words.len()).all(|i| !pronoun_at(words, i, |n| known_noun(engine, n)));
    if only_refers
        && !answered
        && determiners_only
        && follow_up.content.len() >= 2
        && !follow_up.asks.is_empty()
    {
        best = most_precise(vec![alone.clone()]);
    }
    // (On a tie a follow-up with a question word of its own wins as asked: "and who did they
    // meet from the Chinese side?"; "and Greer on China?" asks what the question before did.)
    if !only_refers && stands_alone {
        let mut readings = vec![alone.clone()];
        if let Some((_, words)) = best.take().filter(|_| answered) {
            match follow_up.asks.is_empty() {
                true => readings.insert(0, words),
                false => readings.push(words),
            }
        }
        best = most_precise(readings);
    }
    // "what about Huawei?" after a question about Greer: when nothing said of the subject
    // names it and few facts do, it asks what the article says of Huawei (as it does with
    // no context).
    let rare_alone = !follow_up.content.is_empty()
        && follow_up.asks.is_empty()
        && !follow_up.says_he()
        && follow_up.content.iter().all(|c| rare(engine, &c.word));
    if rare_alone && unanswered(&best) {
        best = most_precise(vec![alone]);
    }
    // "was it last year?": settled by the answer before, unless a reading answers with part of
    // it (a reading adding other facts to it only pads it).
    // ("will it rise after 90 days?" asks what comes next, which no answer before settles.)
    let checks = opener.is_some()
        && except.is_empty()
        && !score::asks_future(words)
        && checks_answer(engine, subject, follow_up, words);
    let says_more = best.as_ref().is_some_and(|(r, _)| match r {
        Reply::Facts { facts, .. } => facts.iter().all(|f| subject.answered.contains(f)),
        _ => false,
    });
    if checks && !says_more {
        let reply = Reply::facts(subject.answered.clone());
        return (reply, Some(subject.clone()));
    }
    // "where?" or "who?" after a question about the talks themselves ("what are they
    // about?"): where the talks are, who attended them.
    let about_talks = subject.content.iter().any(|c| {
        matches!(
            c.word.as_str(),
            "talks" | "agenda" | "purpose" | "attend" | "delegation"
        )
    });
    let bare_where_who = follow_up.content.is_empty()
        && matches!(follow_up.asks.as_slice(), [w] if w == "where" || w == "who");
    if about_talks && bare_where_who && unanswered(&best) {
        let reading = vec![follow_up.asks[0].clone(), "talks".to_string()];
        best = most_precise(vec![reading]);
    }
    // A bare "why?" after an answer that gives its own reason ("…revised its forecast
    // downward, citing rising trade barriers"): that answer again, when no reading of the
    // subject says more. (A claim gives no reason for itself: "what did Greer say?" "why?")
    // …and a bare "how?" after one that says by what means ("Beijing argued the US violated
    // the agreement by halting sales…"), claim or not.
    let bare = |ask: &str| follow_up.asks == [ask] && follow_up.content.is_empty();
    let again = subject
        .answered
        .first()
        .and_then(|id| engine.knowledge.fact(id))
        .filter(|f| {
            (bare("why") && f.asks.contains(&Ask::Why) && !f.kind.is_claim())
                || (bare("how") && says_before(&f.answer, "by", |w| w.ends_with("ing")))
        });
    if let Some(fact) = again.filter(|_| unanswered(&best)) {
        let reply = Reply::facts(vec![fact.id.clone()]);
        return (reply, Some(subject.clone()));
    }
    // The claim itself does not settle whether it is true ("what did Greer say China failed
    // to do?" "is that true?").
    let only_the_claim = best.as_ref().is_some_and(|(r, _)| match r {
        Reply::Facts { facts, .. } => subject
            .said
            .as_ref()
            .is_some_and(|c| facts == std::slice::from_ref(c)),
        _ => false,
    });
    if only_the_claim && words.iter().any(|w| checks_truth(w)) {
        best = None;
    }
    // "did anyone push back on that?", "is that true?" after a claim no reading answers: the
    // claim with another speaker's word on the same matter, the article's check of it, if it
    // gives one.
    if let Some(claim) = subject.said.as_ref().filter(|_| unanswered(&best)) {
        let said: Vec<String> = subject.content.iter().map(|c| c.word.clone()).collect();
        let claim = Reply::facts(vec![claim.clone()]);
        let checked = with_another_speaker(engine, &said, words, claim);
        if fact_count(&checked) > 1 {
            return (checked, Some(subject.clone()));
        }
    }
    let Some((reply, reading)) = best else {
        return (Reply::NotCovered, None);
    };
    let reply = with_another_speaker(engine, &reading, words, reply);
    let next = subject_of(engine, remember, &reply, &reading);
    (reply, next)
}

/// The sentences the facts with these ids quote.
fn sources_of(engine: &Engine, ids: &[String]) -> Vec<Source> {
    ids.iter()
        .filter_map(|id| engine.knowledge.fact(id))
        .flat_map(|f| f.sources.iter().cloned())
        .collect()
}

/// Whether no reading of a follow-up was answered.
fn unanswered(best: &Option<(Reply, Vec<String>)>) -> bool {
    best.as_ref().is_none_or(|(r, _)| !r.answered())
}

/// A free-text question in a conversation: see [`respond_in`].
fn answer_in(
    engine: &Engine,
    question: &str,
    context: Option<&Subject>,
    remember: bool,
) -> (Reply, Option<Subject>) {
    // "what else?", "who else did he meet?": what the answer before did not quote, if the
    // article says anything more; "what else did they complain about?" may be answered by the
    // same sentence again, having asked more than "else".
    let words = match context {
        Some(_) => message_words(engine, question),
        None => Vec::new(),
    };
    if let Some(subject) = context.filter(|_| words.iter().any(|w| w == "else")) {
        let quoted = sources_of(engine, &subject.answered);
        let (reply, next) = answer_in_except(engine, question, context, remember, &quoted);
        let bare = (engine.analyzer.tokens(&words.join(" "), true))
            .iter()
            .all(|t| t.stop);
        if reply.answered() {
            return (reply, next);
        }
        if bare {
            return (Reply::NothingMore, context.cloned());
        }
        // "who else did he meet in London?" after "who is He Lifeng": "he" is the one person
        // the question before named, and the question his.
        let people: Vec<&str> = subject
            .content
            .iter()
            .map(|c| c.word.as_str())
            .filter(|w| engine.index.people.iter().any(|p| p == w))
            .collect();
        if let [person] = people.as_slice()
            && words.iter().any(|w| PERSONS.contains(&w.as_str()))
        {
            let named: Vec<String> = words
                .iter()
                .map(|w| match PERSONS.contains(&w.as_str()) {
                    true => person.to_string(),
                    false => w.clone(),
                })
                .collect();
            let reply = someone_else(engine, &named, answer_words(engine, &named, &[], &[]));
            if reply.answered() {
                let next = subject_of(engine, remember, &reply, &named);
                return (reply, next);
            }
        }
    }
    answer_in_except(engine, question, context, remember, &[])
}

/// [`answer_in`], leaving out facts quoting a sentence in `except`.
fn answer_in_except(
    engine: &Engine,
    question: &str,
    context: Option<&Subject>,
    remember: bool,
    except: &[Source],
) -> (Reply, Option<Subject>) {
    let words = message_words(engine, question);
    // "source?" right after what someone said asks whose word it is, which the claim says.
    let said = context.and_then(|c| c.said.as_ref());
    let command = asks_for_command(&words);
    if let (Some("/source"), Some(claim)) = (command, said) {
        return (Reply::facts(vec![claim.clone()]), context.cloned());
    }
    if let Some(command) = command {
        return (respond(engine, command, None), None);
    }
    if let Some(summary) = asks_for_summary(engine, &words) {
        return (respond(engine, &summary, None), None);
    }
    if asks_about_me(&words) {
        return (Reply::NotCovered, None);
    }
    if let Some(claim) = who_said_the_words(engine, &words) {
        let reply = Reply::facts(vec![claim]);
        let next = subject_of(engine, remember, &reply, &words);
        return (reply, next);
    }
    let follow_up = as_follow_up(engine, &words).filter(|(_, only_refers)| {
        // Without context, "why are they meeting?" is a question of its own.
        context.is_some() || !only_refers
    });
    if let Some((follow_up, only_refers)) = follow_up {
        return answer_follow_up(
            engine,
            &words,
            &follow_up,
            only_refers,
            context,
            remember,
            except,
        );
    }
    // A fragment naming nothing ("which country?", "up or down?") right after a question asks
    // it of that question's subject, when that is answered.
    // ("up or down?": the question before, with its answer to choose.)
    if let (Some(subject), [_, or, _]) = (context, words.as_slice())
        && or == "or"
    {
        let reading: Vec<String> = subject.sequence.iter().map(|c| c.word.clone()).collect();
        let reply = answer_words(engine, &[reading, words.clone()].concat(), &[], except);
        if reply.answered() {
            return (reply, context.cloned());
        }
    }
    // "january, right?", "not in paris then?", "fox right?": a detail to confirm, which the
    // answer before settles.
    if let Some(subject) = context.filter(|s| checks_detail(engine, s, &words)) {
        return (Reply::facts(subject.answered.clone()), context.cloned());
    }
    if let Some(fragment) = context.and_then(|_| fragment(engine, &words)) {
        let (reply, next) =
            answer_follow_up(engine, &words, &fragment, true, context, remember, except);
        if reply.answered() {
            return (reply, next);
        }
    }
    // "what did Trump make of it?" right after the call: a question naming only what the
    // question before named, with "it" or "that" for the rest of it, asks of that.
    if let Some(subject) = context
        && follow_up::points_back(engine, &words)
        && let Some(own) = Subject::of(engine, &words)
    {
        let before: Vec<&str> = subject.content.iter().map(|c| c.word.as_str()).collect();
        let named_before = own
            .content
            .iter()
            .filter(|c| c.class == ContentClass::Specific)
            .all(|c| before.contains(&c.word.as_str()));
        let rest = subject
            .content
            .iter()
            .filter(|c| !own.content.iter().any(|o| o.word == c.word))
            .map(|c| c.word.clone());
        let reading: Vec<String> = words.iter().cloned().chain(rest).collect();
        let reply = match named_before {
            true => answer_words(engine, &reading, &[], except),
            false => Reply::NotCovered,
        };
        if reply.answered() {
            let next = subject_of(engine, remember, &reply, &reading);
            return (reply, next);
        }
    }
    let reply = someone_else(engine, &words, answer_question(engine, question));
    let reply = someone_new(engine, &words, reply);
    let reply = with_another_speaker(engine, &words, &words, reply);
    let reply = match reply {
        Reply::NotCovered => wrong_speaker(engine, &words).unwrap_or(Reply::NotCovered),
        reply => reply,
    };
    // "My grandson says America and China are fighting again. Where are they meeting?": the
    // sentences before the last question are what it follows up, as a message before it is.
    if !reply.answered()
        && context.is_none()
        && let Some((before, last)) = last_question(question)
        && let Some(subject) = Subject::of(engine, &message_words(engine, before))
    {
        let (alone, next) = answer_in_except(engine, last, Some(&subject), remember, except);
        if alone.answered() {
            return (alone, next);
        }
    }
    let next = subject_of(engine, remember, &reply, &words);
    (reply, next)
}

/// A message's last sentence, when it asks and sentences come before it: (those sentences,
/// the question).
fn last_question(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_end();
    let body = text.trim_end_matches(['?', '!', '.', ' ']);
    let end = sentence_ends(body, true)
        .map(|(i, c)| i + c.len_utf8())
        .next_back()?;
    let (before, last) = text.split_at(end);
    let asks = last.trim_end().ends_with('?')
        || split_words(last).first().is_some_and(|w| opens_question(w));
    // (Not a last word alone: in "which companies, cadence? synopsys?" it is an option.)
    (asks && !split_words(before).is_empty() && split_words(last).len() >= 2)
        .then_some((before, last.trim()))
}

/// Whether a short message checks a detail of the answer before ("january, right?", "fox
/// right?", "so more than half?"): a tag, "not" or a comparison with a number, and nothing but
/// details (a number, a kind of detail the lexicon knows, a word of the answer).
fn checks_detail(engine: &Engine, subject: &Subject, words: &[String]) -> bool {
    // ("so more than half?", "over 60%?": a number compared with the answer's.)
    let compared = |w: &String| {
        matches!(
            w.as_str(),
            "more" | "less" | "fewer" | "over" | "under" | "above" | "below" | "than"
        )
    };
    let fraction = |w: &String| matches!(w.as_str(), "half" | "third" | "quarter");
    let compares = words.iter().any(compared)
        && words
            .iter()
            .any(|w| fraction(w) || w.starts_with(|c: char| c.is_ascii_digit()));
    let words: Vec<String> = words
        .iter()
        .filter(|w| !compared(w) && !fraction(w))
        .cloned()
        .collect();
    let words = &words[..];
    let tagged = compares
        || words
            .iter()
            .any(|w| listed(&engine.knowledge.lexicon.phrasing.tags, w) || w == "not");
    if subject.answered.is_empty() || words.len() > 5 || !tagged {
        return false;
    }
    let answer = words_of_answer(engine, subject);
    // (A comparison only with an answer stating a number.)
    let number = answer
        .iter()
        .any(|w| w.starts_with(|c: char| c.is_ascii_digit()));
    let tokens = engine.analyzer.tokens(&words.join(" "), true);
    let mut details = tokens.iter().filter(|t| !t.stop).peekable();
    (compares && number || details.peek().is_some())
        && details.all(|t| is_detail(engine, &answer, &t.word))
}

/// Whether `text` has `word` right before a word `next` accepts ("by *halting*", "from *20%*").
fn says_before(text: &str, word: &str, next: impl Fn(&str) -> bool) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).any(|w| w[0] == word && next(w[1]))
}

/// A message of at most three words naming nobody and nothing specific ("which country?",
/// "up or down?"), as a follow-up's subject.
fn fragment(engine: &Engine, words: &[String]) -> Option<Subject> {
    let mut subject = Subject::of(engine, words).filter(|_| words.len() <= 3)?;
    let specific = subject
        .content
        .iter()
        .any(|c| c.class == ContentClass::Specific);
    // "which country?" names only the kind of answer, which the subject's answer names; "which
    // city?" asks where.
    let kinds: Vec<Option<Ask>> = subject
        .content
        .iter()
        .filter_map(|c| score::kind_word(&c.word))
        .collect();
    if kinds.len() == subject.content.len() {
        // ("which year?" asks for a year, which "recently" is not.)
        let year = words.iter().any(|w| w == "year");
        subject.content.clear();
        let asked: &[&str] = match kinds.first() {
            Some(Some(Ask::When)) if year => &["what", "year"],
            Some(Some(Ask::Where)) => &["where"],
            Some(Some(Ask::When)) => &["when"],
            _ => &[],
        };
        if !asked.is_empty() {
            subject.asks = asked.iter().map(|w| w.to_string()).collect();
        }
    }
    (!specific).then_some(subject)
}

/// The words of "to who?", "who did he tell?".
const TO_WHOM: &[&str] = &[
    "to", "who", "whom", "d", "did", "was", "he", "she", "they", "say", "said", "tell", "told",
    "it", "that", "this", "so",
];

/// The words of "where's that from?", "where does this data come from?".
const FROM_WHERE: &[&str] = &[
    "where", "s", "is", "does", "did", "do", "that", "this", "it", "the", "come", "comes", "came",
    "from", "get", "got", "they", "data", "numbers", "figures", "info", "stats",
];

/// The words of "source?", "according to whom?", "says who?".
const SOURCE: &[&str] = &[
    "source",
    "sources",
    "according",
    "to",
    "who",
    "whom",
    "says",
    "what",
    "s",
    "whats",
    "the",
    "your",
    "is",
    "for",
    "that",
    "this",
    "ok",
    "so",
];

/// Whether `words` has one of `any`.
pub(super) fn has_any(words: &[String], any: &[&str]) -> bool {
    words.iter().any(|w| any.contains(&w.as_str()))
}

/// Whether `word` is one of a lexicon list (see [`crate::knowledge::Phrasing`]).
pub(super) fn listed(list: &[String], word: &str) -> bool {
    list.iter().any(|w| w == word)
}

/// Whether every one of `words` is in `allowed`.
pub(super) fn all_in(words: &[String], allowed: &[&str]) -> bool {
    words.iter().all(|w| allowed.contains(&w.as_str()))
}

/// "should I buy rare earth stocks?", "can I still get a US student visa?": the asker's own
/// case, which no news article answers ("can I ask who led the talks?" is a question about
/// the talks).
fn asks_about_me(words: &[String]) -> bool {
    // ("am I right that…", "would I be wrong…" check something the article says.)
    let checks = words
        .iter()
        .take(4)
        .any(|w| matches!(w.as_str(), "right" | "correct" | "wrong" | "mistaken"));
    match words {
        [modal, i, rest @ ..] if (i == "i" || i == "we") && !checks => match modal.as_str() {
            "should" | "will" | "am" | "shall" => true,
            "can" | "could" | "do" | "would" => rest.first().is_some_and(|verb| {
                !matches!(
                    verb.as_str(),
                    "ask"
                        | "know"
                        | "see"
                        | "find"
                        | "get"
                        | "have"
                        | "read"
                        | "check"
                        | "learn"
                        | "hear"
                        | "please"
                ) || rest.get(1).is_some_and(|w| w == "still")
            }),
            _ => false,
        },
        _ => false,
    }
}

/// The command a question asks for in words: what is new, where the answers come from, what
/// the bot covers ("what's the latest?", "who wrote the article?").
fn asks_for_command(words: &[String]) -> Option<&'static str> {
    let text = words.join(" ");
    let text = text.strip_prefix("and ").unwrap_or(&text);
    Some(match text {
        "whats new" | "what s new" | "what is new" | "anything new" | "any updates"
        | "any news" | "any update" | "whats the latest" | "what s the latest"
        | "what is the latest" | "latest" | "latest news" | "updates" | "news" => "/latest",
        "what is the source"
        | "whats the source"
        | "what s the source"
        | "what is your source"
        | "whats your source"
        | "what s your source"
        | "source"
        | "sources"
        | "who wrote the article"
        | "who wrote this"
        | "who wrote it"
        | "where is this from"
        | "where does this come from"
        | "which article"
        | "what article" => "/source",
        "what can you answer"
        | "what do you know"
        | "what do you know about"
        | "what topics"
        | "topics"
        | "what can i ask"
        | "what can i ask you"
        | "what do you cover" => "/topics",
        "help" => "/help",
        _ if text.starts_with("whos who") || text.starts_with("who s who") => "/who",
        "hi" | "hello" | "hey" | "hiya" | "yo" | "hi there" | "hello there" | "hey there"
        | "good morning" | "good afternoon" | "good evening" | "how are you" | "hi how are you"
        | "hello how are you" | "hey how are you" | "who are you" | "what are you"
        | "what can you do" | "what do you do" => "/start",
        _ => return None,
    })
}

/// Whether a yes/no follow-up checks a detail of the answer before with a wrong one ("was it
/// last year?", "is it like 90%?"), which that answer settles. Not after a claim: "is that
/// true?" after what Greer claimed is not settled by his claim.
fn checks_answer(
    engine: &Engine,
    subject: &Subject,
    follow_up: &Subject,
    words: &[String],
) -> bool {
    let answer = words_of_answer(engine, subject);
    // A detail ("is he running for Fed chair?" checks nothing the answer says); and nobody the
    // answer does not name ("is he China's premier?" names China, as the answer does).
    words.iter().any(|w| PRONOUNS.contains(&w.as_str()))
        && subject.said.is_none()
        && !subject.answered.is_empty()
        && follow_up
            .content
            .iter()
            .any(|c| is_detail(engine, &answer, &c.word))
        && !follow_up
            .content
            .iter()
            .any(|c| c.class == ContentClass::Specific && !answer.contains(&c.word))
}

/// The words of the answer before, as the analyser reads them.
fn words_of_answer(engine: &Engine, subject: &Subject) -> Vec<String> {
    subject
        .answered
        .iter()
        .filter_map(|id| engine.knowledge.fact(id))
        .flat_map(|f| engine.analyzer.tokens(&f.answer, true))
        .map(|t| t.word.into_owned())
        .collect()
}

/// Whether a word (as the analyser reads it) is a detail a check of the answer before may
/// name: a number, a kind of detail the lexicon knows, or a word of that answer.
fn is_detail(engine: &Engine, answer: &[String], word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit())
        || engine.analyzer.kind(word).is_some()
        || answer.iter().any(|a| a == word)
}

/// The command of the knowledge's topic "summary" when a question asks for the story in brief
/// ("tl;dr?", "can someone summarize this article for me", "give me the short version"): the
/// lexicon's "summary" and nothing else but the article or the talks ("summary of the truce"
/// asks about the truce).
fn asks_for_summary(engine: &Engine, words: &[String]) -> Option<String> {
    let tokens = engine.analyzer.tokens(&words.join(" "), true);
    // ("what's this story about?" asks for the story too.)
    // ("explain this article to me like I'm 10" too.)
    let about_story = tokens
        .iter()
        .any(|t| matches!(t.word.as_ref(), "about" | "explain"))
        && tokens
            .iter()
            .any(|t| matches!(t.word.as_ref(), "article" | "story" | "piece" | "news"));
    // ("summarize pls": the verb alone asks for the story; with a subject it asks about that.)
    let summarize = words.iter().any(|w| w.starts_with("summari"));
    // ("so what's happening?", "what's going on": the story, when nothing else is named;
    // "is that actually happening?" checks something said.)
    let happening = words.iter().any(|w| w == "what" || w == "whats")
        && words.iter().enumerate().any(|(i, w)| {
            w == "happening" || (w == "going" && words.get(i + 1).is_some_and(|n| n == "on"))
        });
    // (…and "a summary of the trade data" asks for one of a part, below.)
    let asks = summarize || tokens.iter().any(|t| t.word == "summary");
    // ("a short summary please", "a quick rundown of the call part")
    let brief = |t: &crate::analyze::Token| matches!(t.word.as_ref(), "short" | "brief" | "quick");
    let only_summary = (asks || about_story || happening)
        && tokens.iter().all(|t| {
            t.stop
                || matches!(
                    t.word.as_ref(),
                    "summary"
                        | "article"
                        | "story"
                        | "talks"
                        | "news"
                        | "piece"
                        | "report"
                        | "text"
                        // "the main points in 3 bullets"
                        | "bullet"
                        | "bullets"
                        | "points"
                        | "lines"
                        | "sentences"
                        // "a one-line gist"
                        | "line"
                        | "paragraph"
                        | "sentence"
                        // "like I'm 10"
                        | "m"
                )
                || brief(t)
                || t.word.chars().all(|c| c.is_ascii_digit())
        });
    let topic = engine.knowledge.topics.iter().find(|t| t.name == "summary");
    if only_summary {
        return topic.map(|t| format!("/{}", t.command));
    }
    // A summary of one part of the story ("recap the economic stakes section", "quick rundown
    // of the trump-xi call part"): that topic, when the words besides the request all name it.
    let rest: Vec<_> = tokens
        .iter()
        .filter(|t| {
            !t.stop
                && !brief(t)
                && !matches!(t.word.as_ref(), "summary" | "section" | "part" | "bit")
        })
        .collect();
    let named = |topic: &crate::knowledge::Topic| {
        let title = engine
            .analyzer
            .tokens(&format!("{} {}", topic.name, topic.title), true);
        rest.iter().all(|t| title.iter().any(|n| n.stem == t.stem))
    };
    if !asks || rest.is_empty() {
        return None;
    }
    let mut named_topics = engine
        .knowledge
        .topics
        .iter()
        .filter(|t| t.name != "summary" && named(t));
    match (named_topics.next(), named_topics.next()) {
        (Some(topic), None) => Some(format!("/{}", topic.command)),
        _ => None,
    }
}

/// Answers one message: a `/command` (optionally `/command@bot`) or free text.
///
/// `bot_username` is the bot's own name; a command addressed to another bot gets
/// [`Reply::NotForMe`]. Matching of the bot name is case-insensitive, as Telegram's is.
pub fn respond(engine: &Engine, input: &str, bot_username: Option<&str>) -> Reply {
    let chars = input.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Reply::TooLong(chars);
    }
    let input = input.trim();
    let Some(rest) = input.strip_prefix('/') else {
        return answer_in(engine, input, None, false).0;
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
    let topics = engine.knowledge.topics.iter().map(|t| t.command.as_str());
    match Command::parse(&name, topics) {
        Some(Command::Start) => Reply::Start,
        Some(Command::Help) => Reply::Help,
        Some(Command::Topics) => Reply::Topics,
        Some(Command::Source) => Reply::Source,
        Some(Command::Latest) => engine.knowledge.latest_reply(),
        Some(Command::Ask) if args.is_empty() => Reply::Empty,
        Some(Command::Ask) => answer_in(engine, args, None, false).0,
        Some(c) if c.chat_only() => Reply::ChatOnly(name),
        Some(c) => match engine.knowledge.command_topic(c.name()) {
            Some((topic, facts)) => Reply::Facts {
                heading: Some(topic.title.clone()),
                facts: facts.iter().map(|f| f.id.clone()).collect(),
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
    engine: &Engine,
    m: Inbound<'_>,
    context: Option<&Subject>,
) -> Option<(Reply, Option<Subject>)> {
    let text = m.text.trim_start();
    let me = Some(m.bot_username);
    if text.starts_with('/') {
        return match respond(engine, text, me) {
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
        return Some(respond_in(engine, text, me, context));
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
        return Some(brief(respond_in(engine, &question, me, context)));
    }
    m.reply_to_bot
        .then(|| brief(respond_in(engine, text, me, context)))
}

/// [`route_in`] without follow-up context.
pub fn route(engine: &Engine, m: Inbound<'_>) -> Option<Reply> {
    route_in(engine, m, None).map(|(reply, _)| reply)
}

/// How a free-text question was understood and scored, for `ask --explain`: the analysed words
/// and the best-scoring facts, so an operator can see why the bot answered or abstained.
pub fn explain(engine: &Engine, question: &str) -> String {
    let mut out = String::from("words:");
    // The words as the answerer reads them (see [`message_words`]), then analysed.
    let words = message_words(engine, question);
    let mut tokens = crate::analyze::Tokens::new();
    engine.analyzer.tokens_into(&words, true, &mut tokens);
    for t in &tokens {
        let mut flags = String::new();
        for (on, f) in [(t.stop, "stop"), (t.claim, "claim"), (t.strict, "strict")] {
            if on {
                flags.push(' ');
                flags.push_str(f);
            }
        }
        let known = if t.stop || engine.index.weight(t.term()).is_some() {
            ""
        } else {
            " unknown"
        };
        out.push_str(&format!(
            " {}[{}{flags}{known}]",
            t.word,
            engine.analyzer.stem_text(&t.stem)
        ));
    }
    let (q, scored) = score_all(engine, &words, &[]);
    out.push_str(&format!("\nmulti-part: {}\nstrict:", q.multi_part));
    // The terms every answer must match, by stem (a stem no fact uses has no text here).
    for (j, t) in q.terms.iter().enumerate() {
        if q.strict & (1 << j) != 0 {
            let stem = t.id.map_or("(no fact's word)".to_string(), |id| {
                engine
                    .analyzer
                    .stem_text(&crate::analyze::Stem::Known(id))
                    .to_string()
            });
            out.push_str(&format!(" {stem}"));
        }
    }
    out.push('\n');
    for s in scored.iter().take(6) {
        out.push_str(&format!(
            "{:<22} score {:>6.2}  coverage {:.2}  own {:.2}  strict {}  claim-ok {}\n",
            engine.knowledge.facts[s.fact as usize].id,
            s.score,
            s.coverage,
            q.covered(s.own),
            s.all_strict,
            s.claim_ok
        ));
    }
    out
}
