//! Follow-ups: what a conversation last asked about (its [`Subject`]), whether a message is a
//! follow-up ("and china?", "why?", "what's his job?", "the other way around?"), and the
//! readings of a follow-up with the subject it follows. Answering them is the parent module's.

use super::score;
use crate::engine::Engine;

/// Words that point back to what was just asked about.
pub(super) const PRONOUNS: &[&str] = &[
    "he", "she", "they", "them", "him", "her", "his", "it", "its", "their", "that", "this",
    "those", "these", "there",
];

/// Whether the word at `i` is a pronoun pointing back ("what's *his* job?", "is *that*
/// true?"): "this", "that", "these" or "those" before a noun `noun` accepts is a determiner
/// pointing at that noun instead ("this *story*", "these *tensions*").
pub(super) fn pronoun_at(words: &[String], i: usize, noun: impl Fn(&str) -> bool) -> bool {
    let w = words[i].as_str();
    let determiner = matches!(w, "this" | "that" | "these" | "those")
        && words.get(i + 1).is_some_and(|n| noun(n));
    PRONOUNS.contains(&w) && !determiner
}

/// Whether a message points back to what was asked before with a pronoun ("what's *his*
/// job?", "is *that* true?"), not counting "this story" and the like.
pub(super) fn points_back(engine: &Engine, words: &[String]) -> bool {
    let story = &engine.knowledge.lexicon.phrasing.story_nouns;
    (0..words.len()).any(|i| pronoun_at(words, i, |n| super::listed(story, n)))
}

/// What a conversation last asked about, for a follow-up: the question's words ("what", "how
/// much") and its content, as the analyser reads it ("tariff", "us").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub(super) asks: Vec<String>,
    pub(super) content: Vec<Content>,
    /// The question as the analyser reads it, every word kept ("what are the us tariff on
    /// china"), for a follow-up that turns it around.
    pub(super) sequence: Vec<Content>,
    /// The claim the question was answered with, by fact id: "who said that?" asks its
    /// speaker.
    pub(super) said: Option<String>,
    /// The facts the question was answered with, by id: "was it last year?" is settled by
    /// them.
    pub(super) answered: Vec<String>,
}

/// One content word of a subject and what replaces it in a follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Content {
    pub(super) word: String,
    pub(super) class: ContentClass,
}

