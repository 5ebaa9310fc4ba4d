//! The answerer and renderer on the real knowledge: commands, odd input, direction, claims,
//! HTML escaping and Telegram's length limit.

use trade_talks_bot::answer::{Reply, respond, respond_in};
use trade_talks_bot::engine::Engine;
use trade_talks_bot::knowledge::KnowledgeFiles;
use trade_talks_bot::render;

fn kb() -> Engine {
    Engine::builtin().unwrap()
}

fn ids(kb: &Engine, q: &str) -> Vec<String> {
    render::fact_ids(&kb.knowledge, &respond(kb, q, None))
        .into_iter()
        .map(String::from)
        .collect()
}

/// Asserts which fact a question's answer states first (others may follow it).
fn assert_first(kb: &Engine, q: &str, want: &str) {
    let got = ids(kb, q);
    assert_eq!(got.first().map(String::as_str), Some(want), "{q}: {got:?}");
}

/// The facts answering `then` asked right after `first` in one conversation, joined by spaces.
fn follow_up(kb: &Engine, first: &str, then: &str) -> String {
    let (_, subject) = respond_in(kb, first, None, None);
    let (reply, _) = respond_in(kb, then, None, subject.as_ref());
    render::fact_ids(&kb.knowledge, &reply).join(" ")
}

/// Asserts which fact the answer to `then`, asked right after `first`, states first.
fn assert_follow_up_first(kb: &Engine, first: &str, then: &str, want: &str) {
    let got = follow_up(kb, first, then);
    assert_eq!(got.split(' ').next(), Some(want), "{first} / {then}: {got}");
}

/// Asserts the facts answering each question, in order (none: the bot declines).
fn assert_answers(kb: &Engine, cases: &[(&str, &[&str])]) {
    for (q, want) in cases {
        assert_eq!(ids(kb, q), *want, "{q}");
    }
}

#[test]
fn every_topic_command_answers_with_citations() {
    let kb = kb();
    for t in &kb.knowledge.topics {
        let reply = respond(&kb, &format!("/{}", t.command), None);
        assert!(reply.answered(), "/{} gave {reply:?}", t.command);
        let text = render::plain(&kb.knowledge, &reply);
        assert!(text.starts_with(&t.title), "{text}");
        assert!(
            text.contains("  ["),
            "/{} has no citation: {text}",
            t.command
        );
    }
    for cmd in ["/start", "/help", "/topics", "/source", "/latest"] {
        let text = render::plain(&kb.knowledge, &respond(&kb, cmd, None));
        assert!(!text.is_empty(), "{cmd}");
    }
    assert!(render::plain(&kb.knowledge, &respond(&kb, "/help", None)).contains("/tariffs"));
}

#[test]
fn each_fact_is_followed_by_its_sentence_and_a_shared_sentence_is_quoted_once() {
    use trade_talks_bot::knowledge::Source;
    let kb = kb();
    for t in &kb.knowledge.topics {
        let reply = respond(&kb, &format!("/{}", t.command), None);
        let text = render::plain(&kb.knowledge, &reply);
        let lines: Vec<&str> = text.lines().collect();
        for id in render::fact_ids(&kb.knowledge, &reply) {
            let fact = kb.knowledge.fact(id).unwrap();
            let at = lines
                .iter()
                .position(|l| l.ends_with(fact.answer.as_str()))
                .unwrap_or_else(|| panic!("/{}: {id} not stated: {text}", t.command));
            // Each sentence of the fact is quoted once in the reply: after this fact, or after an
            // earlier fact of the reply that quoted it first.
            for source in &fact.sources {
                if let Source::Sentence(n) = source {
                    let cite = format!("  [{n}] ");
                    let quotes: Vec<usize> = (0..lines.len())
                        .filter(|&i| lines[i].starts_with(&cite))
                        .collect();
                    assert_eq!(
                        quotes.len(),
                        1,
                        "/{}: [{n}] quoted {} times: {text}",
                        t.command,
                        quotes.len()
                    );
                    let first_citing = lines
                        .iter()
                        .position(|l| {
                            render::fact_ids(&kb.knowledge, &reply).iter().any(|other| {
                                let f = kb.knowledge.fact(other).unwrap();
                                f.sources.contains(source) && l.ends_with(f.answer.as_str())
                            })
                        })
                        .unwrap();
                    assert!(
                        first_citing <= at && quotes[0] > first_citing,
                        "/{}: {text}",
                        t.command
                    );
                }
            }
        }
    }
    // /tariffs states three figures of sentence 8 and quotes it once, after all three.
    let html = render::html(&kb.knowledge, &respond(&kb, "/tariffs", None)).concat();
    assert_eq!(html.matches("[8]").count(), 1, "{html}");
    let quote = html.find("[8]").unwrap();
    for figure in ["30%", "10%", "90-day"] {
        assert!(html.find(figure).unwrap() < quote, "{figure}: {html}");
    }
}

#[test]
fn commands_addressed_to_bots_and_unknown_commands() {
    let kb = kb();
    assert!(respond(&kb, "/tariffs@TradeTalksBot", Some("tradetalksbot")).answered());
    assert_eq!(
        respond(&kb, "/tariffs@OtherBot", Some("TradeTalksBot")),
        Reply::NotForMe
    );
    assert_eq!(
        respond(&kb, "/frobnicate", None),
        Reply::UnknownCommand("frobnicate".into())
    );
    assert_eq!(respond(&kb, "/ask", None), Reply::Empty);
    assert!(respond(&kb, "/ask where are the talks held?", None).answered());
    assert!(respond(&kb, "/TARIFFS", None).answered());
    // Asked in words, what is new, the source and the topics are those commands' replies.
    for (words, command) in [
        ("what's the latest?", "/latest"),
        ("any updates", "/latest"),
        ("who wrote the article?", "/source"),
        ("what can I ask?", "/topics"),
        // A greeting gets what the bot is, not "the article doesn't cover that".
        ("Hello, how are you?", "/start"),
        ("hi", "/start"),
    ] {
        assert_eq!(
            respond(&kb, words, None),
            respond(&kb, command, None),
            "{words}"
        );
    }
}

#[test]
fn direction_of_tariffs_is_kept() {
    let kb = kb();
    assert_eq!(ids(&kb, "tariffs on china"), ["tariff-us-on-china"]);
    assert_eq!(
        ids(&kb, "what duties does washington put on chinese imports?"),
        ["tariff-us-on-china"]
    );
    assert_eq!(ids(&kb, "china's tariffs"), ["tariff-china"]);
    assert_eq!(
        ids(&kb, "what tariff does beijing charge on american goods"),
        ["tariff-china"]
    );
}

#[test]
fn odd_input_gets_a_normal_answer_or_a_polite_refusal() {
    let kb = kb();
    assert_eq!(respond(&kb, "", None), Reply::Empty);
    assert_eq!(respond(&kb, "   \n\t ", None), Reply::Empty);
    assert_eq!(respond(&kb, "🙂🙂🙂", None), Reply::Empty);
    assert_eq!(
        respond(&kb, &"tariffs ".repeat(1250), None),
        Reply::TooLong(10_000)
    );
    assert!(render::plain(&kb.knowledge, &Reply::TooLong(10_000)).contains("too long"));
    // Zero-width and bidi characters inside words do not change the answer.
    assert_eq!(
        ids(&kb, "tar\u{200B}iffs on ch\u{200D}ina\u{202E}?"),
        ["tariff-us-on-china"]
    );
    assert_eq!(respond(&kb, "مرحبا كيف حالك", None), Reply::NotCovered);
    assert_eq!(respond(&kb, "\u{0}\u{1}\u{7f}", None), Reply::Empty);
}

#[test]
fn claims_are_never_rendered_as_fact() {
    let kb = kb();
    let mut claims = 0;
    for q in [
        "did china fail to remove restrictions on magnets?",
        "how did the us violate the agreement",
        "who accuses whom",
        "/claims",
    ] {
        let reply = respond(&kb, q, None);
        assert!(reply.answered(), "{q}");
        let text = render::plain(&kb.knowledge, &reply);
        let html = render::html(&kb.knowledge, &reply).join("\n");
        for id in render::fact_ids(&kb.knowledge, &reply) {
            let fact = kb.knowledge.fact(id).unwrap();
            if let trade_talks_bot::knowledge::FactKind::Claim { speaker, verb } = &fact.kind {
                claims += 1;
                // The statement names who says it and keeps the article's reporting verb, and
                // it is stated as written: "Both sides have since accused one another…".
                let surname = speaker.split_whitespace().last().unwrap();
                assert!(fact.answer.contains(surname), "{}", fact.answer);
                assert!(fact.answer.contains(verb.as_str()), "{}", fact.answer);
                assert!(text.contains(&fact.answer), "{text}");
                assert!(html.contains(&render::escape(&fact.answer)), "{html}");
            }
        }
        assert!(!text.contains("Claim by"), "{text}");
    }
    assert!(claims >= 4, "the questions reach the claims");
}

#[test]
fn html_escapes_dynamic_text_and_splits_long_replies() {
    let mut files = KnowledgeFiles::builtin();
    files.updates.push((
        "updates/x.toml".into(),
        format!(
            "id = \"u1\"\ndate = \"2025-06-20\"\ntitle = \"<b>Tags</b> & more\"\ntext = \"{}\"\nsource = \"https://example.org/?a=1&b=2\"\n",
            "Officials met again & said <nothing>. ".repeat(200)
        ),
    ));
    let kb = Engine::from_files(&files).unwrap();
    let reply = respond(&kb, "/latest", None);
    let messages = render::html(&kb.knowledge, &reply);
    assert!(messages.len() >= 2, "{} message(s)", messages.len());
    for m in &messages {
        assert!(m.chars().count() <= render::TELEGRAM_LIMIT);
        assert!(
            !m.contains("<nothing>") && !m.contains("<b>Tags"),
            "unescaped: {m}"
        );
        assert_eq!(
            m.matches("<blockquote>").count(),
            m.matches("</blockquote>").count()
        );
    }
    assert!(
        messages
            .concat()
            .contains("&lt;b&gt;Tags&lt;/b&gt; &amp; more")
    );
}

#[test]
fn a_reply_quotes_each_sentence_once_and_latest_follows_the_knowledge() {
    let kb = kb();
    for c in kb
        .knowledge
        .topics
        .iter()
        .map(|t| format!("/{}", t.command))
        .chain(
            [
                "who is on the us side",
                "who accuses whom",
                "where are the talks and why",
            ]
            .map(String::from),
        )
    {
        let text = render::plain(&kb.knowledge, &respond(&kb, &c, None));
        for n in 1..=kb.knowledge.sentences.len() {
            let cite = format!("  [{n}] “");
            assert!(
                text.matches(&cite).count() <= 1,
                "{c} quotes [{n}] twice:\n{text}"
            );
        }
    }
    // A knowledge base with an update renders its own replies, not the previous one's.
    let before = render::html(&kb.knowledge, &respond(&kb, "/latest", None)).concat();
    let mut files = KnowledgeFiles::builtin();
    files.updates.push((
        "updates/x.toml".into(),
        "id = \"u1\"\ndate = \"2025-06-20\"\ntitle = \"Talks resume\"\ntext = \"Officials met again.\"\nsource = \"https://example.org/talks\"\n".into(),
    ));
    let updated = Engine::from_files(&files).unwrap();
    let after = render::html(&updated.knowledge, &respond(&updated, "/latest", None)).concat();
    assert!(!before.contains("Talks resume"));
    assert!(after.contains("Talks resume"), "{after}");
}

/// "it" stands for a thing the question before named, "he" for the person it named, without
/// the rest of what was asked.
#[test]
fn it_and_he_stand_for_what_the_question_before_named() {
    let kb = kb();
    assert_eq!(
        follow_up(
            &kb,
            "what tariff rate did the us set in the truce",
            "how long does it last?"
        ),
        "ninety-days"
    );
    // "he" is the person named, not the rest of what was asked.
    assert_eq!(
        follow_up(&kb, "what's jamieson greer's title", "what did he claim?"),
        "greer-magnets"
    );
}

/// "who says so?", "says who?", "and the other side?", "did anyone push back?" after a claim
/// ask about the claim just quoted.
#[test]
fn a_claim_just_quoted_is_what_its_follow_ups_ask_about() {
    let kb = kb();
    // ("who says so?" asks who made the claim just quoted.)
    assert_eq!(
        follow_up(
            &kb,
            "are chinese rare earth exports back to the agreed levels?",
            "who says so?"
        ),
        "hassett-cbs"
    );
    // "says who?", "according to whom?": whose claim the answer before was.
    for then in ["says who?", "according to whom?"] {
        assert_eq!(
            follow_up(&kb, "what's the complaint about rare earth magnets", then),
            "greer-magnets",
            "{then}"
        );
    }
    // "and the other side?" after a claim: what the side it names says, if the article says.
    assert_eq!(
        follow_up(
            &kb,
            "what did greer accuse china of?",
            "and the other side?"
        ),
        "beijing-accusations"
    );
    assert_eq!(
        follow_up(&kb, "what did beijing say", "what about the other side?"),
        "greer-magnets"
    );
    assert_eq!(
        follow_up(
            &kb,
            "what did trump say about the call",
            "and the other side?"
        ),
        ""
    );
    // "did anyone push back on that?": another speaker's word on the claim just quoted.
    assert_eq!(
        follow_up(
            &kb,
            "what did trump say about his call with xi",
            "did anyone push back on that?"
        ),
        "trump-very-good-talk hassett-cbs"
    );
    // (It may leave out one of four words or more the claim matched: Hassett speaks of
    // exports resuming, not of "trade".)
    assert_eq!(
        follow_up(
            &kb,
            "trump says xi agreed to restart rare earth trade",
            "is that true?"
        ),
        "xi-rare-earths hassett-cbs"
    );
    // A claim does not settle whether it is true, and a claim on something else does not
    // either ("what did Greer say?" names no matter another speaker speaks to).
    for (first, then) in [
        ("what did greer say", "is that true?"),
        ("what did greer say china failed to do?", "is that true?"),
        ("what did hassett say", "really?"),
    ] {
        assert_eq!(follow_up(&kb, first, then), "", "{first} / {then}");
    }
    // "what about chips?" after Beijing's accusation of the US asks what Beijing accused the
    // US of over chips: Beijing speaks, the US is accused.
    assert_eq!(
        follow_up(
            &kb,
            "what did beijing accuse the US of?",
            "what about chips?"
        ),
        "beijing-accusations"
    );
}

