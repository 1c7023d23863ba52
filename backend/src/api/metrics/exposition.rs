//! The Prometheus text exposition format (version 0.0.4), written by hand: a family's `# HELP`
//! and `# TYPE` lines, then its samples, each `name{label="value",…} number`. Label values are
//! escaped (`\\`, `\"`, `\n`), so a device or interface name cannot break a line.

use std::fmt::Write as _;

/// The content type Prometheus expects for this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Appends exposition lines to a buffer.
#[derive(Default)]
pub struct Exposition {
    pub buf: String,
}

impl Exposition {
    pub fn with_capacity(bytes: usize) -> Exposition {
        Exposition { buf: String::with_capacity(bytes) }
    }

    /// Starts a family: its help text and type. Every sample of the family must follow, together.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let _ = writeln!(self.buf, "# HELP {name} {}", help.replace('\\', "\\\\").replace('\n', "\\n"));
        let _ = writeln!(self.buf, "# TYPE {name} {}", kind.name());
    }

    /// One sample; labels in the order given.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Number) {
        self.buf.push_str(name);
        if !labels.is_empty() {
            self.buf.push('{');
            push_labels(&mut self.buf, labels);
            self.buf.push('}');
        }
        self.buf.push(' ');
        value.write(&mut self.buf);
        self.buf.push('\n');
    }

    /// One sample whose labels are already a block made by [`push_labels`] (empty: none), for
    /// the many samples that share their labels.
    pub fn sample_block(&mut self, name: &str, block: &str, value: impl Number) {
        self.buf.push_str(name);
        if !block.is_empty() {
            self.buf.push('{');
            self.buf.push_str(block);
            self.buf.push('}');
        }
        self.buf.push(' ');
        value.write(&mut self.buf);
        self.buf.push('\n');
    }

    /// One sample whose labels are a block made by [`push_labels`] and one more label after it.
    pub fn sample_labelled(&mut self, name: &str, block: &str, label: &str, text: &str, value: impl Number) {
        self.buf.push_str(name);
        self.buf.push('{');
        if !block.is_empty() {
            self.buf.push_str(block);
            self.buf.push(',');
        }
        push_labels(&mut self.buf, &[(label, text)]);
        self.buf.push_str("} ");
        value.write(&mut self.buf);
        self.buf.push('\n');
    }
}

/// Appends `label="value",…` (escaped, without braces nor a leading comma) to `block`.
pub fn push_labels(block: &mut String, labels: &[(&str, &str)]) {
    for (n, (label, text)) in labels.iter().enumerate() {
        if n > 0 {
            block.push(',');
        }
        block.push_str(label);
        block.push_str("=\"");
        escape_into(block, text);
        block.push('"');
    }
}

/// Appends `text` with `\\`, `\"` and newlines escaped, as a label value is written.
pub fn escape_into(buf: &mut String, text: &str) {
    // Names rarely need escaping: copy them whole when they do not.
    if memchr::memchr3(b'\\', b'"', b'\n', text.as_bytes()).is_none() {
        buf.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\\' => buf.push_str("\\\\"),
            '"' => buf.push_str("\\\""),
            '\n' => buf.push_str("\\n"),
            c => buf.push(c),
        }
    }
}

/// A sample's value: integers exactly, floats as Prometheus spells them.
pub trait Number {
    fn write(self, buf: &mut String);
}

impl Number for u64 {
    fn write(self, buf: &mut String) {
        buf.push_str(itoa::Buffer::new().format(self));
    }
}

impl Number for f64 {
    fn write(self, buf: &mut String) {
        if self.is_nan() {
            buf.push_str("NaN");
        } else if self.is_infinite() {
            buf.push_str(if self > 0.0 { "+Inf" } else { "-Inf" });
        } else {
            let _ = write!(buf, "{self}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_and_its_samples() {
        let mut out = Exposition::default();
        out.family("ifHCInOctets", Kind::Counter, "Octets received.\nSecond line");
        out.sample("ifHCInOctets", &[("ifIndex", "1"), ("ifAlias", "uplink \"A\"\\B\nC")], 18446744073709551615u64);
        out.sample("up", &[], 1.5f64);
        out.sample("le", &[], f64::INFINITY);
        assert_eq!(
            out.buf,
            "# HELP ifHCInOctets Octets received.\\nSecond line\n# TYPE ifHCInOctets counter\n\
             ifHCInOctets{ifIndex=\"1\",ifAlias=\"uplink \\\"A\\\"\\\\B\\nC\"} 18446744073709551615\n\
             up 1.5\nle +Inf\n"
        );
    }
}
