//! The command line as a user runs it: `ask` (plain, JSON, stdin), `chat`, `check`, and the
//! built-in knowledge when started outside the project folder.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"));
    c.env_remove("TELOXIDE_TOKEN")
        .env_remove("TRADE_TALKS_KNOWLEDGE");
    c
}

fn run_with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn ask_prints_a_cited_answer_from_any_folder() {
    let empty = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(empty.path())
        .args([
            "ask", "how", "high", "are", "US", "tariffs", "on", "Chinese", "goods?",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("30%") && text.contains("[8]"), "{text}");
}

#[test]
fn ask_json_has_the_documented_fields() {
    let out = bin()
        .args(["ask", "--json", "who attended the talks?"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["question"], "who attended the talks?");
    assert_eq!(v["answered"], true);
    assert_eq!(v["facts"], serde_json::json!(["delegation"]));
    assert_eq!(v["sentences"], serde_json::json!([3]));
    for name in ["Lutnick", "Bessent", "Greer", "He Lifeng"] {
        assert!(v["text"].as_str().unwrap().contains(name));
    }
    let out = bin()
        .args(["ask", "--json", "what is the capital of france"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["answered"], false);
    assert_eq!(v["facts"], serde_json::json!([]));
}

#[test]
fn ask_reads_one_question_per_line_from_stdin() {
    let mut cmd = bin();
    cmd.args(["ask", "--json"]);
    let out = run_with_stdin(
        cmd,
        "/tariffs\n\nwhere are the talks?\nhow old is he lifeng\n",
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["answered"], true);
    assert_eq!(lines[1]["facts"][0], "venue");
    assert_eq!(lines[2]["answered"], false);
}

#[test]
fn chat_answers_until_quit_and_is_the_default_without_a_token() {
    let mut cmd = bin();
    cmd.arg("chat");
    let out = run_with_stdin(cmd, "/where\nquit\nwho attended\n");
    let text = stdout(&out);
    assert!(text.contains("Lancaster House"), "{text}");
    assert!(!text.contains("Lutnick"), "answered after quit: {text}");

    let out = run_with_stdin(bin(), "who is the trade representative?\n");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TELOXIDE_TOKEN"));
    assert!(stdout(&out).contains("Jamieson Greer"));
}

#[test]
fn run_without_a_token_or_with_a_bad_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin().current_dir(dir.path()).arg("run").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TELOXIDE_TOKEN") && !err.contains("panicked"),
        "{err}"
    );

    let bad = dir.path().join("bad.db");
    std::fs::write(
        &bad,
        "not a database, only some text that fills the first page of a file",
    )
    .unwrap();
    let out = bin()
        .env("TELOXIDE_TOKEN", "1:x")
        .args(["run", "--db"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.db") && !err.contains("panicked") && !err.contains("1:x"),
        "{err}"
    );
}

#[test]
fn check_summarises_good_knowledge_and_fails_with_file_line_on_bad() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let out = bin().args(["check"]).arg(&root).output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("17 sentences"), "{}", stdout(&out));

    let bad = tempfile::tempdir().unwrap();
    for f in ["article.txt", "lexicon.toml"] {
        std::fs::copy(root.join(f), bad.path().join(f)).unwrap();
    }
    let facts = std::fs::read_to_string(root.join("facts.toml"))
        .unwrap()
        .replace("sentences = [16]", "sentences = [99]");
    std::fs::write(bad.path().join("facts.toml"), &facts).unwrap();
    let out = bin().arg("check").arg(bad.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line = facts[..facts.find("sentences = [99]").unwrap()]
        .lines()
        .count()
        + 1;
    assert!(
        err.contains(&format!(
            "facts.toml:{line}: fact \"oecd-forecast\" cites sentence 99"
        )),
        "{err}"
    );

    // The same bad folder is refused by ask, with the same report.
    let out = bin()
        .arg("--knowledge")
        .arg(bad.path())
        .args(["ask", "tariffs"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
