//! The text pipeline shared by facts and questions: normalise, split, apply the lexicon's
//! synonyms, stem, and correct typos against the knowledge's own vocabulary.
//!
//! Facts and questions go through the same pipeline, so "duties on Chinese imports" and
//! "tariffs on china" meet in the same terms (`tariff on china import`).

use std::borrow::Cow;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rust_stemmers::{Algorithm, Stemmer};

use crate::knowledge::{Ask, LexiconData};
use crate::text::{is_english_word, split_words};
use smallvec::SmallVec;

/// One word of analysed text; its strings borrow from the analyser or the split words where they
/// can, so analysing a question allocates little.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// The canonical word after synonyms (e.g. "beijing" becomes "china").
    pub word: Cow<'a, str>,
    /// The stem of `word`, which is what the scorer compares.
    pub stem: Stem<'a>,
    /// A function or question word that carries no subject.
    pub stop: bool,
    /// A word asking what someone said ("claim", "say", "accuse").
    pub claim: bool,
    /// A word naming something specific (a country, a month, a date, an age) that a fact must
    /// itself mention to answer the question.
    pub strict: bool,
}

impl Token<'_> {
    /// The stem's number, if the analyser numbers it.
    pub fn term(&self) -> Option<u32> {
        match self.stem {
            Stem::Known(id) => Some(id),
            Stem::Other(_) => None,
        }
    }
}

/// A stem: by number when the analyser knows it (the stem of a known word or of indexed text),
/// else as text. Two stems are equal exactly when their texts are, so comparing them never reads
/// the text of a known one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stem<'a> {
    Known(u32),
    /// A stem no known word or indexed text has: no fact can match it.
    Other(Cow<'a, str>),
}

/// Tokens of one text; most questions fit without a heap allocation.
pub type Tokens<'a> = SmallVec<[Token<'a>; 12]>;

/// What the lexicon says about a word and its stem, before synonyms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flags {
    stem: u32,
    stop: bool,
    claim: bool,
    strict: bool,
}

/// Marks an absent index in [`WordInfo`].
const NONE: u32 = u32::MAX;

/// How one known word is analysed, worked out once when the analyser is built so that a question
/// costs one lookup per word instead of a stemmer run, set lookups and a synonym search.
#[derive(Debug, Clone, Copy)]
struct WordInfo {
    /// What the word reads as unless a longer synonym phrase starting with it matches: itself,
    /// or the canonical word of its one-word synonym ("beijing" reads as "china").
    reads_as: Flags,
    /// Index into [`Analyzer::canonicals`] of that canonical word, or [`NONE`] for itself.
    canonical: u32,
    /// Index into [`Analyzer::phrases`] of the synonym phrases of two or more words starting
    /// with this word, or [`NONE`].
    phrases: u32,
    /// The word itself asks what someone said (kept whatever it reads as).
    claim_as_written: bool,
    /// The word's number among the known words, which synonym phrases compare.
    id: u32,
}

/// A synonym phrase of two or more words: its words (by [`WordInfo::id`], all known words),
/// and the index of its canonical word in [`Analyzer::canonicals`] with that word's flags.
#[derive(Debug, Clone)]
struct Phrase {
    words: SmallVec<[u32; 4]>,
    canonical: u32,
    flags: Flags,
}

