//! The knowledge base: the article's numbered sentences, curated facts, the lexicon and the
//! operator's updates, loaded and validated into one immutable value.
//!
//! Why immutable: the bot answers from an `Arc<KnowledgeBase>`; a reload builds a complete new
//! base (or reports why it cannot) and swaps the `Arc`, so no reader ever sees half a file.

mod parse;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::analyze::Analyzer;
use crate::answer::Index;

/// The knowledge shipped with the binary, used when no `knowledge/` folder is found.
pub const BUILTIN_ARTICLE: &str = include_str!("../../knowledge/article.txt");
pub const BUILTIN_FACTS: &str = include_str!("../../knowledge/facts.toml");
pub const BUILTIN_LEXICON: &str = include_str!("../../knowledge/lexicon.toml");

/// One problem found while loading, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Loading failed; every problem found is listed, not just the first.
#[derive(Debug, Clone, thiserror::Error)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{n} problem{} in the knowledge files:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

/// The raw contents of the knowledge files, with the names used in error messages.
#[derive(Debug, Clone)]
pub struct KnowledgeFiles {
    pub origin: String,
    pub article: (String, String),
    pub facts: (String, String),
    pub lexicon: (String, String),
    /// `updates/*.toml`, sorted by file name.
    pub updates: Vec<(String, String)>,
}

impl KnowledgeFiles {
    /// The knowledge compiled into the binary (no updates).
    pub fn builtin() -> Self {
        KnowledgeFiles {
            origin: "built-in copy".into(),
            article: ("article.txt".into(), BUILTIN_ARTICLE.into()),
            facts: ("facts.toml".into(), BUILTIN_FACTS.into()),
            lexicon: ("lexicon.toml".into(), BUILTIN_LEXICON.into()),
            updates: Vec::new(),
        }
    }

    /// Reads `article.txt`, `facts.toml`, `lexicon.toml` and `updates/*.toml` from a folder.
    pub fn read_dir(dir: &Path) -> Result<Self, LoadError> {
        let mut problems = Vec::new();
        let mut read = |name: &str| -> String {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(Problem {
                        file: path.display().to_string(),
                        line: None,
                        message: format!("cannot read: {e}"),
                    });
                    String::new()
                }
            }
        };
        let article = read("article.txt");
        let facts = read("facts.toml");
        let lexicon = read("lexicon.toml");
        let mut updates = Vec::new();
        let updates_dir = dir.join("updates");
        if updates_dir.is_dir() {
            match update_files(&updates_dir) {
                Ok(paths) => {
                    for path in paths {
                        match std::fs::read_to_string(&path) {
                            Ok(s) => updates.push((path.display().to_string(), s)),
                            Err(e) => problems.push(Problem {
                                file: path.display().to_string(),
                                line: None,
                                message: format!("cannot read: {e}"),
                            }),
                        }
                    }
                }
                Err(e) => problems.push(Problem {
                    file: updates_dir.display().to_string(),
                    line: None,
                    message: format!("cannot list: {e}"),
                }),
            }
        }
        if !problems.is_empty() {
            return Err(LoadError { problems });
        }
        let name = |f: &str| dir.join(f).display().to_string();
        Ok(KnowledgeFiles {
            origin: dir.display().to_string(),
            article: (name("article.txt"), article),
            facts: (name("facts.toml"), facts),
            lexicon: (name("lexicon.toml"), lexicon),
            updates,
        })
    }
}

/// The `.toml` files of an updates folder, sorted by name (editor backups and hidden files skipped).
pub fn update_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        if !hidden && path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// A numbered sentence of the article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub number: u32,
    pub text: String,
    /// The heading the sentence stands under, if any.
    pub heading: Option<String>,
}

/// What a fact is: the article's own statement, a number, or somebody's claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactKind {
    Fact,
    Statistic,
    /// Attributed: always rendered as `speaker`'s claim, never as established fact.
    Claim {
        speaker: String,
        verb: String,
    },
}

impl FactKind {
    pub fn is_claim(&self) -> bool {
        matches!(self, FactKind::Claim { .. })
    }
    pub fn name(&self) -> &'static str {
        match self {
            FactKind::Fact => "fact",
            FactKind::Statistic => "statistic",
            FactKind::Claim { .. } => "claim",
        }
    }
}

/// The kind of question a fact can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ask {
    Who,
    Where,
    When,
    HowMuch,
    What,
    Why,
    How,
}

impl Ask {
    pub fn parse(s: &str) -> Option<Ask> {
        Some(match s {
            "who" => Ask::Who,
            "where" => Ask::Where,
            "when" => Ask::When,
            "howmuch" => Ask::HowMuch,
            "what" => Ask::What,
            "why" => Ask::Why,
            "how" => Ask::How,
            _ => return None,
        })
    }
}

