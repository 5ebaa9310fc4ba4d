//! The engine: validated knowledge together with what answering needs built from it (the
//! analyser and the fact index), made once per load and swapped whole on reload.
//!
//! Loading in order: [`KnowledgeFiles`] are read, [`Knowledge::parse`] validates them into plain
//! data, [`check`] adds Telegram's limits on every reply (setting aside an update file that
//! breaks them), and [`Engine::new`] builds the analyser and the index. `check` stops before the
//! last step. The modules below this one (knowledge, analyze, index, render, reply) import
//! nothing above them; the answerer, above, takes an `&Engine`.

mod limits;

use std::path::Path;
use std::sync::{Arc, RwLock};

use crate::analyze::Analyzer;
use crate::index::Index;
use crate::knowledge::{
    Knowledge, KnowledgeFiles, LoadError, Problem, RejectedUpdate, Source, Update, file_name,
};

/// Everything the bot answers from: the knowledge, the analyser built from its lexicon and
/// words, and the index of its current facts. Immutable once built.
#[derive(Debug)]
pub struct Engine {
    pub knowledge: Knowledge,
    pub(crate) analyzer: Analyzer,
    pub(crate) index: Index,
}

impl Engine {
    /// Builds the analyser and the index for validated knowledge.
    pub fn new(knowledge: Knowledge) -> Engine {
        let vocab_texts: Vec<&str> = knowledge
            .sentences
            .iter()
            .map(|s| s.text.as_str())
            .chain(knowledge.facts.iter().flat_map(|f| {
                std::iter::once(f.answer.as_str())
                    .chain(f.keys.iter().map(String::as_str))
                    .chain(f.patterns.iter().map(String::as_str))
            }))
            .chain(knowledge.topics.iter().map(|t| t.name.as_str()))
            .collect();
        let mut analyzer = Analyzer::new(&knowledge.lexicon, vocab_texts);
        // What each fact cites, so a question may use the source's own words too.
        let source_texts: Vec<String> = knowledge
            .facts
            .iter()
            .map(|f| {
                f.sources
                    .iter()
                    .filter_map(|s| match s {
                        Source::Sentence(n) => knowledge.sentence(*n).map(|s| s.text.clone()),
                        Source::Update(id) => knowledge.update(id).map(|u| u.text.clone()),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        let index = Index::build(
            &knowledge.facts,
            &source_texts,
            &knowledge.topics,
            &mut analyzer,
        );
        Engine {
            knowledge,
            analyzer,
            index,
        }
    }

    /// Checks the files (see [`check`]) and builds the engine.
    pub fn from_files(files: &KnowledgeFiles) -> Result<Engine, LoadError> {
        Ok(Engine::new(check(files)?))
    }

    /// Loads `dir` when given; otherwise `./knowledge` when it exists, else the built-in copy.
    pub fn load(dir: Option<&Path>) -> Result<Engine, LoadError> {
        Ok(Engine::new(load_knowledge(dir)?))
    }

    /// The engine of the knowledge compiled into the binary.
    pub fn builtin() -> Result<Engine, LoadError> {
        Engine::from_files(&KnowledgeFiles::builtin())
    }
}

/// Reads and checks `dir` when given; otherwise `./knowledge` when it exists, else the built-in
/// copy. Builds no engine.
pub fn load_knowledge(dir: Option<&Path>) -> Result<Knowledge, LoadError> {
    match dir {
        Some(d) => check(&KnowledgeFiles::read_dir(d)?),
        // Any kind of entry counts, so a facts.toml that is a pipe is reported, not skipped.
        None if std::fs::symlink_metadata(Path::new("knowledge").join("facts.toml")).is_ok() => {
            check(&KnowledgeFiles::read_dir(Path::new("knowledge"))?)
        }
        None => check(&KnowledgeFiles::builtin()),
    }
}

/// Parses and validates the files, Telegram's limits included: the knowledge as the bot would
/// serve it, with nothing built from it.
///
/// Telegram's limits concern rendered replies, so they are checked on the parsed knowledge. An
/// update file that breaks them is set aside and the updates are taken again without it (each
/// round sets aside at least one file, so this ends). A problem in the core files fails the
/// load.
pub fn check(files: &KnowledgeFiles) -> Result<Knowledge, LoadError> {
    let core = limits::CoreFiles {
        facts: &files.facts.0,
        article: &files.article.0,
    };
    let mut set_aside: Vec<RejectedUpdate> = Vec::new();
    loop {
        let knowledge = Knowledge::parse(files, &set_aside)?;
        let found = limits::check(&knowledge, &core);
        if !found.core.is_empty() {
            return Err(LoadError {
                problems: found.core,
            });
        }
        if found.updates.is_empty() {
            return Ok(knowledge);
        }
        set_aside.extend(found.updates);
    }
}

/// Validates one update file's text against the knowledge it would join (`files`, with any
/// update of the same file name replaced: see [`KnowledgeFiles::with_update`]): every rule the
/// loader applies, Telegram's limits included. Returns the update as it would be served.
///
/// Errors: the core files' problems when they do not load; else this file's problems, each
/// `name:line: reason`; also a problem when publishing it would set aside an update file that
/// loads today (a duplicate id in a file that sorts after it, say). Used by `check FILE` and
/// `publish FILE`.
pub fn check_update(files: &KnowledgeFiles, name: &str, text: &str) -> Result<Update, LoadError> {
    let key = file_name(name);
    let with = check(&files.clone().with_update(name, text))?;
    if let Some(r) = with.rejected.iter().find(|r| file_name(&r.file) == key) {
        return Err(LoadError {
            problems: r.problems.clone(),
        });
    }
    let Some(update) = with.updates.iter().find(|u| file_name(&u.file) == key) else {
        return Err(LoadError {
            problems: vec![Problem {
                file: name.to_string(),
                line: Some(1),
                message: "the update did not load (no reason was found)".into(),
            }],
        });
    };
    let mut without = files.clone();
    without.updates.retain(|(n, _)| file_name(n) != key);
    let before = check(&without)?;
    let problems: Vec<Problem> = with
        .rejected
        .iter()
        .filter(|r| !before.rejected.iter().any(|b| b.file == r.file))
        .map(|r| Problem {
            file: name.to_string(),
            line: Some(update.line),
            message: format!(
                "publishing this update would set aside {}, which loads today: {}",
                r.file,
                r.problems.first().map_or("", |p| p.message.as_str())
            ),
        })
        .collect();
    if problems.is_empty() {
        Ok(update.clone())
    } else {
        Err(LoadError { problems })
    }
}

/// The engine the bot currently answers from, shared by every handler; a reload swaps it whole,
/// and readers keep the `Arc` they took for the rest of their answer.
#[derive(Debug, Clone)]
pub struct SharedEngine(Arc<RwLock<Arc<Engine>>>);

impl SharedEngine {
    pub fn new(engine: Engine) -> Self {
        SharedEngine(Arc::new(RwLock::new(Arc::new(engine))))
    }

    /// The current engine.
    pub fn current(&self) -> Arc<Engine> {
        // A poisoned lock still holds a complete engine: replacing it is a single assignment.
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Swaps in a new engine.
    pub fn replace(&self, engine: Engine) {
        let new = Arc::new(engine);
        match self.0.write() {
            Ok(mut g) => *g = new,
            Err(p) => *p.into_inner() = new,
        }
    }
}
