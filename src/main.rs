//! The `trade-talks-bot` command line: `ask`, `chat`, `check` (offline) and `run` (Telegram).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use trade_talks_bot::knowledge::{KnowledgeBase, KnowledgeFiles};
use trade_talks_bot::terminal;

#[derive(Parser)]
#[command(name = "trade-talks-bot", version, about = "Answers questions about the US–China trade talks at Lancaster House, with citations")]
struct Cli {
    /// Knowledge folder (default: ./knowledge, else the copy built into the binary).
    #[arg(long, global = true, env = "TRADE_TALKS_KNOWLEDGE")]
    knowledge: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Answer one question or /command (or one per line from stdin) and print the answer.
    Ask {
        /// Print one JSON object per answer.
        #[arg(long)]
        json: bool,
        /// The question; omitted: read one question per line from stdin.
        question: Vec<String>,
    },
    /// An interactive chat in the terminal, with the bot's answers.
    Chat,
    /// Validate knowledge files and print a summary; non-zero exit with file:line errors.
    Check {
        /// Folder to check (default: --knowledge, else ./knowledge, else the built-in copy).
        dir: Option<PathBuf>,
    },
}

fn load(dir: Option<&std::path::Path>) -> Result<KnowledgeBase, ExitCode> {
    KnowledgeBase::load(dir).map_err(|e| {
        eprint!("{e}");
        ExitCode::from(2)
    })
}

fn run() -> Result<(), ExitCode> {
    let cli = Cli::parse();
    let dir = cli.knowledge.as_deref();
    match cli.command {
        Some(Command::Ask { json, question }) => {
            let kb = load(dir)?;
            if question.is_empty() {
                let stdin = std::io::stdin();
                terminal::ask_lines(&kb, stdin.lock(), std::io::stdout().lock(), json)
                    .map_err(|e| io_failure(&e))?;
            } else {
                println!("{}", terminal::ask_one(&kb, &question.join(" "), json));
            }
        }
        Some(Command::Chat) => chat(dir)?,
        Some(Command::Check { dir: check_dir }) => {
            let files = match check_dir.as_deref().or(dir) {
                Some(d) => KnowledgeFiles::read_dir(d),
                None if std::path::Path::new("knowledge").is_dir() => {
                    KnowledgeFiles::read_dir(std::path::Path::new("knowledge"))
                }
                None => Ok(KnowledgeFiles::builtin()),
            };
            let kb = files.and_then(|f| KnowledgeBase::from_files(&f)).map_err(|e| {
                eprint!("{e}");
                ExitCode::from(1)
            })?;
            let claims = kb.facts.iter().filter(|f| f.kind.is_claim()).count();
            println!(
                "{}: ok — {} sentences, {} topics, {} facts ({} claims), {} updates",
                kb.origin,
                kb.sentences.len(),
                kb.topics.len(),
                kb.facts.len(),
                claims,
                kb.updates.len()
            );
        }
        None => {
            eprintln!("No TELOXIDE_TOKEN set: starting the terminal chat (set it to run the Telegram bot).");
            chat(dir)?;
        }
    }
    Ok(())
}

fn chat(dir: Option<&std::path::Path>) -> Result<(), ExitCode> {
    let kb = load(dir)?;
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        log::debug!("chat reading from a pipe");
    }
    terminal::chat(&kb, stdin.lock(), std::io::stdout().lock()).map_err(|e| io_failure(&e))
}

fn io_failure(e: &std::io::Error) -> ExitCode {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    pretty_env_logger::init();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
