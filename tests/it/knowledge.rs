//! Knowledge loading and validation: the shipped files load; a malformed core file is refused
//! whole with file, line and reason, a malformed update file is set aside on its own; Telegram's
//! limits are checked on everything the knowledge makes the bot send; only regular files are read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use trade_talks_bot::engine::{Engine, check, check_update, load_knowledge};
use trade_talks_bot::knowledge::{Knowledge, KnowledgeFiles, LoadError, Problem, RejectedUpdate};
use trade_talks_bot::render;

fn with_facts(extra: &str) -> KnowledgeFiles {
    let mut files = KnowledgeFiles::builtin();
    files.facts.1.push_str(extra);
    files
}

fn problems(files: &KnowledgeFiles) -> Vec<Problem> {
    match check(files) {
        Ok(_) => panic!("expected the files to be refused"),
        Err(e) => e.problems,
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].lines().count() + 1
}

#[test]
fn shipped_knowledge_covers_the_article() {
    let kb = check(&KnowledgeFiles::builtin()).unwrap();
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
    let engine = Engine::from_files(&files).unwrap();
    let kb = &engine.knowledge;
    assert_eq!(
        kb.fact("tariff-us-on-china")
            .unwrap()
            .superseded_by
            .as_deref(),
        Some("tariff-us-20")
    );
    let reply = trade_talks_bot::answer::respond(&engine, "/tariffs", None);
    let text = trade_talks_bot::render::plain(kb, &reply);
    assert!(
        text.contains("20%")
            && text.contains("Previously: The US reduced its tariffs on Chinese goods to 30%."),
        "{text}"
    );
    let reply = trade_talks_bot::answer::respond(
        &engine,
        "what tariff does the us charge on chinese goods",
        None,
    );
    assert_eq!(
        trade_talks_bot::render::fact_ids(kb, &reply)[0],
        "tariff-us-20"
    );
    // The truce's details name the superseded fact: the newer one completes it.
    let reply = trade_talks_bot::answer::respond(&engine, "what was agreed in geneva", None);
    let ids = trade_talks_bot::render::fact_ids(kb, &reply);
    assert!(
        ids.contains(&"tariff-us-20") && !ids.contains(&"tariff-us-on-china"),
        "{ids:?}"
    );

    // A number the update's text does not contain, a bad date and a dangling supersedes: the
    // file is set aside with its problems, the rest loads.
    files.updates[0].1 = files.updates[0]
        .1
        .replace("2025-06-20", "June 20")
        .replace("to 20%.\"\nsupersedes", "to 25%.\"\nsupersedes")
        .replace("\"tariff-us-on-china\"", "\"nope\"");
    let kb = load(&files);
    assert!(kb.updates.is_empty());
    assert_eq!(kb.rejected.len(), 1);
    let p = kb.rejected_error().unwrap().problems;
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

fn load(files: &KnowledgeFiles) -> Knowledge {
    check(files).unwrap_or_else(|e| panic!("{e}"))
}

/// An update file's text; `extra` follows the required keys (facts, say).
fn update(id: &str, text: &str, extra: &str) -> String {
    format!(
        "id = \"{id}\"\ndate = \"2025-06-20\"\ntitle = \"Update {id}\"\ntext = \"{text}\"\nsource = \"https://example.org/{id}\"\n{extra}"
    )
}

/// A `[[fact]]` of an update, citing its text.
fn update_fact(id: &str, kind: &str, answer: &str, supersedes: Option<&str>) -> String {
    let mut s = format!(
        "\n[[fact]]\nid = \"{id}\"\ntopics = [\"tariffs\"]\nkind = \"{kind}\"\nanswer = \"{answer}\"\n"
    );
    if let Some(old) = supersedes {
        s.push_str(&format!("supersedes = \"{old}\"\n"));
    }
    s
}

fn with_updates(updates: &[(&str, String)]) -> KnowledgeFiles {
    let mut files = KnowledgeFiles::builtin();
    for (name, text) in updates {
        files
            .updates
            .push((format!("updates/{name}"), text.clone()));
    }
    files
}

fn rejected<'a>(kb: &'a Knowledge, file: &str) -> &'a RejectedUpdate {
    kb.rejected
        .iter()
        .find(|r| r.file == file)
        .unwrap_or_else(|| panic!("{file} not rejected: {:#?}", kb.rejected))
}

fn update_ids(kb: &Knowledge) -> Vec<&str> {
    kb.updates.iter().map(|u| u.id.as_str()).collect()
}

/// Problems of the core files (the load fails), every one `file:line: message`.
fn core_problems(files: &KnowledgeFiles) -> Vec<Problem> {
    let p = problems(files);
    for x in &p {
        assert!(x.line.is_some() && !x.message.is_empty(), "{x}");
    }
    p
}

fn has(p: &[Problem], file: &str, line: usize, needle: &str) -> bool {
    p.iter()
        .any(|x| x.file == file && x.line == Some(line) && x.message.contains(needle))
}

