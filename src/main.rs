//! The `trade-talks-bot` command line: `ask`, `chat`, `check` (offline) and `run` (Telegram).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use std::sync::Arc;
use trade_talks_bot::knowledge::{KnowledgeBase, KnowledgeFiles, SharedKnowledge};

use trade_talks_bot::subscriptions::SqliteStore;
use trade_talks_bot::telegram::{self, App, Config, WebhookConfig};
use trade_talks_bot::terminal;

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

#[derive(Parser)]
#[command(name = "run")]
struct RunArgs {
    /// Bot API server URL (self-hosted or a test fake); default Telegram's.
    #[arg(long, env = "TELOXIDE_API_URL")]
    api_url: Option<url::Url>,
    /// Public HTTPS URL Telegram should post updates to; enables webhook mode.
    #[arg(long, env = "TRADE_TALKS_WEBHOOK_URL")]
    webhook_url: Option<url::Url>,
    /// Address the webhook server listens on.
    #[arg(
        long,
        env = "TRADE_TALKS_WEBHOOK_LISTEN",
        default_value = "0.0.0.0:8443"
    )]
    webhook_listen: std::net::SocketAddr,
    /// Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -).
    #[arg(long, env = "TRADE_TALKS_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Messages per second to one chat (Telegram: about 1).
    #[arg(long, default_value_t = 1)]
    per_chat_per_sec: u32,
    /// Messages per minute to one group, supergroup or channel (Telegram: 20).
    #[arg(long, default_value_t = 20)]
    per_group_per_min: u32,
    /// Messages per second overall (Telegram: about 30).
    #[arg(long, default_value_t = 30)]
    overall_per_sec: u32,
    /// Do not watch the knowledge folder; reload it only on SIGHUP.
    #[arg(long)]
    no_watch: bool,
    /// SQLite database of subscriptions and deliveries.
    #[arg(long, env = "TRADE_TALKS_DB", default_value = "trade-talks-bot.db")]
    db: std::path::PathBuf,
}

fn bot_config(args: RunArgs) -> Result<Config, ExitCode> {
    let token = std::env::var("TELOXIDE_TOKEN").unwrap_or_default();
    let mut config = Config::new(token);
    config.api_url = args.api_url;
    config.limits = trade_talks_bot::pacing::Limits {
        per_second: args.overall_per_sec.max(1),
        per_chat_interval: std::time::Duration::from_secs(1) / args.per_chat_per_sec.max(1),
        per_group_per_minute: args.per_group_per_min.max(1),
    };
    if let Some(url) = args.webhook_url {
        let Some(secret) = args.webhook_secret.filter(|s| {
            !s.is_empty()
                && s.len() <= 256
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }) else {
            eprintln!(
                "error: webhook mode needs --webhook-secret (TRADE_TALKS_WEBHOOK_SECRET): 1-256 of A-Z a-z 0-9 _ -"
            );
            return Err(ExitCode::from(2));
        };
        config.webhook = Some(WebhookConfig {
            listen: args.webhook_listen,
            url,
            secret,
        });
    }
    Ok(config)
}

fn run_bot(dir: Option<&std::path::Path>, args: RunArgs) -> Result<(), ExitCode> {
    let kb = load(dir)?;
    let (db, watch_files) = (args.db.clone(), !args.no_watch);
    let config = bot_config(args)?;
    if config.token.trim().is_empty() {
        eprintln!(
            "error: no bot token: set TELOXIDE_TOKEN (or run `trade-talks-bot chat` offline)"
        );
        return Err(ExitCode::FAILURE);
    }
    let store = SqliteStore::open(&db).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })?;
    let mut app = App::new(SharedKnowledge::new(kb), Arc::new(store));
    app.knowledge_dir = knowledge_dir(dir);
    app.watch_files = watch_files;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| io_failure(&e))?;
    runtime
        .block_on(telegram::run(config, app, telegram::termination_signal()))
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
            let args = RunArgs::parse_from(["run"]);
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
    pretty_env_logger::init();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
