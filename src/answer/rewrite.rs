//! Rewordings of a question before it is scored: patterns whose plain reading the scorer would
//! get wrong, each read as the question it asks ("was it Bessent who accused China?" asks who
//! accused China). One table, [`REWRITES`], applied in order.

use super::{all_in, has_any, listed, opens_question, score};
use crate::engine::Engine;

/// A rewording: the question it asks, or `None` when its pattern does not match.
type Rewrite = fn(&Engine, &[String]) -> Option<Vec<String>>;

/// The rewordings, in order: each sees the words the ones before it left.
pub(super) const REWRITES: &[Rewrite] = &[
    brought_down,
    hearsay,
    embedded,
    excluding,
    imperative,
    as_described,
    the_articles_verb,
    talks_somewhere_about,
    significance,
    size_of,
    called,
    both_of_two,
    which_side,
    why_mentioned,
    their_point,
    really,
    how_it_went,
    what_about,
    untagged,
    involvement,
    uncleft,
    as_who_is,
];

/// `words` after every rewording in [`REWRITES`] that matches.
pub(super) fn apply(engine: &Engine, mut words: Vec<String>) -> Vec<String> {
    for rewrite in REWRITES {
        if let Some(reworded) = rewrite(engine, &words) {
            words = reworded;
        }
    }
    words
}

/// A question of `opening` followed by `rest`: "describe the allegations" read as "what" +
/// "the allegations".
fn reworded<S: AsRef<str>>(opening: &[&str], rest: &[S]) -> Vec<String> {
    opening
        .iter()
        .copied()
        .chain(rest.iter().map(AsRef::as_ref))
        .map(str::to_string)
        .collect()
}

/// "brought its tariffs down to 30%", "bring them down": a verb of bringing with "down" a few
/// words after it is reducing, read as "reduced its tariffs to 30%" (the lexicon's phrases
/// only see "brought down" side by side).
fn brought_down(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    let at = words
        .iter()
        .position(|w| matches!(w.as_str(), "bring" | "brings" | "brought" | "bringing"))?;
    let down = (at + 1..words.len().min(at + 6)).find(|&k| words[k] == "down")?;
    let mut out = words.to_vec();
    out.remove(down);
    out[at] = "reduced".to_string();
    Some(out)
}

/// Hearsay passed on to be checked ("my son says China mines most rare earths, how much is
/// it?", "I heard the truce is over, true?") read without who said it: it asks about what was
/// said, not for anyone's words. (The scorer also reads a claim word after "my friend" or "I"
/// as no one's words asked for, where the words of the hearsay stay: "I heard Greer said…".)
fn hearsay(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    let phrasing = &engine.knowledge.lexicon.phrasing;
    // Where the words saying who said it begin ("*I* heard", "*my* son says"), and its verb.
    let (start, at) = words.iter().enumerate().skip(1).find_map(|(i, w)| {
        if !listed(&phrasing.hearsay_verbs, w) {
            None
        } else if listed(&phrasing.hearsay_people, &words[i - 1]) {
            Some((i - 1, i))
        } else if i >= 2 && words[i - 2] == "my" {
            Some((i - 2, i))
        } else if says_nobody(engine, &words[..i]) {
            // ("A friend insists…", "someone in here said…", "people keep saying…")
            Some((0, i))
        } else {
            None
        }
    })?;
    // ("what do people say about the talks" asks for words the article quotes.)
    if words[..start].iter().any(|w| opens_question(w)) {
        return None;
    }
    let end = at + 1 + usize::from(words.get(at + 1).is_some_and(|w| w == "that"));
    (end < words.len()).then(|| {
        words[..start]
            .iter()
            .chain(&words[end..])
            .cloned()
            .collect()
    })
}

/// Whether the words opening a message before a verb of saying name nobody the article has:
/// a few words, no question ("what do people say…", "did Greer say…"), no pronoun that may
/// stand for someone named before ("he said…"), no one a fact names or quotes ("Beijing
/// says…", "both sides say…").
fn says_nobody(engine: &Engine, opening: &[String]) -> bool {
    let pronoun = |w: &String| matches!(w.as_str(), "he" | "she" | "they" | "it" | "we" | "you");
    opening.len() <= 8
        && !opening.iter().any(|w| opens_question(w) || pronoun(w))
        && !engine
            .analyzer
            .tokens(&opening.join(" "), false)
            .iter()
            .any(|t| {
                (t.strict && engine.index.weight(t.term()).is_some())
                    || t.term().is_some_and(|id| engine.index.quotes(id))
            })
}

