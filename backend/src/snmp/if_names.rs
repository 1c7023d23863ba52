//! An interface's three names (ifName, ifDescr, ifAlias) in one heap block. Kept for every
//! interface Vigie polls, for as long as it polls it: three `String`s took 72 bytes inline and
//! three heap blocks (32 bytes each for short names, malloc's header included); this takes 24
//! bytes and one block, and ifDescr is not stored again when it equals ifName (as most agents
//! other than Cisco's give it).

use std::fmt;

/// ifDescr's length when ifDescr is ifName.
const SAME_AS_NAME: u32 = u32::MAX;

/// ifName, ifDescr and ifAlias. Equal names give equal values (the encoding is canonical), so
/// comparing two is comparing the three names.
#[derive(Clone, PartialEq, Eq)]
pub struct IfNames {
    /// ifName, then ifDescr unless it equals ifName, then ifAlias.
    text: Box<str>,
    name_len: u32,
    /// [`SAME_AS_NAME`], or ifDescr's length.
    descr_len: u32,
}

impl IfNames {
    /// The three names; a name longer than 1 GiB (no agent sends one: a response is at most 64
    /// KiB) is cut there, on a character boundary.
    pub fn new(name: &str, descr: &str, alias: &str) -> IfNames {
        let (name, alias) = (at_most_u32(name), at_most_u32(alias));
        let descr = if descr == name { None } else { Some(at_most_u32(descr)) };
        let mut text = String::with_capacity(name.len() + descr.map_or(0, str::len) + alias.len());
        text.push_str(name);
        text.push_str(descr.unwrap_or_default());
        text.push_str(alias);
        IfNames {
            text: text.into_boxed_str(),
            name_len: name.len() as u32,
            descr_len: descr.map_or(SAME_AS_NAME, |d| d.len() as u32),
        }
    }

    pub fn name(&self) -> &str {
        &self.text[..self.name_len as usize]
    }

    pub fn descr(&self) -> &str {
        match self.descr_len {
            SAME_AS_NAME => self.name(),
            len => &self.text[self.name_len as usize..(self.name_len + len) as usize],
        }
    }

    pub fn alias(&self) -> &str {
        let descr_len = if self.descr_len == SAME_AS_NAME { 0 } else { self.descr_len };
        &self.text[(self.name_len + descr_len) as usize..]
    }
}

impl Default for IfNames {
    fn default() -> IfNames {
        IfNames { text: Box::default(), name_len: 0, descr_len: SAME_AS_NAME }
    }
}

/// `text` cut to 1 GiB, on a character boundary: three such lengths add up within a u32, below
/// [`SAME_AS_NAME`].
fn at_most_u32(text: &str) -> &str {
    let mut end = text.len().min(1 << 30);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl fmt::Debug for IfNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IfNames")
            .field("name", &self.name())
            .field("descr", &self.descr())
            .field("alias", &self.alias())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_back_the_three_names() {
        for (name, descr, alias) in [
            ("ge-0/0/1", "ge-0/0/1", "uplink to customer 1"),
            ("Gi0/1", "GigabitEthernet0/1", ""),
            ("", "eth0", "é ü"),
            ("", "", ""),
            ("lo", "", "x"),
        ] {
            let names = IfNames::new(name, descr, alias);
            assert_eq!((names.name(), names.descr(), names.alias()), (name, descr, alias));
            assert_eq!(names, IfNames::new(name, descr, alias));
        }
        assert_ne!(IfNames::new("a", "a", ""), IfNames::new("a", "", "a"));
        assert_ne!(IfNames::new("a", "b", ""), IfNames::new("a", "", "b"));
        assert_eq!(IfNames::new("", "", ""), IfNames::default());
        assert_eq!(format!("{:?}", IfNames::new("a", "b", "c")), r#"IfNames { name: "a", descr: "b", alias: "c" }"#);
    }

    #[test]
    fn one_block_and_24_bytes() {
        assert_eq!(std::mem::size_of::<IfNames>(), 24);
        assert_eq!(IfNames::new("ge-0/0/1", "ge-0/0/1", "core").text.len(), 12, "ifDescr stored once");
    }
}