/// The analyser: built once per knowledge base, shared by every question. Stems are numbered
/// here, and the scorer keys its index by those numbers.
pub struct Analyzer {
    /// Every known word (lexicon, facts, article) and canonical synonym.
    words: HashMap<String, WordInfo>,
    /// The canonical words synonyms read as.
    canonicals: Vec<String>,
    /// Lists of synonym phrases sharing a first word, longest first.
    phrases: Vec<Vec<Phrase>>,
    /// Stems by id: those of the known words, then any added by [`Analyzer::add_stems`].
    stems: Vec<String>,
    stem_ids: HashMap<String, u32>,
    stemmer: Stemmer,
    /// Known words of four or more letters by first letter: the candidates of typo correction,
    /// each marked when only a synonym lists it (a misspelling such as "lancester" may be one:
    /// it is a candidate only if it is an English word, checked when it is near a typo).
    vocab: HashMap<char, Vec<(String, bool)>>,
    /// Chat shorthand, from the lexicon.
    shorthand: HashMap<String, Vec<String>>,
    /// Two-word names (synonyms of a strict word: "scott bessent"), matched whole even when
    /// misspelled or in the other order ("scot bessant", "bessent scott").
    names: Vec<[String; 2]>,
    /// Neighbouring words of the known texts, neither a stopword ("trade war"), by each word:
    /// the words that follow it and the words that precede it. An English word one edit from
    /// one of a pair, beside the other, is that word misspelled ("trad war").
    followers: HashMap<String, Vec<String>>,
    leaders: HashMap<String, Vec<String>>,
    /// By stem id, the known word an unknown word with that stem reads as ("worlds" as
    /// "world", and so as "global"); `None` where known words of that stem read differently.
    by_stem: HashMap<u32, Option<String>>,
    /// The lexicon's kinds of detail, by word ("paris" → the index of "place").
    kinds: HashMap<String, usize>,
    /// The kinds' names, whether an event has several of each, and the question a yes/no
    /// question naming one asks, by index.
    kind_traits: Vec<(String, bool, Option<Ask>)>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("phrases", &self.phrases.len())
            .field("known_words", &self.words.len())
            .field("stems", &self.stems.len())
            .finish()
    }
}