/// "really?" and a bare "why?" after a fact that states its own reason get that fact again.
#[test]
fn a_check_of_the_answer_before_gets_it_again() {
    let kb = kb();
    // "really?", "are you sure?": a check of the answer before, as "is that true?" is.
    for then in [
        "really?",
        "are you sure?",
        "for real?",
        "is that confirmed?",
        "is that right?",
    ] {
        assert_eq!(
            follow_up(
                &kb,
                "what tariff does the us now charge on chinese goods",
                then
            ),
            "tariff-us-on-china",
            "{then}"
        );
    }
    // A bare "why?" after a fact stating its own reason gets it again; a claim states none.
    assert_eq!(
        follow_up(&kb, "what did the oecd do", "why?"),
        "oecd-forecast"
    );
    assert_eq!(follow_up(&kb, "what did greer say", "why?"), "");
    // "why there?" after where the talks are asks why that place, which the article never
    // says (why they met is another question).
    assert_eq!(
        follow_up(&kb, "where were the talks", "why there though"),
        ""
    );
    assert_eq!(
        follow_up(&kb, "when did the trade war start?", "why then?"),
        ""
    );
    // "january, right?", "fox right?", "not in paris then?": a detail to confirm, which the
    // answer before settles.
    for (first, then, want) in [
        (
            "when did the trade war begin",
            "january, right?",
            "trade-war-start",
        ),
        ("who did hassett talk to", "fox right?", "hassett-cbs"),
        ("where are the talks", "not in paris then?", "venue"),
        // (…or a number compared with the answer's.)
        (
            "what's china's share of rare earth mining",
            "so more than half?",
            "china-69-percent",
        ),
    ] {
        assert_follow_up_first(&kb, first, then, want);
    }
    // "is that a lot?" after a figure: what the answer or a fact of its sentence says it
    // means; not after the tariff, of which the article says nothing of the kind.
    assert_eq!(
        follow_up(
            &kb,
            "how much of the world's rare earths does china mine",
            "is that a lot?"
        ),
        "china-69-percent supply-ripple"
    );
    assert_eq!(
        follow_up(
            &kb,
            "how much did china's imports fall in may",
            "is that a lot?"
        ),
        "may-imports"
    );
    assert_eq!(
        follow_up(
            &kb,
            "what's the new tariff level on chinese goods",
            "is that a lot?"
        ),
        ""
    );
    // "who else did he meet in London?" after who He Lifeng is: "he" is him, and someone else
    // is someone besides the Americans; "who else is on his team" after Bessent is his team.
    assert_follow_up_first(
        &kb,
        "who is he lifeng",
        "who else did he meet in london",
        "reeves-meeting",
    );
    assert!(
        follow_up(&kb, "who's scott bessent", "who else is on his team")
            .split(' ')
            .any(|id| id == "delegation")
    );
    // "for how long?" after the tariffs: a detail of the same event, from the answer's own
    // sentence.
    assert_follow_up_first(
        &kb,
        "what did china's tariffs drop to",
        "for how long?",
        "ninety-days",
    );
    // "what did Trump make of it?" after the call names only who was named before: "it" is
    // the call.
    assert_follow_up_first(
        &kb,
        "was there a call between trump and xi",
        "what did trump make of it",
        "trump-very-good-talk",
    );
    // (…not after an answer with no number.)
    assert_eq!(
        follow_up(&kb, "who attended the talks", "so more than half?"),
        ""
    );
    // "since when?" asks when, which Hassett's word does not say.
    assert_eq!(
        follow_up(&kb, "are rare earth exports moving again?", "since when?"),
        ""
    );
    // "is that up or down?" offers a choice the answer before settles.
    assert_eq!(
        follow_up(
            &kb,
            "what number did the oecd forecast?",
            "is that up or down?"
        ),
        "oecd-forecast"
    );
    // "how far short?" asks how much, which Hassett's word does not measure.
    assert_eq!(
        follow_up(&kb, "what did hassett say?", "how far short?"),
        ""
    );
    assert_eq!(
        ids(&kb, "how far short did exports fall"),
        Vec::<String>::new()
    );
    // "which year?" asks for a year, which "recently" and "in February" are not.
    assert_eq!(
        follow_up(
            &kb,
            "what did the OECD cut its forecast to?",
            "for which year?"
        ),
        ""
    );
    assert_eq!(
        follow_up(&kb, "when did the trade war start?", "which year?"),
        ""
    );
    assert_eq!(
        follow_up(&kb, "when did the trade war start?", "which month?"),
        "trade-war-start trump-xi-call"
    );
}

/// "where?" after a question about the talks, or "where are they meeting about it?", asks
/// where the talks are.
#[test]
fn a_bare_where_about_the_talks_asks_where_they_are() {
    let kb = kb();
    assert_first(&kb, "where are they meeting about it this time?", "venue");
    // "where?" after what the talks are about: where the talks are.
    assert_eq!(
        follow_up(&kb, "what are the talks about", "where?"),
        "venue"
    );
}

#[test]
fn what_else_leaves_out_what_was_just_quoted() {
    let kb = kb();
    // Something the answer before did not quote…
    assert_eq!(
        follow_up(&kb, "who is he lifeng", "who else was there?"),
        "reeves-meeting"
    );
    // …or, when it quoted all there is, saying so instead of repeating it.
    let (_, subject) = respond_in(&kb, "what are the talks about", None, None);
    let (reply, _) = respond_in(&kb, "what else?", None, subject.as_ref());
    assert_eq!(reply, Reply::NothingMore);
    assert_eq!(
        render::plain(&kb.knowledge, &reply),
        "That’s all the article says about it."
    );
    // A follow-up asking more than "else" may be answered by the same sentence again.
    assert_eq!(
        follow_up(
            &kb,
            "what did beijing say about student visas",
            "what else did they complain about?"
        ),
        "beijing-accusations"
    );
    // Without context, there is nothing to add to…
    assert_eq!(respond(&kb, "what else?", None), Reply::WhatDoYouMean);
    // "where's this happening?" is about what the article is about.
    assert_first(&kb, "where's this happening", "venue");
    assert_eq!(respond(&kb, "where is he?", None), Reply::WhatDoYouMean);
    // …and "who else" asks for someone the question does not name.
    assert_answers(
        &kb,
        &[
            ("who else was on the trump xi call", &[][..]),
            ("who else did he lifeng meet", &["reeves-meeting"]),
            // "who interviewed Hassett?" asks for someone besides Hassett: who is not him.
            ("who interviewed hassett on cbs", &[]),
            ("who told cbs that exports fall short", &["hassett-cbs"]),
            // (…someone besides whom the question gets without "else": He Lifeng met the
            // Americans in London, and someone else too.)
            ("who else did he lifeng meet in london", &["reeves-meeting"]),
            (
                "did he lifeng see anyone else while in london?",
                &["reeves-meeting"],
            ),
            // (…and besides whom it says it leaves out.)
            (
                "who else did he lifeng meet in london besides the americans",
                &["reeves-meeting"],
            ),
        ],
    );
}

#[test]
fn follow_ups_use_the_last_subject_or_ask_what_the_user_means() {
    let kb = kb();
    let facts = |r: &Reply| -> Vec<String> {
        render::fact_ids(&kb.knowledge, r)
            .into_iter()
            .map(String::from)
            .collect()
    };
    let (first, subject) = respond_in(
        &kb,
        "what tariffs did the US put on Chinese goods?",
        None,
        None,
    );
    assert_eq!(facts(&first), ["tariff-us-on-china"]);
    let subject = subject.expect("an answered question sets the subject");
    // "and china?" swaps the country and keeps the tariffs.
    let (then, next) = respond_in(&kb, "and china?", None, Some(&subject));
    assert_eq!(facts(&then), ["tariff-china"]);
    assert!(next.is_some());
    // "what about imports?" after May's exports keeps May.
    let (_, exports) = respond_in(&kb, "how much did exports rise in may", None, None);
    let (then, _) = respond_in(&kb, "what about imports?", None, exports.as_ref());
    assert_eq!(facts(&then), ["may-imports"]);
    // A phrase opening with a preposition adds to the question before: the article gives
    // China's exports, not those to the US (never who the US sent); "on china?" after the US
    // tariff is China's tariff. Alone, it asks what the user means.
    let (then, _) = respond_in(&kb, "to the us?", None, exports.as_ref());
    assert!(facts(&then).is_empty(), "{then:?}");
    let (then, _) = respond_in(&kb, "on china?", None, Some(&subject));
    assert_eq!(facts(&then), ["tariff-china"]);
    let (alone, _) = respond_in(&kb, "to the us?", None, None);
    assert!(matches!(alone, Reply::WhatDoYouMean), "{alone:?}");
    // Two names keep their direction, and the first one speaks; a new name or word after a
    // question about what someone said is what it was said about.
    for (question, follow_up, want) in [
        (
            "what is the oecd forecast",
            "why was it cut?",
            "oecd-forecast",
        ),
        (
            "what did beijing argue",
            "what about huawei?",
            "beijing-accusations",
        ),
        ("what did greer say", "what about magnets?", "greer-magnets"),
        ("how much did exports rise", "when?", "may-exports"),
        (
            "what tariff does the us charge china",
            "and china on the us?",
            "tariff-china",
        ),
        (
            "what did beijing say about the us",
            "and greer on china?",
            "greer-magnets",
        ),
        // A follow-up asking yes or no, with a wrong detail, is settled by the right one.
        (
            "where are the talks being held",
            "is that in paris?",
            "venue",
        ),
        // Nothing said of Greer names Huawei, and few facts do: what the article says of it.
        (
            "what rare earth restrictions did greer mention",
            "what about huawei?",
            "beijing-accusations",
        ),
        // Whom he talked to is whom he told.
        ("who is kevin hassett", "who did he talk to?", "hassett-cbs"),
        // "who said that?" after a claim: the claim, which names who.
        (
            "what's the us complaining about with china",
            "who said that?",
            "greer-magnets",
        ),
        // After "who", "he" is the one person the answer names.
        (
            "who told cbs exports fall short",
            "what's his job?",
            "hassett-role",
        ),
        // "he" is who was just named, whatever else the follow-up names; a name before "he"
        // is who "he" is.
        (
            "who is jamieson greer",
            "and what did he accuse china of?",
            "greer-magnets",
        ),
        (
            "who is kevin hassett",
            "what did he say about china",
            "hassett-cbs",
        ),
        (
            "who is jamieson greer",
            "what did hassett say when he was interviewed",
            "hassett-cbs",
        ),
        // A follow-up asking who said something may be about what it says itself.
        (
            "what did trump say about the call with xi",
            "who said it wasn't enough",
            "hassett-cbs",
        ),
    ] {
        let (_, subject) = respond_in(&kb, question, None, None);
        let (then, _) = respond_in(&kb, follow_up, None, subject.as_ref());
        assert_eq!(facts(&then), [want], "{question} / {follow_up}");
    }
    // A yes/no question is settled by what the article reports, before what someone said of
    // it; "he" after two names is one of them.
    let (first, subject) = respond_in(&kb, "did trump talk to xi", None, None);
    assert_eq!(
        facts(&first).first().map(String::as_str),
        Some("trump-xi-call")
    );
    let (then, _) = respond_in(&kb, "what did he say about it", None, subject.as_ref());
    assert_eq!(
        facts(&then).first().map(String::as_str),
        Some("trump-very-good-talk")
    );
    // "how did it go?" asks how it was described, by either of two names.
    let (_, call) = respond_in(&kb, "did trump and xi talk", None, None);
    let (then, _) = respond_in(&kb, "how did it go?", None, call.as_ref());
    assert_eq!(
        facts(&then).first().map(String::as_str),
        Some("trump-very-good-talk")
    );
    // "it" is the subject: a reading without any of its words asks about something else,
    // and the follow-up's words may add to the subject's.
    let (_, meeting) = respond_in(&kb, "where's the meeting held?", None, None);
    let (then, _) = respond_in(&kb, "how long did it last?", None, meeting.as_ref());
    assert_eq!(then, Reply::NotCovered);
    let (then, _) = respond_in(&kb, "which city is that in?", None, meeting.as_ref());
    assert_eq!(facts(&then), ["venue"]);
    // A person named after a question about what someone said is a new speaker: the article
    // does not quote Xi on the call.
    let (_, said) = respond_in(&kb, "what did trump say abt the call", None, None);
    let (then, _) = respond_in(&kb, "and xi?", None, said.as_ref());
    assert_eq!(then, Reply::NotCovered);
    // A yes/no follow-up checking a detail of the answer with a wrong one is settled by that
    // answer; one asking something the answer does not say is declined.
    for (question, follow_up, want) in [
        (
            "when was the geneva truce",
            "was it last year?",
            "geneva-truce",
        ),
        (
            "what % of rare earths does china mine",
            "is it like 90%?",
            "china-69-percent",
        ),
        ("who is he lifeng", "is he china's premier?", "he-lifeng"),
    ] {
        let (_, subject) = respond_in(&kb, question, None, None);
        let (then, _) = respond_in(&kb, follow_up, None, subject.as_ref());
        assert_eq!(facts(&then), [want], "{question} / {follow_up}");
    }
    for (question, follow_up) in [
        ("who is kevin hassett", "is he running for fed chair?"),
        (
            "who is rachel reeves",
            "did she sit in on the us-china talks?",
        ),
    ] {
        let (_, subject) = respond_in(&kb, question, None, None);
        let (then, _) = respond_in(&kb, follow_up, None, subject.as_ref());
        assert!(!then.answered(), "{question} / {follow_up}: {then:?}");
    }
    // "before" places the follow-up in time: the article gives no earlier tariff.
    let (_, tariff) = respond_in(&kb, "what tariff did the us set on china", None, None);
    let (then, _) = respond_in(&kb, "what was it before?", None, tariff.as_ref());
    assert_eq!(then, Reply::NotCovered);
    // "why?" after a question the article gives no reason for: declined.
    let (_, war) = respond_in(&kb, "when did the trade war begin", None, None);
    let (then, _) = respond_in(&kb, "why?", None, war.as_ref());
    assert_eq!(then, Reply::NotCovered);
    // Without context the bot asks instead of guessing, unless the follow-up says enough.
    for q in ["and china?", "why?", "what about imports?", "how come"] {
        let (reply, subject) = respond_in(&kb, q, None, None);
        assert_eq!(reply, Reply::WhatDoYouMean, "{q}");
        assert!(subject.is_none());
    }
    let (alone, _) = respond_in(&kb, "and china's tariffs?", None, None);
    assert_eq!(facts(&alone), ["tariff-china"]);
    // A declined question keeps no subject; commands neither.
    assert!(
        respond_in(&kb, "what is bitcoin worth", None, None)
            .1
            .is_none()
    );
    assert!(respond_in(&kb, "/tariffs", None, None).1.is_none());
    // `respond` (and so `ask`) has no context: a follow-up alone is not guessed at.
    assert_eq!(respond(&kb, "and china?", None), Reply::WhatDoYouMean);
    assert_eq!(respond(&kb, "ok, and china?", None), Reply::WhatDoYouMean);
    // …but a word few facts use says what is asked about.
    let (alone, _) = respond_in(&kb, "what about huawei?", None, None);
    assert_eq!(facts(&alone), ["beijing-accusations"]);
}

