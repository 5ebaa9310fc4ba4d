//! The `trade-talks-bot` command line: `ask`, `chat`, `check` (offline) and `run` (Telegram).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use trade_talks_bot::knowledge::{KnowledgeBase, KnowledgeFiles};

use trade_talks_bot::settings::RunArgs;
use trade_talks_bot::terminal;
use trade_talks_bot::{app, telegram};

#[derive(Parser)]
#[command(
    name = "trade-talks-bot",
    version,
    about = "Answers questions about the US–China trade talks at Lancaster House, with citations"
)]
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
        /// Also show how the question was understood and scored.
        #[arg(long, conflicts_with = "json")]
        explain: bool,
        /// The question; omitted: read one question per line from stdin.
        question: Vec<String>,
    },
    /// An interactive chat in the terminal, with the bot's answers.
    Chat,
    /// Run the Telegram bot (token from TELOXIDE_TOKEN; long polling unless --webhook-url).
    Run(Box<RunArgs>),
    /// Validate knowledge files and print a summary; non-zero exit with file:line errors.
    Check {
        /// Folder to check (default: --knowledge, else ./knowledge, else the built-in copy).
        dir: Option<PathBuf>,
    },
}

/// `run`'s flags on their own, for starting the bot with its defaults.
#[derive(Parser)]
#[command(name = "run")]
struct RunCli {
    #[command(flatten)]
    args: RunArgs,
}

fn run_bot(dir: Option<&std::path::Path>, args: RunArgs) -> Result<(), ExitCode> {
    let settings = args
        .into_settings(
            std::env::var("TELOXIDE_TOKEN").ok(),
            std::env::var("TELOXIDE_PROXY").ok(),
            knowledge_dir(dir),
        )
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(2)
        })?;
    let parts = app::Parts::open(&settings).map_err(|e| {
        eprint!("{e}");
        if !e.to_string().ends_with('\n') {
            eprintln!();
        }
        ExitCode::FAILURE
    })?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| io_failure(&e))?;
    runtime
        .block_on(app::run(settings, parts, telegram::termination_signal()))
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        })
}

/// The folder the running bot watches: the one given, else ./knowledge if present.
fn knowledge_dir(dir: Option<&std::path::Path>) -> Option<std::path::PathBuf> {
    match dir {
        Some(d) => Some(d.to_path_buf()),
        None => {
            let d = std::path::Path::new("knowledge");
            d.join("facts.toml").is_file().then(|| d.to_path_buf())
        }
    }
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
        Some(Command::Ask {
            json,
            explain,
            question,
        }) => {
            let kb = load(dir)?;
            if question.is_empty() {
                let stdin = std::io::stdin();
                terminal::ask_lines(&kb, stdin.lock(), std::io::stdout().lock(), json)
                    .map_err(|e| io_failure(&e))?;
            } else {
                let question = question.join(" ");
                if explain {
                    say(&trade_talks_bot::answer::explain(&kb, &question))?;
                }
                say(&terminal::ask_one(&kb, &question, json))?;
            }
        }
        Some(Command::Chat) => chat(dir)?,
        Some(Command::Run(args)) => run_bot(dir, *args)?,
        Some(Command::Check { dir: check_dir }) => {
            let files = match check_dir.as_deref().or(dir) {
                Some(d) => KnowledgeFiles::read_dir(d),
                None if std::path::Path::new("knowledge").is_dir() => {
                    KnowledgeFiles::read_dir(std::path::Path::new("knowledge"))
                }
                None => Ok(KnowledgeFiles::builtin()),
            };
            let kb = files
                .and_then(|f| KnowledgeBase::from_files(&f))
                .map_err(|e| {
                    eprint!("{e}");
                    ExitCode::from(1)
                })?;
            let claims = kb.facts.iter().filter(|f| f.kind.is_claim()).count();
            say(&format!(
                "{}: ok — {} sentences, {} topics, {} facts ({} claims), {} updates",
                kb.origin,
                kb.sentences.len(),
                kb.topics.len(),
                kb.facts.len(),
                claims,
                kb.updates.len()
            ))?;
        }
        None if std::env::var("TELOXIDE_TOKEN").is_ok_and(|t| !t.trim().is_empty()) => {
            let args = RunCli::parse_from(["run"]).args;
            run_bot(dir, args)?;
        }
        None => {
            eprintln!(
                "No TELOXIDE_TOKEN set: starting the terminal chat (set it to run the Telegram bot)."
            );
            chat(dir)?;
        }
    }
    Ok(())
}

fn chat(dir: Option<&std::path::Path>) -> Result<(), ExitCode> {
    let kb = load(dir)?;
    let stdin = std::io::stdin();
    terminal::chat(&kb, stdin.lock(), std::io::stdout().lock()).map_err(|e| io_failure(&e))
}

/// Prints a line to stdout; a closed pipe (`| head`) ends quietly instead of panicking.
fn say(text: &str) -> Result<(), ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| io_failure(&e))
}

fn io_failure(e: &std::io::Error) -> ExitCode {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    // Info from the bot by default (start-up, reloads, broadcasts, shutdown); RUST_LOG overrides.
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,trade_talks_bot=info".into());
    pretty_env_logger::formatted_timed_builder()
        .parse_filters(&filter)
        .init();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