#[test]
fn a_bad_update_file_is_set_aside_and_the_others_load() {
    let bad = update(
        "bad-one",
        "Nothing new today.",
        &update_fact("bad-fact", "statistic", "Tariffs are 5%.", None),
    );
    let files = with_updates(&[
        // Out of order on purpose: files are taken in file-name order.
        (
            "003-cut.toml",
            update(
                "tariff-cut",
                "The US lowered its tariffs on Chinese goods to 20%.",
                &update_fact(
                    "tariff-us-20",
                    "statistic",
                    "The US lowered its tariffs on Chinese goods to 20%.",
                    Some("tariff-us-on-china"),
                ),
            ),
        ),
        ("002-bad.toml", bad.clone()),
        (
            "001-talks.toml",
            update("talks-resume", "Officials met again.", ""),
        ),
    ]);
    let kb = load(&files);
    assert_eq!(update_ids(&kb), ["talks-resume", "tariff-cut"]);
    assert_eq!(kb.rejected.len(), 1, "{:#?}", kb.rejected);
    let r = rejected(&kb, "updates/002-bad.toml");
    let line = line_of(&bad, "answer = \"Tariffs are 5%.\"");
    assert_eq!(
        r.to_string(),
        format!(
            "updates/002-bad.toml:{line}: fact \"bad-fact\": the number 5 in its answer does not occur in its cited source"
        )
    );
    // The good updates are served; the bad one's fact is nowhere.
    assert_eq!(
        kb.fact("tariff-us-on-china")
            .unwrap()
            .superseded_by
            .as_deref(),
        Some("tariff-us-20")
    );
    assert!(kb.fact("bad-fact").is_none());
    // check fails on it, although the bot serves the rest.
    let e = kb.rejected_error().unwrap();
    assert!(e.to_string().contains("updates/002-bad.toml:"), "{e}");
}

#[test]
fn updates_depending_on_a_rejected_update_or_clashing_with_one_are_rejected_saying_why() {
    let files = with_updates(&[
        (
            "000-ok.toml",
            update(
                "ok",
                "The US lowered its tariffs on Chinese goods to 20%.",
                &update_fact(
                    "tariff-us-20",
                    "statistic",
                    "The US lowered its tariffs on Chinese goods to 20%.",
                    Some("tariff-us-on-china"),
                ),
            ),
        ),
        // Bad date; its fact replaces the good update's fact.
        (
            "001-bad.toml",
            update(
                "cut",
                "Tariffs fell to 15%.",
                &update_fact(
                    "tariff-us-15",
                    "statistic",
                    "Tariffs fell to 15%.",
                    Some("tariff-us-20"),
                ),
            )
            .replace("2025-06-20", "2025-02-30"),
        ),
        // Replaces the rejected update's fact.
        (
            "002-after.toml",
            update(
                "after",
                "Tariffs fell to 10%.",
                &update_fact(
                    "tariff-us-10",
                    "statistic",
                    "Tariffs fell to 10%.",
                    Some("tariff-us-15"),
                ),
            ),
        ),
        // The rejected update's id, and the accepted one's.
        ("003-same-id.toml", update("cut", "Talks went on.", "")),
        ("004-dup.toml", update("ok", "Talks went on.", "")),
        // Replaces a fact that the good update already replaced.
        (
            "005-twice.toml",
            update(
                "twice",
                "Tariffs are 25%.",
                &update_fact(
                    "tariff-us-25",
                    "statistic",
                    "Tariffs are 25%.",
                    Some("tariff-us-on-china"),
                ),
            ),
        ),
        (
            "006-fine.toml",
            update("fine", "Talks ended for the day.", ""),
        ),
    ]);
    let kb = load(&files);
    assert_eq!(update_ids(&kb), ["fine", "ok"]);
    let names: Vec<&str> = kb.rejected.iter().map(|r| r.file.as_str()).collect();
    assert_eq!(
        names,
        [
            "updates/001-bad.toml",
            "updates/002-after.toml",
            "updates/003-same-id.toml",
            "updates/004-dup.toml",
            "updates/005-twice.toml"
        ]
    );
    let first = |file: &str| rejected(&kb, file).problems[0].to_string();
    assert_eq!(
        first("updates/001-bad.toml"),
        "updates/001-bad.toml:2: date \"2025-02-30\" must be a real date written \"YYYY-MM-DD\""
    );
    assert!(
        first("updates/002-after.toml").contains(
            "supersedes \"tariff-us-15\", which comes from updates/001-bad.toml, a rejected update"
        ),
        "{}",
        first("updates/002-after.toml")
    );
    assert_eq!(
        first("updates/003-same-id.toml"),
        "updates/003-same-id.toml:1: update id \"cut\" is already used by updates/001-bad.toml, which was rejected; fix or remove that file"
    );
    assert_eq!(
        first("updates/004-dup.toml"),
        "updates/004-dup.toml:1: duplicate update id \"ok\": updates/000-ok.toml already has it"
    );
    assert!(
        first("updates/005-twice.toml").contains(
            "which fact \"tariff-us-20\" of updates/000-ok.toml already supersedes; supersede \"tariff-us-20\" instead"
        ),
        "{}",
        first("updates/005-twice.toml")
    );
}

