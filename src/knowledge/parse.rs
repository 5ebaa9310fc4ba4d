//! Parsing and validation of the knowledge files: every check that keeps an answer honest
//! (citations exist, numbers match their sentence, attributed statements stay claims) lives here.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use super::limits;
use super::{
    Ask, Fact, FactKind, Kind, Knowledge, KnowledgeFiles, LexiconData, LoadError, Problem,
    RejectedUpdate, Sentence, Source, Topic, Update,
};
use crate::text::{numbers, split_words};

/// Words that mark a sentence as somebody's statement: a fact drawn from such a sentence must be
/// a claim with a speaker.
/// Words a fact may add to the article's description of a person ("X is the …").
const ROLE_LINKS: &[&str] = &["is", "was", "the", "a", "an", "of", "s"];

const REPORTING_VERBS: &[&str] = &[
    "claimed",
    "claims",
    "argued",
    "argues",
    "described",
    "describes",
    "told",
    "tells",
    "said",
    "says",
    "accused",
    "accuses",
    "alleged",
    "alleges",
    "insisted",
    "insists",
    "stated",
    "warned",
    "asserted",
    "contended",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFacts {
    #[serde(default)]
    topic: Vec<RawTopic>,
    #[serde(default)]
    fact: Vec<RawFact>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    name: Spanned<String>,
    command: Spanned<String>,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFact {
    id: Spanned<String>,
    topics: Spanned<Vec<String>>,
    kind: Spanned<String>,
    speaker: Option<String>,
    verb: Option<String>,
    answer: Spanned<String>,
    sentences: Option<Spanned<Vec<i64>>>,
    #[serde(default)]
    asks: Vec<String>,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    supersedes: Option<Spanned<String>>,
    details: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLexicon {
    #[serde(default)]
    synonyms: toml::Table,
    stopwords: Option<WordList>,
    claim_words: Option<WordList>,
    strict: Option<WordList>,
    women: Option<WordList>,
    #[serde(default)]
    shorthand: toml::Table,
    #[serde(default)]
    kinds: toml::Table,
    #[serde(default)]
    phrasing: super::Phrasing,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordList {
    words: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpdate {
    id: Spanned<String>,
    /// A string, or a TOML date (`date = 2025-06-20`, unquoted), which reads the same.
    date: Spanned<toml::Value>,
    title: Spanned<String>,
    text: Spanned<String>,
    source: Spanned<String>,
    #[serde(default)]
    fact: Vec<RawFact>,
}

/// Collects problems for one file, turning byte offsets into line numbers.
struct Report<'a> {
    file: &'a str,
    text: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Report<'_> {
    fn at(&mut self, offset: usize, message: impl Into<String>) {
        let line = self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1;
        self.problems.push(Problem {
            file: self.file.to_string(),
            line: Some(line),
            message: message.into(),
        });
    }
    fn line(&mut self, line: usize, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            line: Some(line),
            message: message.into(),
        });
    }
    /// A TOML syntax or shape error, at its line (line 1 when the parser gives no place: a
    /// field missing from the whole file).
    fn toml_error(&mut self, e: &toml::de::Error) {
        let msg = e.message().trim();
        let msg = if msg.is_empty() {
            "not valid TOML".to_string()
        } else {
            msg.to_string()
        };
        self.at(e.span().map_or(0, |span| span.start), msg);
    }
}

struct Article {
    title: String,
    /// The line of `title:`, where problems of /source (which shows it) are reported.
    title_line: usize,
    credit: String,
    sentences: Vec<Sentence>,
}

fn parse_article(file: &str, text: &str, problems: &mut Vec<Problem>) -> Article {
    let mut r = Report {
        file,
        text,
        problems,
    };
    let (mut title, mut credit) = (String::new(), String::new());
    let mut title_line = 1;
    let mut sentences: Vec<Sentence> = Vec::new();
    let mut heading = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || (line.starts_with('#') && !line.starts_with("##")) {
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            heading = Some(h.trim().to_string());
        } else if line.starts_with("! ") {
            // A promotional line of the page: kept for fidelity, never citable.
        } else if let Some(t) = line.strip_prefix("title:") {
            title = t.trim().to_string();
            title_line = n;
        } else if let Some(c) = line.strip_prefix("credit:") {
            credit = c.trim().to_string();
        } else if let Some(rest) = line.strip_prefix('[') {
            let Some((num, sentence)) = rest.split_once(']') else {
                r.line(n, "a sentence line needs \"[N] text\"");
                continue;
            };
            let expected = sentences.len() as u32 + 1;
            match num.trim().parse::<u32>() {
                Ok(v) if v == expected && !sentence.trim().is_empty() => sentences.push(Sentence {
                    number: v,
                    text: sentence.trim().to_string(),
                    heading: heading.clone(),
                }),
                Ok(_) if sentence.trim().is_empty() => r.line(n, "sentence text is empty"),
                Ok(v) => r.line(
                    n,
                    format!("sentence number {v} out of order: expected [{expected}]"),
                ),
                Err(_) => r.line(n, format!("\"{num}\" is not a sentence number")),
            }
        } else {
            r.line(
                n,
                "line not understood: expected \"[N] sentence\", \"## heading\", \"! promotional line\", \"title:\", \"credit:\" or a # comment",
            );
        }
    }
    if title.is_empty() {
        r.line(1, "missing \"title:\" line");
    }
    if credit.is_empty() {
        r.line(1, "missing \"credit:\" line naming the source");
    }
    if sentences.is_empty() {
        r.line(1, "no \"[N] sentence\" lines");
    }
    Article {
        title,
        title_line,
        credit,
        sentences,
    }
}

fn parse_lexicon(file: &str, text: &str, problems: &mut Vec<Problem>) -> LexiconData {
    let mut r = Report {
        file,
        text,
        problems,
    };
    let raw: RawLexicon = match toml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            r.toml_error(&e);
            return LexiconData::default();
        }
    };
    let mut data = LexiconData::default();
    for (canonical, variants) in raw.synonyms {
        // Found only for a problem: searching a large lexicon for every key costs more than
        // the rest of the load.
        let line = || key_line(text, &canonical);
        if split_words(&canonical) != [canonical.clone()] {
            r.line(
                line(),
                format!("synonym key \"{canonical}\" must be one lowercase word"),
            );
            continue;
        }
        let list: Vec<String> = match variants.as_array() {
            Some(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            None => {
                r.line(
                    line(),
                    format!("synonyms of \"{canonical}\" must be a list of strings"),
                );
                continue;
            }
        };
        if list.is_empty() || list.iter().any(|v| !v.chars().any(char::is_alphanumeric)) {
            r.line(
                line(),
                format!("synonyms of \"{canonical}\" must be non-empty words"),
            );
            continue;
        }
        data.synonyms.push((canonical, list));
    }
    // A variant listed under two canonical words is read as one of them only, silently; a
    // canonical word listed as another's variant is never read as itself.
    let mut read_as: HashMap<&str, &str> = HashMap::new();
    for (canonical, list) in &data.synonyms {
        for v in list {
            match read_as.insert(v, canonical) {
                Some(other) if other != canonical => r.line(
                    key_line(text, canonical),
                    format!("\"{v}\" is a synonym of both \"{other}\" and \"{canonical}\""),
                ),
                _ => {}
            }
        }
    }
    for (canonical, _) in &data.synonyms {
        if let Some(other) = read_as.get(canonical.as_str()).filter(|o| *o != canonical) {
            r.line(
                key_line(text, canonical),
                format!("\"{canonical}\" is a synonym of \"{other}\", so no word is read as \"{canonical}\""),
            );
        }
    }
    for (short, full) in raw.shorthand {
        let line = || key_line(text, &short);
        let full = full.as_str().map(split_words).unwrap_or_default();
        if split_words(&short) != [short.clone()] || full.is_empty() {
            r.line(
                line(),
                format!("shorthand \"{short}\" must be one lowercase word standing for a non-empty string of words"),
            );
            continue;
        }
        data.shorthand.push((short, full));
    }
    let mut kinds: Vec<Kind> = Vec::new();
    for (name, value) in raw.kinds {
        let line = || key_line(text, &name);
        let one_word = |w: &str| split_words(w) == [w];
        let word_list = |v: &toml::Value| -> Option<Vec<String>> {
            v.as_array()?
                .iter()
                .map(|v| v.as_str().filter(|w| one_word(w)).map(str::to_string))
                .collect::<Option<Vec<String>>>()
                .filter(|l| !l.is_empty())
        };
        // `place = [...]`, or `person = { several = true, words = [...] }`.
        let kind = match &value {
            toml::Value::Table(t) => {
                let several = t.get("several").map(toml::Value::as_bool);
                let asks = t.get("asks").map(|a| a.as_str().and_then(Ask::parse));
                let known = t
                    .keys()
                    .all(|k| matches!(k.as_str(), "words" | "several" | "asks"));
                match (t.get("words").and_then(word_list), several, asks) {
                    (Some(words), Some(Some(_)) | None, Some(Some(_)) | None) if known => {
                        Some(Kind {
                            name: name.clone(),
                            words,
                            several: several.flatten().unwrap_or(false),
                            asks: asks.flatten(),
                        })
                    }
                    _ => None,
                }
            }
            v => word_list(v).map(|words| Kind {
                name: name.clone(),
                words,
                ..Kind::default()
            }),
        };
        let kind = match kind {
            Some(kind) if one_word(&name) => kind,
            _ => {
                r.line(
                    line(),
                    format!("kind \"{name}\" must be one lowercase word with a non-empty list of lowercase words, or a table of `words`, `several = true|false` and `asks` (who, where, when, howmuch, what, why)"),
                );
                continue;
            }
        };
        for w in &kind.words {
            if let Some(other) = kinds.iter().find(|k| k.words.contains(w)) {
                r.line(
                    line(),
                    format!(
                        "\"{w}\" is listed under kinds \"{}\" and \"{name}\"; a word has one kind",
                        other.name
                    ),
                );
            }
        }
        kinds.push(kind);
    }
    // A question's words reach the kinds as the synonyms read them: "switzerland" as "geneva".
    // (One pass over the synonyms: a large lexicon is searched only once.)
    let kind_of: HashMap<&str, &str> = kinds
        .iter()
        .flat_map(|k| k.words.iter().map(|w| (w.as_str(), k.name.as_str())))
        .collect();
    // …as does [strict]: a variant listed there is never seen.
    let strict = raw.strict.map(|w| w.words).unwrap_or_default();
    for (canonical, variants) in &data.synonyms {
        for w in variants {
            if let Some(kind) = kind_of.get(w.as_str()) {
                r.line(
                    key_line(text, kind),
                    format!("kind \"{kind}\" lists \"{w}\", which questions read as \"{canonical}\": list \"{canonical}\""),
                );
            }
            if strict.contains(w) {
                r.line(
                    find_line(text, "\n[strict]") + 1,
                    format!("[strict] lists \"{w}\", which questions read as \"{canonical}\": list \"{canonical}\" or drop the synonym"),
                );
            }
        }
    }
    // A woman is a person the lexicon knows: a misspelt name would silently stand for nobody.
    // (A malformed "person" kind is reported above, once.)
    let women = raw.women.map(|w| w.words).unwrap_or_default();
    let people = kinds.iter().any(|k| k.name == "person");
    for w in &women {
        if people && kind_of.get(w.as_str()) != Some(&"person") {
            r.line(
                find_line(text, "\n[women]") + 1,
                format!("[women] lists \"{w}\", which is no word of the kind \"person\": list a person's canonical word"),
            );
        }
    }
    data.kinds = kinds;
    data.stopwords = raw.stopwords.map(|w| w.words).unwrap_or_default();
    // A synonym is read before a stopword: a word listed as both is never a stopword.
    for w in &data.stopwords {
        if let Some(canonical) = read_as.get(w.as_str()) {
            r.line(
                key_line(text, canonical),
                format!("\"{w}\" is a synonym of \"{canonical}\" and a stopword: list it once"),
            );
        }
    }
    data.claim_words = raw.claim_words.map(|w| w.words).unwrap_or_default();
    data.strict_words = strict;
    data.women = women;
    // The answerer compares these with a question's words one by one: a phrase, or a word with
    // capitals or punctuation, would never match.
    for (name, list) in raw.phrasing.lists() {
        for w in list {
            if split_words(w) != [w.clone()] {
                r.line(
                    key_line(text, name),
                    format!("[phrasing] {name} lists \"{w}\", which is not one lowercase word"),
                );
            }
        }
    }
    data.phrasing = raw.phrasing;
    data
}

