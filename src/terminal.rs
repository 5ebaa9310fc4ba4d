//! The offline face of the bot: `ask` (one question, or one per line from stdin, optionally as
//! JSON) and `chat` (an interactive session), giving the same answers the Telegram bot gives.
//!
//! `ask` answers each line on its own; `chat` is a conversation, so a follow-up ("and china?")
//! is read with the question before it, as in a Telegram chat. On a terminal the chat has line
//! editing and history (rustyline) and wraps answers to the terminal's width; from a pipe it
//! reads plain lines.

use std::io::{BufRead, Write};
use std::time::Instant;

use serde::Serialize;

use crate::answer::{Subject, respond, respond_in};
use crate::context::DEFAULT_TTL;
use crate::engine::Engine;
use crate::render;

/// One answer as `ask --json` prints it.
#[derive(Debug, Serialize)]
pub struct JsonAnswer<'a> {
    pub question: &'a str,
    pub answered: bool,
    pub text: String,
    pub facts: Vec<&'a str>,
    pub sentences: Vec<u32>,
}

/// Answers one question or command as plain text or as one JSON line.
pub fn ask_one(engine: &Engine, question: &str, json: bool) -> String {
    let reply = respond(engine, question, None);
    let text = render::plain(&engine.knowledge, &reply);
    if !json {
        return text;
    }
    let out = JsonAnswer {
        question,
        answered: reply.answered(),
        text,
        facts: render::fact_ids(&engine.knowledge, &reply),
        sentences: render::sentence_numbers(&engine.knowledge, &reply),
    };
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_string(&out).unwrap_or_default()
}

/// One line of input, without its line ending.
enum Line {
    Text(String),
    /// Not valid UTF-8: shown with replacement characters, answered with an error.
    NotUtf8(String),
}

/// The next line of `input`, or `None` at its end. Lines are read as bytes, so a line that is not
/// UTF-8 is reported on its own instead of ending the whole input (as `BufRead::lines` would).
fn next_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<Line>> {
    buf.clear();
    if input.read_until(b'\n', buf)? == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    Ok(Some(match std::str::from_utf8(buf) {
        Ok(text) => Line::Text(text.to_string()),
        Err(_) => Line::NotUtf8(String::from_utf8_lossy(buf).into_owned()),
    }))
}

/// What a line that is not UTF-8 gets instead of an answer.
const NOT_UTF8: &str = "This line was not valid UTF-8, so it was not read as a question.";

/// The error answer for a line that is not UTF-8: plain text, or a JSON object with the same
/// fields as every other `ask --json` answer.
fn not_utf8_answer(question: &str, json: bool) -> String {
    if !json {
        return NOT_UTF8.to_string();
    }
    let out = JsonAnswer {
        question,
        answered: false,
        text: NOT_UTF8.to_string(),
        facts: Vec::new(),
        sentences: Vec::new(),
    };
    serde_json::to_string(&out).unwrap_or_default()
}

/// Answers every non-empty line of `input`; with `json`, one object per line, else answers
/// separated by a blank line. A line that is not UTF-8 gets an error answer and the rest are
/// still answered.
pub fn ask_lines(
    engine: &Engine,
    mut input: impl BufRead,
    mut output: impl Write,
    json: bool,
) -> std::io::Result<()> {
    let mut first = true;
    let mut buf = Vec::new();
    while let Some(line) = next_line(&mut input, &mut buf)? {
        let answer = match line {
            Line::Text(q) if q.trim().is_empty() => continue,
            Line::Text(q) => ask_one(engine, &q, json),
            Line::NotUtf8(q) => not_utf8_answer(&q, json),
        };
        if !json && !first {
            writeln!(output)?;
        }
        first = false;
        writeln!(output, "{answer}")?;
    }
    output.flush()
}

/// The chat's greeting.
const GREETING: &str = "Trade talks bot — ask about the US–China talks at Lancaster House (e.g. “who attended?”, /tariffs, /topics). Follow-ups like “and china?” work. Type quit to leave.";

/// One conversation in the terminal: the last subject, for follow-ups, while it is fresh.
#[derive(Default)]
struct Conversation {
    subject: Option<(Instant, Subject)>,
}

impl Conversation {
    /// The answer to one line, as plain text, remembering its subject.
    fn answer(&mut self, engine: &Engine, question: &str) -> String {
        let now = Instant::now();
        let context = self
            .subject
            .as_ref()
            .filter(|(at, _)| now.duration_since(*at) < DEFAULT_TTL)
            .map(|(_, s)| s);
        let (reply, subject) = respond_in(engine, question, None, context);
        if let Some(subject) = subject {
            self.subject = Some((now, subject));
        }
        render::plain(&engine.knowledge, &reply)
    }
}

/// Whether a line ends the chat.
fn is_quit(line: &str) -> bool {
    matches!(line, "quit" | "exit" | "/quit" | "/exit")
}

/// Wraps plain text to `width` columns, each line keeping its indentation (quotes stay
/// indented under their citation).
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width.max(1));
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let hanging = format!("{indent}  ");
        let options = textwrap::Options::new(width.max(20))
            .initial_indent(indent)
            .subsequent_indent(if indent.is_empty() { "" } else { &hanging });
        out.push_str(&textwrap::fill(line.trim_start(), options));
    }
    out
}

/// A chat over plain lines: a prompt, an answer per line, until EOF, `quit` or `exit`. Used when
/// stdin is not a terminal (and by tests); answers are not wrapped.
pub fn chat(
    engine: &Engine,
    mut input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    writeln!(output, "{GREETING}")?;
    write!(output, "> ")?;
    output.flush()?;
    let mut conversation = Conversation::default();
    let mut buf = Vec::new();
    while let Some(line) = next_line(&mut input, &mut buf)? {
        match line {
            Line::NotUtf8(_) => writeln!(output, "{NOT_UTF8}\n")?,
            Line::Text(text) => {
                let q = text.trim();
                if is_quit(q) {
                    break;
                }
                if !q.is_empty() {
                    writeln!(output, "{}\n", conversation.answer(engine, q))?;
                }
            }
        }
        write!(output, "> ")?;
        output.flush()?;
    }
    writeln!(output)?;
    output.flush()
}

/// The chat on a terminal: line editing and history (the arrow keys recall earlier questions),
/// answers wrapped to the terminal's width, until Ctrl-D, Ctrl-C, `quit` or `exit`.
pub fn chat_on_terminal(engine: &Engine) -> std::io::Result<()> {
    use rustyline::error::ReadlineError;
    let to_io = |e: ReadlineError| match e {
        ReadlineError::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    };
    let mut editor = rustyline::DefaultEditor::new().map_err(to_io)?;
    let mut out = std::io::stdout();
    writeln!(out, "{}", wrap(GREETING, textwrap::termwidth()))?;
    let mut conversation = Conversation::default();
    loop {
        let line = match editor.readline("> ") {
            Ok(line) => line,
            Err(ReadlineError::Eof | ReadlineError::Interrupted) => break,
            Err(e) => return Err(to_io(e)),
        };
        let q = line.trim();
        if is_quit(q) {
            break;
        }
        if q.is_empty() {
            continue;
        }
        // History is kept in memory only: questions are not written to disk.
        let _ = editor.add_history_entry(q);
        let answer = conversation.answer(engine, q);
        writeln!(out, "{}\n", wrap(&answer, textwrap::termwidth()))?;
        out.flush()?;
    }
    Ok(())
}