#[test]
fn update_files_that_passed_as_ok_are_rejected_with_file_line_and_reason() {
    let base = update("u1", "Officials met again.", "");
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "no such day",
            base.replace("2025-06-20", "2025-02-31"),
            "date = ",
            "must be a real date",
        ),
        (
            "a link without a host",
            base.replace("https://example.org/u1", "https://"),
            "source = ",
            "source must be an http(s) link",
        ),
        (
            "a link with a line break",
            base.replace(
                "\"https://example.org/u1\"",
                "\"\"\"https://example.org/u1\nmore\"\"\"",
            ),
            "source = ",
            "without spaces or line breaks",
        ),
        (
            "a two-line title",
            base.replace("\"Update u1\"", "\"\"\"Update\nu1\"\"\""),
            "title = ",
            "title must be one line",
        ),
        (
            "a reporting verb in a plain fact's answer",
            update(
                "u1",
                "Officials met again.",
                &update_fact("f1", "fact", "Officials said they met again.", None),
            ),
            "kind = \"fact\"",
            "its answer says \"said\"",
        ),
        (
            "an empty key",
            update(
                "u1",
                "Officials met again.",
                &format!(
                    "{}keys = [\"\"]\n",
                    update_fact("f1", "fact", "Officials met again.", None)
                ),
            ),
            "id = \"f1\"",
            "keys and patterns must not be empty",
        ),
        // Already refused before, with these lines and reasons.
        ("an empty file", String::new(), "", "missing field `id`"),
        (
            "an unknown key",
            format!("{base}colour = \"red\"\n"),
            "colour",
            "unknown field `colour`",
        ),
        (
            "empty text",
            base.replace("Officials met again.", " "),
            "text = ",
            "text is empty",
        ),
        (
            "a fact citing sentences",
            update(
                "u1",
                "Officials met again.",
                &format!(
                    "{}sentences = [1]\n",
                    update_fact("f1", "fact", "Officials met again.", None)
                ),
            ),
            "sentences = ",
            "remove sentences",
        ),
    ];
    for (what, text, at, reason) in cases {
        let files = with_updates(&[("001.toml", text.clone())]);
        let kb = load(&files);
        assert!(kb.updates.is_empty(), "{what}: loaded");
        let p = &rejected(&kb, "updates/001.toml").problems;
        let line = if at.is_empty() { 1 } else { line_of(&text, at) };
        assert!(
            has(p, "updates/001.toml", line, reason),
            "{what}: expected line {line}: {reason}; got {p:#?}"
        );
        assert!(
            p.iter()
                .all(|x| x.line.is_some() && !x.message.trim().is_empty()),
            "{what}: {p:#?}"
        );
    }

    // A bare TOML date reads the same as a quoted one (it was "invalid type: map").
    let files = with_updates(&[("001.toml", base.replace("\"2025-06-20\"", "2025-06-20"))]);
    let kb = load(&files);
    assert_eq!(kb.updates[0].date, "2025-06-20", "{:#?}", kb.rejected);
    // 29 February exists in leap years only.
    let files = with_updates(&[
        ("001.toml", base.replace("2025-06-20", "2024-02-29")),
        (
            "002.toml",
            update("u2", "Again.", "").replace("2025-06-20", "2100-02-29"),
        ),
    ]);
    let kb = load(&files);
    assert_eq!(update_ids(&kb), ["u1"]);
}

#[test]
fn a_topic_title_too_long_for_a_message_is_refused_at_its_topic_line() {
    let extra = format!(
        "\n[[topic]]\nname = \"long\"\ncommand = \"long\"\ntitle = \"{}\"\n",
        "Tariffs ".repeat(650)
    );
    let files = with_facts(&extra);
    let line = line_of(&files.facts.1, "[[topic]]\nname = \"long\"");
    let p = core_problems(&files);
    assert!(
        has(
            &p,
            "facts.toml",
            line,
            "title has 5200 characters; Telegram's command menu allows at most 256"
        ),
        "{p:#?}"
    );
    // The broken HTML itself: today the heading is cut inside <b>.
    assert!(has(&p, "facts.toml", line, "<b> is never closed"), "{p:#?}");
    assert!(
        p.iter().all(|x| x.line == Some(line)),
        "only the long topic is blamed: {p:#?}"
    );
}

#[test]
fn topic_commands_must_be_unique_and_not_the_bots_own() {
    let extra = "\n[[topic]]\nname = \"levies\"\ncommand = \"tariffs\"\ntitle = \"Levies\"\n\n[[topic]]\nname = \"helping\"\ncommand = \"help\"\ntitle = \"Help\"\n\n[[topic]]\nname = \"subs\"\ncommand = \"subscribe\"\ntitle = \"Subs\"\n";
    let files = with_facts(extra);
    let text = &files.facts.1;
    let p = core_problems(&files);
    assert!(
        has(
            &p,
            "facts.toml",
            line_of(text, "[[topic]]\nname = \"levies\""),
            &format!(
                "command /tariffs is already topic \"tariffs\"'s (line {})",
                line_of(text, "[[topic]]\nname = \"tariffs\"")
            )
        ),
        "{p:#?}"
    );
    assert!(
        has(
            &p,
            "facts.toml",
            line_of(text, "[[topic]]\nname = \"helping\""),
            "command /help is one of the bot's own commands"
        ),
        "{p:#?}"
    );
    assert!(
        has(
            &p,
            "facts.toml",
            line_of(text, "[[topic]]\nname = \"subs\""),
            "command /subscribe is one of the bot's own commands"
        ),
        "{p:#?}"
    );
    assert_eq!(p.len(), 3, "{p:#?}");
}