/// A question asked inside a sentence about asking ("my dad keeps asking me who was on the US
/// team", "I need to know how Trump described the call", "my mom wants to know if China…")
/// read from its question word: the
/// words before it say who wants to know, not what. Only when they name no one ("Greer asked
/// what…" keeps Greer) and the question after them asks of something the article has.
fn embedded(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    // ("…wants to know *if* China…", "…asked *whether*…": a yes/no question.)
    let at = words
        .iter()
        .position(|w| super::WH_WORDS.contains(&w.as_str()) || w == "if" || w == "whether")?;
    let before = &words[..at];
    let asking = &engine.knowledge.lexicon.phrasing.asking;
    if at == 0 || !before.iter().any(|w| listed(asking, w)) {
        return None;
    }
    let tokens = |words: &[String]| engine.analyzer.tokens(&words.join(" "), true);
    // ("my teacher asked *us* who…": "us" after a word of asking is whom it was asked.)
    let asked_us = |i: usize| words[i] == "us" && i > 0 && listed(asking, &words[i - 1]);
    let before: Vec<String> = (0..at)
        .filter(|&i| !asked_us(i))
        .map(|i| words[i].clone())
        .collect();
    let names = tokens(&before).iter().any(|t| t.strict);
    let asked = &words[at..];
    let asks = tokens(asked)
        .iter()
        .any(|t| engine.index.weight(t.term()).is_some());
    (!names && asks).then(|| asked.to_vec())
}

/// "who did he meet besides the Americans?": the people or things after "besides", "except",
/// "apart from" or "other than" are what the question leaves out, not what it asks about.
/// ("who else … besides He Lifeng" keeps them: an answer naming no one else is no answer, see
/// `someone_else`.)
fn excluding(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    if words.iter().any(|w| w == "else") {
        return None;
    }
    left_out(engine, words)
}

/// A question without what "besides", "except", "apart from" or "other than" leave out, if it
/// leaves something out.
pub(super) fn left_out(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    let (at, len) = words.iter().enumerate().find_map(|(i, w)| {
        let next = words.get(i + 1).map(String::as_str);
        match (w.as_str(), next) {
            ("besides" | "except" | "excluding", _) => Some((i, 1)),
            ("apart" | "aside", Some("from")) | ("other", Some("than")) => Some((i, 2)),
            _ => None,
        }
    })?;
    // What is left out: the names and function words right after it.
    let excluded = |w: &String| {
        engine
            .analyzer
            .tokens(w, true)
            .iter()
            .all(|t| t.stop || t.strict)
    };
    // (…up to a question opening after it: "besides the Americans, *did* He Lifeng…")
    let end = words[at + len..]
        .iter()
        .position(|w| !excluded(w) || opens_question(w))
        .map_or(words.len(), |k| at + len + k);
    let kept: Vec<String> = words[..at].iter().chain(&words[end..]).cloned().collect();
    (end > at + len && !kept.is_empty()).then_some(kept)
}

/// A request opening with a verb that says how to answer ("Describe the allegations Beijing
/// made", "Discuss the concerns raised") read as "what" the rest is: "describe" is not what
/// someone described, "discuss" not the talks' discussion.
fn imperative(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    let phrasing = &engine.knowledge.lexicon.phrasing;
    let how = &phrasing.imperatives;
    // ("could someone describe…", "can you please describe…": a request to the bot.)
    let asked = |w: &String| {
        (listed(&phrasing.requests, w) && !listed(how, w))
            || matches!(
                w.as_str(),
                "can" | "will" | "you" | "u" | "someone" | "somebody" | "anyone" | "anybody"
            )
    };
    let words = &words[words.iter().take_while(|w| asked(w)).count()..];
    match words {
        [verb, rest @ ..] if listed(how, verb) && !rest.is_empty() => {
            Some(reworded(&["what"], rest))
        }
        _ => None,
    }
}

