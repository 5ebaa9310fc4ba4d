//! The answerer's evaluation: every question of `tests/devset.toml` (written apart from the facts'
//! own patterns) through the real knowledge files, with thresholds that fail the build.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use trade_talks_bot::answer::{respond, respond_in};
use trade_talks_bot::engine::Engine;
use trade_talks_bot::render;

#[derive(Deserialize)]
struct QuestionSet {
    q: Vec<Question>,
    /// Follow-ups: `then` asked right after `first` in one conversation.
    #[serde(default)]
    pair: Vec<Pair>,
}

#[derive(Deserialize)]
struct Pair {
    first: String,
    then: String,
    #[serde(default)]
    cite: Vec<u32>,
    #[serde(default)]
    contains: Vec<String>,
    /// The article does not answer the follow-up.
    #[serde(default)]
    abstain: bool,
}

#[derive(Deserialize)]
struct Question {
    text: String,
    #[serde(default)]
    cite: Vec<u32>,
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    not_contains: Vec<String>,
    #[serde(default)]
    abstain: bool,
    group: String,
}

pub fn knowledge() -> Engine {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    Engine::load(Some(&dir)).expect("shipped knowledge loads")
}

/// Scores of one question set.
struct Scores {
    answerable: usize,
    right: usize,
    oos: usize,
    abstained_oos: usize,
    abstained_answerable: usize,
    failures: Vec<String>,
    pairs: usize,
    pairs_right: usize,
    /// Per question group: (right, asked); for out-of-scope questions, right is declined.
    groups: BTreeMap<String, (usize, usize)>,
}

impl Scores {
    fn accuracy(&self) -> f64 {
        self.right as f64 / self.answerable.max(1) as f64
    }
    fn abstention_precision(&self) -> f64 {
        self.abstained_oos as f64 / (self.abstained_oos + self.abstained_answerable).max(1) as f64
    }
    fn wrong_on_oos(&self) -> usize {
        self.oos - self.abstained_oos
    }
    fn pair_accuracy(&self) -> f64 {
        self.pairs_right as f64 / self.pairs.max(1) as f64
    }
    fn summary(&self, name: &str) -> String {
        format!(
            "{name}: {}/{} answerable correct ({:.1}%), {}/{} out-of-scope abstained ({:.1}%), abstentions correct {}/{} ({:.1}%), wrong answers on out-of-scope: {}, follow-up pairs right: {}/{}",
            self.right,
            self.answerable,
            self.accuracy() * 100.0,
            self.abstained_oos,
            self.oos,
            self.abstained_oos as f64 * 100.0 / self.oos.max(1) as f64,
            self.abstained_oos,
            self.abstained_oos + self.abstained_answerable,
            self.abstention_precision() * 100.0,
            self.wrong_on_oos(),
            self.pairs_right,
            self.pairs
        )
    }
}

fn evaluate(kb: &Engine, file: &str) -> Scores {
    evaluate_citing(kb, file, Cites::All)
}

/// How a question's `cite` list is read: every sentence must be quoted, or any one of them.
#[derive(Clone, Copy, PartialEq)]
enum Cites {
    All,
    Any,
}