#[test]
fn the_command_menu_holds_at_most_100_commands() {
    // The shipped topics and the bot's own commands, then enough more to make 100, and 101.
    let shipped = load(&KnowledgeFiles::builtin()).menu().len();
    let topics = |n: usize| -> String {
        (0..n)
            .map(|k| format!("\n[[topic]]\nname = \"extra{k}\"\ncommand = \"extra{k}\"\ntitle = \"Extra {k}\"\n"))
            .collect()
    };
    let kb = load(&with_facts(&topics(100 - shipped)));
    assert_eq!(kb.menu().len(), 100);
    let files = with_facts(&topics(101 - shipped));
    let p = core_problems(&files);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(
        p[0].line,
        Some(line_of(
            &files.facts.1,
            &format!("[[topic]]\nname = \"extra{}\"", 100 - shipped)
        ))
    );
    assert!(p[0].message.contains("101 commands"), "{p:#?}");
}

#[test]
fn an_update_source_of_5500_characters_is_rejected_at_its_line() {
    let long = format!("https://example.org/{}", "a".repeat(5480));
    let text = update("long-link", "Officials met again.", "")
        .replace("https://example.org/long-link", &long);
    let files = with_updates(&[
        ("001.toml", text.clone()),
        ("002.toml", update("next", "Talks went on.", "")),
    ]);
    let kb = load(&files);
    assert_eq!(update_ids(&kb), ["next"]);
    assert_eq!(
        rejected(&kb, "updates/001.toml").to_string(),
        format!(
            "updates/001.toml:{}: update \"long-link\": source has 5500 characters, at most 2048",
            line_of(&text, "source = ")
        )
    );
}

#[test]
fn updates_whose_messages_break_telegrams_limits_are_rejected() {
    // Within every length rule, but escaping makes the broadcast's first message too long:
    // 200 "&" in the title (1000 characters as &amp;) and 585 quotes (3510 as &quot;).
    let broadcast =
        update("quotes", &"\\\"".repeat(600), "").replace("Update quotes", &"&".repeat(200));
    // A link of 2001 characters, half of them "&": its /latest line is over 4096 as HTML.
    let link = format!("https://example.org/?{}", "a&".repeat(990));
    let latest = update("ampersands", "Officials met again.", "")
        .replace("https://example.org/ampersands", &link);
    let files = with_updates(&[
        ("001.toml", broadcast),
        ("002.toml", latest),
        ("003.toml", update("fine", "Talks went on.", "")),
    ]);
    let kb = load(&files);
    assert_eq!(update_ids(&kb), ["fine"]);
    let r = rejected(&kb, "updates/001.toml").to_string();
    assert!(
        r.starts_with("updates/001.toml:1: update \"quotes\": its broadcast breaks Telegram's limits: message 1 of 2: ")
            && r.contains("over Telegram's 4096"),
        "{r}"
    );
    let r = rejected(&kb, "updates/002.toml").to_string();
    assert!(
        r.contains(
            "update \"ampersands\": its entry in /latest breaks Telegram's limits: one line is"
        ),
        "{r}"
    );
    // Every message of what loaded passes.
    for u in &kb.updates {
        for m in render::update_html(u) {
            assert_eq!(render::html_problem(&m), None, "{m}");
        }
    }
}

#[test]
fn a_claim_with_a_long_speaker_is_stated_within_telegrams_limits() {
    // Claims carry no label: the speaker is named in the statement, which is split like any
    // long text, so even an absurdly long speaker fits in messages within the limit.
    let speaker = "Greer".repeat(900);
    let extra = format!(
        "\n[[fact]]\nid = \"long-speaker\"\ntopics = [\"claims\"]\nkind = \"claim\"\nspeaker = \"{speaker}\"\nverb = \"claimed\"\nanswer = \"{speaker} claimed China failed to remove export restrictions.\"\nsentences = [6]\n"
    );
    let files = with_facts(&extra);
    let kb = check(&files).expect("a long speaker loads");
    let reply = trade_talks_bot::answer::Reply::Facts {
        heading: None,
        facts: vec!["long-speaker".into()],
    };
    let messages = render::html(&kb, &reply);
    assert!(messages.len() >= 2, "split into several messages");
    assert!(
        messages
            .iter()
            .all(|m| m.chars().count() <= render::TELEGRAM_LIMIT),
        "every message within the limit"
    );
    assert!(render::reply_problems(&kb, &reply).is_empty());
}

#[test]
fn html_problems_are_found() {
    for ok in [
        "<b>Tariffs</b>\n<blockquote>[8] a &amp; b &lt;c&gt; &quot;d&quot; &#39; &#x27;</blockquote>",
        "<i>x</i> <a href=\"https://example.org/?a=1&amp;b=2\">link</a> <tg-spoiler>s</tg-spoiler>",
    ] {
        assert_eq!(render::html_problem(ok), None, "{ok}");
    }
    for (bad, why) in [
        ("<b>Tariffs", "<b> is never closed"),
        ("<b><i>x</b></i>", "</b> closes <i>"),
        ("x</b>", "</b> closes no tag"),
        (
            "<script>x</script>",
            "<script> is not one of Telegram's tags",
        ),
        ("a & b", "an \"&\" that starts no entity"),
        ("a < b", "a \"<\" that starts no tag"),
        ("a > b", "a \">\" outside a tag"),
        ("<b class=\"x\">y</b>", "<b class=\"x\"> has attributes"),
        (" \n", "the message is empty"),
    ] {
        let p = render::html_problem(bad);
        assert!(
            p.as_deref().is_some_and(|p| p.starts_with(why)),
            "{bad}: {p:?}"
        );
    }
    let long = "x".repeat(render::TELEGRAM_LIMIT + 1);
    assert!(render::html_problem(&long).is_some_and(|p| p.contains("4097 characters")));
    // Everything the shipped knowledge says passes.
    let engine = Engine::builtin().unwrap();
    let kb = &engine.knowledge;
    assert!(kb.rejected.is_empty());
    for c in kb
        .topics
        .iter()
        .map(|t| format!("/{}", t.command))
        .chain(["/start", "/help", "/topics", "/source", "/latest"].map(String::from))
    {
        let reply = trade_talks_bot::answer::respond(&engine, &c, None);
        assert!(render::reply_problems(kb, &reply).is_empty(), "{c}");
    }
}

