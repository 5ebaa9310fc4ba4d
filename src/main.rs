//! The `trade-talks-bot` command line: `ask`, `chat`, `check` (offline), `run` (Telegram) and the
//! operator's `subscribers`, `status` and `backup` (which read the database beside a running bot).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's malloc: see docs/PERFORMANCE.md for the measurement.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use trade_talks_bot::engine::{self, Engine};
use trade_talks_bot::knowledge::KnowledgeFiles;

use trade_talks_bot::operator;
use trade_talks_bot::settings::RunArgs;
use trade_talks_bot::store::Location;
use trade_talks_bot::terminal;
use trade_talks_bot::{app, telegram};

#[derive(Parser)]
#[command(
    name = "trade-talks-bot",
    version,
    about = "Answers questions about the US–China trade talks at Lancaster House, with citations",
    after_help = "Publish an update by adding a file to knowledge/updates/ (see docs/UPDATES.md) or with `publish FILE`."
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
    /// Answer one question or /command (or one per line from stdin, each on its own: no
    /// follow-ups) and print the answer.
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
    /// An interactive chat in the terminal, with the bot's answers: line editing and history,
    /// answers wrapped to the terminal, follow-ups ("and china?") read with the question before.
    Chat,
    /// Run the Telegram bot (token from TELOXIDE_TOKEN; long polling unless --webhook-url).
    Run(Box<RunArgs>),
    /// Validate knowledge files and print a summary; non-zero exit with file:line errors. Given
    /// an update FILE, check that one file against the knowledge it would join.
    Check {
        /// Folder to check (default: --knowledge, else ./knowledge, else the built-in copy), or
        /// one update file.
        dir: Option<PathBuf>,
    },
    /// Check an update FILE and publish it through the database: every running bot serves it
    /// within seconds and it is sent once to every subscribed chat (see docs/UPDATES.md).
    Publish {
        #[command(flatten)]
        db: DbArg,
        /// The update file (TOML, as in knowledge/updates/).
        file: PathBuf,
    },
    /// List the subscribed chats: id, kind, since when, updates delivered (safe while the bot runs).
    Subscribers {
        #[command(flatten)]
        db: DbArg,
        /// Print only the number of subscribed chats.
        #[arg(long, conflicts_with = "json")]
        count: bool,
        /// Print one JSON object per chat: chat, kind, since, delivered.
        #[arg(long)]
        json: bool,
    },
    /// Show the knowledge in use and each published update's delivery progress.
    Status {
        #[command(flatten)]
        db: DbArg,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Copy the database to PATH, online: a consistent snapshot even while the bot writes.
    Backup {
        #[command(flatten)]
        db: DbArg,
        /// Where to write the copy.
        path: PathBuf,
        /// Replace PATH if it exists.
        #[arg(long)]
        force: bool,
    },
}

/// The database the operator's commands read: the same flag, variable and default as `run`.
#[derive(clap::Args)]
struct DbArg {
    /// SQLite file of subscriptions and deliveries.
    #[arg(long, env = "TRADE_TALKS_DB", default_value = "trade-talks-bot.db", value_parser = trade_talks_bot::settings::parse_location)]
    db: Location,
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
            operator::knowledge_folder(dir),
        )
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(2)
        })?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| io_failure(&e))?;
    let result = runtime.block_on(app::start(settings, telegram::termination_signal()));
    // A knowledge load still stuck on its blocking thread must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result.map_err(|e| {
        match e {
            telegram::RunError::Open(list) => eprint!("{}", with_newline(&list)),
            e => eprintln!("error: {e}"),
        }
        ExitCode::FAILURE
    })
}

/// `text` ending in exactly one newline.
fn with_newline(text: &str) -> String {
    format!("{}\n", text.trim_end_matches('\n'))
}

/// The knowledge files of `dir` (else ./knowledge, else the built-in copy).
fn knowledge_files(dir: Option<&std::path::Path>) -> Result<KnowledgeFiles, ExitCode> {
    match operator::knowledge_folder(dir) {
        Some(d) => KnowledgeFiles::read_dir(&d).map_err(|e| {
            eprint!("{e}");
            ExitCode::from(1)
        }),
        None => Ok(KnowledgeFiles::builtin()),
    }
}

/// The text of an update file (a regular file of sane size only).
fn read_update(file: &std::path::Path) -> Result<String, ExitCode> {
    trade_talks_bot::knowledge::read_knowledge_file(file).map_err(|p| {
        eprintln!("{p}");
        ExitCode::from(1)
    })
}

/// Checks one update file against `files`; its problems are printed as file:line.
fn check_file(
    files: &KnowledgeFiles,
    file: &std::path::Path,
) -> Result<trade_talks_bot::knowledge::Update, ExitCode> {
    let text = read_update(file)?;
    engine::check_update(files, &file.display().to_string(), &text).map_err(|e| {
        eprint!("{e}");
        ExitCode::from(1)
    })
}