fn evaluate_citing(kb: &Engine, file: &str, cites: Cites) -> Scores {
    let quoted = |wanted: &[u32], cited: &[u32]| match cites {
        Cites::All => wanted.iter().all(|n| cited.contains(n)),
        Cites::Any => wanted.is_empty() || wanted.iter().any(|n| cited.contains(n)),
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(file);
    let set: QuestionSet = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(set.q.len() + set.pair.len() >= 100, "{file} is too small");
    let mut sc = Scores {
        answerable: 0,
        right: 0,
        oos: 0,
        abstained_oos: 0,
        abstained_answerable: 0,
        failures: Vec::new(),
        pairs: 0,
        pairs_right: 0,
        groups: BTreeMap::new(),
    };
    for p in &set.pair {
        sc.pairs += 1;
        let (_, subject) = respond_in(kb, &p.first, None, None);
        let (reply, _) = respond_in(kb, &p.then, None, subject.as_ref());
        let text = render::fact_ids(&kb.knowledge, &reply)
            .iter()
            .filter_map(|id| kb.knowledge.fact(id))
            .map(|f| f.answer.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n");
        let cited = render::sentence_numbers(&kb.knowledge, &reply);
        let ok = if p.abstain {
            !reply.answered()
        } else {
            reply.answered()
                && quoted(&p.cite, &cited)
                && p.contains.iter().all(|c| text.contains(&c.to_lowercase()))
        };
        if ok {
            sc.pairs_right += 1;
        } else {
            sc.failures.push(format!(
                "FOLLOW-UP {:?} then {:?} -> {:?} cites {:?} (wants {:?}, contains {:?})",
                p.first,
                p.then,
                render::fact_ids(&kb.knowledge, &reply),
                cited,
                p.cite,
                p.contains
            ));
        }
    }
    for q in &set.q {
        let reply = respond(kb, &q.text, None);
        // Judge the facts' own answers, not the quoted sentences (sentence 8 holds both rates).
        let text = render::fact_ids(&kb.knowledge, &reply)
            .iter()
            .filter_map(|id| kb.knowledge.fact(id))
            .map(|f| f.answer.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n");
        let cited = render::sentence_numbers(&kb.knowledge, &reply);
        let states_it = quoted(&q.cite, &cited)
            && q.contains.iter().all(|c| text.contains(&c.to_lowercase()))
            && q.not_contains
                .iter()
                .all(|c| !text.contains(&c.to_lowercase()));
        let group = sc.groups.entry(q.group.clone()).or_default();
        group.1 += 1;
        if q.abstain {
            sc.oos += 1;
            if reply.answered() {
                sc.failures.push(format!(
                    "WRONG (should abstain) [{}] {:?} -> {:?}",
                    q.group,
                    q.text,
                    render::fact_ids(&kb.knowledge, &reply)
                ));
            } else {
                sc.abstained_oos += 1;
                group.0 += 1;
            }
            continue;
        }
        sc.answerable += 1;
        if !reply.answered() {
            sc.abstained_answerable += 1;
            sc.failures.push(format!(
                "ABSTAINED [{}] {:?} (wants {:?})",
                q.group, q.text, q.cite
            ));
            continue;
        }
        if states_it {
            sc.right += 1;
            group.0 += 1;
        } else {
            sc.failures.push(format!(
                "MISS [{}] {:?} -> {:?} cites {:?} (wants {:?}, contains {:?}, not {:?})",
                q.group,
                q.text,
                render::fact_ids(&kb.knowledge, &reply),
                cited,
                q.cite,
                q.contains,
                q.not_contains
            ));
        }
    }
    sc
}

/// A development set's scores, with every miss and the summary printed.
fn development_set(file: &str, name: &str, cites: Cites) -> Scores {
    let sc = evaluate_citing(&knowledge(), file, cites);
    for f in &sc.failures {
        eprintln!("{f}");
    }
    eprintln!("{}", sc.summary(name));
    sc
}

/// The development set: every miss is printed, and the bar (≥ 95% right answers, ≥ 95% right
/// abstentions, no answer to an out-of-scope question) fails the test.
#[test]
fn devset_meets_the_accuracy_and_abstention_bar() {
    let sc = development_set("devset.toml", "devset", Cites::All);
    assert_eq!(
        sc.wrong_on_oos(),
        0,
        "wrong answers on out-of-scope questions"
    );
    assert!(
        sc.accuracy() >= 0.95,
        "answer accuracy {:.3} < 0.95",
        sc.accuracy()
    );
    assert!(
        sc.abstention_precision() >= 0.95,
        "abstention precision {:.3} < 0.95",
        sc.abstention_precision()
    );
    assert!(sc.pairs >= 10, "the development set has follow-up pairs");
    assert!(
        sc.pair_accuracy() >= 0.9,
        "follow-up pairs {}/{}",
        sc.pairs_right,
        sc.pairs
    );
}

/// The chat-style development set (`tests/devset-chat.toml`): questions written from the article
/// alone as Telegram users type them (terse, polite, slang, misspelled, two in one, follow-ups),
/// used for development like `devset.toml`: its misses are printed.
#[test]
fn chat_devset_meets_its_bar() {
    // The bar it meets today, so that a change cannot quietly undo it (the aim: 95% right
    // answers, no out-of-scope answer).
    meets_bar("devset-chat.toml", "chat devset", Cites::All, 0, 0.95, 0.95);
}

/// Fails when a development set falls below the bar it meets today: more out-of-scope answers
/// than `max_oos`, or right answers or follow-ups below the given shares.
fn meets_bar(file: &str, name: &str, cites: Cites, max_oos: usize, accuracy: f64, pairs: f64) {
    let sc = development_set(file, name, cites);
    assert!(sc.wrong_on_oos() <= max_oos, "{}", sc.summary(name));
    assert!(sc.accuracy() >= accuracy, "{}", sc.summary(name));
    assert!(sc.pair_accuracy() >= pairs, "{}", sc.summary(name));
}

/// The crowd development set (`tests/devset-crowd.toml`): three sets by separate writers who saw
/// only the article, used for development: its misses are printed.
#[test]
fn crowd_devset_meets_its_bar() {
    // The bar it meets today (the aim, 95% and no out-of-scope answer, is not met yet).
    meets_bar(
        "devset-crowd.toml",
        "crowd devset",
        Cites::All,
        0,
        0.95,
        0.95,
    );
}

/// Two more development sets (`tests/devset-more.toml`: yes/no and "why" questions, follow-ups),
/// by writers who saw only the article, used for development: its misses are printed.
#[test]
fn more_devset_meets_its_bar() {
    // The bar it meets today (the aim, 95% and no out-of-scope answer, is not met yet).
    meets_bar("devset-more.toml", "more devset", Cites::All, 1, 0.90, 0.90);
}

/// Four more development sets (`tests/devset-mixed.toml`: a casual mix, a broad mix, a busy group
/// chat, conversations), by writers who saw only the article, used for development: its misses
/// are printed.
#[test]
fn mixed_devset_meets_its_bar() {
    // The bar it meets today (the aim, 95% and no out-of-scope answer, is not met yet).
    meets_bar(
        "devset-mixed.toml",
        "mixed devset",
        Cites::All,
        2,
        0.95,
        0.87,
    );
}

/// Two more development sets (`tests/devset-fresh.toml`: group members of five kinds; a busy
/// group asking near misses and follow-ups), by writers who saw only the article, used for
/// development after their first figures were taken: its misses are printed.
#[test]
fn fresh_devset_meets_its_bar() {
    // The bar it meets today (the aim, 95% and no out-of-scope answer, is not met yet).
    meets_bar(
        "devset-fresh.toml",
        "fresh devset",
        Cites::All,
        7,
        0.89,
        0.88,
    );
}

/// Five more development sets (`tests/devset-writers.toml`), by writers who saw only the
/// article and were told any one cited sentence is enough, used for development after their
/// first figures were taken: its misses are printed.
#[test]
fn writers_devset_meets_its_bar() {
    // The bar it meets today (the aim, 95% and no out-of-scope answer, is not met yet).
    meets_bar(
        "devset-writers.toml",
        "writers' devset",
        Cites::Any,
        6,
        0.93,
        0.92,
    );
}

/// The held-out set (`tests/heldout.toml`), written without sight of the facts, the lexicon or
/// the development set, and never used for tuning: only its figures are printed, not its
/// misses. It guards against a collapse (no answer to out-of-scope questions beyond a few, most
/// questions answered), not the full bar.
#[test]
fn heldout_set_is_reported() {
    let kb = knowledge();
    let sc = evaluate(&kb, "heldout.toml");
    eprintln!("{}", sc.summary("held-out"));
    assert!(
        sc.accuracy() >= 0.75,
        "held-out accuracy collapsed: {}",
        sc.summary("held-out")
    );
    assert!(
        sc.wrong_on_oos() * 10 <= sc.oos,
        "held-out: {}",
        sc.summary("held-out")
    );
}

/// The users' set (`tests/userset.toml`): questions written from `knowledge/article.txt` alone,
/// as Telegram users type them, never used for tuning. Its figures are printed (its follow-up
/// pairs, `[[pair]]`, each asked as one conversation); the test only guards against a collapse.
#[test]
fn userset_is_reported() {
    let kb = knowledge();
    let sc = evaluate(&kb, "userset.toml");
    eprintln!("{}", sc.summary("users"));
    assert!(
        sc.accuracy() >= 0.5,
        "users' set accuracy collapsed: {}",
        sc.summary("users")
    );
}

/// A question set kept outside the repository (a blind set, never tuned on), scored like the
/// others but printing only its figures, per group too, so that it stays blind:
/// `DEVSET=/path/set.toml cargo test --test it devset::outside_set -- --ignored --nocapture`
/// (`DEVSET_CITE=any`: a question's `cite` lists alternatives, any one of them quoted is right;
/// `DEVSET_MISSES=1`: print its misses too, for a set used for development).
#[test]
#[ignore = "needs DEVSET, the path of a question set kept outside the repository"]
fn outside_set_is_reported() {
    let path = std::env::var("DEVSET").expect("DEVSET names the question set to score");
    let cites = match std::env::var("DEVSET_CITE").as_deref() {
        Ok("any") => Cites::Any,
        _ => Cites::All,
    };
    let sc = evaluate_citing(&knowledge(), &path, cites);
    if std::env::var_os("DEVSET_MISSES").is_some() {
        for f in &sc.failures {
            eprintln!("{f}");
        }
    }
    for (group, (right, asked)) in &sc.groups {
        eprintln!("  {group}: {right}/{asked}");
    }
    eprintln!("{}", sc.summary(&path));
}
