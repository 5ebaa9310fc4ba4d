//! The answering core's layering: each module imports only the modules below it (the order of
//! the crate map in `src/lib.rs`), so there is no import circle for a newcomer to untangle.

use std::path::Path;

/// The core, bottom up. A module may use those before it, never those after.
const CORE: &[&str] = &[
    "text",
    "command",
    "reply",
    "knowledge",
    "analyze",
    "index",
    "render",
    "engine",
    "answer",
    "context",
];

/// The code (comments left out) of a module: `src/name.rs` or every file under `src/name/`.
fn code_of(name: &str) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let file = src.join(format!("{name}.rs"));
    let mut files = vec![];
    if file.exists() {
        files.push(file);
    }
    if let Ok(dir) = std::fs::read_dir(src.join(name)) {
        files.extend(dir.flatten().map(|e| e.path()));
    }
    assert!(!files.is_empty(), "module {name} not found");
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_core_module_imports_one_above_it() {
    let mut wrong = Vec::new();
    for (k, name) in CORE.iter().enumerate() {
        let code = code_of(name);
        for used in code.split("crate::").skip(1).map(|rest| {
            rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("")
        }) {
            if used != *name && !CORE[..k].contains(&used) {
                wrong.push(format!("{name} uses crate::{used}"));
            }
        }
    }
    wrong.dedup();
    assert!(wrong.is_empty(), "{wrong:#?}");
}