#[test]
fn the_broadcast_footer_fits_groups_and_private_chats() {
    let kb = load(&with_update_replacing_a_fact());
    let messages = render::update_html(&kb.updates[0]);
    let last = messages.last().unwrap();
    assert!(
        last.ends_with("\n/latest shows recent updates; /status shows this chat’s subscription. An administrator (or you, in a private chat) can /unsubscribe."),
        "{last}"
    );
    assert!(!last.contains("stops them"));
}

/// A copy of the shipped knowledge in a temporary folder, with an `updates/` folder.
fn knowledge_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let dst = tmp.path().join("knowledge");
    std::fs::create_dir_all(dst.join("updates")).unwrap();
    for f in ["article.txt", "facts.toml", "lexicon.toml"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    (tmp, dst)
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// Reads the folder on another thread: opening a FIFO would block forever, and the test must
/// fail rather than hang.
fn read_dir_within(dir: &Path, limit: Duration) -> Result<KnowledgeFiles, LoadError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(KnowledgeFiles::read_dir(&dir));
    });
    rx.recv_timeout(limit)
        .expect("reading the knowledge folder blocked (it opened a FIFO?)")
}

#[test]
fn only_regular_files_are_read() {
    let limit = Duration::from_secs(10);
    // A named pipe as facts.toml: an error naming it, without blocking.
    let (_tmp, dir) = knowledge_copy();
    let facts = dir.join("facts.toml");
    std::fs::remove_file(&facts).unwrap();
    mkfifo(&facts);
    let e = read_dir_within(&dir, limit).unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(e.problems[0].file, facts.display().to_string());
    assert!(e.problems[0].message.contains("named pipe"), "{e}");
    assert!(load_knowledge(Some(&dir)).is_err());

    // A folder as article.txt, a huge lexicon.toml.
    let (_tmp, dir) = knowledge_copy();
    std::fs::remove_file(dir.join("article.txt")).unwrap();
    std::fs::create_dir(dir.join("article.txt")).unwrap();
    let lexicon = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("lexicon.toml"))
        .unwrap();
    lexicon.set_len(9 * 1024 * 1024).unwrap();
    let e = read_dir_within(&dir, limit).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("article.txt: is a folder, not a regular file"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "lexicon.toml: is 9437184 bytes; a knowledge file may be at most 8388608 bytes"
        ),
        "{shown}"
    );

    // A named pipe among the update files: that file is rejected, the rest loads.
    let (_tmp, dir) = knowledge_copy();
    let updates = dir.join("updates");
    std::fs::write(
        updates.join("001.toml"),
        update("first", "Officials met again.", ""),
    )
    .unwrap();
    mkfifo(&updates.join("002.toml"));
    std::fs::create_dir(updates.join("003.toml")).unwrap();
    std::fs::write(
        updates.join("004.toml"),
        update("fourth", "Talks went on.", ""),
    )
    .unwrap();
    let files = read_dir_within(&dir, limit).unwrap();
    let kb = load(&files);
    assert_eq!(update_ids(&kb), ["first", "fourth"]);
    let fifo = updates.join("002.toml").display().to_string();
    assert!(
        rejected(&kb, &fifo).problems[0]
            .message
            .contains("named pipe"),
        "{:#?}",
        kb.rejected
    );
    let folder = updates.join("003.toml").display().to_string();
    assert!(
        rejected(&kb, &folder).problems[0]
            .message
            .contains("a folder")
    );
}

#[test]
fn the_example_update_is_ignored_as_a_sample_and_passes_check_as_a_toml_file() {
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge/updates/EXAMPLE.toml.sample");
    let text = std::fs::read_to_string(&sample).unwrap();

    let (_tmp, dir) = knowledge_copy();
    let updates = dir.join("updates");
    std::fs::write(updates.join("EXAMPLE.toml.sample"), &text).unwrap();
    std::fs::write(updates.join("001.toml~"), "editor backup").unwrap();
    std::fs::write(updates.join(".001.toml.swp"), "hidden").unwrap();
    let files = KnowledgeFiles::read_dir(&dir).unwrap();
    assert!(files.updates.is_empty() && files.update_errors.is_empty());

    // Copied to a .toml name it passes check, and loads.
    let u = check_update(&KnowledgeFiles::builtin(), "updates/EXAMPLE.toml", &text)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(u.id, "example-tariff-cut");
    assert_eq!(u.facts, ["example-tariff-us-20"]);
    std::fs::write(updates.join("EXAMPLE.toml"), &text).unwrap();
    let kb = load_knowledge(Some(&dir)).unwrap();
    assert!(kb.rejected.is_empty(), "{:#?}", kb.rejected);
    assert_eq!(update_ids(&kb), ["example-tariff-cut"]);
    assert_eq!(
        kb.fact("tariff-us-on-china")
            .unwrap()
            .superseded_by
            .as_deref(),
        Some("example-tariff-us-20")
    );
}