/// The 1-based line of the first occurrence of `needle`, or 1.
/// The line of the TOML key `key` (`key = …` at the start of a line): "person" is not found in
/// "inperson = …".
fn key_line(text: &str, key: &str) -> usize {
    let needle = format!("{key} =");
    text.match_indices(&needle)
        .find(|(o, _)| *o == 0 || text.as_bytes()[o - 1] == b'\n')
        .map_or(1, |(o, _)| {
            text[..o].bytes().filter(|&b| b == b'\n').count() + 1
        })
}

fn find_line(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map(|o| text[..o].bytes().filter(|&b| b == b'\n').count() + 1)
        .unwrap_or(1)
}

/// What a fact may cite: the article's sentences or one update's text.
enum Citable<'a> {
    Article(&'a [Sentence]),
    Update { id: &'a str, text: &'a str },
}

/// Fact and update ids: non-empty ASCII letters, digits, `-` and `_`.
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Validates one raw fact and converts it; problems go to `r`.
fn convert_fact(
    raw: RawFact,
    citable: &Citable<'_>,
    topics: &HashSet<String>,
    r: &mut Report<'_>,
) -> Option<Fact> {
    let start = r.problems.len();
    let id_at = raw.id.span().start;
    let id = raw.id.into_inner();
    if !is_identifier(&id) {
        r.at(
            id_at,
            format!("fact id \"{id}\" must be letters, digits, - or _"),
        );
    }
    let topics_at = raw.topics.span().start;
    let fact_topics = raw.topics.into_inner();
    if fact_topics.is_empty() {
        r.at(topics_at, format!("fact \"{id}\" has no topics"));
    }
    for t in &fact_topics {
        if !topics.contains(t) {
            r.at(topics_at, format!("fact \"{id}\": unknown topic \"{t}\""));
        }
    }
    let answer_at = raw.answer.span().start;
    let answer = raw.answer.into_inner().trim().to_string();
    if answer.is_empty() {
        r.at(answer_at, format!("fact \"{id}\" has an empty answer"));
    }
    let kind_at = raw.kind.span().start;
    // None when the kind itself is wrong: the checks that depend on it are then skipped.
    let kind = match (raw.kind.get_ref().as_str(), raw.speaker, raw.verb) {
        ("fact", None, None) => Some(FactKind::Fact),
        ("statistic", None, None) => Some(FactKind::Statistic),
        ("fact" | "statistic", _, _) => {
            r.at(
                kind_at,
                format!("fact \"{id}\": speaker and verb belong to claims only (kind = \"claim\")"),
            );
            None
        }
        ("claim", Some(speaker), Some(verb))
            if !speaker.trim().is_empty() && !verb.trim().is_empty() =>
        {
            Some(FactKind::Claim {
                speaker: speaker.trim().into(),
                verb: verb.trim().into(),
            })
        }
        ("claim", speaker, _) => {
            let missing = if speaker.is_none_or(|s| s.trim().is_empty()) {
                "speaker"
            } else {
                "reporting verb"
            };
            r.at(kind_at, format!("claim \"{id}\" has no {missing}"));
            None
        }
        (other, _, _) => {
            r.at(
                kind_at,
                format!("fact \"{id}\": kind \"{other}\" is not fact, statistic or claim"),
            );
            None
        }
    };
    if raw
        .keys
        .iter()
        .chain(&raw.patterns)
        .any(|k| split_words(k).is_empty())
    {
        r.at(
            id_at,
            format!("fact \"{id}\": keys and patterns must not be empty"),
        );
    }
    let mut asks = Vec::new();
    for a in &raw.asks {
        match Ask::parse(a) {
            Some(v) => asks.push(v),
            None => r.at(
                id_at,
                format!(
                    "fact \"{id}\": asks \"{a}\" is not who, where, when, howmuch, what, why or how"
                ),
            ),
        }
    }
    // Sources, and the text they stand for.
    let mut sources = Vec::new();
    let mut source_text = String::new();
    match (citable, raw.sentences) {
        (Citable::Article(sentences), Some(cited)) => {
            let at = cited.span().start;
            let cited = cited.into_inner();
            if cited.is_empty() {
                r.at(at, format!("fact \"{id}\" cites no sentence"));
            }
            for n in cited {
                match u32::try_from(n)
                    .ok()
                    .filter(|&v| v >= 1 && v as usize <= sentences.len())
                {
                    Some(v) => {
                        sources.push(Source::Sentence(v));
                        source_text.push_str(&sentences[v as usize - 1].text);
                        source_text.push('\n');
                    }
                    None => r.at(
                        at,
                        format!(
                            "fact \"{id}\" cites sentence {n}, but the article has sentences 1 to {}",
                            sentences.len()
                        ),
                    ),
                }
            }
        }
        (Citable::Article(_), None) => {
            r.at(
                id_at,
                format!("fact \"{id}\" has no sentences = [..] to cite"),
            );
        }
        (Citable::Update { id: uid, text }, None) => {
            sources.push(Source::Update((*uid).to_string()));
            source_text.push_str(text);
        }
        (Citable::Update { .. }, Some(cited)) => {
            r.at(
                cited.span().start,
                format!("fact \"{id}\" in an update cites the update's own text; remove sentences"),
            );
        }
    }
    if !source_text.is_empty() {
        let available: HashSet<String> = numbers(&source_text).into_iter().collect();
        for n in numbers(&answer) {
            if !available.contains(&n) {
                r.at(
                    answer_at,
                    format!("fact \"{id}\": the number {n} in its answer does not occur in its cited source"),
                );
            }
        }
        let source_words: HashSet<String> = split_words(&source_text).into_iter().collect();
        let answer_words: HashSet<String> = split_words(&answer).into_iter().collect();
        // What the article says of a speaker before its reporting verb ("White House Economic
        // Council Director Kevin Hassett told …") is the article's own statement: a fact stating
        // only that (who someone is) is not a claim.
        let source_list = split_words(&source_text);
        let before_verb: HashSet<&str> = source_list
            .iter()
            .take_while(|w| !REPORTING_VERBS.contains(&w.as_str()))
            .map(String::as_str)
            .collect();
        let only_before_verb = answer_words
            .iter()
            .all(|w| ROLE_LINKS.contains(&w.as_str()) || before_verb.contains(w.as_str()));
        let verb_in_source = REPORTING_VERBS
            .iter()
            .find(|v| source_words.contains(**v))
            .filter(|_| !only_before_verb);
        // A reporting verb in the answer itself ("Greer said …") states somebody's statement too.
        let verb_in_answer = REPORTING_VERBS.iter().find(|v| answer_words.contains(**v));
        match (&kind, verb_in_source) {
            (Some(FactKind::Fact | FactKind::Statistic), Some(v)) => r.at(
                kind_at,
                format!(
                    "fact \"{id}\": its source says \"{v}\", so it reports somebody's statement: make it kind = \"claim\" with speaker and verb"
                ),
            ),
            (Some(FactKind::Fact | FactKind::Statistic), None) => {
                if let Some(v) = verb_in_answer {
                    r.at(
                        kind_at,
                        format!(
                            "fact \"{id}\": its answer says \"{v}\", so it reports somebody's statement: make it kind = \"claim\" with speaker and verb"
                        ),
                    );
                }
            }
            (Some(FactKind::Claim { speaker, verb }), _) => {
                let verb_l = verb.to_lowercase();
                if !source_words.contains(&verb_l) {
                    r.at(kind_at, format!("claim \"{id}\": its source does not use the verb \"{verb}\""));
                }
                if !answer_words.contains(&verb_l) {
                    r.at(answer_at, format!("claim \"{id}\": its answer must keep the verb \"{verb}\" so it reads as a claim"));
                }
                let surname = split_words(speaker).pop().unwrap_or_default();
                if !answer_words.contains(&surname) {
                    r.at(answer_at, format!("claim \"{id}\": its answer must name the speaker \"{speaker}\""));
                }
            }
            _ => {}
        }
    }
    let supersedes = raw.supersedes.map(|s| s.into_inner());
    let kind = kind?;
    if r.problems.len() > start {
        return None;
    }
    Some(Fact {
        id,
        topics: fact_topics,
        kind,
        answer,
        sources,
        asks,
        keys: raw.keys,
        patterns: raw.patterns,
        supersedes,
        details: raw.details.map(|d| d.into_inner()).unwrap_or_default(),
        superseded_by: None,
        file: r.file.to_string(),
        line: r.text[..id_at.min(r.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1,
    })
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD` (leap years counted).
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !s.is_ascii() {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| {
        s[r.clone()]
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s[r].parse::<u32>().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1000 && (1..=days).contains(&d)
}

/// The line of the `[[topic]]` header a topic's key at `key_at` stands under; the key's own
/// line when the topic is written another way (an inline table).
fn topic_line(text: &str, key_at: usize) -> usize {
    let before = &text[..key_at.min(text.len())];
    let line_of = |o: usize| text[..o].bytes().filter(|&b| b == b'\n').count() + 1;
    match before.rfind("[[topic]]") {
        // No other table header between the header and the key.
        Some(h)
            if !before[h + 9..]
                .lines()
                .any(|l| l.trim_start().starts_with('[')) =>
        {
            line_of(h)
        }
        _ => line_of(before.len()),
    }
}

/// The core files, parsed and validated: what every update is checked against.
struct Core {
    article: Article,
    lexicon: LexiconData,
    topics: Vec<Topic>,
    topic_names: HashSet<String>,
    facts: Vec<Fact>,
}

/// Parses and validates article.txt, lexicon.toml and facts.toml; all or nothing.
fn parse_core(files: &KnowledgeFiles) -> Result<Core, LoadError> {
    let mut problems = Vec::new();
    let article = parse_article(&files.article.0, &files.article.1, &mut problems);
    let lexicon = parse_lexicon(&files.lexicon.0, &files.lexicon.1, &mut problems);

    let (facts_file, facts_text) = (&files.facts.0, &files.facts.1);
    let mut r = Report {
        file: facts_file,
        text: facts_text,
        problems: &mut problems,
    };
    let raw: RawFacts = match toml::from_str(facts_text) {
        Ok(v) => v,
        Err(e) => {
            r.toml_error(&e);
            RawFacts {
                topic: Vec::new(),
                fact: Vec::new(),
            }
        }
    };
    let mut topics = Vec::new();
    let mut topic_names = HashSet::new();
    for t in raw.topic {
        let line = topic_line(facts_text, t.name.span().start);
        let name = t.name.into_inner();
        let command = t.command.into_inner();
        if name.trim().is_empty() {
            r.line(line, "a topic needs a name");
        } else if !topic_names.insert(name.clone()) {
            r.line(line, format!("duplicate topic \"{name}\""));
        }
        if let Some(p) = limits::command_name_problem(&command) {
            r.line(line, format!("topic \"{name}\": {p}"));
        }
        topics.push(Topic {
            name,
            command,
            title: t.title,
            line,
        });
    }
    let mut facts: Vec<Fact> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let citable = Citable::Article(&article.sentences);
    // Details name other facts of this file.
    let ids: HashSet<String> = raw.fact.iter().map(|f| f.id.get_ref().clone()).collect();
    for rf in &raw.fact {
        let Some(details) = &rf.details else { continue };
        for d in details.get_ref().iter().filter(|d| !ids.contains(*d)) {
            r.at(
                details.span().start,
                format!(
                    "fact \"{}\": details names \"{d}\", which is no fact of this file",
                    rf.id.get_ref()
                ),
            );
        }
    }
    for rf in raw.fact {
        let id_at = rf.id.span().start;
        let id = rf.id.get_ref().clone();
        if !seen.insert(id.clone()) {
            r.at(id_at, format!("duplicate fact id \"{id}\""));
            continue;
        }
        if rf.supersedes.is_some() {
            r.at(
                id_at,
                format!("fact \"{id}\": supersedes belongs in an update file"),
            );
            continue;
        }
        if let Some(f) = convert_fact(rf, &citable, &topic_names, &mut r) {
            facts.push(f);
        }
    }
    if !problems.is_empty() {
        return Err(LoadError { problems });
    }
    Ok(Core {
        article,
        lexicon,
        topics,
        topic_names,
        facts,
    })
}

/// What the updates taken so far (in file-name order) have claimed, so each next file is
/// checked against them: ids and facts of the accepted updates, and the ids the rejected ones
/// used, so a later file that depends on a rejected one is told which file stands in its way.
struct Taken {
    /// Core facts and accepted updates' facts.
    fact_ids: HashSet<String>,
    /// Accepted update id → its file.
    update_ids: HashMap<String, String>,
    /// A fact id → (the fact that supersedes it, its file).
    superseded: HashMap<String, (String, String)>,
    /// Update ids of rejected files → the file.
    rejected_update_ids: HashMap<String, String>,
    /// Fact ids of rejected files → the file.
    rejected_fact_ids: HashMap<String, String>,
}

/// The ids an update file uses, read even when the file is rejected.
#[derive(Default)]
struct Claims {
    update_id: Option<String>,
    fact_ids: Vec<String>,
}

/// One update file parsed and validated against what is `taken`: the update and its facts, or
/// `None` with its problems in `problems`.
fn parse_update(
    file: &str,
    text: &str,
    core: &Core,
    taken: &Taken,
    problems: &mut Vec<Problem>,
) -> (Option<(Update, Vec<Fact>)>, Claims) {
    // A byte-order mark (some editors write one) is not part of the TOML; it has no newline,
    // so line numbers stay right.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = Report {
        file,
        text,
        problems,
    };
    let raw: RawUpdate = match toml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            r.toml_error(&e);
            return (None, Claims::default());
        }
    };
    let claims = Claims {
        update_id: Some(raw.id.get_ref().clone()),
        fact_ids: raw.fact.iter().map(|f| f.id.get_ref().clone()).collect(),
    };
    let start = r.problems.len();
    let uid_at = raw.id.span().start;
    let uid = raw.id.into_inner();
    if !is_identifier(&uid) {
        r.at(
            uid_at,
            format!("update id \"{uid}\" must be letters, digits, - or _"),
        );
    } else if let Some(other) = taken.update_ids.get(&uid) {
        r.at(
            uid_at,
            format!("duplicate update id \"{uid}\": {other} already has it"),
        );
    } else if let Some(other) = taken.rejected_update_ids.get(&uid) {
        r.at(
            uid_at,
            format!(
                "update id \"{uid}\" is already used by {other}, which was rejected; fix or remove that file"
            ),
        );
    }
    let date_at = raw.date.span().start;
    let date = match raw.date.into_inner() {
        toml::Value::String(d) => d.trim().to_string(),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        other => other.to_string(),
    };
    if !is_date(&date) {
        r.at(
            date_at,
            format!("date \"{date}\" must be a real date written \"YYYY-MM-DD\""),
        );
    }
    for (field, value, max) in [("title", &raw.title, 200), ("text", &raw.text, 20_000)] {
        let chars = value.get_ref().trim().chars().count();
        if chars == 0 {
            r.at(
                value.span().start,
                format!("update \"{uid}\": {field} is empty"),
            );
        } else if chars > max {
            r.at(
                value.span().start,
                format!("update \"{uid}\": {field} has {chars} characters, at most {max}"),
            );
        }
    }
    if raw.title.get_ref().trim().contains(['\n', '\r']) {
        r.at(
            raw.title.span().start,
            format!("update \"{uid}\": title must be one line"),
        );
    }
    let source = raw.source.get_ref().trim().to_string();
    if let Some(p) = limits::url_problem(&source) {
        r.at(
            raw.source.span().start,
            format!("update \"{uid}\": source {p}"),
        );
    }
    let text_value = raw.text.get_ref().trim().to_string();
    let citable = Citable::Update {
        id: &uid,
        text: &text_value,
    };
    let mut fact_ids: Vec<String> = Vec::new();
    let mut new_facts = Vec::new();
    let mut superseded_here: HashMap<String, String> = HashMap::new();
    for rf in raw.fact {
        let id_at = rf.id.span().start;
        let id = rf.id.get_ref().clone();
        if taken.fact_ids.contains(&id) || fact_ids.contains(&id) {
            r.at(id_at, format!("duplicate fact id \"{id}\""));
            continue;
        }
        if let Some(other) = taken.rejected_fact_ids.get(&id) {
            r.at(
                id_at,
                format!(
                    "fact id \"{id}\" is already used by {other}, which was rejected; fix or remove that file"
                ),
            );
            continue;
        }
        fact_ids.push(id.clone());
        if let Some(details) = &rf.details {
            r.at(
                details.span().start,
                format!("fact \"{id}\": details belongs in facts.toml"),
            );
            continue;
        }
        if let Some(old) = &rf.supersedes {
            let (old_at, old) = (old.span().start, old.get_ref());
            let message = if let Some(f) = taken.rejected_fact_ids.get(old) {
                Some(format!(
                    "fact \"{id}\" supersedes \"{old}\", which comes from {f}, a rejected update; fix that file first"
                ))
            } else if !taken.fact_ids.contains(old) {
                Some(format!(
                    "fact \"{id}\" supersedes \"{old}\", which does not exist"
                ))
            } else if let Some((newer, f)) = taken.superseded.get(old) {
                Some(format!(
                    "fact \"{id}\" supersedes \"{old}\", which fact \"{newer}\" of {f} already supersedes; supersede \"{newer}\" instead"
                ))
            } else {
                superseded_here
                    .insert(old.clone(), id.clone())
                    .map(|newer| {
                        format!(
                            "fact \"{id}\" supersedes \"{old}\", which fact \"{newer}\" of this update already supersedes"
                        )
                    })
            };
            if let Some(message) = message {
                r.at(old_at, message);
                continue;
            }
        }
        if let Some(f) = convert_fact(rf, &citable, &core.topic_names, &mut r) {
            new_facts.push(f);
        }
    }
    if r.problems.len() > start {
        return (None, claims);
    }
    let line = r.text[..uid_at.min(r.text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1;
    let update = Update {
        id: uid,
        date,
        title: raw.title.into_inner().trim().to_string(),
        text: text_value,
        source,
        file: file.to_string(),
        line,
        facts: fact_ids,
    };
    (Some((update, new_facts)), claims)
}

/// Takes the update files in file-name order, each validated against the core and the updates
/// accepted before it. `set_aside` are files an earlier round rejected for Telegram's limits:
/// they are rejected again (with those problems), so what depends on them is too.
fn parse_updates(
    files: &KnowledgeFiles,
    core: &Core,
    set_aside: &[RejectedUpdate],
) -> (Vec<(Update, Vec<Fact>)>, Vec<RejectedUpdate>) {
    let mut taken = Taken {
        fact_ids: core.facts.iter().map(|f| f.id.clone()).collect(),
        update_ids: HashMap::new(),
        superseded: HashMap::new(),
        rejected_update_ids: HashMap::new(),
        rejected_fact_ids: HashMap::new(),
    };
    let mut accepted = Vec::new();
    let mut rejected: Vec<RejectedUpdate> = files
        .update_errors
        .iter()
        .map(|p| RejectedUpdate {
            file: p.file.clone(),
            problems: vec![p.clone()],
        })
        .collect();
    let mut order: Vec<&(String, String)> = files.updates.iter().collect();
    order.sort_by(|a, b| super::update_order(&a.0, &b.0));
    for (file, text) in order {
        let mut problems = Vec::new();
        let (parsed, claims) = parse_update(file, text, core, &taken, &mut problems);
        if let Some(earlier) = set_aside.iter().find(|r| &r.file == file) {
            problems.extend(earlier.problems.iter().cloned());
        }
        match parsed {
            Some((update, facts)) if problems.is_empty() => {
                taken.update_ids.insert(update.id.clone(), file.clone());
                for f in &facts {
                    taken.fact_ids.insert(f.id.clone());
                    if let Some(old) = &f.supersedes {
                        taken
                            .superseded
                            .insert(old.clone(), (f.id.clone(), file.clone()));
                    }
                }
                accepted.push((update, facts));
            }
            _ => {
                if let Some(id) = claims.update_id {
                    taken
                        .rejected_update_ids
                        .entry(id)
                        .or_insert_with(|| file.clone());
                }
                for id in claims.fact_ids {
                    if !taken.fact_ids.contains(&id) {
                        taken
                            .rejected_fact_ids
                            .entry(id)
                            .or_insert_with(|| file.clone());
                    }
                }
                rejected.push(RejectedUpdate {
                    file: file.clone(),
                    problems,
                });
            }
        }
    }
    rejected.sort_by(|a, b| super::update_order(&a.file, &b.file));
    (accepted, rejected)
}

/// Parses and validates everything but Telegram's limits (see [`Knowledge::parse`]).
pub(super) fn parse(
    files: &KnowledgeFiles,
    set_aside: &[RejectedUpdate],
) -> Result<Knowledge, LoadError> {
    let core = parse_core(files)?;
    let (accepted, rejected) = parse_updates(files, &core, set_aside);
    Ok(assemble(files, &core, accepted, rejected))
}

/// The knowledge from the core and the accepted updates, superseding applied.
fn assemble(
    files: &KnowledgeFiles,
    core: &Core,
    accepted: Vec<(Update, Vec<Fact>)>,
    rejected: Vec<RejectedUpdate>,
) -> Knowledge {
    let article = &core.article;
    let topics = core.topics.clone();
    let mut facts = core.facts.clone();
    let mut updates = Vec::new();
    for (u, f) in accepted {
        updates.push(u);
        facts.extend(f);
    }
    // Superseding: updates are applied in date order, so the newest statement wins.
    updates.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
    let order: HashMap<&str, usize> = updates
        .iter()
        .enumerate()
        .flat_map(|(i, u)| u.facts.iter().map(move |f| (f.as_str(), i)))
        .collect();
    let mut replacing: Vec<(usize, usize, usize)> = Vec::new();
    for (new, f) in facts.iter().enumerate() {
        if let Some(old) = f
            .supersedes
            .as_ref()
            .and_then(|o| facts.iter().position(|g| &g.id == o))
        {
            replacing.push((order.get(f.id.as_str()).copied().unwrap_or(0), new, old));
        }
    }
    replacing.sort();
    for (_, new, old) in replacing {
        let new_id = facts[new].id.clone();
        facts[old].superseded_by = Some(new_id);
        // The newer fact also answers the questions the older one answered.
        let (keys, patterns) = (facts[old].keys.clone(), facts[old].patterns.clone());
        facts[new].keys.extend(keys);
        facts[new].patterns.extend(patterns);
    }

    Knowledge {
        origin: files.origin.clone(),
        title: article.title.clone(),
        title_line: article.title_line,
        credit: article.credit.clone(),
        sentences: article.sentences.clone(),
        topics,
        facts,
        updates,
        rejected,
        lexicon: core.lexicon.clone(),
    }
}
