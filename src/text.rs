//! Text helpers with no knowledge of the bot: splitting text into words, the numbers a text
//! writes, invisible characters, and whether a word is English. A leaf: it imports nothing of
//! the crate.

/// Characters that are invisible or formatting-only and are dropped before anything else.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}

/// Lowercases and splits text into words: runs of letters and digits; a decimal point between
/// digits stays inside a number ("2.9"), everything else separates words.
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = split_any_words(&join_initials(&spell_joiners(text)));
    join_negations(&mut words);
    words
}

/// Text with a "+" or "&" standing alone between words written as "and" ("tariffs + how
/// long").
fn spell_joiners(text: &str) -> std::borrow::Cow<'_, str> {
    let joiner = |w: &str| w == "+" || w == "&";
    if !text.split_whitespace().any(joiner) {
        return text.into();
    }
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| if joiner(w) { "and" } else { w })
        .collect();
    words.join(" ").into()
}

/// Text with initials written with full stops joined into one word: "U.S." reads as "US", not
/// as "u" (chat shorthand for "you") and "s".
fn join_initials(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('.') {
        return text.into();
    }
    let chars: Vec<char> = text.chars().collect();
    let letter = |k: usize| chars.get(k).is_some_and(|c| c.is_alphabetic());
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        // Single letters each followed by a full stop, the last one maybe not: "U.S.", "U.S".
        let mut letters = String::new();
        let mut j = i;
        if i == 0 || !chars[i - 1].is_alphanumeric() {
            while letter(j) && !chars.get(j + 1).is_some_and(|c| c.is_alphanumeric()) {
                letters.push(chars[j]);
                if chars.get(j + 1) != Some(&'.') {
                    j += 1;
                    break;
                }
                j += 2;
            }
        }
        if letters.chars().count() >= 2 {
            out.push_str(&letters);
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out.into()
}

/// The first half of a negation the apostrophe split ("isn" of "isn't"), which is joined to its
/// "t" so that "isn't" reads as the word "isnt" and "won't" never as "won".
const NEGATED: &[&str] = &[
    "isn", "aren", "wasn", "weren", "don", "doesn", "didn", "hasn", "haven", "hadn", "won",
    "wouldn", "couldn", "shouldn", "can", "ain", "mustn", "needn",
];

/// A negated auxiliary as [`split_words`] writes it ("didnt", "isnt", "wont").
pub fn is_negation(word: &str) -> bool {
    word.strip_suffix('t')
        .is_some_and(|stem| NEGATED.contains(&stem))
}

fn join_negations(words: &mut Vec<String>) {
    let mut i = 1;
    while i < words.len() {
        if words[i] == "t" && NEGATED.contains(&words[i - 1].as_str()) {
            words[i - 1].push('t');
            words.remove(i);
        } else {
            i += 1;
        }
    }
}

fn split_any_words(text: &str) -> Vec<String> {
    if text.is_ascii() {
        return split_ascii_words(text.as_bytes());
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().filter(|c| !is_invisible(*c)).peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() {
            cur.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if (c == '.' || c == ',')
            && cur.ends_with(|p: char| p.is_ascii_digit())
            && chars.peek().is_some_and(|n| n.is_ascii_digit())
        {
            cur.push('.');
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// [`split_words`] for ASCII text (most questions): each word is copied once, at its size.
fn split_ascii_words(b: &[u8]) -> Vec<String> {
    let mut out = Vec::with_capacity(b.len() / 4 + 1);
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() {
            let decimal_point = (b[i] == b'.' || b[i] == b',')
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !b[i].is_ascii_alphanumeric() && !decimal_point {
                break;
            }
            i += 1;
        }
        let mut word = b[start..i].to_ascii_lowercase();
        for c in word.iter_mut().filter(|c| **c == b',') {
            *c = b'.';
        }
        // Still ASCII, so always valid UTF-8.
        out.push(String::from_utf8(word).unwrap_or_default());
    }
    out
}

/// Whether a lowercase word is in the Wordnik English word list (about 200,000 words, no
/// proper names).
pub fn is_english_word(word: &str) -> bool {
    wordnik_list::word_exists(word)
}

/// Every number written in a text, as it is written ("30", "2.9", "90").
pub fn numbers(text: &str) -> Vec<String> {
    split_words(text)
        .into_iter()
        .filter_map(|w| {
            let digits: String = w
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            (!digits.is_empty() && digits.chars().next().is_some_and(|c| c.is_ascii_digit()))
                .then_some(digits)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_numbers_and_strips_invisible_characters() {
        assert_eq!(
            split_words("Tariffs\u{200B} at 2.9%, 30% — “year-over-year”!"),
            vec!["tariffs", "at", "2.9", "30", "year", "over", "year"]
        );
        assert_eq!(
            split_words("Rates: 2,5 or 3.1, 1.x and x1.2; 10.,5 A-B"),
            vec![
                "rates", "2.5", "or", "3.1", "1", "x", "and", "x1.2", "10", "5", "a", "b"
            ]
        );
        assert_eq!(
            split_words("Rates: 2,5 or 3.1, 1.x and x1.2; 10.,5 A-B\u{200B}"),
            split_words("Rates: 2,5 or 3.1, 1.x and x1.2; 10.,5 A-B"),
            "the ASCII path and the general one agree"
        );
        assert_eq!(
            numbers("a 90-day period, 2.9% and 4.8%"),
            vec!["90", "2.9", "4.8"]
        );
    }

    #[test]
    fn initials_with_full_stops_are_one_word() {
        assert_eq!(
            split_words("What did the U.S. cut? The U.K and P.R.C."),
            vec!["what", "did", "the", "us", "cut", "the", "uk", "and", "prc"]
        );
        // Not single letters between spaces ("r u"), a name's last letter or a number.
        assert_eq!(
            split_words("r u sure? Mr. Xi. I. 4.8 a.5"),
            vec!["r", "u", "sure", "mr", "xi", "i", "4.8", "a", "5"]
        );
    }

    #[test]
    fn a_standalone_plus_or_ampersand_is_and() {
        assert_eq!(
            split_words("tariffs + how long & where? S&P 1+1"),
            vec![
                "tariffs", "and", "how", "long", "and", "where", "s", "p", "1", "1"
            ]
        );
    }

    #[test]
    fn negations_stay_one_word() {
        assert_eq!(
            split_words("Why isn't it? It won’t, can't: don t"),
            vec!["why", "isnt", "it", "it", "wont", "cant", "dont"]
        );
        assert_eq!(split_words("china's t"), vec!["china", "s", "t"]);
        assert!(
            ["didnt", "wasnt", "wont", "cant"]
                .iter()
                .all(|w| is_negation(w))
        );
        assert!(!is_negation("t") && !is_negation("want") && !is_negation("dont_"));
    }

    #[test]
    fn english_words_are_known_and_names_are_not() {
        assert!(is_english_word("tariff") && is_english_word("greet"));
        assert!(!is_english_word("lutnick") && !is_english_word("tarrifs"));
    }
}