/// "How does the article describe the economists' reaction?", "how is Trump's policy portrayed
/// in the article?": what the article says of it, read as "tell me about the economists' reaction".
/// The asking is of the article's words, not of someone describing something.
fn as_described(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    let phrasing = &engine.knowledge.lexicon.phrasing;
    let (the_article, describing) = (&phrasing.the_article, &phrasing.describing);
    let what_about = |rest: &[String]| reworded(&["tell", "me", "about"], rest);
    match words {
        // "how does the article describe X"
        [how, does, the, article, verb, rest @ ..]
            if how == "how"
                && matches!(does.as_str(), "does" | "did" | "do")
                && the == "the"
                && listed(the_article, article)
                && listed(describing, verb)
                && !rest.is_empty() =>
        {
            Some(what_about(rest))
        }
        // "how is X described in the article"
        [how, is, rest @ ..]
            if how == "how" && matches!(is.as_str(), "is" | "are" | "was" | "were") =>
        {
            let verb = rest.iter().position(|w| listed(describing, w))?;
            let after = &rest[verb + 1..];
            // ("how was the call described?" asks how someone in the article described it.)
            let in_article = match after {
                [by_in, the, article] => {
                    matches!(by_in.as_str(), "in" | "by")
                        && the == "the"
                        && listed(the_article, article)
                }
                _ => false,
            };
            (verb > 0 && in_article).then(|| what_about(&rest[..verb]))
        }
        _ => None,
    }
}

/// "What evidence does the article provide that rare earths matter?", "which reasons does the
/// text give for the decline?": the article's own verb says how it answers, not what is asked,
/// read as "what evidence that rare earths matter". Only after a noun the question asks for:
/// "what does the article say about X" is left as it is.
fn the_articles_verb(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    let the_article = &engine.knowledge.lexicon.phrasing.the_article;
    let at = words.windows(4).position(|w| {
        matches!(w[0].as_str(), "does" | "did" | "do")
            && w[1] == "the"
            && listed(the_article, &w[2])
    })?;
    let asked = &words[..at];
    let noun_asked = matches!(asked, [wh, _, ..] if matches!(wh.as_str(), "what" | "which"));
    (noun_asked && at + 4 < words.len())
        .then(|| asked.iter().chain(&words[at + 4..]).cloned().collect())
}

/// "what are the talks in London about?", "what's the meeting at Lancaster House about": the
/// place says which talks, not what is asked; read as "what are the talks about". Only a place
/// the article puts the talks in ("the talks in Geneva" were other talks).
fn talks_somewhere_about(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    let end = words
        .iter()
        .rposition(|w| !matches!(w.as_str(), "please" | "pls" | "again"))?;
    let [what, middle @ .., about] = &words[..=end] else {
        return None;
    };
    if !matches!(what.as_str(), "what" | "whats") || about != "about" {
        return None;
    }
    let tokens = engine.analyzer.tokens(&middle.join(" "), true);
    // The words of the answers that speak of the talks ("The talks are taking place at
    // Lancaster House in central London").
    let of_the_talks: Vec<String> = engine
        .knowledge
        .facts
        .iter()
        .map(|f| engine.analyzer.tokens(&f.answer, false))
        .filter(|answer| answer.iter().any(|t| t.word == "talks"))
        .flat_map(|answer| answer.into_iter().map(|t| t.word.into_owned()))
        .collect();
    let place = |word: &str| {
        let kind = engine.analyzer.kind(word);
        let a_place = kind.and_then(|k| engine.analyzer.kind_asks(k))
            == Some(crate::knowledge::Ask::Where)
            || word == "lancasterhouse";
        a_place && of_the_talks.iter().any(|w| w == word)
    };
    let mut places = 0;
    for t in &tokens {
        match t.word.as_ref() {
            _ if t.stop => {}
            "talks" => {}
            w if place(w) => places += 1,
            _ => return None,
        }
    }
    let talks = tokens.iter().any(|t| t.word == "talks");
    (talks && places > 0).then(|| reworded::<&str>(&["what", "are", "the", "talks", "about"], &[]))
}