/// Where a fact comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A numbered sentence of the article.
    Sentence(u32),
    /// An operator's update, by id.
    Update(String),
}

/// One curated fact.
#[derive(Debug, Clone)]
pub struct Fact {
    pub id: String,
    pub topics: Vec<String>,
    pub kind: FactKind,
    pub answer: String,
    pub sources: Vec<Source>,
    pub asks: Vec<Ask>,
    pub keys: Vec<String>,
    pub patterns: Vec<String>,
    /// The fact this one replaces (from an update).
    pub supersedes: Option<String>,
    /// Set when a later fact replaces this one; a superseded fact is only shown as "previously".
    pub superseded_by: Option<String>,
    pub file: String,
    pub line: usize,
}

/// A topic, with the command that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub name: String,
    pub command: String,
    pub title: String,
}

/// An update an operator published in `knowledge/updates/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub title: String,
    pub text: String,
    pub source: String,
    pub file: String,
    /// Ids of the facts this update adds.
    pub facts: Vec<String>,
}

/// Everything the bot knows, validated; immutable once built.
#[derive(Debug)]
pub struct KnowledgeBase {
    pub origin: String,
    pub title: String,
    pub credit: String,
    pub sentences: Vec<Sentence>,
    pub topics: Vec<Topic>,
    pub facts: Vec<Fact>,
    /// Sorted oldest first.
    pub updates: Vec<Update>,
    pub(crate) analyzer: Analyzer,
    pub(crate) index: Index,
    /// The HTML of the replies that depend on nothing but this knowledge (topic commands,
    /// /help, …), rendered once when it is loaded.
    pub(crate) rendered: crate::render::Rendered,
    /// The current facts of each topic, by the topic's place in `topics` (see
    /// [`KnowledgeBase::topics_with_facts`]).
    pub(crate) topic_fact_lists: Vec<Vec<usize>>,
}

impl KnowledgeBase {
    /// Loads `dir` when given; otherwise `./knowledge` when it exists, else the built-in copy.
    pub fn load(dir: Option<&Path>) -> Result<KnowledgeBase, LoadError> {
        match dir {
            Some(d) => Self::from_files(&KnowledgeFiles::read_dir(d)?),
            None if Path::new("knowledge").join("facts.toml").is_file() => {
                Self::from_files(&KnowledgeFiles::read_dir(Path::new("knowledge"))?)
            }
            None => Self::builtin(),
        }
    }

    /// The knowledge compiled into the binary.
    pub fn builtin() -> Result<KnowledgeBase, LoadError> {
        Self::from_files(&KnowledgeFiles::builtin())
    }

    /// Parses and validates the files; on any problem nothing is built and all problems are listed.
    pub fn from_files(files: &KnowledgeFiles) -> Result<KnowledgeBase, LoadError> {
        parse::build(files)
    }

    /// The sentence with this number, if it exists.
    pub fn sentence(&self, number: u32) -> Option<&Sentence> {
        number
            .checked_sub(1)
            .and_then(|i| self.sentences.get(i as usize))
    }

    pub fn fact(&self, id: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.id == id)
    }

    pub fn update(&self, id: &str) -> Option<&Update> {
        self.updates.iter().find(|u| u.id == id)
    }

    /// Each topic with its current (not superseded) facts, in file order: listed once at load,
    /// so a topic command reads one list instead of every fact's topics.
    pub fn topics_with_facts(&self) -> impl Iterator<Item = (&Topic, &[usize])> {
        self.topics
            .iter()
            .zip(self.topic_fact_lists.iter().map(Vec::as_slice))
    }

    /// The topic a command shows, with its current facts.
    pub fn command_topic(&self, command: &str) -> Option<(&Topic, &[usize])> {
        self.topics_with_facts().find(|(t, _)| t.command == command)
    }
}

/// The knowledge the bot currently answers from, shared by every handler; a reload swaps it
/// whole, and readers keep the `Arc` they took for the rest of their answer.
#[derive(Debug, Clone)]
pub struct SharedKnowledge(std::sync::Arc<std::sync::RwLock<std::sync::Arc<KnowledgeBase>>>);

impl SharedKnowledge {
    pub fn new(kb: KnowledgeBase) -> Self {
        SharedKnowledge(std::sync::Arc::new(std::sync::RwLock::new(
            std::sync::Arc::new(kb),
        )))
    }

    /// The current knowledge base.
    pub fn current(&self) -> std::sync::Arc<KnowledgeBase> {
        // A poisoned lock still holds a complete base: replacing it is a single assignment.
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Swaps in a new knowledge base.
    pub fn replace(&self, kb: KnowledgeBase) {
        let new = std::sync::Arc::new(kb);
        match self.0.write() {
            Ok(mut g) => *g = new,
            Err(p) => *p.into_inner() = new,
        }
    }
}