/// A follow-up's words replace the subject's words of the same class: "and china?" after "what
/// are the US tariffs?" keeps "tariffs" and replaces "US".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ContentClass {
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
            said: None,
            answered: Vec::new(),
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
    pub(super) fn of(engine: &Engine, words: &[String]) -> Option<Subject> {
        let asks = question_words(words);
        let sequence = sequence(engine, words);
        let content: Vec<Content> = sequence
            .iter()
            .filter(|c| c.class != ContentClass::Function)
            .cloned()
            .collect();
        (!content.is_empty()).then_some(Subject {
            asks,
            content,
            sequence,
            said: None,
            answered: Vec::new(),
        })
    }

    /// Whether it says "he", "she" or another pronoun for one person.
    pub(super) fn says_he(&self) -> bool {
        says_he(&self.sequence)
    }

    /// The question turned around ("the other way around", "vice versa"): its first two
    /// names or countries swapped, "the US tariffs on China" read as "the China tariffs on
    /// the US"; one of the two sides alone is the other ("the US tariffs": China's).
    pub(super) fn reversed(&self) -> Option<Vec<String>> {
        let mut specific = self
            .sequence
            .iter()
            .filter(|c| c.class == ContentClass::Specific)
            .map(|c| c.word.as_str());
        let a = specific.next()?;
        let b = specific.find(|w| *w != a).or(other_side(a))?;
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
    /// `people` are the words naming people: a person named after a question about what
    /// someone said is a new speaker, not what was said about.
    pub(super) fn follow(
        &self,
        follow_up: &Subject,
        people: &[String],
        women: &[String],
        quoted: &dyn Fn(&str) -> bool,
    ) -> Vec<Vec<String>> {
        let asks = if follow_up.asks.is_empty() {
            &self.asks
        } else {
            &follow_up.asks
        };
        // A new question word asks something new of the subject: "who is he?" after "what did
        // Hassett say?" asks who Hassett is, not who said it ("why?" still asks why he said it).
        let new_question = follow_up
            .asks
            .iter()
            .any(|a| !matches!(a.as_str(), "why" | "how" | "come"));
        let replaces = |c: &Content| {
            follow_up.content.iter().any(|f| f.class == c.class)
                || (new_question && c.class == ContentClass::Claim)
        };
        // Names and other specific words come first, as in "what did Greer say": whoever the
        // reading names is who must have said it ("what did she say?" after a question about
        // He Lifeng asks what He Lifeng said, which the article does not report).
        let directed = follow_up
            .content
            .iter()
            .filter(|c| c.class == ContentClass::Specific)
            .count()
            >= 2
            && !follow_up.sequence.is_empty();
        let reading = |keep: &dyn Fn(usize, &Content) -> bool| -> Vec<String> {
            let words: Vec<&Content> = follow_up
                .content
                .iter()
                .chain(
                    self.content
                        .iter()
                        .enumerate()
                        .filter(|(i, c)| keep(*i, c))
                        .map(|(_, c)| c),
                )
                .collect();
            let (specific, other): (Vec<&Content>, Vec<&Content>) = words
                .into_iter()
                .partition(|c| c.class == ContentClass::Specific);
            // Two names or more keep the follow-up's own order and direction words, after what
            // they are asked about: "and China on the US?" asks for China's tariff on the US,
            // not the other way around. A claim word follows the first name, the speaker: "and
            // Greer on China?" asks what Greer said on China.
            if directed {
                let (claims, other): (Vec<&Content>, Vec<&Content>) = other
                    .into_iter()
                    .partition(|c| c.class == ContentClass::Claim);
                let speaker = follow_up
                    .sequence
                    .iter()
                    .position(|c| c.class == ContentClass::Specific)
                    .map_or(0, |i| i + 1);
                let (first, rest) = follow_up.sequence.split_at(speaker);
                return asks
                    .iter()
                    .chain(
                        other
                            .into_iter()
                            .chain(first)
                            .chain(claims)
                            .chain(rest)
                            .map(|c| &c.word),
                    )
                    .cloned()
                    .collect();
            }
            // Names the subject joined by "and" stay joined: "who described it?" after "did
            // Trump and Xi talk" asks what either of them said.
            let joined = |a: &str, b: &str| {
                self.sequence.windows(3).any(|w| {
                    w[0].word == a && matches!(w[1].word.as_str(), "and" | "or") && w[2].word == b
                })
            };
            // A claim word follows the first name (and those joined to it), the speaker: "what
            // about chips?" after "what did Beijing accuse the US of?" asks what Beijing
            // accused the US of, not what both said.
            let (claims, other): (Vec<&Content>, Vec<&Content>) = other
                .into_iter()
                .partition(|c| c.class == ContentClass::Claim);
            // (A name of no one, whom nobody quotes, is what was said of: "what's the issue
            // with it?" after "which company comes up?" asks what was said of Huawei. A
            // person is a speaker still: "and Xi?" asks what Xi said.)
            let speaks = |c: &&Content| quoted(&c.word) || people.contains(&c.word);
            let speakers = match specific.iter().any(speaks) {
                true => (1..specific.len())
                    .find(|&k| !joined(&specific[k - 1].word, &specific[k].word))
                    .unwrap_or(specific.len()),
                false => 0,
            };
            let mut out = asks.clone();
            for (k, c) in specific.iter().enumerate() {
                if k == speakers {
                    out.extend(claims.iter().map(|c| c.word.clone()));
                }
                if k > 0 && joined(&specific[k - 1].word, &c.word) {
                    out.push("and".into());
                }
                out.push(c.word.clone());
            }
            if speakers == specific.len() {
                out.extend(claims.iter().map(|c| c.word.clone()));
            }
            out.extend(other.iter().map(|c| c.word.clone()));
            out
        };
        // "he" or "she" is someone the subject names, whom a name in the follow-up does not
        // replace: "and what did he accuse China of?" after "who is Greer?" asks what Greer
        // accused China of.
        let person = follow_up.says_he();
        let mut readings = vec![reading(&|_, c| !replaces(c))];
        let names: Vec<&str> = self
            .content
            .iter()
            .filter(|c| c.class == ContentClass::Specific)
            .map(|c| c.word.as_str())
            .collect();
        // …and "he" is the person named, not the rest of what was asked: "what did he claim?"
        // after "what's Greer's title?" asks what Greer claimed.
        if person && !names.is_empty() && !follow_up.content.is_empty() {
            readings.push(reading(&|_, c| {
                c.class == ContentClass::Specific && !replaces(c)
            }));
        }
        // …and "who is she?" asks who the person is, before anything else: one of the people
        // named.
        if person && follow_up.content.is_empty() && follow_up.asks == ["who"] {
            let named = self.content.iter().enumerate();
            let each = named.filter(|(_, c)| c.class == ContentClass::Specific);
            let alone: Vec<Vec<String>> = each.map(|(one, _)| reading(&|i, _| i == one)).collect();
            readings.splice(0..0, alone);
        }
        if person
            && !names.is_empty()
            && follow_up
                .content
                .iter()
                .any(|c| c.class == ContentClass::Specific)
        {
            // The follow-up as said, "he" standing for the subject's names.
            let said = follow_up.sequence.iter().flat_map(|c| {
                if PERSONS.contains(&c.word.as_str()) {
                    names.iter().map(|n| n.to_string()).collect()
                } else {
                    vec![c.word.clone()]
                }
            });
            readings.insert(0, said.collect());
        }
        if self.content.iter().filter(|c| replaces(c)).count() > 1 {
            for (one, _) in self.content.iter().enumerate().filter(|(_, c)| replaces(c)) {
                readings.push(reading(&|i, _| i != one));
            }
        }
        // After a question about what someone said, a new name may be what it was said about
        // rather than a new speaker: "what about Huawei?" after "what did Beijing argue?" asks
        // what Beijing argued about Huawei. Names after the claim word are not speakers. A
        // person is: "and Xi?" after "what did Trump say about the call?" asks what Xi said.
        let claims = self.content.iter().any(|c| c.class == ContentClass::Claim);
        let names_more = follow_up
            .content
            .iter()
            .any(|c| c.class == ContentClass::Specific && !people.contains(&c.word));
        if claims && names_more && !new_question {
            let (specific, rest): (Vec<&Content>, Vec<&Content>) = self
                .content
                .iter()
                .partition(|c| c.class == ContentClass::Specific);
            readings.push(
                asks.iter()
                    .chain(
                        specific
                            .into_iter()
                            .chain(rest)
                            .chain(&follow_up.content)
                            .map(|c| &c.word),
                    )
                    .cloned()
                    .collect(),
            );
        }
        // "he" or "she" is one of the people the subject names: "what did he say about it?"
        // after "did Trump talk to Xi?" asks what Trump, or Xi, said.
        let specific = |c: &Content| c.class == ContentClass::Specific && !replaces(c);
        if person && self.content.iter().filter(|c| specific(c)).count() > 1 {
            for (one, _) in self.content.iter().enumerate().filter(|(_, c)| specific(c)) {
                readings.push(reading(&|i, c| !replaces(c) && (i == one || !specific(c))));
            }
        }
        // "it" or "they" stands for the subject: a reading keeping none of its words ("how
        // long did it last?" after "where's the meeting held?" read as "how long … last")
        // asks about something else.
        if follow_up
            .sequence
            .iter()
            .any(|c| PRONOUNS.contains(&c.word.as_str()))
        {
            readings.retain(|r| self.content.iter().any(|c| r.contains(&c.word)));
            // "it" and "that" stand for a thing, not only a name: "how long does it last?"
            // after "what rate did the US set in the truce?" asks how long the truce lasts.
            // (A yes/no check, "is it like 90%?", is settled by the answer before.)
            let thing = !follow_up.asks.is_empty()
                && follow_up.sequence.iter().all(|c| {
                    !PRONOUNS.contains(&c.word.as_str())
                        || matches!(c.word.as_str(), "it" | "its" | "that" | "this")
                });
            let keeps_thing = |r: &Vec<String>| {
                self.content
                    .iter()
                    .any(|c| c.class == ContentClass::Other && r.contains(&c.word))
            };
            if thing && readings.iter().any(keeps_thing) {
                readings.retain(keeps_thing);
            }
            // …and the follow-up's words may add to the subject's rather than replace them
            // ("which city is that in?" after "where are the talks?").
            readings.push(reading(&|_, _| true));
        }
        // "his job" after "who met Reeves?" is He Lifeng's, "her job" Reeves's: a reading
        // naming only people the pronoun fits, when there is one.
        let says = |words: &[&str]| {
            follow_up
                .sequence
                .iter()
                .any(|c| words.contains(&c.word.as_str()))
        };
        let (he, she) = (says(&["he", "him", "his"]), says(&["she", "her", "hers"]));
        if he != she {
            let fits = |r: &Vec<String>| {
                let mut named = r.iter().filter(|w| people.contains(w)).peekable();
                named.peek().is_some() && named.all(|w| women.contains(w) == she)
            };
            if readings.iter().any(fits) {
                readings.retain(fits);
            }
        }
        // A choice stays one: "is that up or down?" offers "up" or "down", not both.
        for choice in follow_up.sequence.windows(3).filter(|w| w[1].word == "or") {
            for reading in &mut readings {
                let at = reading
                    .windows(2)
                    .position(|w| w[0] == choice[0].word && w[1] == choice[2].word);
                if let Some(at) = at {
                    reading.insert(at + 1, "or".to_string());
                }
            }
        }
        readings
    }
}