/// "what is the significance of the 90-day period?", "explain the importance of the call": what
/// the article says of it, read as "tell me about the 90-day period" ("what about…" would ask
/// what it follows).
fn significance(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    const OPENING: &[&str] = &[
        "what", "whats", "is", "s", "was", "are", "were", "the", "explain", "describe", "discuss",
        "tell", "me", "about", "please", "pls", "could", "can", "you",
    ];
    const NOUNS: &[&str] = &[
        "significance",
        "importance",
        "relevance",
        "meaning",
        "implications",
    ];
    of_what(words, NOUNS, OPENING).map(|rest| reworded(&["tell", "me", "about"], rest))
}

/// What a question opening with `opening` words and one of `nouns` asks it of: "the drop" of
/// "what was the *size* of the drop".
fn of_what<'w>(words: &'w [String], nouns: &[&str], opening: &[&str]) -> Option<&'w [String]> {
    let at = words.iter().position(|w| nouns.contains(&w.as_str()))?;
    let rest = words[at + 1..].strip_prefix(&["of".to_string()])?;
    (!rest.is_empty() && all_in(&words[..at], opening)).then_some(rest)
}

/// "size of the drop?", "what was the scale of the decline": how much it was.
fn size_of(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    let nouns = ["size", "magnitude", "scale"];
    let opening = ["what", "whats", "s", "is", "was", "the"];
    of_what(words, &nouns, &opening).map(|rest| reworded(&["how", "much"], rest))
}

/// "what's the building called (again)?": its name, not a phone call.
fn called(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    let end = words.len() - usize::from(words.last().is_some_and(|w| w == "again"));
    let asks = words
        .first()
        .is_some_and(|w| matches!(w.as_str(), "what" | "whats"));
    (asks && end >= 3 && words[end - 1] == "called").then(|| {
        let mut named = words[..end - 1].to_vec();
        named.push("name".into());
        named
    })
}

/// "did exports and imports both go up?", "both exports and imports": "both" says of the two
/// things named what the question asks of each, not the two sides ("both sides").
fn both_of_two(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    let at = words.iter().position(|w| w == "both")?;
    let after = words.get(at + 2).is_some_and(|w| w == "and");
    let before = at >= 2 && words[at - 2] == "and";
    let sides = words
        .get(at + 1)
        .is_some_and(|w| matches!(w.as_str(), "side" | "sides" | "countries" | "parties"));
    ((after || before) && !sides).then(|| {
        let mut rest = words.to_vec();
        rest.remove(at);
        rest
    })
}

/// "who cut tariffs further, Washington or Beijing?": "who" asks which of the two sides, as
/// "which side" does (a side, not a person).
fn which_side(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    let (first, rest) = words.split_first()?;
    if !matches!(first.as_str(), "who" | "whose" | "whos") {
        return None;
    }
    let tokens = engine.analyzer.tokens(&rest.join(" "), true);
    let side = |t: &crate::analyze::Token| super::other_side(&t.word).is_some();
    let offered = tokens
        .windows(3)
        .any(|w| side(&w[0]) && w[1].word == "or" && side(&w[2]))
        || tokens
            .windows(4)
            .any(|w| side(&w[0]) && w[1].word == "or" && w[2].word == "the" && side(&w[3]));
    offered.then(|| reworded(&["which", "side"], rest))
}

/// "why is Huawei even in this?", "why are student visas coming up?": why something is part of
/// the story, which is what the article says of it ("tell me about Huawei"), not a cause.
fn why_mentioned(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    const ENDINGS: &[&[&str]] = &[
        &["in", "this"],
        &["in", "all", "this"],
        &["in", "the", "story"],
        &["in", "the", "news"],
        &["in", "the", "article"],
        &["part", "of", "this"],
        &["involved"],
        &["mentioned"],
        &["relevant"],
        &["coming", "up"],
        &["come", "up"],
        &["brought", "up"],
    ];
    let why = words.iter().take(3).position(|w| w == "why")?;
    let rest = &words[why + 1..];
    let [be, rest @ ..] = rest else {
        return None;
    };
    if !matches!(be.as_str(), "is" | "are" | "was" | "were" | "s") {
        return None;
    }
    let without = |rest: &'_ [String]| {
        ENDINGS
            .iter()
            .find(|e| rest.len() > e.len() && rest[rest.len() - e.len()..].iter().eq(e.iter()))
            .map(|e| rest.len() - e.len())
    };
    // (…with one ending or two: "coming up in all this".)
    let mut end = without(rest)?;
    end = without(&rest[..end]).unwrap_or(end);
    let what: Vec<&String> = rest[..end]
        .iter()
        .filter(|w| {
            !matches!(
                w.as_str(),
                "even" | "all" | "so" | "always" | "being" | "getting"
            )
        })
        .collect();
    (!what.is_empty() && what.len() <= 5).then(|| reworded(&["tell", "me", "about"], &what))
}