#[test]
fn one_update_file_is_checked_against_the_knowledge_it_would_join() {
    let good = update(
        "tariff-cut",
        "The US lowered its tariffs on Chinese goods to 20%.",
        &update_fact(
            "tariff-us-20",
            "statistic",
            "The US lowered its tariffs on Chinese goods to 20%.",
            Some("tariff-us-on-china"),
        ),
    );
    let u = check_update(&KnowledgeFiles::builtin(), "/tmp/new/004.toml", &good).unwrap();
    assert_eq!(
        (u.id.as_str(), u.file.as_str(), u.line, u.facts.as_slice()),
        (
            "tariff-cut",
            "/tmp/new/004.toml",
            1,
            ["tariff-us-20".to_string()].as_slice()
        )
    );

    // A bad file: its own problems, named as given.
    let bad = good.replace("to 20%.\"\nsupersedes", "to 25%.\"\nsupersedes");
    let e = check_update(&KnowledgeFiles::builtin(), "004.toml", &bad).unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(e.problems[0].file, "004.toml");
    assert_eq!(e.problems[0].line, Some(line_of(&bad, "answer = ")));

    // Checked against the folder's updates: a clash with one of them...
    let files = with_updates(&[("001.toml", update("tariff-cut", "Talks went on.", ""))]);
    let e = check_update(&files, "/tmp/new/004.toml", &good).unwrap_err();
    assert!(
        e.problems[0]
            .message
            .contains("duplicate update id \"tariff-cut\": updates/001.toml already has it"),
        "{e}"
    );
    // ...but a new version of a file replaces it (same file name, wherever it is).
    assert!(check_update(&files, "/tmp/new/001.toml", &good).is_ok());
    // A file that sorts first would take the id of one that loads today: refused.
    let files = with_updates(&[("009.toml", update("tariff-cut", "Talks went on.", ""))]);
    let e = check_update(&files, "004.toml", &good).unwrap_err();
    assert!(
        e.problems[0].to_string().starts_with(
            "004.toml:1: publishing this update would set aside updates/009.toml, which loads today: duplicate update id"
        ),
        "{e}"
    );
    // Broken core files are reported as they are.
    let mut broken = KnowledgeFiles::builtin();
    broken
        .facts
        .1
        .push_str("\n[[topic]]\nname = \"x\"\ncommand = \"help\"\ntitle = \"X\"\n");
    let e = check_update(&broken, "004.toml", &good).unwrap_err();
    assert!(e.problems.iter().all(|p| p.file == "facts.toml"), "{e}");

    // Updates published elsewhere (the database) join the folder's the same way.
    let files = KnowledgeFiles::builtin()
        .with_update("db/002.toml", update("second", "Talks went on.", ""))
        .with_update("updates/001.toml", good.clone())
        .with_update("db/002.toml", update("second-fixed", "Talks went on.", ""));
    assert_eq!(files.updates.len(), 2);
    let kb = load(&files);
    assert_eq!(update_ids(&kb), ["second-fixed", "tariff-cut"]);
}

/// No two of the lexicon's canonical words read as one stem: "important" and "import" would
/// make every question about importance match the imports facts. Nor is one a stopword, which
/// would make every variant of it say nothing ("happy" read as "good", as in "good morning").
#[test]
fn lexicon_canonical_words_have_distinct_stems_and_are_not_stopwords() {
    use rust_stemmers::{Algorithm, Stemmer};
    let kb = Engine::builtin().unwrap();
    let stemmer = Stemmer::create(Algorithm::English);
    let mut seen: std::collections::HashMap<String, &str> = Default::default();
    let mut clashes = Vec::new();
    for (canonical, _) in &kb.knowledge.lexicon.synonyms {
        let stem = stemmer.stem(canonical).into_owned();
        if let Some(other) = seen.insert(stem.clone(), canonical) {
            clashes.push(format!("{other} / {canonical} ({stem})"));
        }
        // "please" and "about" gather phrases that carry nothing ("in a nutshell", "the deal
        // with"), and "when" phrases asking when ("how long ago"): stopwords on purpose. So is
        // "student", since "I'm a student researching…" is asked more than about students,
        // whose visas are still found by "visas". "is" gathers "is it true (that)", which asks
        // yes or no as "is" does; "name" gathers "first name", "full name", which ask for the
        // name as "name" does.
        let meant =
            ["please", "about", "when", "student", "is", "name"].contains(&canonical.as_str());
        if kb.knowledge.lexicon.stopwords.contains(canonical) && !meant {
            clashes.push(format!("{canonical} is a stopword"));
        }
    }
    assert!(clashes.is_empty(), "{clashes:?}");
}