/// The core questions get the core fact, not a side fact that shares a word with them.
#[test]
fn core_questions_get_the_core_facts_only() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "who is on the us side?",
                &["lutnick", "bessent", "greer"][..],
            ),
            ("what are the talks about", &["agenda"]),
            ("who is donald trump", &["leaders"]),
            ("who is xi jinping", &["leaders"]),
            (
                "what did he lifeng discuss with reeves",
                &["reeves-meeting"],
            ),
            ("who's the chinese vice premier they met", &["he-lifeng"]),
            // "the president of China" is Xi as a whole, not "the president" (Trump) and China.
            ("who is the president of china", &["leaders"]),
            // A fact that itself asks the question ("… fall short of what was agreed in Geneva")
            // does not answer it; the truce does, with the facts that complete it (its terms).
            (
                "what was agreed in geneva",
                &[
                    "geneva-truce",
                    "tariff-us-on-china",
                    "tariff-china",
                    "ninety-days",
                ],
            ),
            // …but not for a question of another kind.
            ("where was the truce agreed", &["geneva-truce"]),
            // A greeting or a clause before the question that asks and names nothing is not
            // part of it; a part that is only a question word asks of the part before.
            (
                "Hi there! I was reading about the trade talks, could you tell me who China sent?",
                &["he-lifeng"],
            ),
            ("what's the oecd forecast and why", &["oecd-forecast"]),
            // "name" asks who; "the two" is not "both sides"; the article is not a speaker.
            (
                "what is the white house economic council director's name",
                &["hassett-role"],
            ),
            ("what are the two largest economies", &["largest-economies"]),
            // "what country" says the kind of answer wanted, not what it is about; "which
            // country mines" asks for a country, not a place.
            ("what country hosted the talks", &["venue"]),
            (
                "what fraction of rare earths does china mine",
                &["china-69-percent"],
            ),
            (
                "which organisation revised its forecast",
                &["oecd-forecast"],
            ),
            (
                "which rare earth elements are restricted",
                &["greer-magnets"],
            ),
            // "how long ago" asks when; so does "how long has it been going on".
            ("how long ago was the geneva truce", &["geneva-truce"]),
            // "describe" opening a question asks the bot, not what someone described.
            ("describe trump's trade policy", &["economists-concerns"]),
            // A yes/no question gets the fact that settles it.
            ("is the global economy growing", &["oecd-forecast"]),
            (
                "what does the article say about smartphones",
                &["rare-earth-uses"],
            ),
            // A comparison gets a fact for each side.
            (
                "is the us tariff higher than china's",
                &["tariff-us-on-china", "tariff-china"],
            ),
            // Names joined by "and": a fact for each, each stating what is asked.
            (
                "what are the us and china tariffs",
                &["tariff-china", "tariff-us-on-china"],
            ),
            (
                "what did greer and beijing claim",
                &["greer-magnets", "beijing-accusations"],
            ),
            // Sentences before the question that ask nothing are preamble, whatever they name.
            (
                "Hello, I'm from Germany and don't follow US politics closely. Could you please \
             explain what role Jamieson Greer has in the American government?",
                &["greer"],
            ),
            // How a thing went is reported only as somebody's description of it.
            (
                "how did the trump-xi call go?",
                &["trump-very-good-talk", "xi-rare-earths"],
            ),
            // …and so are sentences after it that remark rather than ask.
            (
                "Good afternoon. My memory is not what it was. Who was it that represented China \
             at these talks? Much obliged.",
                &["he-lifeng", "delegation"],
            ),
            (
                "Dear bot, I was wondering whether you could remind me where the earlier truce was \
             arranged. I believe it was somewhere in Switzerland? Thank you kindly.",
                &["geneva-truce"],
            ),
            ("truce length?", &["ninety-days"]),
            // "and" with a preposition before a question word starts a second question.
            (
                "Who is Kevin Hassett, and to which outlet did he speak?",
                &["hassett-role", "hassett-cbs"],
            ),
            // Who someone works for is their job; a leader of a delegation leads it.
            ("hassett he is work for who?", &["hassett-role"]),
            (
                "who is the leader of the chinese delegation",
                &["he-lifeng"],
            ),
            // Words offered as a choice: the fact settles it by stating one.
            ("were may exports up or down", &["may-exports"]),
            // What a "which" question says of its subject is the word after it, not a later
            // clause ("before the talks began").
            (
                "Would you be able to tell me which British official He Lifeng met with before the \
             talks began?",
                &["reeves-meeting"],
            ),
            // The accused is no speaker, in the passive too.
            (
                "who accused china of not sticking to the deal?",
                &["greer-magnets"],
            ),
            (
                "huawei — what's the us accused of",
                &["beijing-accusations"],
            ),
            // What "they" talk about is the agenda, not what Reeves and He Lifeng discussed.
            ("what are they talking about", &["agenda"]),
            // A name after "with" is no speaker: what Trump said of his call with Xi.
            (
                "trumph call with xi jinpin how did it go",
                &["trump-very-good-talk"],
            ),
            // The talks named by who holds them are the talks.
            ("where r the us china trade talks happening", &["venue"]),
            // "was there" asks whether something was, not who attended.
            (
                "was there some kind of truce before this",
                &["geneva-truce"],
            ),
            // "each other" names no subject; "where … come from" asks for a source.
            (
                "is it normal for trump and xi to phone each other",
                &["trump-xi-call"],
            ),
            (
                "where does the may trade data come from",
                &["may-exports", "may-imports"],
            ),
        ],
    );
    // "each other", "both sides", "who … whom": every side's accusation, whoever is best.
    for q in [
        "what are the accusations on both sides",
        "who accuses whom of breaking the deal",
        "who accuses who of breaking the deal",
        "what do they accuse each other of",
    ] {
        let got = ids(&kb, q);
        for want in ["greer-magnets", "beijing-accusations", "backtracking"] {
            assert!(got.iter().any(|g| g == want), "{q}: {got:?} lacks {want}");
        }
    }
    // "both" alone asks of both, not of their claims.
    assert_eq!(ids(&kb, "what did both sides agree"), ["ninety-days"]);
    // …but not a name after it: the restrictions the US is said to have put on China.
    assert!(
        ids(&kb, "what restrictions did the us put on china")
            .iter()
            .any(|f| f == "beijing-accusations")
    );
    assert_eq!(
        ids(&kb, "how long has the trade war been going on")
            .first()
            .map(String::as_str),
        Some("trade-war-start")
    );
    // A typo is read as the knowledge's own word before one only a synonym phrase uses
    // ("truse" is "truce", not the "true" of "is it true that").
    assert!(
        ids(&kb, "whats the geneva truse")
            .iter()
            .any(|f| f == "geneva-truce")
    );
    // "they" in the second part stands for one word of the first: rare earths.
    assert_eq!(
        ids(
            &kb,
            "what's china's share of rare earths and what are they used for"
        ),
        ["china-69-percent", "rare-earth-uses"]
    );
    assert_eq!(
        ids(&kb, "is trump happy with the call")
            .first()
            .map(String::as_str),
        Some("trump-very-good-talk")
    );
    // The word asked about must be answered: no tariff is reported on magnets, and the
    // article does not say how long the call lasted.
    for q in [
        "whats the exact tariff on rare earth magnets",
        "how long did the phone call last",
        "what did the us agree to in london",
        "what did the uk get out of the meeting with he lifeng",
        "why did the trade war begin",
        "why was the truce brokered in geneva",
        // Nothing is said of tariffs rising: the tariff facts and a fact on exports rising are
        // not stitched into an answer.
        "will tariffs go up again",
        // What a "how much" question measures must be stated: tariffs did not rise, and the
        // rise in exports is not reported for exports to the US.
        "how much did china's exports to the us rise",
        // What a "which" question says of what it asks about must be stated too.
        "which rare earth elements are mined in london",
        // A word asked about that no fact uses: nothing reports what CBS asked.
        "what did cbs ask hassett",
        // Nor does one asking what a country will do, or what the UK wants.
        "what will beijing do",
        "what does the uk want",
        // A "why" naming nothing but a country has nothing to explain.
        "why did china do that",
        // …and one fact per name does not stitch an answer from unrelated facts.
        "what did the uk and china agree",
        "what did reeves and he lifeng decide",
        // A number is only for what is measured: the article gives China's share of mining,
        // not of processing.
        "how much of rare earth processing does china control",
        "What percentage of the world's rare earth processing does China control?",
        // Where from is a place, unless it is where something comes from.
        "where was the call made from",
        "is the uk taking sides in this",
        // What a "what" question ends on, named by a preposition, must be stated; so must a
        // year asked for.
        "what tariff did china put on magnets",
        "what year did the trade war begin",
        // Nor how the London talks went.
        "how did the talks go",
    ] {
        assert_eq!(ids(&kb, q), Vec::<String>::new(), "{q}");
    }
}

#[test]
fn a_which_question_is_answered_only_by_a_fact_that_says_which() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // The article speaks of economists, elements and components only in general…
            ("which economists are concerned", &[][..]),
            ("which rare earth elements does china mine", &[]),
            // …or says no more of them than the question does.
            ("which huawei components did the us discourage", &[]),
            (
                "which huawei components exactly did the us discourage people from using",
                &[],
            ),
            ("which chip design software was halted", &[]),
            // A name, a modifier or what a preposition names says which.
            (
                "which components did the us discourage",
                &["beijing-accusations"],
            ),
            (
                "which export restrictions does greer say china never lifted",
                &["greer-magnets"],
            ),
            (
                "which organisation revised its forecast",
                &["oecd-forecast"],
            ),
            ("which tariffs did the us lower", &["tariff-us-on-china"]),
        ],
    );
}

#[test]
fn a_question_about_the_future_is_answered_only_by_a_fact_that_looks_ahead() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // The article reports no outcome of the talks and no plan…
            ("Will there be a full deal before the deadline?", &[][..]),
            ("is china gonna stop exporting magnets", &[]),
            ("Is America going to give the student visa again?", &[]),
            ("did they make a deal?", &[]),
            // The asker's own case is no news.
            ("can i still get a us student visa this fall?", &[]),
            ("should i buy rare earth stocks?", &[]),
            ("can i ask who led the talks?", &["delegation"]),
            // Who started the call is not reported.
            ("who called who, trump or xi?", &[]),
            ("did trump or xi initiate the call?", &[]),
            ("who started the trade war", &[]),
            ("have the us and china reached a deal", &[]),
            // (Time "to make a deal" is the time to negotiate one, which the article gives.)
            ("how long do they have to make a deal", &["ninety-days"]),
            // …but says what a shift in supply will do, and what Xi agreed to.
            (
                "will changes in rare earth supply matter globally?",
                &["supply-ripple"],
            ),
            ("will china resume rare earth trade", &["xi-rare-earths"]),
        ],
    );
}

/// "was it A, or B?": the first option the article states is answered by what it states; a
/// number checked that the best fact does not state brings the fact that does.
#[test]
fn a_choice_or_a_checked_number_is_settled_by_the_fact_stating_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "was it greer who said china didnt lift the magnet restrictions, or bessent?",
                &["greer-magnets"][..],
            ),
            (
                "was it the oecd that cut the forecast to 2.9 or the imf?",
                &["oecd-forecast"],
            ),
            // (Neither option stated: declined.)
            ("did they reach a deal or will they meet again?", &[]),
            // (Time "to reach" a deal is the time to negotiate it, which the article gives.)
            (
                "how much time did they give themselves to reach a complete agreement",
                &["ninety-days"],
            ),
            (
                "was it the imf or the world bank that cut its forecast?",
                &[],
            ),
            (
                "did the us drop the tariffs to 30%?",
                &["tariff-china", "tariff-us-on-china"],
            ),
            // (Two numbers swapped: each fact stating one.)
            (
                "so the US went down to 10% and china to 30%?",
                &["tariff-us-on-china", "tariff-china"],
            ),
            ("is the oecd forecast 3%?", &["oecd-forecast"]),
        ],
    );
}

#[test]
fn a_yes_no_question_is_settled_only_by_a_fact_stating_all_it_asks() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("Did US stop selling airplane parts?", &[][..]),
            // …but what someone is said to be accused of is settled by what they were accused
            // of.
            (
                "did beijing accuse the us of banning tiktok?",
                &["beijing-accusations"],
            ),
            (
                "did the us stop selling chip design software",
                &["beijing-accusations"],
            ),
            // "also" inside one question joins nothing: the article quotes Trump on the call, not Xi.
            ("Did Xi Jinping also say the call was good?", &[]),
        ],
    );
}

#[test]
fn students_are_a_subject_not_filler() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // What "how many" counts must be something the article counts.
            ("How many Chinese students in America?", &[][..]),
            (
                "what did beijing say about students",
                &["beijing-accusations"],
            ),
            // …and a student asking is still answered.
            ("as a student, where are the talks held", &["venue"]),
        ],
    );
}

#[test]
fn what_year_is_answered_only_by_a_year() {
    let kb = kb();
    // "for over a year" says how long, not which year.
    assert_eq!(
        ids(&kb, "what year have trade tensions shaken markets"),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&kb, "how long have trade tensions shaken markets"),
        ["market-tensions"]
    );
}

#[test]
fn a_preamble_goes_as_a_whole_sentence_unless_the_question_points_back_to_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // A sentence that asks nothing goes, though a clause of it names a country…
            (
                "Hello, I am from Brazil, my English is not so good. What is the 90-day thing?",
                &["ninety-days"][..],
            ),
            // …but not one that asks, without a question word.
            (
                "Dear sir/madam, I would like to know the name of the Treasury Secretary \
             mentioned in the article. Regards, Mr. Tanaka",
                &["bessent"],
            ),
            // A clause naming nothing the article has, no place and no name goes ("an old
            // man's"); one naming a country stays ("in my country Korea").
            (
                "Forgive an old man's curiosity, but could you tell me when that temporary truce over tariffs was arranged?",
                &["geneva-truce"],
            ),
            ("in my country korea, we will be affected how?", &[]),
            // ("this trade tension" is no pointing back to the clause before.)
            (
                "someone in the group chat said markets are rattled, how long has this trade tension been dragging on",
                &["market-tensions"],
            ),
            // ("before my meeting" names no time the question is about.)
            (
                "quick one before my meeting, what's the 90 day window for",
                &["ninety-days"],
            ),
            // ("Which month" asks for a month, which the fact states.)
            (
                "Might I ask in which month the trade war between the two nations is said to have begun?",
                &["trade-war-start"],
            ),
            // (…nor what "on" adds to what is asked of: "on levies" is the truce's.)
            (
                "in which city was the earlier ceasefire on levies struck",
                &["geneva-truce"],
            ),
            // "he", "she", "that" point back to what the sentence or clause before says.
            (
                "I read Xi agreed something. What did he agree?",
                &["xi-rare-earths"],
            ),
            (
                "Rare earth trade will start again, who said that?",
                &["xi-rare-earths"],
            ),
            (
                "I read that the British Chancellor met someone from China. Who did she meet?",
                &["reeves-meeting"],
            ),
            // A pronoun after a name points to the name, not to the clause before it.
            (
                "sorry if this is off topic, but I saw something about the OECD and growth numbers, what did they say?",
                &["oecd-forecast"],
            ),
            // (The article's headline is no subject; "keeping" restrictions is having them.)
            (
                "hey, so I read the headline about the tariff truce being at risk, why is it at risk exactly?",
                &["non-compliance"],
            ),
            (
                "is china accused of keeping the magnet export restrictions?",
                &["greer-magnets"],
            ),
            // Words about asking, before the question word, say who wants to know…
            (
                "my dad keeps asking me who was on the american team in these talks, could you remind me?",
                &["lutnick", "bessent", "greer", "delegation"],
            ),
            (
                "I'm writing a school report and need to know how trump described his talk with xi",
                &["trump-very-good-talk"],
            ),
            // ("us" after a word of asking is whom it was asked; wanting is asking.)
            (
                "my teacher asked us who the chinese vice premier at the london talks was, help",
                &["delegation"],
            ),
            (
                "my boss wants a one-liner on what the OECD did with its forecast",
                &["oecd-forecast"],
            ),
            // ("if" or "whether" opens a yes/no question the same way.)
            (
                "my mom wants to know if china has started sending rare earths out again",
                &["hassett-cbs"],
            ),
            // A dash between spaces ends a clause that names nothing.
            (
                "prepping a briefing for my manager - who did he lifeng meet in london before the talks?",
                &["reeves-meeting"],
            ),
            // ("that" before "before" is no "that <noun>": it points back.)
            (
                "the geneva truce - was that before or after these london talks?",
                &[
                    "geneva-truce",
                    "tariff-us-on-china",
                    "tariff-china",
                    "ninety-days",
                ],
            ),
            // …unless they name someone, who is then part of the question.
            (
                "Greer asked what China did about magnets",
                &["greer-magnets"],
            ),
        ],
    );
}

#[test]
fn what_the_sides_say_of_each_other_is_their_accusations() {
    let kb = kb();
    for q in [
        "what do the two sides say about each other",
        "Both sides say other side doing what?",
    ] {
        let mut got = ids(&kb, q);
        got.sort();
        assert_eq!(
            got,
            ["backtracking", "beijing-accusations", "greer-magnets"],
            "{q}"
        );
    }
}

#[test]
fn why_a_side_is_angry_is_what_it_accuses_the_other_of() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("why is china mad at the us", &["beijing-accusations"][..]),
            ("why is the us unhappy with china", &["greer-magnets"]),
            // Greer's claim is the US side's: China failing to lift restrictions under the deal.
            (
                "why does the us say china broke the deal",
                &["greer-magnets"],
            ),
            // …but a "why" that names nothing to explain is still declined.
            ("why did china say that", &[]),
            ("why are they angry", &[]),
        ],
    );
}

#[test]
fn taking_part_is_attending_not_being_the_venue() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("who is taking part in the talks", &["delegation"][..]),
            // The talks are in the UK; the article does not say the UK takes part.
            ("is the uk taking part in the negotiations", &[]),
            (
                "What role did He Lifeng play in the diplomatic meetings described?",
                &["delegation", "reeves-meeting"],
            ),
            (
                "Summarise the main points of contention between Washington and Beijing.",
                &["agenda"],
            ),
            // The article says nothing of how things stand now.
            ("is the trade war over now", &[]),
        ],
    );
}

#[test]
fn what_someone_told_others_is_what_they_said() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("what did hassett tell them", &["hassett-cbs"][..]),
            ("what did greer tell the chinese", &["greer-magnets"]),
            // The article quotes nothing He Lifeng said.
            ("what did he lifeng tell the americans", &[]),
        ],
    );
}

