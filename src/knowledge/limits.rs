//! Telegram's limits on what one knowledge file may say: command names and descriptions, and
//! links. The limits on whole rendered replies are checked by [`crate::engine`].

#[cfg(test)]
use crate::command::Command;

/// Telegram's limit on the commands of one menu (setMyCommands).
pub const MAX_MENU_COMMANDS: usize = 100;
/// Telegram's limit on a command's name, in characters (a-z, 0-9 and _ only).
pub const MAX_COMMAND_CHARS: usize = 32;
/// Telegram's limit on a command's description in the menu, in characters.
pub const MAX_COMMAND_DESCRIPTION_CHARS: usize = 256;
/// The longest `source` link an update may have: longer links are truncated or refused by
/// browsers and link checkers, and one line of a reply must fit in a message.
pub const MAX_URL_CHARS: usize = 2048;

/// Why `name` cannot be a command in Telegram's menu; `None` when it can.
pub fn command_name_problem(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_COMMAND_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (!valid).then(|| format!("command \"{name}\" must be 1-{MAX_COMMAND_CHARS} of a-z, 0-9, _"))
}

/// Why `about` cannot describe a command in Telegram's menu; `None` when it can.
pub fn command_description_problem(about: &str) -> Option<String> {
    let chars = about.chars().count();
    if about.trim().is_empty() {
        Some("is empty; the command menu needs a description".into())
    } else if chars > MAX_COMMAND_DESCRIPTION_CHARS {
        Some(format!(
            "has {chars} characters; Telegram's command menu allows at most {MAX_COMMAND_DESCRIPTION_CHARS}"
        ))
    } else {
        None
    }
}

/// Why `url` is not a link the bot may print as an update's source; `None` when it is: an
/// http(s) URL with a host, no spaces or control characters, at most [`MAX_URL_CHARS`].
pub fn url_problem(url: &str) -> Option<String> {
    let chars = url.chars().count();
    if chars > MAX_URL_CHARS {
        return Some(format!("has {chars} characters, at most {MAX_URL_CHARS}"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("must be one http(s) link without spaces or line breaks".into());
    }
    match url::Url::parse(url) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            Some(format!("must be an http(s) link, not {}:", u.scheme()))
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => {
            Some("must be an http(s) link with a host name".into())
        }
        Ok(_) => None,
        Err(e) => Some(format!("must be an http(s) link ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bots_own_commands_fit_the_menu() {
        assert!(Command::FIXED.len() < MAX_MENU_COMMANDS);
        for c in &Command::FIXED {
            assert_eq!(command_name_problem(c.name()), None, "{c:?}");
            assert_eq!(
                command_description_problem(c.about().unwrap_or_default()),
                None,
                "{c:?}"
            );
        }
    }

    #[test]
    fn urls() {
        assert_eq!(url_problem("https://example.org/a?b=1&c=2"), None);
        assert_eq!(url_problem("http://example.org"), None);
        for bad in [
            "https://",
            "ftp://example.org/x",
            "example.org",
            "https://example.org/a b",
            "https://example.org/\nx",
            "javascript:alert(1)",
        ] {
            assert!(url_problem(bad).is_some(), "{bad}");
        }
        let long = format!("https://example.org/{}", "a".repeat(MAX_URL_CHARS));
        assert!(url_problem(&long).is_some_and(|p| p.contains("at most 2048")));
    }
}