#[test]
fn details_must_name_facts_of_facts_toml_and_stay_out_of_updates() {
    let extra = "\n[[fact]]\nid = \"venue-2\"\ntopics = [\"where\"]\nkind = \"fact\"\nanswer = \"The talks are at Lancaster House.\"\nsentences = [2]\nkeys = [\"venue\"]\ndetails = [\"venue\", \"nope\"]\n";
    let files = with_facts(extra);
    let p = core_problems(&files);
    let line = line_of(&files.facts.1, "details = [\"venue\", \"nope\"]");
    assert!(
        has(
            &p,
            "facts.toml",
            line,
            "details names \"nope\", which is no fact"
        ),
        "{p:#?}"
    );
    assert_eq!(p.len(), 1, "{p:#?}");
    // In an update file, details is refused with its line; the file is set aside.
    let text = update("u1", "Tariffs were cut to 20%.", "")
        + &update_fact(
            "tariff-us-20",
            "fact",
            "The US cut its tariffs to 20%.",
            None,
        )
        + "details = [\"venue\"]\n";
    let kb = load(&with_updates(&[("001.toml", text.clone())]));
    let r = rejected(&kb, "updates/001.toml");
    let line = line_of(&text, "details = ");
    assert!(
        has(
            &r.problems,
            "updates/001.toml",
            line,
            "details belongs in facts.toml"
        ),
        "{:#?}",
        r.problems
    );
}

/// A word under [women] is a person the lexicon knows: a misspelt name is reported, not
/// silently ignored.
#[test]
fn a_woman_the_lexicon_does_not_know_as_a_person_is_reported() {
    let mut files = KnowledgeFiles::builtin();
    let text = &mut files.lexicon.1;
    let women = text.find("\n[women]").expect("a [women] section") + 1;
    let list = women + text[women..].find("words = [").expect("a word list") + "words = [".len();
    text.insert_str(list, "\"reevs\", ");
    let p = problems(&files);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].file, "lexicon.toml");
    assert!(p[0].message.contains("\"reevs\""), "{p:?}");
    assert_eq!(
        p[0].line,
        Some(files.lexicon.1[..women].lines().count() + 1),
        "{p:?}"
    );
}

/// A lexicon kind must be one word with a list of single words; a bad one is reported with its
/// file and line.
#[test]
fn a_malformed_lexicon_kind_is_reported_with_its_line() {
    let mut files = KnowledgeFiles::builtin();
    let at = files
        .lexicon
        .1
        .find("\nplace = ")
        .expect("the lexicon has a place kind")
        + 1;
    files
        .lexicon
        .1
        .insert_str(at, "weekday = [\"monday\", \"next friday\"]\n");
    let p = problems(&files);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].file, "lexicon.toml");
    let line = files.lexicon.1[..at].lines().count() + 1;
    assert_eq!(p[0].line, Some(line), "{p:?}");
    assert!(p[0].message.contains("kind \"weekday\""), "{p:?}");
    // A synonym's variant never reaches a kind (questions read "switzerland" as "geneva"), and
    // a word has one kind.
    let mut files = KnowledgeFiles::builtin();
    files
        .lexicon
        .1
        .insert_str(at, "country = [\"switzerland\", \"paris\"]\n");
    let p = problems(&files);
    assert_eq!(p.len(), 2, "{p:?}");
    let find = |needle: &str| {
        p.iter()
            .find(|x| x.message.contains(needle))
            .unwrap_or_else(|| panic!("no problem mentioning {needle:?} in {p:#?}"))
    };
    assert_eq!(find("read as \"geneva\"").line, Some(line));
    // (Reported on the line of the second kind listing it.)
    assert_eq!(find("kinds \"country\" and \"place\"").line, Some(line + 1));
    // A kind with traits: `several` a boolean, `asks` a question word, nothing else.
    for bad in [
        "crowd = { several = \"yes\", words = [\"fans\"] }\n",
        "crowd = { asks = \"whither\", words = [\"fans\"] }\n",
        "crowd = { size = 3, words = [\"fans\"] }\n",
        "crowd = { several = true }\n",
    ] {
        let mut files = KnowledgeFiles::builtin();
        files.lexicon.1.insert_str(at, bad);
        let p = problems(&files);
        assert_eq!(p.len(), 1, "{bad}: {p:?}");
        assert_eq!(p[0].line, Some(line), "{bad}: {p:?}");
        assert!(p[0].message.contains("kind \"crowd\""), "{p:?}");
    }
    let mut files = KnowledgeFiles::builtin();
    files.lexicon.1.insert_str(
        at,
        "crowd = { several = true, asks = \"who\", words = [\"fans\"] }\n",
    );
    assert!(check(&files).is_ok());
    // Reported at the kind's own line, not at a key ending the same ("inperson = …").
    let mut files = KnowledgeFiles::builtin();
    let text = &mut files.lexicon.1;
    assert!(
        text.contains("\ninperson = "),
        "the lexicon has an inperson key"
    );
    let person = text
        .find("\nperson = { several = true")
        .expect("a person kind")
        + 1;
    text.replace_range(person..person + 25, "person = { several = \"yes\"");
    let p = problems(&files);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message.contains("kind \"person\""), "{p:?}");
    assert_eq!(
        p[0].line,
        Some(files.lexicon.1[..person].lines().count() + 1),
        "{p:?}"
    );
}

/// A synonym's variant listed as strict is never seen as written: reported at `[strict]`.
#[test]
fn a_strict_word_that_is_a_synonym_variant_is_reported() {
    let mut files = KnowledgeFiles::builtin();
    let at = files
        .lexicon
        .1
        .find("\n[strict]")
        .expect("the lexicon has a [strict] section")
        + 1;
    let section = files.lexicon.1[at..].find("words = [").unwrap() + at + "words = [".len();
    files.lexicon.1.insert_str(section, "\"switzerland\", ");
    let p = problems(&files);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].message
            .contains("[strict] lists \"switzerland\", which questions read as \"geneva\""),
        "{p:?}"
    );
    let line = files.lexicon.1[..at].lines().count() + 1;
    assert_eq!(p[0].line, Some(line), "{p:?}");
}

