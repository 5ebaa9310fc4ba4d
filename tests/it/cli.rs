//! The command line as a user runs it: `ask` (plain, JSON, stdin), `chat`, `check`, the
//! built-in knowledge when started outside the project folder, exit codes without a token or a
//! terminal, input that is not UTF-8, and the help.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trade-talks-bot"));
    c.env_remove("TELOXIDE_TOKEN")
        .env_remove("TRADE_TALKS_KNOWLEDGE");
    c
}

fn run_with_stdin(cmd: Command, input: &str) -> Output {
    run_with_bytes(cmd, input.as_bytes())
}

fn run_with_bytes(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
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
fn chat_answers_until_quit() {
    let mut cmd = bin();
    cmd.arg("chat");
    let out = run_with_stdin(cmd, "/where\nquit\nwho attended\n");
    let text = stdout(&out);
    assert!(text.contains("Lancaster House"), "{text}");
    assert!(!text.contains("Lutnick"), "answered after quit: {text}");
}

#[test]
fn the_chat_reads_a_follow_up_with_the_question_before_it_and_ask_does_not() {
    let mut cmd = bin();
    cmd.arg("chat");
    let out = run_with_stdin(
        cmd,
        "what tariffs did the US put on Chinese goods?\nand china?\nquit\n",
    );
    let text = stdout(&out);
    assert!(text.contains("30%") && text.contains("10%"), "{text}");
    // `ask` answers each line on its own: the follow-up has nothing to follow.
    let mut cmd = bin();
    cmd.args(["ask", "--json"]);
    let out = run_with_stdin(
        cmd,
        "what tariffs did the US put on Chinese goods?\nand china?\n",
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["facts"], serde_json::json!(["tariff-us-on-china"]));
    assert_eq!(lines[1]["answered"], false);
    assert!(
        lines[1]["text"]
            .as_str()
            .unwrap()
            .contains("What do you mean"),
        "{}",
        lines[1]
    );
}

#[test]
fn answers_wrap_to_a_width_keeping_quotes_indented() {
    let text = "A short line.\n  [8] “The US had reduced tariffs on Chinese goods to 30% while China lowered its rates to 10%.”";
    let wrapped = trade_talks_bot::terminal::wrap(text, 40);
    assert!(
        wrapped.lines().all(|l| l.chars().count() <= 40),
        "{wrapped}"
    );
    assert!(
        wrapped.lines().skip(1).all(|l| l.starts_with("  ")),
        "{wrapped}"
    );
    assert_eq!(
        wrapped.split_whitespace().collect::<Vec<_>>(),
        text.split_whitespace().collect::<Vec<_>>()
    );
}

/// A pseudo-terminal of 24 rows by 60 columns: the parent's end to type into (and read the
/// screen from), and the child's end.
fn terminal() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut parent, mut child) = (-1, -1);
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 60,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new file descriptors, which are then owned here exactly once.
    let rc = unsafe {
        libc::openpty(
            &mut parent,
            &mut child,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    unsafe {
        (
            std::fs::File::from_raw_fd(parent),
            OwnedFd::from_raw_fd(child),
        )
    }
}

#[test]
fn without_a_token_the_chat_starts_only_on_a_terminal() {
    let (mut keyboard, tty) = terminal();
    let mut cmd = bin();
    cmd.stdin(Stdio::from(tty))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // The child's copy is the only one left open, so the terminal stays the child's.
    drop(cmd);
    keyboard
        .write_all(b"who is the trade representative?\nquit\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("TELOXIDE_TOKEN"));
    assert!(stdout(&out).contains("Jamieson Greer"), "{}", stdout(&out));

    // No terminal (a service manager, a pipe): a one-line hint and a failure, not a chat
    // that reads the pipe and exits 0.
    let out = run_with_stdin(bin(), "who is the trade representative?\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("TELOXIDE_TOKEN") && err.contains("terminal"),
        "{err}"
    );
    assert!(!stdout(&out).contains("Jamieson Greer"), "{}", stdout(&out));
}

#[test]
fn a_line_that_is_not_utf8_gets_an_error_answer_and_the_batch_goes_on() {
    let mut cmd = bin();
    cmd.args(["ask", "--json"]);
    let out = run_with_bytes(
        cmd,
        b"/where\nbad \xff\xfe line\r\nwho attended the talks?\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", stdout(&out));
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort_unstable();
        k
    };
    assert_eq!(
        keys(&lines[1]),
        keys(&lines[0]),
        "the same fields as any answer"
    );
    assert_eq!(lines[0]["facts"][0], "venue");
    assert_eq!(lines[1]["answered"], false);
    assert!(
        lines[1]["text"].as_str().unwrap().contains("UTF-8"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[1]["facts"], serde_json::json!([]));
    assert_eq!(lines[2]["facts"], serde_json::json!(["delegation"]));

    // The same in the chat: an error for that line, then the next question is answered.
    let mut cmd = bin();
    cmd.arg("chat");
    let out = run_with_bytes(cmd, b"\xc3\x28\nwho attended the talks?\nquit\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("UTF-8") && text.contains("Lutnick"), "{text}");
}

#[test]
fn help_names_the_operator_commands_and_how_to_publish() {
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("knowledge/updates/"), "{text}");
    for command in [
        "subscribers",
        "status",
        "backup",
        "check",
        "ask",
        "chat",
        "run",
    ] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{command} "))),
            "{command} not listed: {text}"
        );
    }
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

/// The chat on a real terminal (a pseudo-terminal on both stdin and stdout): the up arrow
/// recalls the last question instead of being read as text, and answers are wrapped to the
/// terminal's width.
#[test]
fn the_chat_on_a_terminal_recalls_history_and_wraps_answers() {
    use std::io::Read;
    let (mut keyboard, child) = terminal();
    let mut cmd = bin();
    cmd.arg("chat")
        .env("TERM", "xterm")
        .stdin(Stdio::from(child.try_clone().unwrap()))
        .stdout(Stdio::from(child.try_clone().unwrap()))
        .stderr(Stdio::from(child));
    let mut process = cmd.spawn().unwrap();
    // The child's copies are the only ones left open, so the terminal ends with it.
    drop(cmd);
    let mut screen = keyboard.try_clone().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // Reading fails (EIO) once the child has exited and closed the terminal.
        while let Ok(n) = screen.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&out).into_owned()
    });
    let pause = || std::thread::sleep(std::time::Duration::from_millis(500));
    pause();
    keyboard.write_all(b"who attended the talks\r").unwrap();
    pause();
    // Up arrow, Enter: the same question again.
    keyboard.write_all(b"\x1b[A\r").unwrap();
    pause();
    keyboard.write_all(b"quit\r").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while process.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the chat did not quit"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(keyboard);
    let text = reader.join().unwrap();
    assert_eq!(text.matches("The US delegation").count(), 2, "{text}");
    assert!(
        !text.contains("^[[A") && !text.contains("doesn’t cover"),
        "{text}"
    );
    // Wrapped to 60 columns: no line of the answer is longer.
    for line in text.split("\r\n").filter(|l| l.contains("Lutnick")) {
        assert!(line.chars().count() <= 60, "{line:?} in {text}");
    }
}