fn load(dir: Option<&std::path::Path>) -> Result<Engine, ExitCode> {
    Engine::load(dir).map_err(|e| {
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
            let engine = load(dir)?;
            if question.is_empty() {
                let stdin = std::io::stdin();
                terminal::ask_lines(&engine, stdin.lock(), std::io::stdout().lock(), json)
                    .map_err(|e| io_failure(&e))?;
            } else {
                let question = question.join(" ");
                if explain {
                    say(&trade_talks_bot::answer::explain(&engine, &question))?;
                }
                say(&terminal::ask_one(&engine, &question, json))?;
            }
        }
        Some(Command::Chat) => chat(dir)?,
        Some(Command::Run(args)) => run_bot(dir, *args)?,
        Some(Command::Check { dir: Some(file) }) if file.is_file() => {
            let files = knowledge_files(dir)?;
            let update = check_file(&files, &file)?;
            say(&format!(
                "{}: ok — update {} ({}), {} fact(s), joins {}",
                file.display(),
                update.id,
                update.date,
                update.facts.len(),
                files.origin
            ))?;
        }
        Some(Command::Check { dir: check_dir }) => {
            let files = knowledge_files(check_dir.as_deref().or(dir))?;
            let kb = engine::check(&files).map_err(|e| {
                eprint!("{e}");
                ExitCode::from(1)
            })?;
            if let Some(e) = kb.rejected_error() {
                eprint!("{e}");
                return Err(ExitCode::from(1));
            }
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
        Some(Command::Publish { db, file }) => {
            let runtime = current_thread()?;
            let store = runtime
                .block_on(trade_talks_bot::store::open(&db.db))
                .map_err(|e| failure(&e))?;
            let folder = operator::knowledge_folder(dir);
            let files = runtime
                .block_on(trade_talks_bot::reload::gather(
                    folder.as_deref(),
                    store.as_ref(),
                ))
                .map_err(|e| {
                    eprint!("{e}");
                    ExitCode::from(1)
                })?;
            let update = check_file(&files, &file)?;
            let text = read_update(&file)?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| update.id.clone());
            runtime
                .block_on(store.add_update_file(&name, &text))
                .map_err(|e| failure(&e))?;
            let queued = runtime
                .block_on(store.publish(&update.id, &trade_talks_bot::render::update_html(&update)))
                .map_err(|e| failure(&e))?;
            say(&if queued > 0 {
                format!(
                    "published update {}: queued for {queued} subscribed chat(s); running bots serve it and send it within seconds",
                    update.id
                )
            } else {
                format!(
                    "update {} is published (nothing new queued: it was published before, or no chat is subscribed); running bots serve it within seconds",
                    update.id
                )
            })?;
        }
        Some(Command::Subscribers { db, count, json }) => {
            let runtime = current_thread()?;
            let store = runtime
                .block_on(operator::open_db(&db.db))
                .map_err(|e| failure(&e))?;
            let subscribers = runtime
                .block_on(store.subscribers())
                .map_err(|e| failure(&e))?;
            if count {
                say(&subscribers.len().to_string())?;
            } else if json {
                if !subscribers.is_empty() {
                    say(&operator::subscribers_json(&subscribers))?;
                }
            } else {
                say(&operator::subscribers_table(&subscribers))?;
            }
        }
        Some(Command::Status { db, json }) => {
            let files = operator::knowledge_files(dir).map_err(|e| {
                eprint!("{e}");
                ExitCode::from(2)
            })?;
            let kb = engine::check(&files).map_err(|e| {
                eprint!("{e}");
                ExitCode::from(2)
            })?;
            let runtime = current_thread()?;
            let store = runtime
                .block_on(operator::open_db(&db.db))
                .map_err(|e| failure(&e))?;
            let status = runtime
                .block_on(operator::status(&kb, &files, store.as_ref(), &db.db))
                .map_err(|e| failure(&e))?;
            say(&if json { status.json() } else { status.text() })?;
        }
        Some(Command::Backup { db, path, force }) => {
            let wrote = current_thread()?
                .block_on(operator::backup(&db.db, &path, force))
                .map_err(|e| failure(&e))?;
            say(&wrote)?;
        }
        None if std::env::var("TELOXIDE_TOKEN").is_ok_and(|t| !t.trim().is_empty()) => {
            let args = RunCli::parse_from(["run"]).args;
            run_bot(dir, args)?;
        }
        None if !std::io::stdin().is_terminal() => {
            // Nobody to chat with (a service manager, a pipe): starting the chat would read the
            // pipe as questions and exit 0, hiding a missing token.
            eprintln!(
                "error: TELOXIDE_TOKEN is not set and stdin is not a terminal: set TELOXIDE_TOKEN to run the bot, or use `ask` to answer questions from stdin"
            );
            return Err(ExitCode::from(2));
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

/// A runtime for the operator's commands, which talk to the store.
fn current_thread() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| io_failure(&e))
}

fn chat(dir: Option<&std::path::Path>) -> Result<(), ExitCode> {
    let engine = load(dir)?;
    let stdin = std::io::stdin();
    // Line editing needs a terminal on both sides; a pipe is read line by line.
    if stdin.is_terminal() && std::io::stdout().is_terminal() {
        return terminal::chat_on_terminal(&engine).map_err(|e| io_failure(&e));
    }
    terminal::chat(&engine, stdin.lock(), std::io::stdout().lock()).map_err(|e| io_failure(&e))
}

/// Prints a line to stdout; a closed pipe (`| head`) ends quietly instead of panicking.
fn say(text: &str) -> Result<(), ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| io_failure(&e))
}

/// Prints an operator command's error as one line; exit status 1.
fn failure(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
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