/// "what was his point again?", "what's her take?", "Hassett's take?", "what's China's side of
/// the story?": what someone said, "what did he say".
fn their_point(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    let at = words.iter().position(|w| {
        matches!(
            w.as_str(),
            "point"
                | "take"
                | "argument"
                | "view"
                | "views"
                | "message"
                | "opinion"
                | "stance"
                | "position"
                | "side"
        )
    })?;
    // (A person's position is their job; a side's, what it says: "Beijing's position".)
    let position = words[at] == "position";
    // (…or a name's, someone the article quotes: "Hassett's take?")
    let (whose, opening): (String, &[String]) = match words[..at].last()?.as_str() {
        "his" if !position => ("he".into(), &words[..at - 1]),
        "her" if !position => ("she".into(), &words[..at - 1]),
        "their" if !position => ("they".into(), &words[..at - 1]),
        "s" if at >= 2 && !(position && engine.index.people.contains(&words[at - 2])) => {
            if !super::speakers::quoted(engine, &words[at - 2]) {
                return None;
            }
            (words[at - 2].clone(), &words[..at - 2])
        }
        _ => return None,
    };
    let asks = opening.is_empty()
        || (opening
            .iter()
            .find(|w| !matches!(w.as_str(), "and" | "so"))
            .is_some_and(|w| matches!(w.as_str(), "what" | "whats"))
            && all_in(
                opening,
                &[
                    "and", "so", "what", "whats", "was", "is", "s", "again", "exactly", "then",
                ],
            ));
    let rest_says_nothing = all_in(
        &words[at + 1..],
        &[
            "again", "exactly", "then", "there", "here", "on", "that", "this", "it", "in",
            "return", "turn", "of", "the", "story", "things",
        ],
    );
    (asks && rest_says_nothing).then(|| reworded(&["what", "did", &whose, "say"], &[] as &[&str]))
}

/// A statement with a question tag ("He Lifeng is China's foreign minister, isn't he?", "the
/// OECD cut its forecast, didn't it?") read as the question the tag asks: "is He Lifeng China's
/// foreign minister", "did the OECD cut its forecast".
fn untagged(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    let [rest @ .., tag, pronoun] = words else {
        return None;
    };
    let asked = match tag.as_str() {
        "isnt" | "wasnt" | "arent" | "werent" | "didnt" | "doesnt" | "dont" | "hasnt"
        | "havent" | "hadnt" => tag.trim_end_matches("nt"),
        _ => return None,
    };
    if rest.is_empty() || !matches!(pronoun.as_str(), "he" | "she" | "it" | "they") {
        return None;
    }
    // The verb the tag stands for is in the statement ("… *is* China's…"): dropped there.
    let verb = rest.iter().position(|w| w == asked);
    let statement: Vec<&String> = rest
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != verb)
        .map(|(_, w)| w)
        .collect();
    Some(reworded(&[asked], &statement))
}

