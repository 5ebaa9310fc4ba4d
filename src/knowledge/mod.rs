//! The knowledge: the article's numbered sentences, curated facts, the lexicon and the
//! operator's updates, read and validated into one immutable value of plain data.
//!
//! Nothing here builds an analyser, an index or a reply: [`crate::engine`] checks the knowledge
//! against Telegram's limits (which needs the renderer) and builds the engine that answers from
//! it. Why immutable: a reload builds a complete new engine (or reports why it cannot) and swaps
//! it whole, so no reader ever sees half a file.

mod limits;
mod parse;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::reply::Reply;

pub use limits::{
    MAX_COMMAND_CHARS, MAX_COMMAND_DESCRIPTION_CHARS, MAX_MENU_COMMANDS, MAX_URL_CHARS,
    command_description_problem, command_name_problem, url_problem,
};

/// The knowledge shipped with the binary, used when no `knowledge/` folder is found.
pub const BUILTIN_ARTICLE: &str = include_str!("../../knowledge/article.txt");
pub const BUILTIN_FACTS: &str = include_str!("../../knowledge/facts.toml");
pub const BUILTIN_LEXICON: &str = include_str!("../../knowledge/lexicon.toml");

/// The largest knowledge file read, in bytes: the shipped files are a few KiB, so a larger one
/// is a mistake (a log or a disk image copied in), and reading it would hold the loader up.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// One problem found while loading, located as precisely as the file allows: `line` is `None`
/// only when the file itself cannot be read (missing, not a regular file, too large).
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

/// An update file the loader set aside while the rest of the knowledge loaded: its problems,
/// each with `file:line`. Nothing of it is served or published until it is fixed.
///
/// Why per file: updates arrive one at a time while the bot runs; one bad file must not hold
/// back the updates published after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedUpdate {
    /// The file's name as given in [`KnowledgeFiles::updates`] (a path, for a folder).
    pub file: String,
    /// At least one.
    pub problems: Vec<Problem>,
}

impl fmt::Display for RejectedUpdate {
    /// One problem per line, without a final newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, p) in self.problems.iter().enumerate() {
            if k > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
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
    /// `updates/*.toml` as (name, text), sorted by file name; more may be added with
    /// [`KnowledgeFiles::with_update`]. The loader takes them in the order of their file names
    /// (the last path component), whatever their order here.
    pub updates: Vec<(String, String)>,
    /// Update files that could not be read (not a regular file, too large, not UTF-8): each is
    /// listed in [`Knowledge::rejected`] while the rest loads.
    pub update_errors: Vec<Problem>,
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
            update_errors: Vec::new(),
        }
    }

    /// Reads `article.txt`, `facts.toml`, `lexicon.toml` and `updates/*.toml` from a folder.
    ///
    /// Only regular files are read (see [`read_knowledge_file`]). A core file that cannot be read
    /// fails the whole read; an update file that cannot be read is recorded in
    /// [`KnowledgeFiles::update_errors`] and the rest is read.
    pub fn read_dir(dir: &Path) -> Result<Self, LoadError> {
        let mut problems = Vec::new();
        let mut read = |name: &str| -> String {
            read_knowledge_file(&dir.join(name)).unwrap_or_else(|p| {
                problems.push(p);
                String::new()
            })
        };
        let article = read("article.txt");
        let facts = read("facts.toml");
        let lexicon = read("lexicon.toml");
        let mut updates = Vec::new();
        let mut update_errors = Vec::new();
        let updates_dir = dir.join("updates");
        let listed = match std::fs::metadata(&updates_dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Ok(m) if !m.is_dir() => Err("is not a folder".to_string()),
            _ => update_files(&updates_dir).map_err(|e| format!("cannot list: {e}")),
        };
        match listed {
            Ok(paths) => {
                for path in paths {
                    match read_knowledge_file(&path) {
                        Ok(s) => updates.push((path.display().to_string(), s)),
                        Err(p) => update_errors.push(p),
                    }
                }
            }
            Err(message) => problems.push(Problem {
                file: updates_dir.display().to_string(),
                line: None,
                message,
            }),
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
            update_errors,
        })
    }

    /// These files plus one more update file, `text` under `name`: how updates published
    /// through the database join the folder's, and how a file is checked before it is published.
    ///
    /// An update is known by its file name (the last component of `name`): an update already
    /// here with the same file name is replaced, so checking `/tmp/003.toml` against a folder
    /// holding `updates/003.toml` checks the new version in its place. The loader takes the
    /// updates in file-name order, which decides which of two files with the same id is
    /// rejected (the later one).
    pub fn with_update(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        let name = name.into();
        let key = file_name(&name).to_string();
        self.updates.retain(|(n, _)| file_name(n) != key);
        self.update_errors.retain(|p| file_name(&p.file) != key);
        self.updates.push((name, text.into()));
        self.updates.sort_by(|a, b| update_order(&a.0, &b.0));
        self
    }
}

