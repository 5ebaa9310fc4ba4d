//! Answers about people and their words: who said words a claim quotes, a check naming the
//! wrong speaker, another speaker's word on a claim, and "who else" or "who did something to
//! someone", which an answer naming no one new does not answer.

use super::score::{self, Scored, score_all};
use super::{
    MAX_FACTS, Reply, answer_words, checks_truth, opens_question, other_side, rewrite, sources_of,
};
use crate::engine::Engine;
use crate::knowledge::FactKind;
use crate::text::split_words;

/// "Bessent said China kept the magnet curbs, yes?": a check of what someone said, naming as
/// its speaker someone the article never quotes, is settled by the claim of whoever said it
/// (Greer), if one says what the check says.
pub(super) fn wrong_speaker(engine: &Engine, words: &[String]) -> Option<Reply> {
    if !score::is_yes_no(words, &engine.knowledge.lexicon.phrasing) {
        return None;
    }
    let unquoted = |w: &String| {
        let person = engine
            .analyzer
            .tokens(w, true)
            .iter()
            .any(|t| t.strict && engine.index.people.iter().any(|p| *p == t.word));
        person && !quoted(engine, w)
    };
    let claims = engine
        .analyzer
        .tokens(&words.join(" "), true)
        .iter()
        .any(|t| t.claim);
    if !claims || !words.iter().any(unquoted) {
        return None;
    }
    let without: Vec<String> = words.iter().filter(|w| !unquoted(w)).cloned().collect();
    // (…a check saying what was said, not "did Lutnick say anything to reporters?".)
    let said = engine.analyzer.tokens(&without.join(" "), true);
    let matter = said
        .iter()
        .filter(|t| !t.stop && !t.claim && engine.index.weight(t.term()).is_some())
        .count();
    if matter < 2 {
        return None;
    }
    match answer_words(engine, &without, &[], &[]) {
        Reply::Facts { heading, facts }
            if facts
                .first()
                .and_then(|id| engine.knowledge.fact(id))
                .is_some_and(|f| f.kind.is_claim()) =>
        {
            Some(Reply::Facts { heading, facts })
        }
        _ => None,
    }
}

/// "who called it a very good talk?", "was it Xi who called it a very good talk?": who said
/// words a claim quotes, three or more of them in a row after its verb, is that claim's
/// speaker. (Not "who is the US trade representative?": the speaker's title is no words said.)
pub(super) fn who_said_the_words(engine: &Engine, words: &[String]) -> Option<String> {
    if !words.iter().any(|w| w == "who") {
        return None;
    }
    let tokens = engine.analyzer.tokens(&words.join(" "), true);
    if !tokens.iter().any(|t| t.claim) {
        return None;
    }
    let stop = |w: &String| engine.analyzer.tokens(w, false).iter().all(|t| t.stop);
    let mut claims = engine.knowledge.facts.iter().filter(|f| {
        let FactKind::Claim { verb, .. } = &f.kind else {
            return false;
        };
        let answer = split_words(&f.answer);
        let said = match answer.iter().position(|w| w == verb) {
            Some(at) => &answer[at + 1..],
            None => &answer[..],
        };
        words
            .windows(3)
            .any(|w| !w.iter().all(stop) && said.windows(3).any(|s| s == w))
    });
    match (claims.next(), claims.next()) {
        (Some(claim), None) => Some(claim.id.clone()),
        _ => None,
    }
}

/// Whether a word names someone a claim quotes ("Beijing", "Greer", "both").
pub(super) fn quoted(engine: &Engine, word: &str) -> bool {
    engine
        .analyzer
        .tokens(word, true)
        .iter()
        .any(|t| t.term().is_some_and(|id| engine.index.quotes(id)))
}

/// "who interviewed Hassett on CBS?" asks who did something to someone it names: an answer
/// naming no other person does not answer it. ("who is Hassett?", "who did Hassett talk to?"
/// ask of him.)
pub(super) fn someone_new(engine: &Engine, words: &[String], reply: Reply) -> Reply {
    let be = |w: &String| matches!(w.as_str(), "is" | "are" | "was" | "were" | "s" | "be");
    let asks = matches!(words, [who, verb, ..] if who == "who"
        && !opens_question(verb)
        && verb != "else")
        && !words.iter().any(be);
    let Reply::Facts { facts, .. } = &reply else {
        return reply;
    };
    // (Named as typed: "who minds the public purse?" names Bessent by his office only.)
    let named: Vec<String> = words
        .iter()
        .filter(|w| engine.index.people.contains(w))
        .cloned()
        .collect();
    match asks && !named.is_empty() && !names_another(engine, facts, &named) {
        true => Reply::NotCovered,
        false => reply,
    }
}

/// The people a text names, as the analyser reads them ("the Treasury Secretary" is Bessent).
fn people(engine: &Engine, text: &str) -> Vec<String> {
    (engine.analyzer.tokens(text, true).into_iter())
        .map(|t| t.word.to_string())
        .filter(|w| engine.index.people.contains(w))
        .collect()
}

/// Whether the facts' answers name someone not in `named`.
fn names_another(engine: &Engine, facts: &[String], named: &[String]) -> bool {
    facts
        .iter()
        .filter_map(|id| engine.knowledge.fact(id))
        .any(|f| people(engine, &f.answer).iter().any(|p| !named.contains(p)))
}