#[test]
fn a_yes_no_question_may_name_what_was_agreed_without_asking_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // "what was agreed" is part of what is asked whether it holds…
            (
                "are rare earth exports back to what was agreed",
                &["hassett-cbs"][..],
            ),
            ("are exports back to normal", &["hassett-cbs"]),
        ],
    );
    // …but asked for, it is still not answered by a fact that leaves it unknown.
    assert!(
        !ids(&kb, "what was agreed in geneva")
            .iter()
            .any(|f| f == "hassett-cbs")
    );
}

#[test]
fn chat_slang_is_read_as_the_words_it_stands_for() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // Filler ("bruh") carries no subject; "tanked" is fell, "backing out" backtracking.
            ("bruh who r the us guys in london", &["delegation"][..]),
            ("china imports tanked or wut", &["may-imports"]),
            (
                "has anyone accused anyone of backing out",
                &["backtracking"],
            ),
        ],
    );
}

#[test]
fn what_something_is_comes_before_what_completes_it() {
    let kb = kb();
    // The call itself first, then what Trump said of it, however the names are spelled…
    for q in ["donald trunp phone call with xi?", "xi jin ping trump call"] {
        let got = ids(&kb, q);
        assert_eq!(
            got.first().map(String::as_str),
            Some("trump-xi-call"),
            "{q}: {got:?}"
        );
        assert!(
            got.iter().any(|f| f == "trump-very-good-talk"),
            "{q}: {got:?}"
        );
    }
    // …but asked what Trump said, what he said.
    assert_answers(
        &kb,
        &[(
            "what did trump say about the call",
            &["trump-very-good-talk"][..],
        )],
    );
}

#[test]
fn a_yes_no_question_with_a_wrong_number_gets_the_fact_that_settles_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // (…with the fact the number belongs to, which the question mixed up.)
            (
                "did china lower its tariffs to 30%?",
                &["tariff-china", "tariff-us-on-china"][..],
            ),
            ("did the oecd cut its forecast to 2.5%", &["oecd-forecast"]),
            // ("…, true?" asks as "…, right?" does; "zero" is a number checked.)
            (
                "i heard china mines like 95% of rare earths, true?",
                &["china-69-percent", "supply-ripple"],
            ),
            (
                "is it true china cut its tariffs to zero?",
                &["tariff-china"],
            ),
            // Other tags: "…, wasn't it Paris?", "…, yes?", "…, according to this piece?"
            (
                "the talks were in paris this time, wasn't it paris?",
                &["venue"],
            ),
            (
                "the trade war started in march, according to this piece?",
                &["trade-war-start", "trump-xi-call"],
            ),
            // (The exports, which rose, settle it: not the imports, which fell.)
            ("chinese exports fell in may, yes?", &["may-exports"]),
            // A wrong place or frequency is settled by the fact stating the right one.
            (
                "bet they met at the US embassy right",
                &["venue", "largest-economies"],
            ),
            (
                "is it true trump and xi chat every week?",
                &["trump-xi-call"],
            ),
            // A tag after a comma asks of the clause before it, which is no preamble.
            ("the truce period is 60 days, correct?", &["ninety-days"]),
            // "already", like "still", says nothing of what is asked.
            ("is a full deal already done?", &["ninety-days"]),
        ],
    );
    // "is it true…" asks yes or no as "is" does: the US's own rate answers, not only the
    // rate the question names.
    // …as does a tag at the end ("…, right?").
    for q in [
        "is it true the us cut tariffs to 10%",
        "the us cut tariffs to 10% right",
    ] {
        assert!(ids(&kb, q).iter().any(|f| f == "tariff-us-on-china"), "{q}");
    }
}

#[test]
fn everyday_words_for_the_articles_things_are_understood() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // A misspelt name that is an English word too ("reaves") is still the name.
            ("he lifang met reaves?", &["reeves-meeting"][..]),
            // "side of the story" asks what a side says.
            (
                "so whats china's side of the story",
                &["beijing-accusations"],
            ),
            (
                "where do rare earths show up in everyday gadgets",
                &["rare-earth-uses"],
            ),
        ],
    );
    assert_answers(
        &kb,
        &[
            // What is negotiated is the agenda, who negotiates the delegation, and where the
            // delegations met the venue.
            ("wat r they negotiating rn", &["agenda"][..]),
            ("who is negotiating", &["delegation"]),
            (
                "Could you please tell me where the US and China delegations met?",
                &["venue"],
            ),
        ],
    );
    let start = ids(&kb, "trade war start date");
    assert_eq!(start.first().map(String::as_str), Some("trade-war-start"));
}

#[test]
fn how_long_is_not_when() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("how long is the truce", &["ninety-days"][..]),
            // The article gives the period's length, not the day it ends.
            ("when does the 90-day period end", &[]),
        ],
    );
}

#[test]
fn the_terms_of_the_truce_are_the_truce_and_its_details() {
    let kb = kb();
    let all = &[
        "geneva-truce",
        "tariff-us-on-china",
        "tariff-china",
        "ninety-days",
    ][..];
    assert_answers(
        &kb,
        &[
            ("what were the terms of the geneva truce", all),
            ("geneva deal terms", all),
        ],
    );
}

#[test]
fn what_two_people_talked_about_is_what_they_discussed() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "what did he lifeng and the uk chancellor talk about",
                &["reeves-meeting"][..],
            ),
            // …while what "they" talk about, with no one named, is the talks' agenda alone.
            ("so what are they actually talking about", &["agenda"]),
            ("wat r they talkin abt rn", &["agenda"]),
        ],
    );
    let (_, subject) = respond_in(&kb, "who did he lifeng meet before the talks", None, None);
    let (then, _) = respond_in(&kb, "what did they talk about", None, subject.as_ref());
    assert_eq!(render::fact_ids(&kb.knowledge, &then), ["reeves-meeting"]);
}

#[test]
fn plain_words_for_meeting_breaking_and_issues() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // "see" someone is meeting them; "finally" is no subject ("final" is "full").
            (
                "who did the chinese vice premier see before these talks",
                &["reeves-meeting"][..],
            ),
            (
                "why does the us think china isn't sticking to the deal",
                &["greer-magnets"],
            ),
            ("rare erth magnets whats the isue", &["greer-magnets"]),
        ],
    );
    let got = ids(
        &kb,
        "when did the trade war start and when did trump and xi finally talk",
    );
    assert!(got.iter().any(|f| f == "trade-war-start"), "{got:?}");
}

#[test]
fn the_bot_gives_no_view_of_its_own() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("what do u think, are tariffs good or bad", &[][..]),
            ("what's your take on the truce", &[]),
            // What someone in the article thinks is still theirs to report.
            ("what does greer think", &["greer-magnets"]),
        ],
    );
}

#[test]
fn a_yes_no_question_naming_the_wrong_place_month_or_outlet_gets_the_right_one() {
    let kb = kb();
    assert_answers(
        &kb,
        &[("did hassett say that on fox news", &["hassett-cbs"][..])],
    );
    for (q, want) in [
        ("are the talks in paris", "venue"),
        (
            "the trade war began in january didn't it",
            "trade-war-start",
        ),
        // The Geneva truce names Geneva but not the talks; the venue answers all of it.
        ("were these talks in geneva", "venue"),
        // Whether something is in a place asks where: the venue, not who met there.
        ("is the meeting in london", "venue"),
    ] {
        let got = ids(&kb, q);
        assert_eq!(got.first().map(String::as_str), Some(want), "{q}: {got:?}");
    }
    // Asked for, not checked, a place no fact names is still not reported.
    assert_answers(&kb, &[("what did the talks in paris decide", &[][..])]);
}

#[test]
fn a_question_checking_who_did_something_gets_who_did_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "was it bessent who accused china over magnets?",
                &["greer-magnets"][..],
            ),
            (
                "so greer was the one complaining about student visas?",
                &["beijing-accusations"],
            ),
            (
                "wait was lutnick the one who met reeves?",
                &["reeves-meeting"],
            ),
            // A place is no one: "was it in Geneva that…" checks where.
            (
                "was it in geneva that the truce was struck",
                &["geneva-truce"],
            ),
        ],
    );
}

#[test]
fn two_subjects_joined_by_and_are_each_answered() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "may exports and the oecd number pls",
                &["may-exports", "oecd-forecast"][..],
            ),
            (
                "oecd forecast and china's share of rare earth mining?",
                &["oecd-forecast", "china-69-percent"],
            ),
            // Both must be answered.
            ("tariffs and soybeans", &[]),
            // A question word or a verb makes one question of it.
            ("what did the us and china agree in london", &[]),
        ],
    );
}

#[test]
fn people_and_outlets_side_by_side_are_not_all_speakers() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "trmp xi call how did it go",
                &["trump-very-good-talk", "xi-rare-earths"][..],
            ),
            ("hasset cbs what did he say", &["hassett-cbs"]),
        ],
    );
}

#[test]
fn more_everyday_words_are_understood() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("which town is hosting this", &["venue"][..]),
            ("china's rep?", &["he-lifeng", "delegation"]),
            ("did imports fall harder than expected", &["may-imports"]),
            ("trump hyped the call or nah", &["trump-very-good-talk"]),
            (
                "both sides throwing shade at each other?",
                &["backtracking", "greer-magnets", "beijing-accusations"],
            ),
            (
                "chinas receipts on the us breaking the deal, spill",
                &["beijing-accusations"],
            ),
            // "why do people say…" asks why, not who says so; "what do people say" is still
            // no question the article answers.
            (
                "how come people say the tariff truce might fall apart",
                &["non-compliance"],
            ),
            ("what do people say about the talks", &[]),
            // What they hope to achieve is what they seek; what they achieved is not reported.
            (
                "what were the officials hoping to achieve by sitting down together?",
                &["purpose"],
            ),
            ("what did the talks achieve", &[]),
            // The 90 days are to negotiate a full deal: the article gives that reason.
            ("why is there a 90 day period anyway", &["ninety-days"]),
            ("why did the us cut tariffs", &[]),
            // "why is X mentioned" asks what the article says of X.
            ("why is huawei even in this story", &["beijing-accusations"]),
            ("why is the oecd involved", &["oecd-forecast"]),
            (
                "kinda sus that china mines like 70% of rare earths?",
                &["china-69-percent", "supply-ripple"],
            ),
        ],
    );
}

#[test]
fn a_question_checking_someones_role_gets_their_role() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("is hassett the treasury secretary?", &["hassett-role"][..]),
            (
                "was he lifeng the chinese foreign minister?",
                &["he-lifeng"],
            ),
            (
                "is rachel reeves the uk foreign secretary",
                &["reeves-role"],
            ),
            ("is bessent the commerce secretary", &["bessent"]),
            // No role: the article does not say.
            ("is bessent a republican", &[]),
            // "the" first is no role question ("the US cut…").
            (
                "the us cut tariffs to 10% and china to 30% yeah?",
                &["tariff-china", "tariff-us-on-china"],
            ),
        ],
    );
}

#[test]
fn a_yes_no_question_naming_the_wrong_mood_or_amount_gets_the_right_one() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "was the mood chill at the talks?",
                &["largest-economies"][..],
            ),
            ("were the talks at buckingham palace", &["venue"]),
            (
                "hassett told cnn exports hadn't resumed right?",
                &["hassett-cbs"],
            ),
            // A number in words is checked as one in digits.
            (
                "does china mine like half of all rare earths?",
                &["china-69-percent", "supply-ripple"],
            ),
            ("how low did china take its tariffs", &["tariff-china"]),
            // What a thing is made of no fact states.
            ("what exactly are rare earth magnets made of", &[]),
        ],
    );
}

#[test]
fn a_yes_no_question_naming_a_person_the_article_does_not_gets_who_it_was() {
    let kb = kb();
    for (q, want) in [
        ("was the chinese delegation led by li qiang", "he-lifeng"),
        // A given name beside a family name the lexicon lists is part of the name.
        ("was janet yellen there as treasury secretary", "bessent"),
        ("did biden attend the talks", "delegation"),
    ] {
        let got = ids(&kb, q);
        assert_eq!(got.first().map(String::as_str), Some(want), "{q}: {got:?}");
    }
    // A person the article names is asked about in their own right: the talks have several
    // people, so naming a wrong one is no wrong detail. Nor is an English word beside a name.
    assert_answers(
        &kb,
        &[
            ("did cbs news interview bessent", &[][..]),
            ("did greer meet reeves too", &[][..]),
            ("will trump visit beijing", &[][..]),
            ("will trump meet xi in person", &[][..]),
            // Asked for, not checked, a person no fact names is still not reported.
            ("what did yellen say about the talks", &[][..]),
        ],
    );
}

#[test]
fn than_people_thought_is_than_expected() {
    let kb = kb();
    assert_answers(
        &kb,
        &[(
            "was the drop in imports worse than people thought",
            &["may-imports"][..],
        )],
    );
}

#[test]
fn ahead_of_is_before() {
    let kb = kb();
    let got = ids(
        &kb,
        "Good morning, would you mind telling me what happened between the two leaders ahead of this meeting?",
    );
    assert_eq!(
        got.first().map(String::as_str),
        Some("trump-xi-call"),
        "{got:?}"
    );
}

#[test]
fn and_between_two_names_does_not_start_a_second_question() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // "and" joins the two sides here; later "are" is not a second question.
            (
                "Could you please remind me where the US and Chinese officials are holding their talks?",
                &["venue"],
            ),
            // Each part answered: "the US and China tariffs" is one.
            (
                "what are the us and china tariffs after the truce and how long do they have to negotiate",
                &["tariff-china", "tariff-us-on-china", "ninety-days"],
            ),
            // (One of names joined by "and" answers for its part with all but one of the other
            // words: "after" is no word of the tariff facts.)
            (
                "what are the us and china tariffs after the truce",
                &["tariff-china", "tariff-us-on-china"],
            ),
            ("is only china accused of backsliding?", &["backtracking"]),
            // ("got accused" is the passive too: China is the accused, no speaker.)
            (
                "only china got accused of backtracking, right?",
                &["backtracking"],
            ),
        ],
    );
}

#[test]
fn something_said_to_be_so_asks_no_speaker() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "How come the truce is said to be at risk?",
                &["non-compliance"],
            ),
            ("what did greer say", &["greer-magnets"]),
            // How something is described, by nobody named: the article's words answer too.
            (
                "how is trump's trade policy described",
                &["economists-concerns"],
            ),
            ("how is the atmosphere described", &["largest-economies"]),
            (
                "how was the call described",
                &["trump-very-good-talk", "xi-rare-earths"],
            ),
        ],
    );
}

#[test]
fn whats_this_about_something_asks_what_the_article_says_of_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("whats this about student visas", &["beijing-accusations"]),
            ("what is this about", &["agenda"]),
            ("what's this all about?", &["agenda"]),
        ],
    );
}

#[test]
fn dropping_tariffs_areas_and_central_issues_are_understood() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("did china drop its tariffs to 20%?", &["tariff-china"]),
            ("which area of london was it in", &["venue"]),
            ("so has the truce held up or what", &["non-compliance"]),
            // A truce "signed" is the one brokered; a deal signed is not reported.
            ("was the truce signed in london?", &["geneva-truce"]),
            ("truce signed where", &["geneva-truce"]),
            ("did they sign a deal in london", &[]),
            ("what did they sign", &[]),
            (
                "Could you explain what the central issues of the negotiations are?",
                &["agenda"],
            ),
        ],
    );
}

#[test]
fn a_role_checked_without_an_article_still_gets_the_role() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("is he lifeng china's foreign minister?", &["he-lifeng"]),
            ("is bessent treasury secretary", &["bessent"]),
            // Whether someone was there is not their role.
            ("was Janet Yellen there as Treasury Secretary", &["bessent"]),
            ("is Bessent a Republican", &[]),
        ],
    );
}

#[test]
fn hearsay_to_check_asks_no_speaker() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "hey quick question, my friend says the truce was agreed in london, is that right?",
                &["geneva-truce"],
            ),
            (
                "someone told me china cut tariffs to 10%, true?",
                &["tariff-china"],
            ),
        ],
    );
}