/// The other of the two sides the talks are between, by the lexicon's canonical words ("us",
/// "china"); `None` for a word naming neither.
pub(super) fn other_side(word: &str) -> Option<&'static str> {
    match word {
        "us" => Some("china"),
        "china" => Some("us"),
        _ => None,
    }
}

/// The question words that open a question about something ("who", "what", "how").
pub(super) const WH_WORDS: &[&str] = &[
    "who", "whom", "whose", "what", "which", "where", "when", "why", "how",
];

/// Pronouns for one person: "he" after a question naming two people is one of them.
pub(super) const PERSONS: &[&str] = &["he", "she", "him", "her", "his"];

/// The words of a question as the analyser reads them, every word kept, each with its class.
fn sequence(engine: &Engine, words: &[String]) -> Vec<Content> {
    engine
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
        .collect()
}

/// Whether words (as a subject's sequence) say "he", "she" or another pronoun for one person.
fn says_he(sequence: &[Content]) -> bool {
    sequence.iter().any(|c| PERSONS.contains(&c.word.as_str()))
}

/// The question words of a question, in order ("how", "much").
fn question_words(words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let after_how = i > 0 && words[i - 1] == "how";
        let asks = WH_WORDS.contains(&w.as_str())
            || (after_how && (score::MEASURES.contains(&w.as_str()) || w == "come"));
        if asks {
            out.push(w.clone());
        }
    }
    out
}