impl Analyzer {
    /// Builds the analyser from the lexicon; `extra_vocab` is text whose words count as known
    /// for typo correction (the facts and the article).
    pub fn new<'a>(lexicon: &LexiconData, extra_vocab: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_first: HashMap<String, Vec<(Vec<String>, String)>> = HashMap::default();
        let variants: usize = lexicon.synonyms.iter().map(|(_, v)| v.len()).sum();
        let mut known: HashSet<String> =
            HashSet::with_capacity_and_hasher(2 * variants, Default::default());
        for (canonical, variants) in &lexicon.synonyms {
            known.insert(canonical.clone());
            for v in variants {
                let words = split_words(v);
                if let Some(first) = words.first() {
                    known.extend(words.iter().cloned());
                    by_first
                        .entry(first.clone())
                        .or_default()
                        .push((words.clone(), canonical.clone()));
                }
            }
        }
        let stop: HashSet<String> = lexicon.stopwords.iter().cloned().collect();
        let claim: HashSet<String> = lexicon.claim_words.iter().cloned().collect();
        let strict: HashSet<String> = lexicon.strict_words.iter().cloned().collect();
        known.extend(stop.iter().cloned());
        known.extend(claim.iter().cloned());
        known.extend(strict.iter().cloned());
        let kinds: HashMap<String, usize> = lexicon
            .kinds
            .iter()
            .enumerate()
            .flat_map(|(i, k)| k.words.iter().map(move |w| (w.clone(), i)))
            .collect();
        known.extend(kinds.keys().cloned());
        let mut text_words: HashSet<String> = HashSet::default();
        let mut followers: HashMap<String, Vec<String>> = HashMap::default();
        let mut leaders: HashMap<String, Vec<String>> = HashMap::default();
        for text in extra_vocab {
            let words = split_words(text);
            for w in words.windows(2) {
                if !stop.contains(&w[0]) && !stop.contains(&w[1]) {
                    followers
                        .entry(w[0].clone())
                        .or_default()
                        .push(w[1].clone());
                    leaders.entry(w[1].clone()).or_default().push(w[0].clone());
                }
            }
            text_words.extend(words);
        }
        known.extend(text_words.iter().cloned());
        for (_, full) in &lexicon.shorthand {
            known.extend(full.iter().cloned());
        }
        // Sorted, so that stem ids do not depend on hashing order.
        let mut known: Vec<String> = known.into_iter().collect();
        known.sort_unstable();
        // Typos are corrected to real words only: the knowledge's own, the lexicon's word lists,
        // English ones. A misspelling a synonym lists ("lancester") is understood as written,
        // but is no candidate, or "lancster" would be torn between it and "lancaster".
        let canonicals: HashSet<&str> = lexicon.synonyms.iter().map(|(c, _)| c.as_str()).collect();
        let mut vocab: HashMap<char, Vec<(String, bool)>> = HashMap::default();
        for w in &known {
            let listed = text_words.contains(w)
                || canonicals.contains(w.as_str())
                || stop.contains(w)
                || claim.contains(w)
                || strict.contains(w)
                || kinds.contains_key(w);
            match w.chars().next() {
                Some(first) if w.chars().count() >= 4 && !first.is_ascii_digit() => {
                    vocab.entry(first).or_default().push((w.clone(), !listed));
                }
                _ => {}
            }
        }
        // Sized up front: a few thousand known words, each with a stem.
        let mut analyzer = Analyzer {
            words: HashMap::with_capacity_and_hasher(known.len(), Default::default()),
            canonicals: Vec::new(),
            phrases: Vec::new(),
            stems: Vec::with_capacity(known.len()),
            stem_ids: HashMap::with_capacity_and_hasher(known.len(), Default::default()),
            stemmer: Stemmer::create(Algorithm::English),
            vocab,
            shorthand: lexicon.shorthand.iter().cloned().collect(),
            by_stem: HashMap::default(),
            kinds,
            kind_traits: lexicon
                .kinds
                .iter()
                .map(|k| (k.name.clone(), k.several, k.asks))
                .collect(),
            names: lexicon
                .synonyms
                .iter()
                .filter(|(canonical, _)| strict.contains(canonical))
                .flat_map(|(_, variants)| variants.iter().map(|v| split_words(v)))
                .filter_map(|w| <[String; 2]>::try_from(w).ok())
                // A name is two names: "the states" is no name, and "the status" no typo of it.
                .filter(|[a, b]| !stop.contains(a) && !stop.contains(b))
                .collect(),
            followers,
            leaders,
        };
        // By word id: a known word's place in `known`.
        let word_ids: HashMap<&str, u32> = known
            .iter()
            .enumerate()
            .map(|(i, w)| (w.as_str(), i as u32))
            .collect();
        let flags: Vec<Flags> = known
            .iter()
            .map(|w| Flags {
                stem: analyzer.intern(analyzer.stemmer.stem(w).into_owned()),
                stop: stop.contains(w),
                claim: claim.contains(w),
                strict: strict.contains(w),
            })
            .collect();
        let mut canonical_ids: HashMap<String, u32> = HashMap::default();
        let mut canonical = |c: &String, canonicals: &mut Vec<String>| -> (u32, Flags) {
            let id = *canonical_ids.entry(c.clone()).or_insert_with(|| {
                canonicals.push(c.clone());
                canonicals.len() as u32 - 1
            });
            // Every canonical word is a known word.
            (id, flags[word_ids[c.as_str()] as usize])
        };
        for (id, w) in known.iter().enumerate() {
            let own = flags[id];
            let mut info = WordInfo {
                reads_as: own,
                canonical: NONE,
                phrases: NONE,
                claim_as_written: own.claim,
                id: id as u32,
            };
            if let Some(mut list) = by_first.remove(w) {
                // Longest first; the first one-word variant shadows any later one.
                list.sort_by_key(|v| std::cmp::Reverse(v.0.len()));
                let mut longer = Vec::new();
                for (words, canon) in list {
                    let (id, f) = canonical(&canon, &mut analyzer.canonicals);
                    if words.len() > 1 {
                        longer.push(Phrase {
                            // Every word of a variant is a known word.
                            words: words
                                .iter()
                                .filter_map(|w| word_ids.get(w.as_str()).copied())
                                .collect(),
                            canonical: id,
                            flags: f,
                        });
                        continue;
                    }
                    // (A one-word synonym of a function word, "yikes" of "please", is one.)
                    info.reads_as = Flags {
                        claim: f.claim || own.claim,
                        ..f
                    };
                    info.canonical = id;
                    break;
                }
                if !longer.is_empty() {
                    info.phrases = analyzer.phrases.len() as u32;
                    analyzer.phrases.push(longer);
                }
            }
            let same = |known: &Option<String>| {
                known
                    .as_ref()
                    .and_then(|k| analyzer.words.get(k))
                    .is_some_and(|k| k.reads_as == info.reads_as && k.canonical == info.canonical)
            };
            analyzer
                .by_stem
                .entry(own.stem)
                .and_modify(|known| {
                    if !same(known) {
                        *known = None;
                    }
                })
                .or_insert_with(|| Some(w.clone()));
            analyzer.words.insert(w.clone(), info);
        }
        analyzer
    }

    /// The known word an unknown word is an inflection of ("worlds" of "world"), if its stem
    /// is one known words share and read alike; "talkin" is "talking" with its g dropped.
    fn inflection_of(&self, word: &str) -> Option<&str> {
        let word = match word.strip_suffix("in") {
            Some(base) if base.len() >= 2 => {
                let full = format!("{word}g");
                match self.words.get_key_value(full.as_str()) {
                    Some((known, _)) => return Some(known),
                    None => std::borrow::Cow::Owned(full),
                }
            }
            _ => std::borrow::Cow::Borrowed(word),
        };
        let id = self.stem_ids.get(self.stemmer.stem(&word).as_ref())?;
        self.by_stem.get(id)?.as_deref()
    }

    /// The lexicon's kind of detail a word names ("paris": a place), as an index.
    pub fn kind(&self, word: &str) -> Option<usize> {
        self.kinds.get(word).copied()
    }

    /// Whether an event has several details of this kind (the lexicon's `several`): several
    /// people take part in the talks, where they have one place and one month. A person the
    /// article names is asked about in their own right ("did Greer meet Reeves"); only one it
    /// does not name is a wrong detail that who took part settles ("was the delegation led by
    /// Li Qiang").
    pub fn several(&self, kind: usize) -> bool {
        self.kind_traits.get(kind).is_some_and(|t| t.1)
    }

    /// The question a yes/no question naming a detail of this kind asks (the lexicon's
    /// `asks`): "is the meeting in London?" asks where.
    pub fn kind_asks(&self, kind: usize) -> Option<Ask> {
        self.kind_traits.get(kind).and_then(|t| t.2)
    }

    /// A question's words with chat shorthand written out ("wat r u" → "what are you").
    pub fn expand_shorthand(&self, words: Vec<String>) -> Vec<String> {
        if !words.iter().any(|w| self.shorthand.contains_key(w)) {
            return words;
        }
        let mut out = Vec::with_capacity(words.len() + 2);
        for w in words {
            match self.shorthand.get(&w) {
                Some(full) => out.extend(full.iter().cloned()),
                None => out.push(w),
            }
        }
        out
    }

    /// How a known word is analysed; `None` for a word the analyser does not know.
    fn info(&self, word: &str) -> Option<&WordInfo> {
        self.words.get(word)
    }

    /// The text of a stem.
    pub fn stem_text<'s>(&'s self, stem: &'s Stem<'_>) -> &'s str {
        match stem {
            Stem::Known(id) => self.stems.get(*id as usize).map_or("", String::as_str),
            Stem::Other(text) => text,
        }
    }

    /// The id of `stem`, numbering it if it is new.
    fn intern(&mut self, stem: String) -> u32 {
        if let Some(&id) = self.stem_ids.get(&stem) {
            return id;
        }
        let id = self.stems.len() as u32;
        self.stems.push(stem.clone());
        self.stem_ids.insert(stem, id);
        id
    }

    /// Numbers the stems of `text`'s words too, without making them known words (typo correction
    /// does not aim at them): text the scorer indexes beyond the vocabulary, such as an update's
    /// wording or a claim's speaker.
    pub(crate) fn add_stems(&mut self, text: &str) {
        for w in split_words(text) {
            if self.info(&w).is_none() {
                let stem = self.stemmer.stem(&w).into_owned();
                self.intern(stem);
            }
        }
    }

    /// How many stems are numbered; every [`Token::term`] is below this.
    pub fn stem_count(&self) -> usize {
        self.stems.len()
    }

    /// The correction of one word, `None` for a known one: [`Analyzer::nearest`] as the tests
    /// call it (the bot corrects through [`Analyzer::tokens_into`]).
    #[cfg(test)]
    fn correct(&self, word: &str) -> Option<String> {
        if self.info(word).is_some() {
            return None;
        }
        self.nearest(word).map(str::to_string)
    }

    /// For a word the analyser does not know: the closest known word within one edit (two for
    /// words of seven letters or more that keep their last letter), if exactly one candidate is
    /// closest; a three-letter word only by [`Analyzer::swapped`]; numbers and shorter words are
    /// never corrected.
    fn nearest(&self, word: &str) -> Option<&str> {
        let len = word.chars().count();
        let first = word.chars().next()?;
        // A correctly spelled English word is never turned into another word ("greet" is not
        // "greer"): only words that are in no English word list are typos.
        if len < 3 || first.is_ascii_digit() || is_english_word(word) {
            return None;
        }
        if len == 3 {
            return self.swapped(word);
        }
        let limit = if len >= 7 { 2 } else { 1 };
        let mut best: Option<(usize, &str)> = None;
        let mut tie = false;
        for (cand, variant_only) in self.vocab.get(&first)? {
            if cand.chars().count().abs_diff(len) > limit {
                continue;
            }
            // In eighths of an edit, so that likelier slips rank first.
            let mut d = 8 * strsim::osa_distance(word, cand);
            // Two edits only where the word still ends the same ("tarrifs" → "tariffs").
            if d == 0 || d > 8 * limit || (d == 16 && cand.chars().last() != word.chars().last()) {
                continue;
            }
            if *variant_only && !is_english_word(cand) {
                continue;
            }
            // A dropped double letter is the likeliest slip ("atended" is "attended" rather
            // than "amended"); then a dropped letter or two swapped ("bejing" is "beijing"
            // rather than "being", "waht" is "what" rather than "want").
            match dropped_letter(word, cand) {
                Some(true) => d -= 4,
                Some(false) => d -= 2,
                None if swaps_two_letters(word, cand) => d -= 2,
                None => {}
            }
            // A word of the knowledge before one only a synonym phrase uses ("truse" is
            // "truce", not the "true" of "is it true that").
            if *variant_only {
                d += 1;
            }
            match best {
                Some((bd, _)) if d > bd => {}
                // A tie between forms of one word ("tariff", "tariffs") is no ambiguity.
                Some((bd, b)) if d == bd => {
                    tie |= self.stemmer.stem(b) != self.stemmer.stem(cand);
                }
                _ => {
                    best = Some((d, cand));
                    tie = false;
                }
            }
        }
        match best {
            Some((_, cand)) if !tie => Some(cand),
            _ => None,
        }
    }

    /// The one known word a three-letter word is with two neighbouring letters swapped back
    /// ("teh" is "the", "hwo" is "who"): the one slip common enough in words this short to
    /// correct; any other edit of three letters reaches too many words.
    fn swapped(&self, word: &str) -> Option<&str> {
        let letters: Vec<char> = word.chars().collect();
        let mut found = (1..letters.len()).filter_map(|i| {
            let mut swapped = letters.clone();
            swapped.swap(i - 1, i);
            let swapped: String = swapped.into_iter().collect();
            self.words.get_key_value(&swapped).map(|(w, _)| w.as_str())
        });
        match (found.next(), found.next()) {
            (Some(w), None) if w != word => Some(w),
            _ => None,
        }
    }

    /// Analyses text into tokens. With `correct_typos`, unknown words are first replaced by their
    /// closest known word, when exactly one is within one edit (two for longer words); numbers
    /// and words under three letters are kept (three-letter ones unless two letters are swapped).
    pub fn tokens(&self, text: &str, correct_typos: bool) -> Vec<Token<'static>> {
        let words = split_words(text);
        let mut tokens = Tokens::new();
        self.tokens_into(&words, correct_typos, &mut tokens);
        tokens
            .into_iter()
            .map(|t| Token {
                word: Cow::Owned(t.word.into_owned()),
                stem: match t.stem {
                    Stem::Known(id) => Stem::Known(id),
                    Stem::Other(s) => Stem::Other(Cow::Owned(s.into_owned())),
                },
                ..t
            })
            .collect()
    }

    /// [`Analyzer::tokens`] for text already split by [`split_words`], appended to `out`.
    pub fn tokens_into<'a>(
        &'a self,
        words: &'a [String],
        correct_typos: bool,
        out: &mut Tokens<'a>,
    ) {
        // Each word as understood (corrected if unknown) and how it is analysed.
        let mut seen: SmallVec<[(&'a str, Option<&'a WordInfo>); 16]> = SmallVec::new();
        seen.extend(words.iter().map(|w| {
            match self.info(w) {
                Some(info) => (w.as_str(), Some(info)),
                None => match self
                    .inflection_of(w)
                    .or_else(|| correct_typos.then(|| self.nearest(w)).flatten())
                {
                    Some(c) => (c, self.info(c)),
                    None => (w.as_str(), None),
                },
            }
        }));
        // A misspelled or reversed two-word name is the name ("scot bessant"): each word
        // within one edit of the name's, which a word alone would not be corrected to when it
        // is an English word ("scot").
        if correct_typos {
            for i in 1..words.len() {
                let (a, b) = (&words[i - 1], &words[i]);
                let near = |w: &str, n: &str| {
                    w == n
                        || (w.len() >= 3
                            && n.len() >= 3
                            && w.len().abs_diff(n.len()) <= 1
                            && strsim::osa_distance(w, n) <= 1)
                };
                // Only a pair with a word the analyser does not know can be misspelled; two
                // known words can only be a name the other way round.
                let misspelled = self.info(a).is_none() || self.info(b).is_none();
                let name = self.names.iter().find(|[p, q]| {
                    if !misspelled {
                        return a == q && b == p;
                    }
                    (a != p || b != q) && ((near(a, p) && near(b, q)) || (near(a, q) && near(b, p)))
                });
                if let Some([p, q]) = name {
                    seen[i - 1] = (p.as_str(), self.info(p));
                    seen[i] = (q.as_str(), self.info(q));
                }
            }
            // An English word the analyser does not know, beside a word it forms a known pair
            // with when one edit away ("trad war": "trade war"), is that word misspelled.
            for i in 0..words.len() {
                if seen[i].1.is_some() || words[i].chars().count() < 3 {
                    continue;
                }
                let w = words[i].as_str();
                let near = |cand: &str| {
                    cand.len().abs_diff(w.len()) <= 1 && strsim::osa_distance(w, cand) == 1
                };
                let before = i.checked_sub(1).and_then(|j| self.followers.get(seen[j].0));
                let after = seen.get(i + 1).and_then(|n| self.leaders.get(n.0));
                let mut found: SmallVec<[&String; 2]> = before
                    .into_iter()
                    .chain(after)
                    .flatten()
                    .filter(|c| near(c))
                    .collect();
                found.sort_unstable();
                found.dedup();
                // (Only one such word: "fal" beside "imports" could be "fall" or "fell".)
                if let [c] = found.as_slice() {
                    seen[i] = (c.as_str(), self.info(c));
                }
            }
        }
        let mut i = 0;
        while i < seen.len() {
            let (written, info) = seen[i];
            let Some(info) = info else {
                // Stop, claim and strict words are all known: an unknown word has no flags.
                let stem = self.stemmer.stem(written);
                out.push(Token {
                    word: Cow::Borrowed(written),
                    stem: match self.stem_ids.get(stem.as_ref()) {
                        Some(&id) => Stem::Known(id),
                        None => Stem::Other(stem),
                    },
                    stop: false,
                    claim: false,
                    strict: false,
                });
                i += 1;
                continue;
            };
            // The longest phrase starting at `at`, if any.
            let phrase_at = |at: usize| {
                let first = seen[at].1?;
                self.phrases
                    .get(first.phrases as usize)
                    .into_iter()
                    .flatten()
                    .find(|p| {
                        seen.len() - at >= p.words.len()
                            && seen[at..at + p.words.len()]
                                .iter()
                                .zip(&p.words)
                                .all(|((_, w), v)| w.is_some_and(|w| w.id == *v))
                    })
            };
            // A phrase opening with an article gives way to a longer one starting inside it:
            // "the chinese phone maker" is "the" and "chinese phone maker", not "the chinese"
            // and "phone maker".
            let phrase = phrase_at(i).filter(|p| {
                let end = i + p.words.len();
                !matches!(written, "the" | "a" | "an")
                    || !(i + 1..end).any(|k| phrase_at(k).is_some_and(|q| k + q.words.len() > end))
            });
            let (word, f, stop, used) = match phrase {
                // A phrase reading as a function word ("the deal with" as "about") is one too.
                Some(p) => (Some(p.canonical), p.flags, p.flags.stop, p.words.len()),
                None => {
                    let f = info.reads_as;
                    (Some(info.canonical), f, f.stop, 1)
                }
            };
            let word = match word.and_then(|c| self.canonicals.get(c as usize)) {
                Some(canonical) => canonical.as_str(),
                None => written,
            };
            out.push(Token {
                word: Cow::Borrowed(word),
                stem: Stem::Known(f.stem),
                stop,
                claim: f.claim || info.claim_as_written,
                strict: f.strict,
            });
            i += used;
        }
    }
}