#[test]
fn a_wrong_medium_or_an_unnamed_prime_minister_is_a_wrong_detail() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "was it a video call between trump and xi?",
                &["trump-xi-call", "trump-very-good-talk", "xi-rare-earths"],
            ),
            (
                "did he lifeng meet the uk prime minister before the talks?",
                &["reeves-meeting"],
            ),
            ("who is the prime minister", &[]),
            ("what did the uk pm say", &[]),
        ],
    );
}

#[test]
fn a_body_the_article_does_not_name_is_not_the_oecd() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("what did the imf say about global growth?", &[]),
            ("what did the world bank forecast", &[]),
            ("what did the oecd say about growth", &["oecd-forecast"]),
        ],
    );
}

#[test]
fn a_second_name_alone_after_and_asks_the_same_of_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "us tariff rate and china's?",
                &["tariff-us-on-china", "tariff-china"],
            ),
            (
                "what did greer say, and beijing?",
                &["greer-magnets", "beijing-accusations"],
            ),
            // Both readings must be answered: the article quotes Greer, not Japan.
            ("what did greer say about magnets and japan", &[]),
        ],
    );
}

#[test]
fn the_kind_of_answer_wanted_is_no_subject_and_a_place_beside_more_is_no_where() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // "which month" at the end asks when, as at the start.
            ("the trade war began in which month", &["trade-war-start"]),
            // Whether Bessent is in the delegation, not where the talks are.
            (
                "Is Scott Bessent part of the delegation in London?",
                &["bessent"],
            ),
            ("is the meeting in london", &["venue"]),
            // Everyday words: cabinet members, use cases, "temp", "out of this", "items".
            (
                "Could you tell me which US cabinet members went to London?",
                &["delegation"],
            ),
            ("@bot rare earth use cases?", &["rare-earth-uses"]),
            ("is the tariff truce permanent or temp", &["geneva-truce"]),
            ("what does beijing want out of this", &["agenda"]),
            ("main agenda items pls", &["agenda"]),
        ],
    );
}

#[test]
fn a_request_for_the_story_in_brief_gets_the_summary_topic() {
    let kb = kb();
    let summary = ids(&kb, "/summary");
    assert_eq!(
        summary,
        ["purpose", "delegation", "agenda", "non-compliance"]
    );
    for q in [
        "tl;dr?",
        "can someone summarize this article for me",
        "@bot give me the short version",
        "big picture?",
        "give me the main points in 3 bullets",
        "what's this story about basically",
    ] {
        assert_eq!(ids(&kb, q), summary, "{q}");
    }
    // A summary of something is about that thing; "summarise" alone asks nothing.
    assert_answers(
        &kb,
        &[
            (
                "Please could you summarise Beijing's complaints?",
                &["beijing-accusations"],
            ),
            ("what are the talks about", &["agenda"]),
            ("what's the story about the magnets", &["greer-magnets"]),
        ],
    );
}

#[test]
fn a_second_question_mark_asks_and_market_words_are_understood() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // Four words after a question are a question when they end in "?".
            (
                "so basically geneva deal is falling apart? both accusing each other?",
                &[
                    "non-compliance",
                    "backtracking",
                    "beijing-accusations",
                    "greer-magnets",
                ],
            ),
            (
                "what kind of US tech is china after in particular",
                &["agenda"],
            ),
            (
                "has everyone stuck to the geneva agreement so far",
                &["non-compliance"],
            ),
            ("what is the goal of the 90 days period?", &["ninety-days"]),
            ("both sides walking it back or just one?", &["backtracking"]),
            ("trump quote?", &["trump-very-good-talk", "xi-rare-earths"]),
            ("imports print?", &["may-imports"]),
            ("has anyone backtracked on the deal", &["backtracking"]),
            (
                "would you mind summarising which issues sit at the core of these negotiations?",
                &["agenda"],
            ),
        ],
    );
}

/// "why is X a big deal", "how come the figure surprised people": what makes something notable is
/// what the article says of it, so the fact about it answers; a "why" about a cause the article
/// does not give is still declined.
#[test]
fn why_something_matters_is_what_the_article_says_of_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // (What the call was, as for "trump xi call?": the call, then what was said of it.)
            (
                "why is the trump xi call a big deal",
                &["trump-xi-call", "trump-very-good-talk", "xi-rare-earths"][..],
            ),
            (
                "why is the trump xi call notable",
                &["trump-xi-call", "trump-very-good-talk", "xi-rare-earths"],
            ),
            (
                "how come the import numbers are a surprise",
                &["may-imports"],
            ),
            ("why was the import number a surprise", &["may-imports"]),
            // (A rare call, not rare earths: why China restricts them is not reported.)
            (
                "why was the call rare",
                &["trump-xi-call", "trump-very-good-talk", "xi-rare-earths"],
            ),
            ("why did china restrict rare earth magnets", &[]),
            // (China named as whom the US sold to says nothing of what Beijing argued.)
            (
                "why did washington stop selling chip design tools to china?",
                &[],
            ),
            (
                "how come the white house still isn't happy with the rare earth shipments?",
                &["hassett-cbs"],
            ),
            // What the article says a meeting was for.
            ("why did he lifeng meet rachel reeves?", &["reeves-meeting"]),
            ("y is every1 mad abt the geneva deal", &["non-compliance"]),
            ("why did trump call xi", &[]),
            ("why did chinese imports fall", &[]),
        ],
    );
}

/// "which company's parts" is Huawei's components (the lexicon's phrase), but which company
/// makes the halted software is not reported.
#[test]
fn a_company_s_parts_are_huawei_s_components() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "which company's parts did the us tell people not to use",
                &["beijing-accusations"][..],
            ),
            ("which company makes the chip design software", &[]),
        ],
    );
}

/// What they are getting together for is the talks' purpose; whether it is the first time is
/// settled by their coming face to face once again.
#[test]
fn getting_together_is_meeting() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("what are they getting together for", &["purpose"][..]),
            (
                "is this the first time they've sat down together",
                &["largest-economies"],
            ),
        ],
    );
}

/// A question whether something claimed is actually so gets the claim and what another speaker
/// says of the same matter, asked alone or as a follow-up; a claim nobody else speaks to is
/// stated as the claim it is.
#[test]
fn whether_a_claim_is_actually_so_gets_another_speakers_word() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "has china actually resumed rare earth trade",
                &["xi-rare-earths", "hassett-cbs"][..],
            ),
            (
                "did china actually remove export restrictions on rare earth magnets",
                &["greer-magnets"],
            ),
        ],
    );
    assert_eq!(
        follow_up(
            &kb,
            "what did xi agree to on the call",
            "so have they actually resumed?"
        ),
        "xi-rare-earths hassett-cbs"
    );
}

/// The talks' agenda, asked in everyday words, is the agenda alone: not padded with what He
/// Lifeng discussed with Reeves.
#[test]
fn the_agenda_is_answered_alone() {
    let kb = kb();
    for q in [
        "agenda?",
        "what's on the table",
        "what are the main issues",
        "what are they negotiating about",
        "what's being discussed",
        "key sticking points?",
        "what r the talks even about",
        "Please let me know what the talks are mainly about.",
    ] {
        assert_eq!(ids(&kb, q), ["agenda"], "{q}");
    }
}

/// Whether the call was good or bad, or went well, is how Trump described it.
#[test]
fn whether_the_call_was_good_is_how_it_was_described() {
    let kb = kb();
    // (Naming Trump or the leaders, it may get what else Trump said of the call after it.)
    for q in [
        "was the call good according to trump",
        "did the call go well",
        "was the trump xi call good or bad",
    ] {
        assert_first(&kb, q, "trump-very-good-talk");
    }
}

/// Politeness ("would you be kind enough", "Mr", "if the piece mentions it") and British
/// spellings ("characterised") do not keep a question from its answer.
#[test]
fn polite_and_british_wording_is_understood() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "Would you be kind enough to tell me what position Mr Howard Lutnick holds?",
                &["lutnick"][..],
            ),
            (
                "Could you kindly explain how President Trump characterised his telephone conversation with President Xi?",
                &["trump-very-good-talk"],
            ),
            // ("the gentleman who serves as", "is reported to have": how it is put.)
            (
                "Could you tell me the name of the gentleman who serves as the American trade representative?",
                &["greer"],
            ),
            (
                "Could you tell me what President Xi is reported to have agreed to?",
                &["xi-rare-earths"],
            ),
            (
                "why did the chinese import number catch people off guard?",
                &["may-imports"],
            ),
            // Roundabout wording: a British minister is the Chancellor, to sum up the call is
            // to describe it, a year before is year on year.
            (
                "the chinese vice premier apparently had a meeting with a british minister before the talks - who?",
                &["reeves-meeting"],
            ),
            (
                "in his own words, how did trump sum up the phone conversation with xi",
                &["trump-very-good-talk"],
            ),
            (
                "if you compare chinese exports in may with the same month a year before, by how much had they gone up?",
                &["may-exports"],
            ),
            (
                "ok so what does beijing reckon the us did wrong",
                &["beijing-accusations"],
            ),
            (
                "just catching up on the news, are rare earth shipments moving again",
                &["hassett-cbs"],
            ),
            (
                "sooo what do ppl even use rare earths for",
                &["rare-earth-uses"],
            ),
            // A journalist's and a policy reader's wording.
            (
                "What rationale did the OECD give for its downgrade?",
                &["oecd-forecast"],
            ),
            (
                "How is Rachel Reeves identified?",
                &["reeves-role", "reeves-meeting"],
            ),
            (
                "He Lifeng is what position in China goverment?",
                &["he-lifeng"],
            ),
            ("what did trump post about the london talks", &[]),
        ],
    );
}

/// Everyday and market wording: a key sticking point is the agenda, a print is a figure, a
/// haircut a downgrade, products what rare earths are used in; a well-known given name beside a
/// surname the article does not name is part of that person's name.
#[test]
fn market_words_given_names_and_products_are_understood() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("key sticking points?", &["agenda"][..]),
            ("OECD print?", &["oecd-forecast"]),
            ("why'd oecd haircut growth", &["oecd-forecast"]),
            (
                "Which products are using the rare earth elements?",
                &["rare-earth-uses"],
            ),
        ],
    );
    assert_first(
        &kb,
        "was the chinese delegation led by wang yi",
        "he-lifeng",
    );
}

/// A role pads only "who is": "did Trump and Xi talk" is the call, not also who the two
/// leaders are (the call already says), while "who is Xi Jinping" is who he is.
#[test]
fn a_role_pads_no_answer_but_who_is() {
    let kb = kb();
    for q in ["did trump and xi talk", "did trump meet xi face to face"] {
        let got = ids(&kb, q);
        assert!(!got.contains(&"leaders".to_string()), "{q}: {got:?}");
        assert!(got.contains(&"trump-xi-call".to_string()), "{q}: {got:?}");
    }
    assert_answers(&kb, &[("trade war start month", &["trade-war-start"][..])]);
    assert_first(&kb, "who is xi jinping", "leaders");
}

/// A misspelled question word is still that question word: "wher was…" asks where, so it gets
/// the place, not everything the truce was.
#[test]
fn misspelled_question_words_ask_what_they_would() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("wher was the truse signed", &["geneva-truce"][..]),
            ("hwo much is the us tariff", &["tariff-us-on-china"]),
        ],
    );
}

/// A second part naming only a name asks what the first asked, of it: each side's tariff, not
/// who China's vice premier is.
#[test]
fn a_second_part_naming_only_a_name_asks_the_same_of_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[(
            "what tariff did the us set and what did china set?",
            &["tariff-us-on-china", "tariff-china"][..],
        )],
    );
}

/// A trade fight rattling markets is the tensions' duration; "these days" asks nothing more;
/// why Washington says China broke the truce is Greer's claim.
#[test]
fn everyday_wording_of_duration_time_and_blame() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "how long has this trade fight been rattling markets",
                &["market-tensions"][..],
            ),
            ("what's the OECD saying these days", &["oecd-forecast"]),
            (
                "why does washington say china broke the truce?",
                &["greer-magnets"],
            ),
        ],
    );
}

/// "on earth" is the world's, "sign on to" is agreeing, exports "back at" a level have resumed.
#[test]
fn everyday_phrases_for_world_agreeing_and_resuming() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "are these the two biggest economies on earth meeting?",
                &["largest-economies"][..],
            ),
            ("did xi sign on to anything", &["xi-rare-earths"]),
            (
                "are china's exports back at the geneva level",
                &["hassett-cbs"],
            ),
            (
                "have rare earth exports from china started again",
                &["hassett-cbs"],
            ),
        ],
    );
}

/// What came after the London talks is after the article: declined, unless a yes/no question
/// is settled by a fact saying it came before. A role is no answer to what came before them.
#[test]
fn what_came_after_the_talks_is_not_reported() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("did the us cut tariffs after the talks", &[][..]),
            ("what happened after the talks", &[]),
            ("has anything changed since the talks", &[]),
            (
                "did reeves meet he lifeng after the talks?",
                &["reeves-meeting"],
            ),
        ],
    );
    assert_first(&kb, "what came before the talks", "trump-xi-call");
    assert_first(&kb, "what is bessent's job", "bessent");
}

/// An @handle names whom a message is for, never what it asks; where the US and China meet is
/// the venue.
#[test]
fn handles_ask_nothing_and_where_the_sides_meet_is_the_venue() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "@TradeTalkBot who leads china's delegation",
                &["he-lifeng"][..],
            ),
            ("hey @alice what's the us tariff", &["tariff-us-on-china"]),
            ("where are the us and china meeting", &["venue"]),
            (
                "@bot is hassett saying exports are fully back",
                &["hassett-cbs"],
            ),
        ],
    );
}

/// "who's accusing who?" after a question about the truce is a question of its own.
#[test]
fn who_accuses_whom_after_the_truce_stands_alone() {
    let kb = kb();
    assert_eq!(
        follow_up(&kb, "is the truce holding", "who's accusing who?"),
        "backtracking greer-magnets beijing-accusations"
    );
}

/// Chat slang: the money guy is the Treasury Secretary, a dead truce is at risk, China sitting
/// on rare earths is its export restrictions; "summarize pls" asks for the story.
#[test]
fn chat_slang_for_people_risk_and_restrictions() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("who's the money guy on the us side", &["bessent"][..]),
            ("yo is the truce dead or nah", &["non-compliance"]),
            (
                "china still sitting on the rare earths or what",
                &["greer-magnets"],
            ),
            ("is he dead", &[]),
        ],
    );
    assert_eq!(ids(&kb, "summarize pls"), ids(&kb, "/summary"));
    // "what's happening" alone asks for the story; about something, it asks about that.
    assert_eq!(ids(&kb, "so what's happening"), ids(&kb, "/summary"));
    assert_eq!(ids(&kb, "whats going on"), ids(&kb, "/summary"));
    assert_answers(
        &kb,
        &[
            (
                "whats going on with tariffs",
                &["tariff-china", "tariff-us-on-china"][..],
            ),
            (
                "are they fighting again?",
                &[
                    "backtracking",
                    "non-compliance",
                    "greer-magnets",
                    "beijing-accusations",
                ],
            ),
        ],
    );
}

/// "geneva truce?" is the truce first, then the accusations that followed it: a fact with
/// details (what the thing is) comes before a near one that only mentions it.
#[test]
fn what_a_thing_is_comes_before_what_followed_it() {
    let kb = kb();
    for q in ["geneva truce?", "what's the deal with the geneva truce"] {
        assert_first(&kb, q, "geneva-truce");
    }
    assert_first(&kb, "trade war start month", "trade-war-start");
}

/// "to who?" after what someone said is whom they said it to, which the claim names.
#[test]
fn to_whom_after_a_claim_is_the_claim() {
    let kb = kb();
    for then in ["to who?", "who did he tell?"] {
        assert_eq!(
            follow_up(&kb, "what did hassett say", then),
            "hassett-cbs",
            "{then}"
        );
    }
}