/// The built-in knowledge with `lines` first in the lexicon's [synonyms], and the line they
/// start at.
fn with_synonyms(lines: &str) -> (KnowledgeFiles, usize) {
    let mut files = KnowledgeFiles::builtin();
    let at = files
        .lexicon
        .1
        .find("\n[synonyms]\n")
        .expect("the lexicon has a [synonyms] section")
        + "\n[synonyms]\n".len();
    files.lexicon.1.insert_str(at, lines);
    let line = files.lexicon.1[..at].lines().count() + 1;
    (files, line)
}

/// A variant listed under two canonical words, or a canonical word listed as another's variant,
/// is reported at the second canonical word's line: one reading of it would be lost silently.
#[test]
fn a_synonym_read_two_ways_is_reported() {
    let (files, line) = with_synonyms("zzsupply = [\"tariffs\"]\nzzother = [\"zzsupply\"]\n");
    let p = problems(&files);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p.iter().any(|p| p
            .message
            .contains("\"tariffs\" is a synonym of both \"tariff\" and \"zzsupply\"")
            && p.line == Some(line)),
        "{p:?}"
    );
    assert!(
        p.iter().any(|p| p.message.contains(
            "\"zzsupply\" is a synonym of \"zzother\", so no word is read as \"zzsupply\""
        ) && p.line == Some(line)),
        "{p:?}"
    );
}

/// A word listed both as a synonym and as a stopword is never a stopword (synonyms are read
/// first): it is reported at its canonical word's line.
#[test]
fn a_stopword_that_is_also_a_synonym_is_reported() {
    let (files, line) = with_synonyms("zzpolite = [\"kindly\"]\n");
    let p = problems(&files);
    assert!(
        p.iter().any(|p| p
            .message
            .contains("\"kindly\" is a synonym of \"zzpolite\" and a stopword")
            && p.line == Some(line)),
        "{p:?}"
    );
}

/// The lexicon's [phrasing] lists are read by name: an unknown list, or an entry that is not
/// one lowercase word (which no question word could ever equal), is reported at its line.
#[test]
fn a_malformed_phrasing_list_is_reported_with_its_line() {
    let mut files = KnowledgeFiles::builtin();
    let text = &mut files.lexicon.1;
    let at = text
        .find("\nacknowledgements = [")
        .expect("an acknowledgements list")
        + 1;
    let list = at + "acknowledgements = [".len();
    text.insert_str(list, "\"Got It\", ");
    let p = problems(&files);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].file, "lexicon.toml");
    assert!(p[0].message.contains("\"Got It\""), "{p:?}");
    assert_eq!(p[0].line, Some(files.lexicon.1[..at].lines().count() + 1));

    let mut files = KnowledgeFiles::builtin();
    let text = &mut files.lexicon.1;
    let at = text.find("\n[phrasing]").expect("a [phrasing] section") + "\n[phrasing]\n".len();
    text.insert_str(at, "greetings = [\"hi\"]\n");
    let p = problems(&files);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message.contains("greetings"), "{p:?}");
    assert_eq!(p[0].line, Some(files.lexicon.1[..at].lines().count() + 1));
}

/// The answerer reads the lists from the knowledge: a word added to `acknowledgements` opens a
/// follow-up.
#[test]
fn phrasing_lists_are_read_from_the_lexicon() {
    let ask = |files: &KnowledgeFiles| {
        let engine = Engine::new(load(files));
        let (_, subject) =
            trade_talks_bot::answer::respond_in(&engine, "what tariffs did the us set", None, None);
        let (reply, _) =
            trade_talks_bot::answer::respond_in(&engine, "yo and china?", None, subject.as_ref());
        render::fact_ids(&engine.knowledge, &reply)
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    // (Without it, "yo and china?" is no follow-up: not China's tariff.)
    let mut files = KnowledgeFiles::builtin();
    assert_ne!(
        ask(&files).first().map(String::as_str),
        Some("tariff-china")
    );
    let text = &mut files.lexicon.1;
    let at = text
        .find("\nacknowledgements = [")
        .expect("an acknowledgements list")
        + "\nacknowledgements = [".len();
    text.insert_str(at, "\"yo\", ");
    assert_eq!(
        ask(&files).first().map(String::as_str),
        Some("tariff-china")
    );
}

/// The tags that end a statement asked yes or no are the lexicon's: one added there is read.
#[test]
fn a_tag_added_to_the_lexicon_asks_yes_or_no() {
    let mut files = KnowledgeFiles::builtin();
    let tagged = "the truce was brokered in paris, innit";
    let with = |files: &KnowledgeFiles| {
        let engine = Engine::from_files(files).expect("loads");
        let reply = trade_talks_bot::answer::respond(&engine, tagged, None);
        trade_talks_bot::render::fact_ids(&engine.knowledge, &reply)
            .iter()
            .map(|id| id.to_string())
            .collect::<Vec<String>>()
    };
    assert_eq!(with(&files), ["geneva-truce"]);
    let text = &mut files.lexicon.1;
    let at = text.find("\ntags = [").expect("the lexicon lists tags") + 1;
    let end = at + text[at..].find('\n').expect("one line");
    text.replace_range(at..end, "tags = [\"right\"]");
    assert_eq!(with(&files), Vec::<String>::new());
}