/// "who else was on the Trump–Xi call?" asks for someone besides those it names: an answer
/// naming nobody else does not answer it.
pub(super) fn someone_else(engine: &Engine, words: &[String], reply: Reply) -> Reply {
    // (…as "any other meetings" does: "did He Lifeng have any other meetings?")
    let asks = words.windows(2).any(|w| {
        (matches!(
            w[0].as_str(),
            "who" | "whom" | "anyone" | "anybody" | "someone" | "somebody"
        ) && w[1] == "else")
            || (w[0] == "any" && w[1] == "other")
    });
    let Reply::Facts { facts, .. } = &reply else {
        return reply;
    };
    if !asks {
        return reply;
    }
    let named = people(engine, &words.join(" "));
    // "who else did He Lifeng meet in London?" knows the answer without "else" when that is
    // part of the story in brief (the Americans): someone another sentence names is the
    // answer, if one does. ("who else besides…" says whom it leaves out, see
    // `rewrite::excluding`.)
    let in_brief = facts
        .iter()
        .filter_map(|id| engine.knowledge.fact(id))
        .any(|f| f.topics.iter().any(|t| t == "summary"));
    if in_brief {
        let asked = rewrite::left_out(engine, words).unwrap_or_else(|| words.to_vec());
        let other = answer_words(engine, &asked, &[], &sources_of(engine, facts));
        if let Reply::Facts { facts: others, .. } = &other
            && names_another(engine, others, &named)
        {
            return other;
        }
    }
    match names_another(engine, facts, &named) {
        true => reply,
        false => Reply::NotCovered,
    }
}

/// "has China actually resumed rare earth trade?", "is that actually happening?": when the
/// answer is someone's claim, what another speaker says of the same matter is the article's
/// check of it (Trump's word that Xi agreed, then Hassett's that exports resumed but fall
/// short). `reading` is the question as answered, `words` as typed.
pub(super) fn with_another_speaker(
    engine: &Engine,
    reading: &[String],
    words: &[String],
    reply: Reply,
) -> Reply {
    let Reply::Facts { heading, mut facts } = reply else {
        return reply;
    };
    let claim = facts
        .first()
        .and_then(|id| engine.knowledge.fact(id))
        .filter(|f| f.kind.is_claim());
    if let Some(claim) =
        claim.filter(|_| facts.len() < MAX_FACTS && words.iter().any(|w| checks_truth(w)))
    {
        let (q, scored) = score_all(engine, reading, &[]);
        let fact = |s: &Scored| &engine.knowledge.facts[s.fact as usize];
        let best = scored.iter().find(|s| fact(s).id == claim.id);
        // Another speaker's claim, matching all the claim matches but its names and claim
        // words (it need not name Xi), or most of the question. ("what did Greer say?" names
        // no matter: another's word is on something else.)
        let said = q
            .terms
            .iter()
            .enumerate()
            .filter(|(_, t)| t.optional)
            .fold(0u64, |bits, (i, _)| bits | 1 << i);
        let other = best.and_then(|best| {
            let matter = best.matched & !q.strict & !said;
            // (Of four words or more, one may be missing: "Xi agreed to resume rare earth
            // *trade*" is checked by what Hassett says of exports resuming.)
            let slack = u32::from(matter.count_ones() >= 4);
            scored.iter().find(|s| {
                s.claim
                    && fact(s).kind.speaker() != claim.kind.speaker()
                    && (s.coverage >= score::MIN_COVERAGE
                        || (matter != 0 && (matter & !s.matched).count_ones() <= slack))
                    && !facts.contains(&fact(s).id)
            })
        });
        if let Some(other) = other {
            facts.push(fact(other).id.clone());
        }
    }
    Reply::Facts { heading, facts }
}

/// A "who" question's words with the one person its answer names, for a follow-up about them:
/// "what's his job?" after "who told CBS exports fall short" asks Hassett's.
pub(super) fn with_who_answered(engine: &Engine, reply: &Reply, words: &[String]) -> Vec<String> {
    let asks_who = words
        .iter()
        .any(|w| matches!(w.as_str(), "who" | "whos" | "whom"));
    let Reply::Facts { facts, .. } = reply else {
        return words.to_vec();
    };
    let asked = engine.analyzer.tokens(&words.join(" "), true);
    // (…and "which company…" is about the one the answer names: "which Chinese company comes
    // up?", "what's the issue with it?" asks about Huawei.)
    let asks_which = words.iter().any(|w| w == "which");
    let (mut named, mut things): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let answer = facts.first().and_then(|id| engine.knowledge.fact(id));
    for t in answer
        .map(|f| engine.analyzer.tokens(&f.answer, false))
        .unwrap_or_default()
    {
        let person = engine.index.people.iter().any(|p| *p == t.word);
        let new = !asked.iter().any(|a| a.word == t.word);
        let side = other_side(&t.word).is_some();
        let list = match (person, t.strict && !side) {
            (true, _) => &mut named,
            (false, true) => &mut things,
            (false, false) => continue,
        };
        if new && !list.iter().any(|n| *n == t.word) {
            list.push(t.word.into_owned());
        }
    }
    match (named.as_slice(), things.as_slice()) {
        ([one], _) if asks_who => words.iter().cloned().chain([one.clone()]).collect(),
        (_, [one]) if asks_which => words.iter().cloned().chain([one.clone()]).collect(),
        _ => words.to_vec(),
    }
}