/// Everyday paraphrases of the article's things are the things: a describing word no fact uses
/// ("historic") does not stop "which … mansion" asking about the building, while a name does
/// ("which Nvidia chips" is not asked about chips in general).
#[test]
fn paraphrases_and_describing_words() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "Which historic mansion hosted the get-together?",
                &["venue"],
            ),
            ("which nvidia chips are banned for china", &[]),
        ],
    );
    assert_first(
        &kb,
        "who runs america's business department at the sit-down?",
        "lutnick",
    );
    assert_first(&kb, "who minds the public purse for washington?", "bessent");
    assert_first(&kb, "who's the commerce guy?", "lutnick");
    assert_first(
        &kb,
        "what did the chinese side say about chip design software?",
        "beijing-accusations",
    );
    // What a preposition adds to the thing asked about is not what is asked of it.
    assert_first(
        &kb,
        "In which month did the economic fight between the two nations kick off?",
        "trade-war-start",
    );
    assert_first(
        &kb,
        "Which two presidents rang each other shortly before this?",
        "trump-xi-call",
    );
}

/// "What's behind…", "what caused…" and "what's the reason…" ask why, and are answered only by
/// the fact giving that reason.
#[test]
fn what_caused_and_the_reason_ask_why() {
    let kb = kb();
    assert_first(
        &kb,
        "What caused economists to be concerned?",
        "economists-concerns",
    );
    assert_first(
        &kb,
        "What's behind Greer's complaint about China?",
        "greer-magnets",
    );
    assert_first(
        &kb,
        "what's the reason washington says beijing broke the truce?",
        "greer-magnets",
    );
    assert_answers(
        &kb,
        &[
            ("what's the reason the US cut tariffs?", &[]),
            // Beijing's accusation is about the Geneva agreement; who broke it first, no one
            // says.
            (
                "Why does China say the US broke the Geneva agreement?",
                &["beijing-accusations"],
            ),
            ("who broke the geneva deal first", &[]),
            ("what's the reason for the rare call?", &[]),
        ],
    );
}

/// "Which companies…" asks for companies, which the article names none of (Huawei aside): no
/// fact answers it because a pattern once used the word.
#[test]
fn which_companies_is_not_the_tariff_on_chinese_goods() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("which companies make them?", &[]),
            ("which companies pay the tariffs?", &[]),
        ],
    );
    assert_eq!(
        follow_up(
            &kb,
            "What US technology does China want access to?",
            "which companies make them?"
        ),
        ""
    );
}

/// "and what did X say?" after someone else's claim asks what X said of the same thing: not the
/// claim again, and nothing when the article quotes X on nothing.
#[test]
fn what_another_person_said_is_not_the_claim_before() {
    let kb = kb();
    assert_eq!(
        follow_up(
            &kb,
            "What did Trump say about his call with Xi?",
            "and what did Xi say?"
        ),
        ""
    );
    assert_eq!(
        follow_up(&kb, "what did greer claim?", "and what did china say?"),
        "beijing-accusations"
    );
}

/// "he" and "she" stand for the people they fit (the lexicon's `[women]`): after "who met
/// Reeves?", "his job" is He Lifeng's and "her job" Reeves's; "who is she?" asks who she is.
#[test]
fn he_and_she_stand_for_the_people_they_fit() {
    let kb = kb();
    for (first, then, want) in [
        ("who met rachel reeves?", "what is his role?", "he-lifeng"),
        (
            "who met rachel reeves?",
            "and what's her role?",
            "reeves-role",
        ),
        (
            "what did he lifeng discuss with reeves?",
            "who is she?",
            "reeves-role",
        ),
        (
            "what did he lifeng discuss with reeves?",
            "who is he?",
            "he-lifeng",
        ),
        ("what did hassett say?", "who is he?", "hassett-role"),
    ] {
        assert_follow_up_first(&kb, first, then, want);
    }
}

/// A statement with a question tag asks what the tag asks: "…, isn't he?" whether he is.
#[test]
fn a_question_tag_asks_yes_or_no() {
    let kb = kb();
    for (q, want) in [
        (
            "He Lifeng is China's foreign minister isn't he",
            "he-lifeng",
        ),
        ("bessent is the treasury secretary, isn't he?", "bessent"),
        ("the talks are in geneva, aren't they?", "venue"),
        ("the OECD cut its forecast, didn't it?", "oecd-forecast"),
    ] {
        assert_first(&kb, q, want);
    }
}

/// Someone's part in the story ("what's the OECD's role in this story?", "where does Xi come
/// into this?") is asked of their name alone.
#[test]
fn someones_part_in_the_story_is_what_the_article_says_of_them() {
    let kb = kb();
    for (q, want) in [
        ("what's the OECD's role in this story", "oecd-forecast"),
        ("where does xi jinping come into this", "trump-xi-call"),
        ("what role does hassett play", "hassett-role"),
    ] {
        assert_first(&kb, q, want);
    }
}

/// Right after a question: "source?" after what someone said is whose word it is, and a
/// fragment naming nothing ("up or down?") is asked of the question before.
#[test]
fn source_and_fragments_after_a_question() {
    let kb = kb();
    assert_eq!(
        follow_up(&kb, "so rare earth exports resumed?", "source?"),
        "hassett-cbs"
    );
    assert_eq!(
        follow_up(&kb, "oecd forecast now?", "up or down?"),
        "oecd-forecast"
    );
    // A fragment naming only the kind of answer asks it of the subject: "which city?" asks
    // where.
    for (first, then, want) in [
        ("who is reeves", "which country?", "reeves-role"),
        ("where are the talks?", "which city?", "venue"),
        (
            "when did the trade war start?",
            "which month?",
            "trade-war-start",
        ),
    ] {
        assert_follow_up_first(&kb, first, then, want);
    }
}

/// A follow-up pointing back with "it" is no question of its own: "and what was it before?"
/// after the OECD's forecast asks the earlier forecast, which the article does not give.
#[test]
fn a_follow_up_saying_it_is_about_what_came_before() {
    let kb = kb();
    assert_eq!(
        follow_up(&kb, "OECD forecast is 2.9%?", "and what was it before?"),
        ""
    );
}

/// A bare "how?" after an answer saying by what means is that answer again.
#[test]
fn a_bare_how_after_an_answer_saying_by_what_means() {
    let kb = kb();
    assert_eq!(
        follow_up(&kb, "beijing says the US broke the deal", "how?"),
        "beijing-accusations"
    );
}

/// "How many" asks for a count, which a share is not.
#[test]
fn how_many_asks_for_a_count() {
    let kb = kb();
    assert_answers(&kb, &[("how many rare earth elements are there?", &[])]);
    assert_first(
        &kb,
        "how many days do they have to negotiate?",
        "ninety-days",
    );
    assert_first(
        &kb,
        "import of china is fall how many in may?",
        "may-imports",
    );
}

/// What a "what" question names after a preposition must be answered, names before it or not:
/// "the tariff on Chinese EVs" is not the tariff on Chinese goods.
#[test]
fn what_is_named_after_a_preposition_past_names() {
    let kb = kb();
    assert_answers(
        &kb,
        &[(
            "whats the current us tariff on chinese EVs specifically",
            &[],
        )],
    );
    assert_first(
        &kb,
        "what's the us tariff on chinese goods?",
        "tariff-us-on-china",
    );
}

/// "When" or "how long" of names alone asks of nothing the article dates; "per the article"
/// and "though" are fillers.
#[test]
fn when_of_names_alone_and_fillers() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("how long has he lifeng been vice premier?", &[]),
            (
                "Why are economists concerned, per the article?",
                &["economists-concerns"],
            ),
        ],
    );
    assert_first(&kb, "when did he lifeng meet reeves?", "reeves-meeting");
}

/// An acknowledgement may open a follow-up ("ok and the other side?"), and a bare "where?"
/// after who attended asks where the talks are.
#[test]
fn acknowledged_follow_ups_and_where_after_who_attended() {
    let kb = kb();
    assert_eq!(
        follow_up(
            &kb,
            "What did Jamieson Greer claim about China?",
            "ok and the other side?"
        ),
        "beijing-accusations"
    );
    assert_eq!(
        follow_up(&kb, "who attended?", "thanks, and where?"),
        "venue"
    );
}

/// A follow-up opening with "and" that is a question of its own wins a tie with the reading
/// that keeps the question before.
#[test]
fn a_whole_question_after_and_wins_a_tie() {
    let kb = kb();
    assert_eq!(
        follow_up(
            &kb,
            "Who were the US officials at the London trade talks?",
            "and who did they meet from the chinese side?"
        ),
        "he-lifeng"
    );
}

/// "from what?" after a figure asks what it changed from, which the article does not give.
#[test]
fn from_what_after_a_figure_is_what_it_changed_from() {
    let kb = kb();
    for first in [
        "The OECD cut its growth forecast to 2.9%.",
        "what did the us lower its tariffs on chinese goods to?",
    ] {
        assert_eq!(follow_up(&kb, first, "from what?"), "", "{first}");
    }
}

#[test]
fn what_is_left_now_is_not_reported_and_paraphrases_find_their_fact() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // The article gives the window's length, not what remains of it today.
            ("how many days are left in the 90-day window?", &[][..]),
            ("how long is the 90-day window?", &["ninety-days"]),
            (
                "what about the kids who want to study in the states",
                &["beijing-accusations"],
            ),
            (
                "how much of the planet's rare stuff does china dig out of the ground",
                &["china-69-percent"],
            ),
            (
                "why are the number crunchers nervous",
                &["economists-concerns"],
            ),
        ],
    );
}

#[test]
fn textbook_requests_ask_what_the_article_says() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // "Describe" says how to answer, not what someone described; "against" says who is
            // accused, the name before it who accuses.
            (
                "Describe the allegations Beijing made against the United States.",
                &["beijing-accusations"][..],
            ),
            // (…after a request to the bot: "could someone describe…".)
            (
                "Could someone describe the atmosphere when the two delegations met in London?",
                &["largest-economies"],
            ),
            (
                "what accusations did the US make against China",
                &["greer-magnets"],
            ),
            (
                "Discuss the macroeconomic concerns raised in the article.",
                &["economists-concerns"],
            ),
            // "the significance of X" asks what the article says of X.
            (
                "What is the significance of the 90-day period mentioned in the article?",
                &["ninety-days"],
            ),
            // "as described in the article" asks for no one's words.
            (
                "Explain the terms of the temporary tariff truce as described in the article.",
                &[
                    "geneva-truce",
                    "tariff-us-on-china",
                    "tariff-china",
                    "ninety-days",
                ],
            ),
            // "which outlet" asks for the outlet, who is no speaker.
            (
                "Through which media outlet did Hassett make his remarks?",
                &["hassett-cbs"],
            ),
            (
                "What office does Scott Bessent hold?",
                &["bessent", "delegation"],
            ),
            (
                "Give two examples of products that use rare earth elements mentioned in the text.",
                &["rare-earth-uses"],
            ),
            // (…and a significance the article gives no thing for is still declined.)
            ("what is the significance of the weather", &[]),
            // "what role did X play in Y" asks what the article says of X there; a yes/no
            // question about taking part, or "how come", is no such question.
            (
                "What role did Jamieson Greer play in the dispute over compliance with the truce?",
                &["greer-magnets", "backtracking"],
            ),
            ("is the uk taking part in the negotiations", &[]),
            (
                "What role did He Lifeng play in the diplomatic meetings described?",
                &["delegation", "reeves-meeting"],
            ),
            (
                "Summarise the main points of contention between Washington and Beijing.",
                &["agenda"],
            ),
            // The article says nothing of how things stand now.
            ("is the trade war over now", &[]),
            ("how come china's imports dropped so much in may?", &[]),
        ],
    );
}

#[test]
fn a_claim_word_or_a_plain_verb_leaves_a_yes_no_question_to_its_details() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // "comments" asks what was said, no detail to settle: the outlet is, by the fact
            // naming the right one.
            (
                "Is it true Kevin Hassett made his comments to CNN?",
                &["hassett-cbs"][..],
            ),
            // "gave" is as plain as "give": the number is what is checked.
            (
                "Is it true the truce gave both sides 60 days to reach a deal?",
                &["ninety-days"],
            ),
        ],
    );
}

#[test]
fn investors_wording_finds_the_figures() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // "how strong", "how fast" ask how much, as "how big" does.
            (
                "How strong was China's export growth in May?",
                &["may-exports"][..],
            ),
            ("how fast did exports grow", &["may-exports"]),
            // What caught attention is what the article says of it.
            (
                "How come China's import figure caught people's attention?",
                &["may-imports"],
            ),
            (
                "Was the fall in imports in line with forecasts?",
                &["may-imports"],
            ),
            (
                "Were China's imports weaker than analysts anticipated?",
                &["may-imports"],
            ),
            (
                "Has China fully delivered the rare earth exports agreed in Geneva?",
                &["hassett-cbs"],
            ),
            (
                "Why does the US say China isn't keeping its side of the bargain?",
                &["greer-magnets"],
            ),
            (
                "Why does Hassett say the rare earth issue isn't sorted yet?",
                &["hassett-cbs"],
            ),
        ],
    );
}

#[test]
fn what_a_question_leaves_out_is_not_what_it_asks_about() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "who did he lifeng meet besides the americans?",
                &["reeves-meeting"][..],
            ),
            (
                "who did he lifeng meet apart from greer",
                &["reeves-meeting"],
            ),
            // (What it leaves out ends where a question opens.)
            (
                "besides the americans, who did he lifeng meet?",
                &["reeves-meeting"],
            ),
            // ("who else … besides He Lifeng": nobody else is named.)
            (
                "who else was in the chinese delegation besides he lifeng",
                &[],
            ),
        ],
    );
}

#[test]
fn particles_after_verbs_are_not_directions() {
    let kb = kb();
    // "going down" is happening.
    assert_first(&kb, "what city is all this going down in", "venue");
    // "brought its tariffs down" is reducing them.
    assert_first(
        &kb,
        "what did china bring its tariffs down to in the truce",
        "tariff-china",
    );
    // What a deal "says" is its terms, not anyone's claim.
    assert_first(
        &kb,
        "what did the previous deal actually say",
        "geneva-truce",
    );
    assert_first(
        &kb,
        "the metals china controls, that's the big sticking point right?",
        "agenda",
    );
    assert_answers(
        &kb,
        &[
            // "cut … down to" is cut to; "up or down" still asks.
            (
                "what did washington cut its import taxes on china down to",
                &["tariff-us-on-china"][..],
            ),
            ("is the oecd forecast up or down", &["oecd-forecast"]),
            // Everyday words for the story's things.
            ("what are the americans moaning about", &["greer-magnets"]),
            (
                "what do the latest numbers out of china show",
                &["may-exports", "may-imports"],
            ),
            (
                "what did he lifeng and reeves chat about",
                &["reeves-meeting"],
            ),
            (
                "what do economists reckon about trump's trade moves",
                &["economists-concerns"],
            ),
            (
                "which chinese company is mentioned",
                &["beijing-accusations"],
            ),
            ("do chinese companies pay tariffs", &[]),
            ("how often do trump and xi talk", &["trump-xi-call"]),
            // "when they spoke" places the question; it does not ask when.
            (
                "did xi promise anything when they spoke",
                &["xi-rare-earths"],
            ),
            (
                "who did the US trade guy point the finger at",
                &["greer-magnets"],
            ),
            ("what's washington after in these negotiations", &["agenda"]),
        ],
    );
}

#[test]
fn a_yes_no_question_ending_on_what_a_preposition_names_must_have_it_settled() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("did the us put tariffs on rare earths?", &[][..]),
            ("did the us put tariffs on the minerals?", &[]),
            (
                "did the us put tariffs on chinese goods?",
                &["tariff-us-on-china"],
            ),
        ],
    );
}

#[test]
fn names_placing_a_question_in_time_are_settled_by_what_came_before() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // "before the Americans" places the meeting in time: the fact saying it came
            // before the talks settles it without naming them.
            (
                "Who did the Chinese vice premier see before the Americans?",
                &["reeves-meeting"][..],
            ),
            (
                "Did He Lifeng meet Rachel Reeves after his talks with the Americans?",
                &["reeves-meeting"],
            ),
            // (A name the question is about is still needed.)
            ("did greer say anything after meeting he lifeng", &[]),
        ],
    );
}

