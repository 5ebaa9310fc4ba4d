//! Knowledge loading and validation: the shipped files load, and each kind of malformed file is
//! refused whole with file, line and reason.

use trade_talks_bot::knowledge::{KnowledgeBase, KnowledgeFiles, Problem};

fn with_facts(extra: &str) -> KnowledgeFiles {
    let mut files = KnowledgeFiles::builtin();
    files.facts.1.push_str(extra);
    files
}

fn problems(files: &KnowledgeFiles) -> Vec<Problem> {
    match KnowledgeBase::from_files(files) {
        Ok(_) => panic!("expected the files to be refused"),
        Err(e) => e.problems,
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].lines().count() + 1
}

#[test]
fn shipped_knowledge_covers_the_article() {
    let kb = KnowledgeBase::builtin().unwrap();
    assert_eq!(kb.sentences.len(), 17);
    // Every sentence of the article is cited by at least one fact.
    for s in &kb.sentences {
        assert!(
            kb.facts.iter().any(|f| f
                .sources
                .contains(&trade_talks_bot::knowledge::Source::Sentence(s.number))),
            "sentence {} is not covered by any fact",
            s.number
        );
    }
    // Promotional lines are not sentences.
    assert!(
        kb.sentences
            .iter()
            .all(|s| !s.text.contains("Memecoin") && !s.text.contains("follow us"))
    );
    // Attributed statements are claims with their speaker.
    for (id, speaker) in [
        ("greer-magnets", "Jamieson Greer"),
        ("beijing-accusations", "Beijing"),
        ("hassett-cbs", "Kevin Hassett"),
        ("trump-very-good-talk", "Donald Trump"),
    ] {
        match &kb.fact(id).unwrap().kind {
            trade_talks_bot::knowledge::FactKind::Claim { speaker: s, .. } => {
                assert_eq!(s, speaker)
            }
            other => panic!("{id} is {other:?}, not a claim"),
        }
    }
}

#[test]
fn duplicate_id_is_reported_with_its_line() {
    let extra = "\n[[fact]]\nid = \"venue\"\ntopics = [\"where\"]\nkind = \"fact\"\nanswer = \"Lancaster House.\"\nsentences = [2]\n";
    let files = with_facts(extra);
    let p = problems(&files);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].message.contains("duplicate fact id \"venue\""),
        "{p:?}"
    );
    let dup_line = files
        .facts
        .1
        .rfind("id = \"venue\"")
        .map(|o| files.facts.1[..o].lines().count() + 1)
        .unwrap();
    assert_eq!(p[0].line, Some(dup_line));
    assert!(
        p[0].to_string()
            .starts_with(&format!("facts.toml:{dup_line}: "))
    );
}

#[test]
fn missing_sentence_wrong_number_unmarked_claim_and_speakerless_claim_are_all_reported() {
    let extra = r#"
[[fact]]
id = "bad-sentence"
topics = ["where"]
kind = "fact"
answer = "Somewhere."
sentences = [42]

[[fact]]
id = "bad-number"
topics = ["tariffs"]
kind = "statistic"
answer = "The US set tariffs of 35%."
sentences = [8]

[[fact]]
id = "unmarked-claim"
topics = ["claims"]
kind = "fact"
answer = "China failed to remove export restrictions on rare earth magnets."
sentences = [6]

[[fact]]
id = "no-speaker"
topics = ["claims"]
kind = "claim"
verb = "argued"
answer = "The US violated the agreement."
sentences = [7]
"#;
    let files = with_facts(extra);
    let p = problems(&files);
    let text = &files.facts.1;
    let find = |needle: &str| {
        p.iter()
            .find(|x| x.message.contains(needle))
            .unwrap_or_else(|| panic!("no problem mentioning {needle:?} in {p:#?}"))
    };
    assert_eq!(
        find("cites sentence 42").line,
        Some(line_of(text, "sentences = [42]"))
    );
    assert_eq!(
        find("number 35").line,
        Some(line_of(text, "answer = \"The US set tariffs of 35%.\""))
    );
    assert_eq!(
        find("\"unmarked-claim\": its source says \"claimed\"").line,
        Some(line_of(text, "kind = \"fact\"\nanswer = \"China failed"))
    );
    assert_eq!(
        find("claim \"no-speaker\" has no speaker").line,
        Some(line_of(text, "kind = \"claim\"\nverb = \"argued\""))
    );
    assert_eq!(p.len(), 4, "{p:#?}");
}

