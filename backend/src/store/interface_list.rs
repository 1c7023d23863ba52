//! A device's interfaces in memory, in ifIndex order, in one vector: what a `BTreeMap` gave
//! (ordered iteration, lookup by ifIndex) without its slack. A map's nodes have room for eleven
//! 272-byte entries, and a 48-interface device filled six of them (66 places, values in the
//! inner node too): 383 B per interface, where this takes 280 (measured in
//! `store::footprint::memory_per_interface`). The list is rebuilt whole when the inventory is
//! walked, and looked up by binary search on each interface's own ifIndex (`info.if_index`: a
//! key beside it took 8 B more per interface).

use std::ops::Index;

use super::live::InterfaceLive;

/// Interfaces by ifIndex (their `info.if_index`, which those who change an interface in place
/// leave as it is), ascending, each once.
#[derive(Clone, Debug, Default)]
pub struct InterfaceList {
    entries: Vec<InterfaceLive>,
}

fn key(live: &InterfaceLive) -> u32 {
    live.info.if_index
}

impl InterfaceList {
    fn position(&self, if_index: u32) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&if_index, key)
    }

    pub fn get(&self, if_index: &u32) -> Option<&InterfaceLive> {
        self.position(*if_index).ok().map(|p| &self.entries[p])
    }

    pub fn get_mut(&mut self, if_index: &u32) -> Option<&mut InterfaceLive> {
        self.position(*if_index).ok().map(|p| &mut self.entries[p])
    }

    /// The interface `if_index`, looked for first at `cursor` (one past the last one found):
    /// a poll's rows come in the list's order, so walking both in step finds each row where
    /// it is expected and the search is left for rows out of step (an interface added or
    /// gone since the inventory was walked). The cursor moves past the one found.
    pub fn get_mut_in_step(&mut self, cursor: &mut usize, if_index: u32) -> Option<&mut InterfaceLive> {
        let p = match self.entries.get(*cursor) {
            Some(live) if key(live) == if_index => *cursor,
            _ => self.position(if_index).ok()?,
        };
        *cursor = p + 1;
        Some(&mut self.entries[p])
    }

    pub fn contains_key(&self, if_index: &u32) -> bool {
        self.position(*if_index).is_ok()
    }

    /// Adds or replaces an interface (by its ifIndex); answers the one replaced.
    pub fn insert(&mut self, interface: InterfaceLive) -> Option<InterfaceLive> {
        match self.position(key(&interface)) {
            Ok(p) => Some(std::mem::replace(&mut self.entries[p], interface)),
            Err(p) => {
                self.entries.insert(p, interface);
                None
            }
        }
    }

    /// Takes an interface out.
    pub fn remove(&mut self, if_index: &u32) -> Option<InterfaceLive> {
        self.position(*if_index).ok().map(|p| self.entries.remove(p))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&u32, &InterfaceLive)> + ExactSizeIterator {
        self.entries.iter().map(|live| (&live.info.if_index, live))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &u32> + ExactSizeIterator {
        self.entries.iter().map(|live| &live.info.if_index)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &InterfaceLive> + ExactSizeIterator {
        self.entries.iter()
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = InterfaceLive> + ExactSizeIterator {
        self.entries.into_iter()
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut InterfaceLive> + ExactSizeIterator {
        self.entries.iter_mut()
    }
}

/// As a map collects: ordered by ifIndex, the last of equal ones kept; no spare capacity.
impl FromIterator<InterfaceLive> for InterfaceList {
    fn from_iter<I: IntoIterator<Item = InterfaceLive>>(iter: I) -> InterfaceList {
        let mut entries: Vec<InterfaceLive> = iter.into_iter().collect();
        // Stable: equal ifIndexes stay in their order, and the last one wins below.
        entries.sort_by_key(key);
        entries.reverse();
        entries.dedup_by_key(|live| key(live));
        entries.reverse();
        entries.shrink_to_fit();
        InterfaceList { entries }
    }
}

impl Index<&u32> for InterfaceList {
    type Output = InterfaceLive;

    fn index(&self, if_index: &u32) -> &InterfaceLive {
        self.get(if_index).expect("no interface with this ifIndex")
    }
}

impl<'a> IntoIterator for &'a InterfaceList {
    type Item = (&'a u32, &'a InterfaceLive);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, InterfaceLive>, fn(&'a InterfaceLive) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|live| (&live.info.if_index, live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::if_mib::{IfNames, InterfaceInfo};

    fn live(if_index: u32, alias: &str) -> InterfaceLive {
        InterfaceLive {
            info: InterfaceInfo {
                names: IfNames::new(&format!("eth{if_index}"), "", alias),
                ..InterfaceInfo::ethernet(if_index)
            },
            latest: None,
        }
    }

    #[test]
    fn collects_and_answers_like_an_ordered_map() {
        let list: InterfaceList = [live(7, "a"), live(2, "b"), live(7, "c"), live(5, "d")].into_iter().collect();
        assert_eq!(list.keys().copied().collect::<Vec<_>>(), [2, 5, 7]);
        assert_eq!(list[&7].info.if_alias(), "c", "the last of equal ones, as a map keeps it");
        assert!(list.get(&3).is_none() && list.contains_key(&5) && !list.contains_key(&6));
        assert_eq!(list.values().rev().map(|l| l.info.if_index).collect::<Vec<_>>(), [7, 5, 2]);
    }

    #[test]
    fn inserts_in_order_and_removes() {
        let mut list = InterfaceList::default();
        for i in [10, 1, 5] {
            assert!(list.insert(live(i, "")).is_none());
        }
        assert_eq!(list.insert(live(5, "again")).map(|l| l.info.if_alias().to_string()), Some(String::new()));
        assert_eq!(
            (&list).into_iter().map(|(i, l)| (*i, l.info.if_alias().to_string())).collect::<Vec<_>>(),
            [(1, String::new()), (5, "again".to_string()), (10, String::new())]
        );
        assert_eq!(list.remove(&1).map(|l| l.info.if_index), Some(1));
        assert!(list.remove(&1).is_none());
        list.get_mut(&10).unwrap().info.set_if_alias("x");
        assert_eq!(list.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [5, 10]);
        assert_eq!((list.len(), list.is_empty(), list[&10].info.if_alias()), (2, false, "x"));
    }

    #[test]
    fn rows_in_step_are_found_where_expected_and_the_others_by_search() {
        let mut list: InterfaceList = [1, 2, 5, 9].map(|i| live(i, "")).into_iter().collect();
        let mut cursor = 0;
        let mut found =
            |list: &mut InterfaceList, i: u32| list.get_mut_in_step(&mut cursor, i).map(|l| l.info.if_index);
        // In step, one row unknown (4: skipped, cursor kept), one out of order (2 after 5).
        let rows: Vec<Option<u32>> = [1, 4, 5, 2, 9, 10].into_iter().map(|i| found(&mut list, i)).collect();
        assert_eq!(rows, [Some(1), None, Some(5), Some(2), Some(9), None]);
    }
}