#[test]
fn a_statement_to_confirm_is_settled_as_a_yes_no_question_is() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // A tag ("yeah?", "no?") or a negative opening ("wasn't…") asks yes or no, and a
            // place asked about is settled by the fact naming the right place.
            ("the talks are in london yeah?", &["venue"][..]),
            (
                "the talks were at buckingham palace no?",
                &["venue", "largest-economies"],
            ),
            ("is the truce at risk?", &["non-compliance"]),
            // "it was X who…, yeah?" checks who did it, as "was it X who…?" does.
            (
                "it was the commerce secretary who accused china, yeah?",
                &["greer-magnets"],
            ),
        ],
    );
    assert_first(&kb, "wasnt this meeting in geneva", "venue");
}

#[test]
fn a_number_checked_is_settled_only_by_a_figure() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // No fact states a figure for this: not the Geneva truce.
            ("china was at 125% before geneva, correct?", &[][..]),
            ("the us revoked like 1000 student visas right?", &[]),
            // A figure settles a number, right or wrong…
            (
                "did china lower its tariffs to 30%?",
                &["tariff-china", "tariff-us-on-china"],
            ),
            // …and a time phrase settles a time.
            ("was the geneva truce like 3 months ago?", &["geneva-truce"]),
        ],
    );
}

#[test]
fn how_the_article_describes_something_asks_what_it_says_of_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // The article describes; nobody in it does.
            (
                "How does the article describe the reaction of economists to Trump's trade policy?",
                &["economists-concerns"][..],
            ),
            (
                "how is trump's trade policy described in the article?",
                &["economists-concerns"],
            ),
            (
                "How does the author describe the atmosphere in London?",
                &["largest-economies"],
            ),
            // …and what someone described is still theirs.
            ("how did trump describe the call", &["trump-very-good-talk"]),
            // Nothing in the article describes the weather.
            ("how does the article describe the weather in london", &[]),
            // "the significance of X" is asked with nothing before it: no follow-up.
            (
                "what is the significance of the phone call",
                &["trump-xi-call", "trump-very-good-talk", "xi-rare-earths"],
            ),
            // Words that frame a question ("the status of", "to what extent", "justify")
            // ask nothing of their own.
            (
                "According to Hassett, what is the status of rare earth exports?",
                &["hassett-cbs"],
            ),
            (
                "To what extent have rare earth exports resumed, according to the article?",
                &["hassett-cbs"],
            ),
            (
                "How did the OECD justify its revised forecast?",
                &["oecd-forecast"],
            ),
        ],
    );
}

#[test]
fn short_typos_and_this_story_read_as_meant() {
    let kb = kb();
    // Two swapped letters in a three-letter word ("teh") and a dropped one in a longer word.
    assert_answers(
        &kb,
        &[(
            "who's in teh us delegaton",
            &["lutnick", "bessent", "greer"][..],
        )],
    );
    // "this story" is the article, not something asked before: a whole question.
    assert_first(&kb, "who is blaming who in this story?", "backtracking");
}

#[test]
fn which_person_asks_who() {
    let kb = kb();
    // "which person" asks who, as "which city" asks where: not any fact naming China.
    assert_first(&kb, "which person from china is coming", "he-lifeng");
    // "what the officials hoped" asks what, of the officials.
    assert_first(
        &kb,
        "Could you kindly tell me what the officials were hoping to achieve by sitting down together this time?",
        "purpose",
    );
}

#[test]
fn a_speaker_the_article_never_names_is_not_quoted() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // Nvidia says nothing in the article: not Beijing's words about chips.
            ("what did nvidia say about the chip restrictions", &[][..]),
            // A misspelt speaker is still the speaker.
            ("what did hasset say", &["hassett-cbs"]),
        ],
    );
}

#[test]
fn when_exactly_asks_for_a_date_the_article_never_gives() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("when exactly was the trump xi call", &[][..]),
            // Without "exactly", what came before the talks is when.
            ("when was the trump xi call", &["trump-xi-call"]),
        ],
    );
}

#[test]
fn is_it_accurate_that_asks_yes_or_no() {
    let kb = kb();
    assert_first(
        &kb,
        "is it accurate that china mines most of the world's rare earths?",
        "china-69-percent",
    );
}

#[test]
fn a_checked_direction_is_settled_by_what_it_is_said_of() {
    let kb = kb();
    // Exports rose and imports fell: "did exports fall?" is settled by the exports, not by
    // the imports that fell; a mood or a place checked is settled as before.
    for q in [
        "is it true that exports fell in may?",
        "exports dropped in may right?",
    ] {
        assert_first(&kb, q, "may-exports");
    }
    assert_first(&kb, "did imports rise in may", "may-imports");
    assert_first(&kb, "were the talks in paris", "venue");
}

#[test]
fn an_essay_question_about_the_article_asks_what_it_says() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // The article's own verb ("provide", "give") is not what is asked.
            (
                "What evidence does the article provide that rare earth supply matters for global markets?",
                &["supply-ripple"][..],
            ),
            // "according to the article", "as reported in the article" say where, not what.
            (
                "Summarise the main issues at the centre of the US-China talks in London, according to the article.",
                &["agenda"],
            ),
            (
                "Identify the members of the US delegation and state their respective roles.",
                &["delegation"],
            ),
        ],
    );
    // The purpose of "the meeting" is the talks'.
    assert_first(&kb, "what is the purpose of the meeting", "purpose");
}

#[test]
fn half_remembered_details_find_their_fact() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "what was the name of the place in london, some kind of house?",
                &["venue"][..],
            ),
            (
                "what was that bit about smartphones and electric cars?",
                &["rare-earth-uses"],
            ),
        ],
    );
    assert_first(&kb, "about what they are speaking on the talks?", "agenda");
    // "I forget" says nothing of what is asked.
    assert_first(&kb, "who was on the chinese side, i forget", "he-lifeng");
}

#[test]
fn a_fact_check_with_filler_words_gets_the_fact_that_settles_it() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            // "back in" says nothing: March is settled by February.
            (
                "The trade war started back in March, correct?",
                &["trade-war-start", "trump-xi-call"][..],
            ),
            // "attribute to" asks for the reason the OECD gave.
            (
                "Did the OECD attribute its downgrade to rising trade barriers?",
                &["oecd-forecast"],
            ),
        ],
    );
}

#[test]
fn where_something_stands_asks_what_it_is() {
    let kb = kb();
    assert_first(
        &kb,
        "where's china's counter-tariff on US goods sitting now?",
        "tariff-china",
    );
    assert_first(
        &kb,
        "where do the us tariffs stand now",
        "tariff-us-on-china",
    );
    // Where the talks are is still a place.
    assert_first(&kb, "where are the talks", "venue");
}

#[test]
fn a_correction_asks_the_question_before_of_someone_else() {
    let kb = kb();
    assert_follow_up_first(
        &kb,
        "what's lutnick's job",
        "no i meant the chinese guy",
        "he-lifeng",
    );
    assert_follow_up_first(
        &kb,
        "what tariffs did the us set",
        "sorry i meant china",
        "tariff-china",
    );
    // Without a question before, there is nothing to correct.
    assert_eq!(ids(&kb, "i meant the chinese guy"), Vec::<String>::new());
}

#[test]
fn while_is_a_conjunction() {
    let kb = kb();
    assert_first(&kb, "who did he lifeng meet while in london", "delegation");
    // After "who is he lifeng", "while" no longer asks something of its own.
    assert_follow_up_first(
        &kb,
        "who is he lifeng",
        "who did he meet while in london?",
        "delegation",
    );
}

#[test]
fn evaluate_asks_what_the_article_says() {
    let kb = kb();
    assert_first(
        &kb,
        "Evaluate the significance of the phone call between Donald Trump and Xi Jinping as presented in the article.",
        "trump-xi-call",
    );
}

#[test]
fn a_follow_up_naming_its_own_thing_is_a_question_of_its_own() {
    let kb = kb();
    // "these tensions" names what it asks about: when nothing said of the venue answers it,
    // it is asked by itself.
    assert_follow_up_first(
        &kb,
        "where exactly were the talks held?",
        "how long have these tensions been hitting markets?",
        "market-tensions",
    );
    // "meant to", "supposed to" say nothing of their own.
    assert_follow_up_first(
        &kb,
        "when was the geneva truce?",
        "how long was it meant to give them?",
        "ninety-days",
    );
    assert_first(&kb, "how long is the truce supposed to last", "ninety-days");
}

#[test]
fn an_economists_and_an_importers_wording_find_their_facts() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "what is the effective tariff rate the us applies to chinese goods after geneva",
                &["tariff-us-on-china"][..],
            ),
            (
                "which downstream industries rely on rare earth elements according to the piece",
                &["rare-earth-uses"],
            ),
            (
                "what non-tariff measures did beijing say the us imposed",
                &["beijing-accusations"],
            ),
        ],
    );
}

#[test]
fn the_name_of_a_person_asks_who() {
    let kb = kb();
    assert_first(
        &kb,
        "What is the name of the Chinese gentleman at the talks?",
        "he-lifeng",
    );
    // The name of a place is the place.
    assert_first(
        &kb,
        "what was the name of the place in london, some kind of house?",
        "venue",
    );
}

#[test]
fn hearsay_to_check_asks_about_what_was_said() {
    let kb = kb();
    // Not what the son said (the article does not quote him): how much China mines.
    assert_first(
        &kb,
        "Dear bot, my son says China makes most of the rare earth stuff, how much is it exactly?",
        "china-69-percent",
    );
    // What someone in the article said is still theirs.
    assert_first(&kb, "what did greer say", "greer-magnets");
}

#[test]
fn whether_something_is_involved_asks_what_the_article_says_of_it() {
    let kb = kb();
    assert_first(&kb, "is huawei involved or nah", "beijing-accusations");
    // Nobody the article does not name is involved.
    assert_eq!(
        ids(&kb, "is keir starmer involved or not"),
        Vec::<String>::new()
    );
}

#[test]
fn a_percentage_asked_for_is_any_figure_with_a_percent_sign() {
    let kb = kb();
    assert_first(
        &kb,
        "what was the percentage the oecd gave",
        "oecd-forecast",
    );
}

#[test]
fn how_much_something_moved_the_wrong_way_is_settled_by_how_much_it_moved() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("how much did exports fall", &["may-exports"][..]),
            ("how much did imports rise", &["may-imports"]),
            // (A clause placing the measure in time is not what is measured.)
            (
                "us tariff on chinese goods is how much after the truce",
                &["tariff-us-on-china"],
            ),
        ],
    );
    assert_follow_up_first(
        &kb,
        "how much did imports fall",
        "and exports?",
        "may-exports",
    );
}

#[test]
fn a_time_check_after_the_meeting_with_reeves_is_settled_by_it() {
    let kb = kb();
    // "Prior to" reads as "before", as the article words it.
    assert_first(
        &kb,
        "he lifeng met reeves after the talks, right?",
        "reeves-meeting",
    );
    assert_follow_up_first(
        &kb,
        "what did he lifeng discuss with reeves",
        "was that before or after the talks?",
        "reeves-meeting",
    );
}

#[test]
fn a_conclusion_opening_with_so_is_checked_as_a_yes_no_question() {
    let kb = kb();
    // The rate checked is settled by both rates, the US's among them.
    let got = ids(&kb, "so the us cut its tariffs to 10%?");
    assert!(got.contains(&"tariff-us-on-china".to_string()), "{got:?}");
    assert_first(&kb, "so the talks are in paris?", "venue");
    // "so what…" still asks what.
    assert_first(&kb, "so what did greer say", "greer-magnets");
}

#[test]
fn a_learners_wording_is_understood() {
    let kb = kb();
    assert_first(
        &kb,
        "is true that trump and xi are speaking by phone",
        "trump-xi-call",
    );
    assert_first(&kb, "i want to know in which city the talks are", "venue");
}

#[test]
fn the_role_of_a_thing_asks_what_the_article_says_of_it() {
    let kb = kb();
    let got = ids(
        &kb,
        "Describe the role of rare earth elements in the global economy as presented in the article.",
    );
    assert!(got.contains(&"supply-ripple".to_string()), "{got:?}");
    assert_first(&kb, "what part do chips play in the talks", "agenda");
}

#[test]
fn how_long_someone_has_held_a_role_is_not_reported() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("how long has rachel reeves been chancellor?", &[][..]),
            ("how long has xi been president", &[]),
            // How long something has been going on is when it began.
            (
                "how long has the trade war been going on",
                &["trade-war-start", "trump-xi-call"],
            ),
        ],
    );
}

#[test]
fn a_short_summary_of_the_article_is_the_story_in_brief() {
    let kb = kb();
    for q in [
        "give me a short summary of the article",
        "a short summary please",
    ] {
        let reply = respond(&kb, q, None);
        let text = render::plain(&kb.knowledge, &reply);
        assert!(text.starts_with("The story in brief"), "{q}: {text}");
    }
    // …and of something in it, what the article says of that.
    assert_first(&kb, "a short summary of the truce", "geneva-truce");
}

#[test]
fn a_count_of_people_is_answered_by_the_names() {
    let kb = kb();
    assert_first(
        &kb,
        "how many top US people went, and who are they",
        "delegation",
    );
}

#[test]
fn what_the_talks_in_london_are_about_is_the_agenda() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            ("what are the talks in london about", &["agenda"][..]),
            (
                "Hello, I am not very good with computers. What are these talks in London about please?",
                &["agenda"],
            ),
            ("what is the meeting at lancaster house about", &["agenda"]),
            // The talks in Geneva were others, which the article does not describe.
            ("what are the talks in geneva about", &[]),
        ],
    );
}

#[test]
fn what_happened_to_something_asks_about_it() {
    let kb = kb();
    assert_first(&kb, "what happened to china's imports", "may-imports");
    assert_first(&kb, "chinese imports?", "may-imports");
    assert_first(&kb, "what happened in february", "trade-war-start");
}

#[test]
fn whom_someone_gave_comments_to_is_where_they_said_it() {
    let kb = kb();
    assert_follow_up_first(
        &kb,
        "who is kevin hassett?",
        "who did he give his comments to?",
        "hassett-cbs",
    );
}

#[test]
fn sentences_before_the_last_question_are_what_it_follows_up() {
    let kb = kb();
    assert_first(
        &kb,
        "my grandson says america and china are fighting again. where are they meeting?",
        "venue",
    );
    // A clause opening as a question is no preamble: "or both?" is an option of it.
    assert_answers(
        &kb,
        &[(
            "is it just one side accusing the other of breaking the truce, or both?",
            &["non-compliance"][..],
        )],
    );
    // (Not a last word alone: "synopsys?" is an option, not a question of its own.)
    assert_answers(
        &kb,
        &[(
            "which companies stopped selling chip design software to china, synopsys? cadence?",
            &[][..],
        )],
    );
}

#[test]
fn who_said_words_a_claim_quotes_is_its_speaker() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "who called it a very good talk",
                &["trump-very-good-talk"][..],
            ),
            (
                "was it xi who called it a very good talk?",
                &["trump-very-good-talk"],
            ),
            ("who said exports have resumed", &["hassett-cbs"]),
            // (A speaker's title is no words said.)
            ("who is the us trade representative", &["greer"]),
        ],
    );
}

#[test]
fn hearsay_from_anyone_the_article_does_not_name_is_checked() {
    let kb = kb();
    assert_first(
        &kb,
        "someone in here said the truce was signed in london, that right?",
        "geneva-truce",
    );
    assert_first(
        &kb,
        "A friend insists the OECD just raised its world growth forecast. True or not?",
        "oecd-forecast",
    );
    // (Who passed it on may take several words: "a guy in my office at work".)
    assert_first(
        &kb,
        "a guy in my office at work said the talks were in paris, true?",
        "venue",
    );
    // Whoever the article names is asked about as a speaker still.
    assert_first(
        &kb,
        "beijing says the us broke the deal, true?",
        "beijing-accusations",
    );
}

