//! The offline face of the bot: `ask` (one question, or one per line from stdin, optionally as
//! JSON) and `chat` (an interactive session), giving the same answers the Telegram bot gives.

use std::io::{BufRead, Write};

use serde::Serialize;

use crate::answer::respond;
use crate::knowledge::KnowledgeBase;
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
pub fn ask_one(kb: &KnowledgeBase, question: &str, json: bool) -> String {
    let reply = respond(kb, question, None);
    let text = render::plain(kb, &reply);
    if !json {
        return text;
    }
    let out = JsonAnswer {
        question,
        answered: reply.answered(),
        text,
        facts: render::fact_ids(kb, &reply),
        sentences: render::sentence_numbers(kb, &reply),
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
    kb: &KnowledgeBase,
    mut input: impl BufRead,
    mut output: impl Write,
    json: bool,
) -> std::io::Result<()> {
    let mut first = true;
    let mut buf = Vec::new();
    while let Some(line) = next_line(&mut input, &mut buf)? {
        let answer = match line {
            Line::Text(q) if q.trim().is_empty() => continue,
            Line::Text(q) => ask_one(kb, &q, json),
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

/// An interactive chat: a prompt, an answer per line, until EOF, `quit` or `exit`.
pub fn chat(
    kb: &KnowledgeBase,
    mut input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    writeln!(
        output,
        "Trade talks bot — ask about the US–China talks at Lancaster House (e.g. “who attended?”, /tariffs, /topics). Type quit to leave."
    )?;
    write!(output, "> ")?;
    output.flush()?;
    let mut buf = Vec::new();
    while let Some(line) = next_line(&mut input, &mut buf)? {
        match line {
            Line::NotUtf8(_) => writeln!(output, "{NOT_UTF8}\n")?,
            Line::Text(text) => {
                let q = text.trim();
                if matches!(q, "quit" | "exit" | "/quit" | "/exit") {
                    break;
                }
                if !q.is_empty() {
                    writeln!(output, "{}\n", ask_one(kb, q, false))?;
                }
            }
        }
        write!(output, "> ")?;
        output.flush()?;
    }
    writeln!(output)?;
    output.flush()
}