/// Specific words that place a question in time rather than name what it is about.
pub(super) const TIMES: &[&str] = &[
    "before",
    "previous",
    "previously",
    "prior",
    "earlier",
    "after",
    "later",
];

/// The lexicon's word for "the other way around", "vice versa".
pub(super) const REVERSE: &str = "reverse";

/// Prepositions that open a phrase adding to the question before ("to the US?").
const PREPOSITIONS: &[&str] = &[
    "to", "in", "on", "for", "from", "with", "at", "by", "during", "since", "against", "about",
];

const FOLLOW_UP_OPENINGS: &[&[&str]] = &[
    &["and", "what", "about"],
    &["and", "how", "about"],
    &["what", "about"],
    &["how", "about"],
    &["what", "of"],
    &["same", "for"],
    // A correction: "no i meant the chinese guy" asks the question before of someone else.
    &["no", "i", "meant"],
    &["no", "i", "mean"],
    &["i", "meant"],
    &["i", "mean"],
    &["and"],
];

/// The follow-up a message is, if it is one: a message opening with "and" or "what about", or
/// one of question words and claim words only ("why?", "how come?", "who said that?"). Its
/// subject may have no content.
/// The second value tells a follow-up only by its "he" or "it", which is a whole question when
/// nothing came before it ("why are they meeting?").
pub(super) fn as_follow_up(engine: &Engine, words: &[String]) -> Option<(Subject, bool)> {
    // ("ok and the other side?": an acknowledgement first.)
    let acknowledged = words
        .iter()
        .take_while(|w| super::listed(&engine.knowledge.lexicon.phrasing.acknowledgements, w))
        .count();
    let words = &words[acknowledged.min(words.len().saturating_sub(1))..];
    let opening = FOLLOW_UP_OPENINGS
        .iter()
        .find(|o| words.len() > o.len() && words.iter().zip(o.iter()).all(|(w, o)| w == o));
    let rest = &words[opening.map_or(0, |o| o.len())..];
    // (The words of "who is she?" are kept though it names nothing: "she" says whom.)
    let (content, sequence) = Subject::of(engine, rest).map_or_else(
        || (Vec::new(), sequence(engine, rest)),
        |s| (s.content, s.sequence),
    );
    let asks = question_words(rest);
    // Question words with nothing to ask about but what someone said: "why?", "who said
    // that?", "what did he claim?".
    let bare = !asks.is_empty() && content.iter().all(|c| c.class == ContentClass::Claim);
    // "what's his job?", "how long does it last?": about someone or something just named.
    // ("what was it before?" names a time, not something to ask about.)
    // So is "what did he say about China?": "he" with no name before it is someone named
    // earlier ("what did Hassett say when he was interviewed" names him first).
    let person_before = sequence
        .iter()
        .take_while(|c| !PERSONS.contains(&c.word.as_str()))
        .all(|c| c.class != ContentClass::Specific);
    let refers = (points_back(engine, rest)
        && !content
            .iter()
            .any(|c| c.class == ContentClass::Specific && !TIMES.contains(&c.word.as_str())))
        || (says_he(&sequence) && person_before);

    // "to the US?", "in May?": a short phrase opening with a preposition and asking nothing
    // of its own adds to the question before.
    let prepositional = words.len() <= 4
        && asks.is_empty()
        && words
            .first()
            .is_some_and(|w| PREPOSITIONS.contains(&w.as_str()));
    let subject = Subject {
        asks,
        content,
        sequence,
        said: None,
        answered: Vec::new(),
    };
    let turns_around = subject.content.iter().any(|c| c.word == REVERSE);
    // ("the other side?": what the other party says, after a claim.)
    let other_side = words.len() <= 5
        && words.windows(2).any(|w| {
            w[0] == "other" && matches!(w[1].as_str(), "side" | "sides" | "party" | "camp")
        });
    let opens = opening.is_some() || prepositional || other_side;
    let only_refers = !opens && !bare && !turns_around;
    (opens || bare || refers || turns_around).then_some((subject, only_refers))
}