#[test]
fn why_something_is_in_the_story_asks_what_the_article_says_of_it() {
    let kb = kb();
    assert_first(
        &kb,
        "bruh why is huawei even in this",
        "beijing-accusations",
    );
    assert_first(
        &kb,
        "Why are student visas coming up in all this?",
        "beijing-accusations",
    );
    // A cause the article does not give is still declined.
    assert_answers(&kb, &[("why did the us restrict student visas", &[][..])]);
    // Why rare earths matter: what they are used for, and what China's share of them means.
    assert_answers(
        &kb,
        &[(
            "how come rare earths matter so much",
            &["rare-earth-uses", "supply-ripple"][..],
        )],
    );
}

#[test]
fn a_first_or_full_name_asks_who_someone_is() {
    let kb = kb();
    assert_first(&kb, "what's the trade rep's first name", "greer");
    assert_first(&kb, "hassett's first name?", "hassett-role");
    // (Not "names": the names of students the article does not give.)
    assert_answers(
        &kb,
        &[(
            "names of the chinese students who got visas denied",
            &[][..],
        )],
    );
}

#[test]
fn more_everyday_words_for_the_facts_are_understood() {
    let kb = kb();
    assert_first(
        &kb,
        "What level are American duties on Chinese merchandise set at now?",
        "tariff-us-on-china",
    );
    assert_first(
        &kb,
        "which international body just trimmed its outlook for the world economy",
        "oecd-forecast",
    );
}

#[test]
fn a_summary_of_one_part_of_the_story_is_its_topic() {
    let kb = kb();
    for (q, command) in [
        ("recap the economic stakes section for me", "/economy"),
        ("quick rundown of the trump-xi call part?", "/call"),
        ("summarise the geneva truce", "/truce"),
        ("one-line gist of this article pls", "/summary"),
        ("explain this article to me like i'm 10", "/summary"),
    ] {
        assert_eq!(ids(&kb, q), ids(&kb, command), "{q}");
    }
    // A summary of something no topic is named for is about that thing.
    assert_first(
        &kb,
        "summarise the blame game between the two sides",
        "backtracking",
    );
}

#[test]
fn when_it_comes_to_something_says_what_about() {
    let kb = kb();
    assert_first(
        &kb,
        "what precisely did the US discourage when it comes to huawei",
        "beijing-accusations",
    );
    assert_first(&kb, "who's who in this story, briefly", "delegation");
}

#[test]
fn two_details_of_one_kind_offered_as_a_choice_are_settled_by_the_facts() {
    let kb = kb();
    assert_first(
        &kb,
        "the trade war kicked off in january or february, can't remember which",
        "trade-war-start",
    );
    assert_first(&kb, "was the truce in paris or geneva?", "geneva-truce");
    // Neither one right: the fact settles it still.
    assert_first(
        &kb,
        "did the trade war start in january or march?",
        "trade-war-start",
    );
}

#[test]
fn words_saying_why_someone_asks_are_no_subject() {
    let kb = kb();
    assert_first(
        &kb,
        "Identify the three US officials in the delegation (homework q3)",
        "delegation",
    );
    assert_first(
        &kb,
        "Which category of US technology is Beijing seeking access to in these negotiations?",
        "agenda",
    );
}

#[test]
fn an_opening_and_or_a_closing_in_turn_asks_one_thing() {
    let kb = kb();
    assert_follow_up_first(
        &kb,
        "What did Beijing accuse the US of doing?",
        "And what did the US accuse China of, in turn?",
        "greer-magnets",
    );
    assert_follow_up_first(
        &kb,
        "what did beijing accuse the us of",
        "what sort of software are we talking",
        "beijing-accusations",
    );
}

#[test]
fn someones_point_is_what_they_said() {
    let kb = kb();
    assert_follow_up_first(
        &kb,
        "there was a white house guy on CBS, who was it",
        "what was his point again",
        "hassett-cbs",
    );
    // Without anyone before, "his" is nobody.
    assert_answers(&kb, &[("what was his point again", &[][..])]);
    // A side's side of the story is what it says.
    assert_follow_up_first(
        &kb,
        "what did greer accuse china of",
        "what's china's side of it",
        "beijing-accusations",
    );
}

#[test]
fn which_of_the_two_sides_is_asked_by_who_or_which_side() {
    let kb = kb();
    for q in [
        "who cut tariffs further, washington or beijing?",
        "which side cut tariffs, washington or beijing?",
        "whose tariff is higher, the us or china's?",
    ] {
        let got = ids(&kb, q);
        assert!(
            got.contains(&"tariff-us-on-china".to_string())
                && got.contains(&"tariff-china".to_string()),
            "{q}: {got:?}"
        );
    }
}

#[test]
fn more_everyday_phrases_for_what_is_asked() {
    let kb = kb();
    assert_first(&kb, "hassett said that to which news org?", "hassett-cbs");
    assert_first(&kb, "what's hassett's official position", "hassett-role");
    assert_first(&kb, "bottom line on china's may trade data", "may-exports");
    let grip = ids(&kb, "why does china's grip on rare earths matter so much");
    assert!(grip.contains(&"china-69-percent".to_string()), "{grip:?}");
    // (Why a venue was chosen the article does not say.)
    assert_answers(
        &kb,
        &[("why was lancaster house picked for the talks?", &[][..])],
    );
}

#[test]
fn what_would_have_happened_is_not_reported() {
    let kb = kb();
    assert_answers(
        &kb,
        &[
            (
                "would china have lifted the magnet curbs if the us hadn't restricted student visas?",
                &[][..],
            ),
            ("what would have happened if the truce failed", &[]),
        ],
    );
    // (What happened is.)
    assert_first(&kb, "did china lift the magnet curbs?", "greer-magnets");
}

#[test]
fn a_learners_how_many_and_more_everyday_verbs_are_understood() {
    let kb = kb();
    assert_first(
        &kb,
        "how many is the tax america put now for chinese goods",
        "tariff-us-on-china",
    );
    assert_first(
        &kb,
        "The OECD bumped its global growth forecast up recently, correct?",
        "oecd-forecast",
    );
    assert_first(
        &kb,
        "did he lifeng link up w anyone else in the uk b4 the talks",
        "reeves-meeting",
    );
    assert_first(
        &kb,
        "there was some grand building in london where they met, what was it called again?",
        "venue",
    );
    // A count is still a count.
    assert_answers(
        &kb,
        &[("how many rare earth magnets did china ship", &[][..])],
    );
}

#[test]
fn where_a_rate_landed_asks_what_it_is() {
    let kb = kb();
    assert_first(
        &kb,
        "China's retaliatory rate — where did they cut it to?",
        "tariff-china",
    );
    assert_first(
        &kb,
        "OECD global growth revision, where'd it land",
        "oecd-forecast",
    );
    assert_first(
        &kb,
        "May trade print out of Beijing: export growth y/y?",
        "may-exports",
    );
    assert_first(&kb, "where did they meet", "venue");
}

#[test]
fn the_other_side_and_says_who_follow_any_answer() {
    let kb = kb();
    for then in [
        "the other side?",
        "the other way round?",
        "and the other side?",
    ] {
        assert_follow_up_first(&kb, "what are the us tariffs", then, "tariff-china");
    }
    assert_follow_up_first(
        &kb,
        "what did greer say china did",
        "the other side?",
        "beijing-accusations",
    );
    // "says who?" after a plain fact: the fact again, which says where it comes from.
    assert_follow_up_first(
        &kb,
        "how much did china's imports fall",
        "says who?",
        "may-imports",
    );
    // (…as "where's that data from?" does.)
    assert_follow_up_first(
        &kb,
        "what were china's trade numbers in may",
        "where's that data from",
        "may-exports",
    );
    // "who'd he tell that to?" after what Hassett said: to whom, which the claim says.
    assert_follow_up_first(
        &kb,
        "what did hassett say about rare earth exports",
        "who'd he tell that to",
        "hassett-cbs",
    );
    // (…but "who did he say it to?" asks something of a person.)
    assert_follow_up_first(
        &kb,
        "who is kevin hassett",
        "who did he say it to?",
        "hassett-cbs",
    );
}

#[test]
fn it_may_stand_for_one_thing_the_question_before_named() {
    let kb = kb();
    assert_follow_up_first(
        &kb,
        "how long is the truce period",
        "where was it agreed?",
        "geneva-truce",
    );
    // "what was it before?" asks of all of it, which the article does not give.
    assert_eq!(
        follow_up(
            &kb,
            "what's the us tariff on chinese goods",
            "what was it before?"
        ),
        ""
    );
}

#[test]
fn a_count_of_the_us_officials_is_answered_by_their_names() {
    let kb = kb();
    for q in [
        "how many people were in the delegation",
        "how many us officials were in the delegation",
        "how many officials did the us send",
    ] {
        assert_first(&kb, q, "delegation");
    }
    // The article names one Chinese official: no Chinese delegation, nor each side's, to count.
    assert_answers(
        &kb,
        &[
            ("how many people were in the chinese delegation", &[][..]),
            ("how many people were in each delegation", &[]),
            ("how many rare earth magnets did china ship", &[]),
        ],
    );
}

#[test]
fn a_sides_position_is_what_it_says_and_a_persons_is_their_job() {
    let kb = kb();
    assert_follow_up_first(
        &kb,
        "What did Greer claim about China's compliance?",
        "And what was Beijing's position in return?",
        "beijing-accusations",
    );
    assert_first(&kb, "what's hassett's position", "hassett-role");
    assert_first(
        &kb,
        "ngl tariffs r confusing whats the us one rn",
        "tariff-us-on-china",
    );
    assert_first(&kb, "who was vice something from china", "he-lifeng");
}

#[test]
fn rare_earths_shipped_again_is_whether_exports_resumed() {
    let kb = kb();
    assert_first(
        &kb,
        "Is China actually sending rare earths again?",
        "hassett-cbs",
    );
    assert_first(
        &kb,
        "lol so is china actually shipping rare earths again or nah",
        "hassett-cbs",
    );
}

#[test]
fn what_comes_next_is_not_settled_by_the_answer_before() {
    let kb = kb();
    for then in [
        "Will it jump back up when the 90 days run out?",
        "will it rise after 90 days?",
    ] {
        assert_eq!(
            follow_up(&kb, "What's the US tariff on Chinese goods now?", then),
            "",
            "{then}"
        );
    }
}

#[test]
fn a_check_naming_the_wrong_speaker_is_settled_by_who_said_it() {
    let kb = kb();
    assert_first(
        &kb,
        "bessent said china kept the magnet export curbs in place, yes?",
        "greer-magnets",
    );
    assert_first(
        &kb,
        "Wasn't it Bessent who accused China of not lifting the rare earth magnet restrictions?",
        "greer-magnets",
    );
    // Whether someone the article never quotes said anything, it does not report.
    assert_answers(
        &kb,
        &[
            ("did lutnick say anything to reporters?", &[][..]),
            ("did bessent say anything about magnets?", &[]),
        ],
    );
}

#[test]
fn which_part_of_london_is_central_london() {
    let kb = kb();
    assert_first(&kb, "which part of london is it in", "venue");
}

#[test]
fn the_american_group_is_the_delegation() {
    let kb = kb();
    assert_first(
        &kb,
        "which commerce secretary was in the american group",
        "lutnick",
    );
}

#[test]
fn both_of_two_things_asks_of_each_and_who_put_out_data_is_its_source() {
    let kb = kb();
    let both = ids(&kb, "did exports and imports both go up?");
    assert!(
        both.contains(&"may-exports".to_string()) && both.contains(&"may-imports".to_string()),
        "{both:?}"
    );
    assert_first(&kb, "what did both sides agree", "ninety-days");
    assert_first(&kb, "who put out the may trade data", "may-exports");
}

#[test]
fn why_people_are_saying_something_asks_why_it_is_so() {
    let kb = kb();
    assert_first(
        &kb,
        "how come ppl are saying the truce is at risk",
        "non-compliance",
    );
}

#[test]
fn what_they_hope_to_get_out_of_the_talks_is_their_purpose() {
    let kb = kb();
    assert_first(
        &kb,
        "what are they hoping to get out of the meeting",
        "purpose",
    );
    // (What came out of them the article does not report.)
    assert_answers(&kb, &[("what came out of the london talks", &[][..])]);
}

#[test]
fn it_after_which_company_is_the_company_named() {
    let kb = kb();
    assert_follow_up_first(
        &kb,
        "which chinese company comes up in the article",
        "what's the issue with it?",
        "beijing-accusations",
    );
    // A speaker still speaks: "what about huawei?" after Beijing's words asks what Beijing
    // said of Huawei.
    assert_follow_up_first(
        &kb,
        "what did beijing accuse the us of?",
        "what about huawei?",
        "beijing-accusations",
    );
}

#[test]
fn a_share_is_of_all_its_words_name() {
    let kb = kb();
    assert_answers(
        &kb,
        &[(
            "What percentage of US rare earth imports come from China?",
            &[][..],
        )],
    );
    assert_first(
        &kb,
        "what share of the world's rare earth elements does china mine",
        "china-69-percent",
    );
}

#[test]
fn an_outlet_someone_went_on_is_no_speaker() {
    let kb = kb();
    assert_first(
        &kb,
        "the guy who went on a tv network and said shipments are still below what was promised, who's that",
        "hassett-cbs",
    );
}

#[test]
fn signing_off_on_something_is_agreeing_to_it() {
    let kb = kb();
    assert_first(
        &kb,
        "What did Trump say Xi signed off on?",
        "xi-rare-earths",
    );
    // (Signing a deal in London the article does not report.)
    assert_answers(&kb, &[("did they sign a deal in london?", &[][..])]);
}

#[test]
fn what_something_is_called_is_its_name() {
    let kb = kb();
    assert_first(&kb, "whats the building called", "venue");
    assert_follow_up_first(
        &kb,
        "what's the oecd forecast",
        "and economists in general?",
        "economists-concerns",
    );
    // (A call is a call still.)
    assert_first(&kb, "did trump call xi", "trump-xi-call");
}

#[test]
fn whether_a_claim_is_right_is_settled_only_by_another_speaker() {
    let kb = kb();
    // The article does not settle Greer's claim.
    assert_eq!(follow_up(&kb, "what does greer claim", "is he right?"), "");
    // Hassett's word is the article's check of Trump's.
    let checked = follow_up(
        &kb,
        "what did trump say xi agreed to",
        "has anyone in his administration backed that up?",
    );
    assert!(checked.contains("hassett-cbs"), "{checked}");
}

#[test]
fn a_name_said_to_be_mentioned_is_no_speaker() {
    let kb = kb();
    assert_first(
        &kb,
        "is huawei mentioned in the accusations",
        "beijing-accusations",
    );
}

#[test]
fn a_question_tag_inside_a_statement_checks_it() {
    let kb = kb();
    assert_first(
        &kb,
        "The negotiating window — wasn't it actually 60 days, not longer?",
        "ninety-days",
    );
}

#[test]
fn the_size_of_something_is_how_much_it_was() {
    let kb = kb();
    assert_first(&kb, "size of the drop in imports?", "may-imports");
    assert_first(
        &kb,
        "imports missed consensus I heard. size of the drop?",
        "may-imports",
    );
}

#[test]
fn the_things_we_buy_from_china_are_its_goods() {
    let kb = kb();
    let got = ids(
        &kb,
        "Has the tax on things we buy from China come down? My son says prices will go up",
    );
    assert!(got.contains(&"tariff-us-on-china".to_string()), "{got:?}");
}

#[test]
fn senior_officials_are_the_top_ones() {
    let kb = kb();
    assert_first(
        &kb,
        "was it just junior officials or actual top people",
        "delegation",
    );
    assert_first(&kb, "who were the senior officials", "delegation");
}

#[test]
fn a_comparison_is_not_settled_by_its_first_option() {
    let kb = kb();
    assert_answers(&kb, &[("who is bigger, the us or japan?", &[][..])]);
    // A choice whose first option the article states still is.
    assert_first(
        &kb,
        "did the OECD cut it to 2.9%, or the IMF?",
        "oecd-forecast",
    );
}