/// The last component of an update's name: what identifies the update file. Both `/` and `\`
/// separate, whatever the platform: a name published through the database may come from any.
pub(crate) fn file_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// The order the loader takes update files in: by file name, then by the whole name.
pub(crate) fn update_order(a: &str, b: &str) -> std::cmp::Ordering {
    (file_name(a), a).cmp(&(file_name(b), b))
}

/// Reads one knowledge file as text, if it is a regular file of at most [`MAX_FILE_BYTES`];
/// otherwise a [`Problem`] naming the file.
///
/// Why look before opening: opening a named pipe blocks until something writes to it, which
/// would hang a reload (and `check`) forever; a device or a huge file would be read without
/// end. The file's metadata (following a symbolic link) says what it is without opening it.
pub fn read_knowledge_file(path: &Path) -> Result<String, Problem> {
    let problem = |message: String| Problem {
        file: path.display().to_string(),
        line: None,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| problem(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(problem(format!(
            "is {}, not a regular file; knowledge is read only from regular files",
            file_kind(&meta.file_type())
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(problem(format!(
            "is {} bytes; a knowledge file may be at most {MAX_FILE_BYTES} bytes (8 MiB)",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| problem(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(problem(format!(
            "grew past {MAX_FILE_BYTES} bytes (8 MiB) while it was read"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        problem(format!(
            "is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// What a file that is not a regular file is, for the message.
fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// The update files of an updates folder: every `*.toml` entry, sorted by name. Hidden files,
/// editor backups (`x.toml~`) and other extensions (`EXAMPLE.toml.sample`) are skipped. Entries
/// that are not regular files are listed too, so reading them reports them rather than
/// skipping them silently.
pub fn update_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        if !hidden && path.extension().is_some_and(|e| e == "toml") {
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
    /// Who makes the claim, if it is one.
    pub fn speaker(&self) -> Option<&str> {
        match self {
            FactKind::Claim { speaker, .. } => Some(speaker),
            _ => None,
        }
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
    /// Facts that complete this one when it answers what something is ("what was agreed in
    /// Geneva": the truce, then its terms). Base facts only.
    pub details: Vec<String>,
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
    /// The line of its `[[topic]]` in facts.toml, where its problems are reported.
    pub line: usize,
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
    /// The line of its `id` in `file`, where problems of the update as a whole are reported.
    pub line: usize,
    /// Ids of the facts this update adds.
    pub facts: Vec<String>,
}

/// Synonym phrases, stopwords, claim words, shorthand and kinds, as read from `lexicon.toml`; the
/// analyser is built from them.
#[derive(Debug, Clone, Default)]
pub struct LexiconData {
    /// canonical word → its variants (each possibly several words).
    pub synonyms: Vec<(String, Vec<String>)>,
    pub stopwords: Vec<String>,
    pub claim_words: Vec<String>,
    pub strict_words: Vec<String>,
    /// Chat shorthand → the words it stands for ("u" → "you", "rn" → "right now"), applied to a
    /// question's words before anything else.
    pub shorthand: Vec<(String, Vec<String>)>,
    /// Kinds of detail (a place, a month, a person): a yes/no question naming the wrong one
    /// ("were the talks in Paris?") is settled by the fact naming the right one.
    pub kinds: Vec<Kind>,
    /// The people who are women, by their canonical word: a follow-up's "she" stands for one
    /// of them, "he" for someone else.
    pub women: Vec<String>,
    /// Words the answerer reads by the part they play in a question, not by what they mean.
    pub phrasing: Phrasing,
}

/// The lexicon's `[phrasing]`: words that say how a question is asked rather than what about,
/// each list read by one rule of the answerer. They are plain words as people type them (not
/// synonyms: the answerer reads them before the analyser).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Phrasing {
    /// Words opening a sentence that asks for something ("Could you…", "Tell me…"): that
    /// sentence is the question, not a preamble to drop.
    pub requests: Vec<String>,
    /// Words of a sentence about asking ("my dad keeps *asking* me who…"): the question is read
    /// from its question word on.
    pub asking: Vec<String>,
    /// Verbs opening a request that say how to answer ("*Describe* the allegations…"): read as
    /// "what".
    pub imperatives: Vec<String>,
    /// Verbs with which the article describes something ("how does the article *portray*…").
    pub describing: Vec<String>,
    /// Words for the article or whoever wrote it ("how does *the author* describe…").
    pub the_article: Vec<String>,
    /// Nouns for the story itself: "this *story*" points at the article, not back at the
    /// question before.
    pub story_nouns: Vec<String>,
    /// Acknowledgements opening a follow-up ("*ok* and the other side?").
    pub acknowledgements: Vec<String>,
    /// Words for a person: "which *person*", "the name of the *guy*" ask who.
    pub person_nouns: Vec<String>,
    /// Words naming a role in government ("the Treasury *Secretary*"): "is X the foreign
    /// minister?" asks who X is; "how long has X been chancellor?" is no question of when.
    pub roles: Vec<String>,
    /// Words asking for a cause after "what" ("what's *behind*…", "what *caused*…"): why.
    pub causes: Vec<String>,
    /// Verbs passing on hearsay to be checked ("my son *says*…", "I *heard*…"), and who passes
    /// it on before one ("*someone* said…"; "my friend" is read by the word "my").
    pub hearsay_verbs: Vec<String>,
    pub hearsay_people: Vec<String>,
    /// Words ending a statement to have it confirmed ("…, *right*?", "…, *true*?"): it is asked
    /// yes or no, and they are no subject of it.
    pub tags: Vec<String>,
}

impl Phrasing {
    /// Every list with its name in the lexicon, for checking.
    pub fn lists(&self) -> [(&'static str, &[String]); 13] {
        [
            ("requests", &self.requests),
            ("asking", &self.asking),
            ("imperatives", &self.imperatives),
            ("describing", &self.describing),
            ("the_article", &self.the_article),
            ("story_nouns", &self.story_nouns),
            ("acknowledgements", &self.acknowledgements),
            ("person_nouns", &self.person_nouns),
            ("roles", &self.roles),
            ("causes", &self.causes),
            ("hearsay_verbs", &self.hearsay_verbs),
            ("hearsay_people", &self.hearsay_people),
            ("tags", &self.tags),
        ]
    }
}

/// A kind of detail in the lexicon's `[kinds]`: `place = [...]`, or with traits
/// `person = { several = true, words = [...] }`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kind {
    pub name: String,
    pub words: Vec<String>,
    /// An event has several of it (people take part in talks; they have one place): one the
    /// facts name is asked about in its own right, only one they do not is a wrong detail.
    pub several: bool,
    /// The question a yes/no question naming it asks ("is the meeting in London?" asks where).
    pub asks: Option<Ask>,
}

/// Everything the bot knows, validated; immutable once built. Plain data: the engine that
/// answers from it is built separately ([`crate::engine::Engine`]).
#[derive(Debug)]
pub struct Knowledge {
    pub origin: String,
    pub title: String,
    /// The line of article.txt's `title:`, where a problem with /source is reported.
    pub title_line: usize,
    pub credit: String,
    pub sentences: Vec<Sentence>,
    pub topics: Vec<Topic>,
    pub facts: Vec<Fact>,
    /// Sorted oldest first.
    pub updates: Vec<Update>,
    /// Update files set aside because they are invalid, in file-name order; everything else
    /// loaded. The `status` command and the reload log show them.
    pub rejected: Vec<RejectedUpdate>,
    pub lexicon: LexiconData,
}

impl Knowledge {
    /// Parses and validates the files, all but Telegram's limits (see
    /// [`crate::engine::check`], which adds them), leaving out the update files in
    /// `set_aside`.
    ///
    /// The core files (article, facts, lexicon) are all or nothing: on any problem in them
    /// nothing is built and all their problems are listed. Each update file stands on its own:
    /// a bad one is listed in [`Knowledge::rejected`] and the rest loads without it (as do
    /// later updates that depend on it, e.g. superseding one of its facts, each with a problem
    /// saying so).
    pub fn parse(
        files: &KnowledgeFiles,
        set_aside: &[RejectedUpdate],
    ) -> Result<Knowledge, LoadError> {
        parse::parse(files, set_aside)
    }

    /// The rejected update files' problems as one error, or `None` when every update loaded:
    /// for `check`, which fails on any bad file even though the bot would serve the rest.
    pub fn rejected_error(&self) -> Option<LoadError> {
        let problems: Vec<Problem> = self
            .rejected
            .iter()
            .flat_map(|r| r.problems.iter().cloned())
            .collect();
        (!problems.is_empty()).then_some(LoadError { problems })
    }

    /// The command menu as (command, description): one per topic, then the bot's own commands.
    /// Loading has checked it against Telegram's limits.
    pub fn menu(&self) -> Vec<(&str, &str)> {
        self.topics
            .iter()
            .map(|t| (t.command.as_str(), t.title.as_str()))
            .chain(
                crate::command::Command::FIXED
                    .iter()
                    .map(|c| (c.name(), c.about().unwrap_or_default())),
            )
            .collect()
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

    /// Each topic with its current (not superseded) facts, in file order.
    pub fn topics_with_facts(&self) -> impl Iterator<Item = (&Topic, Vec<&Fact>)> {
        self.topics.iter().map(|t| (t, self.topic_facts(t)))
    }

    /// A topic's current (not superseded) facts, in file order.
    pub fn topic_facts(&self, topic: &Topic) -> Vec<&Fact> {
        self.facts
            .iter()
            .filter(|f| f.superseded_by.is_none() && f.topics.contains(&topic.name))
            .collect()
    }

    /// The topic a command shows, with its current facts.
    pub fn command_topic(&self, command: &str) -> Option<(&Topic, Vec<&Fact>)> {
        let topic = self.topics.iter().find(|t| t.command == command)?;
        Some((topic, self.topic_facts(topic)))
    }

    /// The updates `/latest` shows: the five newest, newest first.
    pub fn latest_updates(&self) -> Vec<&Update> {
        self.updates.iter().rev().take(5).collect()
    }

    /// The `/latest` reply: the updates [`Knowledge::latest_updates`] shows.
    pub fn latest_reply(&self) -> Reply {
        Reply::Latest(self.latest_updates().iter().map(|u| u.id.clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_is_known_by_its_file_name_whatever_the_separator() {
        for name in [
            "2026-06-10-talks.toml",
            "knowledge/updates/2026-06-10-talks.toml",
            r"C:\bot\updates\2026-06-10-talks.toml",
        ] {
            assert_eq!(file_name(name), "2026-06-10-talks.toml", "{name}");
        }
        assert_eq!(
            update_order("a/b.toml", r"z\a.toml"),
            std::cmp::Ordering::Greater
        );
    }
}