/// Whether `word` is `cand` with one letter left out, and then whether that letter was one
/// of a double ("atended" of "attended"): `None` when it is not.
fn dropped_letter(word: &str, cand: &str) -> Option<bool> {
    let c: Vec<char> = cand.chars().collect();
    if c.len() != word.chars().count() + 1 {
        return None;
    }
    let dropped = |i: usize| c[..i].iter().chain(&c[i + 1..]).copied().eq(word.chars());
    let doubled = (1..c.len()).any(|i| c[i] == c[i - 1] && dropped(i));
    (doubled || (0..c.len()).any(dropped)).then_some(doubled)
}

/// Whether `word` is `cand` with two neighbouring letters swapped ("waht" of "what").
fn swaps_two_letters(word: &str, cand: &str) -> bool {
    let (w, c): (Vec<char>, Vec<char>) = (word.chars().collect(), cand.chars().collect());
    w.len() == c.len()
        && (1..w.len()).any(|i| {
            w[i - 1] == c[i]
                && w[i] == c[i - 1]
                && w[..i - 1] == c[..i - 1]
                && w[i + 1..] == c[i + 1..]
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex() -> LexiconData {
        LexiconData {
            synonyms: vec![
                ("us".into(), vec!["united states".into(), "american".into()]),
                ("china".into(), vec!["beijing".into(), "chinese".into()]),
            ],
            stopwords: vec!["the".into(), "on".into()],
            claim_words: vec!["said".into()],
            strict_words: vec!["japan".into()],
            shorthand: vec![("u".into(), vec!["you".into()])],
            kinds: vec![crate::knowledge::Kind {
                name: "place".into(),
                words: vec!["paris".into()],
                ..Default::default()
            }],
            women: Vec::new(),
            phrasing: Default::default(),
        }
    }

    /// The words of `text` as the analyser reads them.
    fn read(a: &Analyzer, text: &str, correct_typos: bool) -> Vec<String> {
        a.tokens(text, correct_typos)
            .iter()
            .map(|t| t.word.to_string())
            .collect()
    }

    #[test]
    fn multiword_synonyms_become_one_canonical_token() {
        let a = Analyzer::new(&lex(), ["tariffs goods"]);
        let t = a.tokens("The United States said tariffs on Chinese goods", false);
        let words: Vec<&str> = t.iter().map(|t| t.word.as_ref()).collect();
        assert_eq!(
            words,
            ["the", "us", "said", "tariffs", "on", "china", "goods"]
        );
        assert!(t[0].stop && !t[1].stop && t[2].claim);
        assert_eq!(a.stem_text(&t[3].stem), "tariff");
    }

    #[test]
    fn a_phrase_opening_with_an_article_gives_way_to_a_longer_one_inside_it() {
        let mut lexicon = lex();
        lexicon.synonyms.push((
            "huawei".into(),
            vec!["chinese phone maker".into(), "the phone maker".into()],
        ));
        lexicon.synonyms[1].1.push("the chinese".into());
        let a = Analyzer::new(&lexicon, ["huawei"]);
        let words = |text: &str| read(&a, text, false);
        assert_eq!(words("the chinese phone maker"), ["the", "huawei"]);
        // (Only a longer one: "the chinese" alone, or before another word, is China.)
        assert_eq!(words("the chinese said"), ["china", "said"]);
        assert_eq!(words("the phone maker"), ["huawei"]);
    }

    #[test]
    fn known_words_of_any_length_get_numbered_stems() {
        let mut lexicon = lex();
        lexicon.strict_words.push("internationalisation".into());
        let a = Analyzer::new(&lexicon, ["tariffs"]);
        let t = a.tokens("Internationalisation tariff tariffs zzyzx", false);
        assert!(t[0].strict, "a long word is found with its flags");
        assert!(matches!(t[0].stem, Stem::Known(_)));
        assert_eq!(a.stem_text(&t[0].stem), "internationalis");
        assert_eq!(t[1].stem, t[2].stem, "one stem, one number");
        assert_eq!(t[3].stem, Stem::Other("zzyzx".into()));
        assert_eq!(
            a.correct("internationalisatoin").as_deref(),
            Some("internationalisation")
        );
    }

    #[test]
    fn corrects_one_typo_but_never_short_words_or_numbers() {
        let a = Analyzer::new(&lex(), ["tariffs semiconductor lutnick who"]);
        assert_eq!(a.correct("tarrifs").as_deref(), Some("tariffs"));
        assert_eq!(a.correct("semiconducter").as_deref(), Some("semiconductor"));
        assert_eq!(a.correct("lutnik").as_deref(), Some("lutnick"));
        assert_eq!(a.correct("age"), None);
        // Three letters: only two neighbours swapped, and only into a known word.
        assert_eq!(a.correct("teh").as_deref(), Some("the"));
        assert_eq!(a.correct("hwo").as_deref(), Some("who"));
        assert_eq!(a.correct("tge"), None);
        assert_eq!(a.correct("eht"), None);
        assert_eq!(a.correct("japan"), None);
        assert_eq!(a.correct("tariffs"), None);
    }

    #[test]
    fn a_dropped_or_swapped_letter_breaks_a_tie() {
        let a = Analyzer::new(&lex(), ["beijing being what want"]);
        assert_eq!(a.correct("bejing").as_deref(), Some("beijing"));
        assert_eq!(a.correct("waht").as_deref(), Some("what"));
    }

    #[test]
    fn never_corrects_a_correctly_spelled_english_word() {
        // "tariff" is one edit from "tarifa" and "lutnick" from "lutnicks", but only words
        // that are not English are typos: "greet" stays "greet" beside "greer".
        let a = Analyzer::new(&lex(), ["greer tariffs sales"]);
        assert_eq!(a.correct("greet"), None);
        assert_eq!(a.correct("scales"), None);
        assert_eq!(a.correct("grier").as_deref(), Some("greer"));
        assert!(is_english_word("greet") && !is_english_word("grier"));
    }

    #[test]
    fn a_misspelled_or_reversed_two_word_name_is_the_name() {
        let mut lexicon = lex();
        lexicon
            .synonyms
            .push(("bessent".into(), vec!["scott bessent".into()]));
        lexicon.strict_words.push("bessent".into());
        let a = Analyzer::new(&lexicon, ["bessent scott"]);
        for q in ["scot bessant", "bessent scott", "Scott Besent"] {
            let t = a.tokens(q, true);
            assert_eq!(t.len(), 1, "{q}: {t:?}");
            assert_eq!(t[0].word, "bessent", "{q}");
        }
        // "scot" alone stays the English word it is.
        assert_eq!(a.tokens("scot", true)[0].word, "scot");
        // A two-word variant with a function word is no name: "the status" is not "the states".
        let mut lexicon = lex();
        lexicon.synonyms[0].1.push("the states".into());
        lexicon.strict_words.push("us".into());
        let a = Analyzer::new(&lexicon, ["truce"]);
        assert_eq!(
            read(&a, "the status of the truce", true),
            ["the", "status", "of", "the", "truce"]
        );
    }

    #[test]
    fn an_unknown_inflection_of_a_known_word_reads_as_that_word() {
        let a = Analyzer::new(&lex(), ["tariffs"]);
        assert_eq!(read(&a, "americans chineses", false), ["us", "china"]);
        // …and a dropped g is the word with it.
        let a = Analyzer::new(&lex(), ["talking"]);
        assert_eq!(a.tokens("talkin", false)[0].word, "talking");
    }

    #[test]
    fn an_english_word_beside_its_pair_partner_is_a_typo() {
        let a = Analyzer::new(&lex(), ["the trade war began", "tariffs"]);
        let words = |q: &str| read(&a, q, true);
        // "trad" is an English word, so alone it stays; beside "war" it is "trade".
        assert_eq!(words("trad war"), ["trade", "war"]);
        assert_eq!(words("trad music"), ["trad", "music"]);
    }

    #[test]
    fn shorthand_is_written_out() {
        let a = Analyzer::new(&lex(), ["tariffs"]);
        let words = split_words("do u know");
        assert_eq!(a.expand_shorthand(words), ["do", "you", "know"]);
    }

    #[test]
    fn a_synonym_of_a_function_word_is_one() {
        let mut lexicon = lex();
        lexicon.stopwords.push("please".into());
        let variants = vec!["yikes".into(), "thank you kindly".into()];
        lexicon.synonyms.push(("please".into(), variants));
        let a = Analyzer::new(&lexicon, ["tariffs"]);
        let tokens = a.tokens("yikes tariffs thank you kindly", false);
        let stop: Vec<bool> = tokens.iter().map(|t| t.stop).collect();
        assert_eq!(stop, [true, false, true], "{tokens:?}");
    }
}
