//! Text from outside as messages quote it: clipped, and quoted where it is a value.

/// At most `max` characters of `text`, with `…` where it was cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// A value from the request as a message may quote it: debug-quoted, at most 64 characters.
pub fn echo(text: &str) -> String {
    format!("{:?}", clip(text, 64))
}
