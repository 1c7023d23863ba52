//! Text from the network or from users, as Vigie's own log prints it: [`Shown`] escapes control
//! and invisible formatting characters (a newline cannot forge a log line, an escape sequence
//! cannot drive the terminal, a bidi override cannot disguise a name) and bounds the length.
//! Every log line that prints such text (device names, hosts, syslog host names) goes through it.

use std::fmt;

/// Characters printed at most; the rest is shown as `…`.
const MAX_CHARS: usize = 256;

/// `text`, escaped for a log line: `log::info!("Device {} is up.", Shown(&name))`.
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.chars().enumerate() {
            if i == MAX_CHARS {
                return f.write_str("…");
            }
            if c.is_control() || crate::device::is_invisible_format(c) || c == '\\' {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_text_stays_readable() {
        assert_eq!(Shown("core-sw1 é").to_string(), "core-sw1 é");
        assert_eq!(Shown("a\nb\0c\u{1b}[31m").to_string(), "a\\nb\\u{0}c\\u{1b}[31m");
        assert_eq!(Shown("evil\u{202e}gpj.exe").to_string(), "evil\\u{202e}gpj.exe");
        assert_eq!(Shown("a\\nb").to_string(), "a\\\\nb", "a real backslash cannot pass for an escape");
        let long = "x".repeat(1000);
        assert_eq!(Shown(&long).to_string().chars().count(), MAX_CHARS + 1);
    }
}