/// A question about someone's part in the story ("what's the OECD's role in this story?",
/// "where does Xi come into this?", "Trump's part in all this?") read as their name alone,
/// which asks who they are and what the article says of them; "what role did Greer play in
/// the dispute?" as their name and what they played a part in.
fn involvement(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    const PART: &[&str] = &[
        "role",
        "part",
        "come",
        "comes",
        "fit",
        "fits",
        "play",
        "plays",
        "played",
        "involvement",
        "involved",
    ];
    const AROUND: &[&str] = &[
        "what",
        "whats",
        "where",
        "how",
        "s",
        "is",
        "was",
        "does",
        "do",
        "did",
        "the",
        "his",
        "her",
        "their",
        "its",
        "in",
        "into",
        "this",
        "that",
        "all",
        "story",
        "article",
        "here",
        "described",
        "mentioned",
        "reported",
        "at",
        "or",
        "not",
        "nah",
    ];
    // ("how come…" asks why, and "when it comes to Huawei" says what about.)
    let comes_to = words
        .windows(3)
        .any(|w| w[0] == "it" && matches!(w[1].as_str(), "comes" | "come") && w[2] == "to");
    if !has_any(words, PART)
        || comes_to
        || words.starts_with(&["how".to_string(), "come".to_string()])
    {
        return None;
    }
    let named: Vec<String> = words
        .iter()
        .filter(|w| !PART.contains(&w.as_str()) && !AROUND.contains(&w.as_str()))
        .cloned()
        .collect();
    let tokens = engine.analyzer.tokens(&named.join(" "), true);
    // "what role did Greer play in the dispute over the truce?" asks what the article says of
    // him there; "is the UK taking part in the talks?" asks yes or no.
    let asks_what = matches!(
        words.first().map(String::as_str),
        Some("what" | "whats" | "how" | "hows")
    );
    let names_only = !tokens.is_empty() && tokens.iter().all(|t| t.strict);
    // (…and "what role do rare earths play in the global economy?" what it says of them.)
    let known = tokens
        .iter()
        .any(|t| t.strict || (!t.stop && engine.index.weight(t.term()).is_some()));
    (names_only || (asks_what && known)).then_some(named)
}

/// "really?", "are you sure?", "for real?", "is that confirmed?" read as "is that true?": a
/// check of the answer before.
fn really(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    const DOUBTS: &[&str] = &[
        "really",
        "seriously",
        "srsly",
        "sure",
        "real",
        "fr",
        "legit",
        "way",
        "confirmed",
        "accurate",
        "correct",
        "right",
        "verified",
    ];
    const DOUBTING: &[&str] = &[
        "really",
        "seriously",
        "srsly",
        "sure",
        "for",
        "real",
        "fr",
        "legit",
        "are",
        "you",
        "u",
        "truly",
        "honestly",
        "no",
        "way",
        "is",
        "it",
        "that",
        "this",
        "confirmed",
        "accurate",
        "correct",
        "right",
        "verified",
    ];
    (has_any(words, DOUBTS) && all_in(words, DOUBTING))
        .then(|| ["is", "that", "true"].map(str::to_string).to_vec())
}

/// "how did the call go" read as "how did they describe the call": the article reports how a
/// thing went only as somebody's description of it.
fn how_it_went(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    match words {
        [how, did, middle @ .., go]
            if how == "how" && did == "did" && go == "go" && !middle.is_empty() =>
        {
            Some(
                [how, did]
                    .into_iter()
                    .cloned()
                    .chain(["they".to_string(), "describe".to_string()])
                    .chain(middle.iter().cloned())
                    .collect(),
            )
        }
        _ => None,
    }
}

/// "why is Huawei (even) mentioned?", "why is Huawei in this story?" and "what's this about
/// student visas?" ask what the article says of Huawei or visas: read as "what about huawei".
fn what_about(_: &Engine, words: &[String]) -> Option<Vec<String>> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let rest = match w.as_slice() {
        [
            "what",
            "is" | "s",
            "this" | "it" | "that",
            "about",
            rest @ ..,
        ] if !rest.is_empty() => {
            return Some(reworded(&["what", "about"], rest));
        }
        ["why" | "how", rest @ ..] => rest,
        _ => return None,
    };
    let rest = match rest {
        ["come", rest @ ..] => rest,
        rest => rest,
    };
    let (be, rest) = rest.split_first()?;
    let mention = |w: &str| matches!(w, "mentioned" | "named" | "involved");
    let place = |w: &str| matches!(w, "story" | "article" | "news" | "piece" | "report");
    // What is named, up to the words saying it is mentioned.
    let end = rest
        .iter()
        .position(|x| mention(x) || *x == "even" || (*x == "in" && rest.iter().any(|p| place(p))));
    let mentions = rest.iter().any(|x| mention(x)) || rest.iter().any(|x| place(x));
    match end {
        Some(end) if end > 0 && mentions && matches!(*be, "is" | "was" | "are" | "were" | "s") => {
            Some(reworded(&["what", "about"], &rest[..end]))
        }
        _ => None,
    }
}

