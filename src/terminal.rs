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

/// Answers every non-empty line of `input`; with `json`, one object per line, else answers
/// separated by a blank line.
pub fn ask_lines(
    kb: &KnowledgeBase,
    input: impl BufRead,
    mut output: impl Write,
    json: bool,
) -> std::io::Result<()> {
    let mut first = true;
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if !json && !first {
            writeln!(output)?;
        }
        first = false;
        writeln!(output, "{}", ask_one(kb, &line, json))?;
    }
    output.flush()
}

/// An interactive chat: a prompt, an answer per line, until EOF, `quit` or `exit`.
pub fn chat(
    kb: &KnowledgeBase,
    input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    writeln!(
        output,
        "Trade talks bot — ask about the US–China talks at Lancaster House (e.g. “who attended?”, /tariffs, /topics). Type quit to leave."
    )?;
    write!(output, "> ")?;
    output.flush()?;
    for line in input.lines() {
        let line = line?;
        let q = line.trim();
        if matches!(q, "quit" | "exit" | "/quit" | "/exit") {
            break;
        }
        if !q.is_empty() {
            writeln!(output, "{}\n", ask_one(kb, q, false))?;
        }
        write!(output, "> ")?;
        output.flush()?;
    }
    writeln!(output)?;
    output.flush()
}