#[test]
fn syntax_errors_and_unknown_fields_name_the_line() {
    let mut files = KnowledgeFiles::builtin();
    files.facts.1 = "[[fact]]\nid = \"x\"\ntopics = [\"where\"\nkind = \"fact\"\n".into();
    let p = problems(&files);
    assert_eq!(p[0].file, "facts.toml");
    assert!(p[0].line.is_some(), "{p:?}");

    let p = problems(&with_facts(
        "\n[[fact]]\nid = \"typo-field\"\ntopic = [\"where\"]\n",
    ));
    assert!(p[0].message.contains("topic"), "{p:?}");
    assert!(p[0].line.is_some());
}

#[test]
fn article_numbering_must_be_continuous() {
    let mut files = KnowledgeFiles::builtin();
    files.article.1 = files.article.1.replace("[9] Yet", "[10] Yet");
    let p = problems(&files);
    assert!(p[0].message.contains("expected [9]"), "{p:?}");
    assert_eq!(p[0].line, Some(line_of(&files.article.1, "[10] Yet")));

    let mut files = KnowledgeFiles::builtin();
    files.article.1.push_str("\nsome stray line\n");
    let p = problems(&files);
    assert!(
        p.iter().any(|x| x.message.contains("line not understood")),
        "{p:?}"
    );
}

#[test]
fn a_claim_must_keep_its_speaker_and_verb_in_the_answer() {
    let extra = r#"
[[fact]]
id = "laundered-claim"
topics = ["claims"]
kind = "claim"
speaker = "Jamieson Greer"
verb = "claimed"
answer = "China failed to remove export restrictions on rare earth magnets."
sentences = [6]
"#;
    let p = problems(&with_facts(extra));
    assert!(
        p.iter().any(|x| x.message.contains("must keep the verb")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|x| x.message.contains("must name the speaker")),
        "{p:?}"
    );
}

/// The built-in knowledge plus `updates/001.toml`: an update whose fact replaces
/// `tariff-us-on-china` (also used by the rendering tests).
pub(crate) fn with_update_replacing_a_fact() -> KnowledgeFiles {
    let mut files = KnowledgeFiles::builtin();
    files.updates.push((
        "updates/001.toml".into(),
        r#"
id = "tariff-cut"
date = "2025-06-20"
title = "US cuts tariffs again"
text = "The US lowered its tariffs on Chinese goods to 20%."
source = "https://example.org/news/1"

[[fact]]
id = "tariff-us-20"
topics = ["tariffs"]
kind = "statistic"
answer = "The US lowered its tariffs on Chinese goods to 20%."
supersedes = "tariff-us-on-china"
"#
        .into(),
    ));
    files
}

#[test]
fn updates_are_validated_and_supersede_facts() {
    let mut files = with_update_replacing_a_fact();
    let kb = KnowledgeBase::from_files(&files).unwrap();
    assert_eq!(
        kb.fact("tariff-us-on-china")
            .unwrap()
            .superseded_by
            .as_deref(),
        Some("tariff-us-20")
    );
    let reply = trade_talks_bot::answer::respond(&kb, "/tariffs", None);
    let text = trade_talks_bot::render::plain(&kb, &reply);
    assert!(
        text.contains("20%")
            && text.contains("Previously: The US reduced its tariffs on Chinese goods to 30%."),
        "{text}"
    );
    let reply = trade_talks_bot::answer::respond(
        &kb,
        "what tariff does the us charge on chinese goods",
        None,
    );
    assert_eq!(
        trade_talks_bot::render::fact_ids(&kb, &reply)[0],
        "tariff-us-20"
    );

    // A number the update's text does not contain, a bad date and a dangling supersedes.
    files.updates[0].1 = files.updates[0]
        .1
        .replace("2025-06-20", "June 20")
        .replace("to 20%.\"\nsupersedes", "to 25%.\"\nsupersedes")
        .replace("\"tariff-us-on-china\"", "\"nope\"");
    let p = problems(&files);
    assert!(
        p.iter().any(|x| x.message.contains("YYYY-MM-DD")
            && x.file == "updates/001.toml"
            && x.line == Some(3)),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|x| x.message.contains("\"nope\", which does not exist")),
        "{p:#?}"
    );
}