/// A question checking someone's role ("is Hassett the Treasury Secretary?", "was He Lifeng
/// China's foreign minister?") read as asking who they are, which settles it: "who is Hassett".
fn as_who_is(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    if !words
        .first()
        .is_some_and(|w| matches!(w.as_str(), "is" | "was"))
    {
        return None;
    }
    // One person: the fewest words after "is" that read as one ("is *He Lifeng* China's…").
    let person = |ws: &[String]| match engine.analyzer.tokens(&ws.join(" "), true).as_slice() {
        [t] => engine
            .analyzer
            .kind(&t.word)
            .is_some_and(|k| engine.analyzer.several(k)),
        _ => false,
    };
    let end = (2..words.len()).find(|&k| person(&words[1..k]))?;
    // Then a role they are said to have, and no verb ("is Greer the one who…" is checked by
    // [`uncleft`]) or place ("was Yellen there as Treasury Secretary" asks whether she was
    // there); "is Bessent a Republican" asks no role.
    let rest = &words[end..];
    let roles = &engine.knowledge.lexicon.phrasing.roles;
    let role = rest.iter().any(|w| listed(roles, w))
        && rest.iter().all(|w| {
            !matches!(
                w.as_str(),
                "who" | "that" | "which" | "there" | "here" | "as" | "at" | "in" | "on"
            ) && !score::AUXILIARIES.contains(&w.as_str())
        });
    if !role {
        return None;
    }
    Some(
        ["who", "is"]
            .into_iter()
            .map(str::to_string)
            .chain(words[1..end].iter().cloned())
            .collect(),
    )
}

/// A question checking who did something ("was it Bessent who accused China?", "so Greer was
/// the one complaining about visas?", "was Lutnick the one who met Reeves?", "it was Greer who
/// accused China, right?") read as asking who
/// did it, which settles it: "who accused China?". The one named is a guess, and may be wrong.
fn uncleft(engine: &Engine, words: &[String]) -> Option<Vec<String>> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let is_be = |w: &str| matches!(w, "was" | "is" | "were" | "are");
    // (After words that ask nothing: "so", "wait".)
    let analysed = |ws: &[&str]| engine.analyzer.tokens(&ws.join(" "), true);
    let start = w.iter().position(|x| is_be(x)).unwrap_or(0);
    let filler = analysed(&w[..start]).iter().all(|t| t.stop && !t.strict);
    // The guess and where what was done begins.
    let (guess, rest) = match &w[start..] {
        [be, "it", ..] if is_be(be) && filler => {
            let at = w[start + 2..]
                .iter()
                .position(|x| matches!(*x, "who" | "that"))?;
            (&w[start + 2..start + 2 + at], start + 3 + at)
        }
        // …or as a statement to confirm: "it was the Commerce Secretary who accused China,
        // yeah?"
        [be, ..] if is_be(be) && start >= 1 && w[start - 1] == "it" && filler => {
            let at = w[start + 1..]
                .iter()
                .position(|x| matches!(*x, "who" | "that"))?;
            (&w[start + 1..start + 1 + at], start + 2 + at)
        }
        _ => match w.windows(2).position(|p| p == ["the", "one"]) {
            Some(one) if one > start + 1 && filler => (&w[start + 1..one], one + 2),
            Some(one) if one >= 2 && is_be(w[one - 1]) => (&w[..one - 1], one + 2),
            _ => return None,
        },
    };
    // Someone, named as the article names them ("the US", "Greer"): "was it in Geneva that…"
    // checks a place, not who.
    let at = guess
        .iter()
        .position(|g| !analysed(&[g]).iter().all(|t| t.stop && !t.strict))?;
    let guess = &guess[at..];
    let tokens = analysed(guess);
    let named = !guess.is_empty()
        && guess.len() <= 3
        && tokens.iter().any(|t| t.strict)
        && tokens
            .iter()
            .all(|t| t.strict || t.word == "the" || !t.stop)
        && !guess.iter().any(|g| {
            matches!(
                *g,
                "in" | "at" | "on" | "during" | "after" | "before" | "when"
            )
        });
    let rest = &w[rest.min(w.len())..];
    let rest = match rest {
        ["who" | "that", r @ ..] => r,
        r => r,
    };
    if !named || rest.is_empty() {
        return None;
    }
    Some(reworded(&["who"], rest))
}
