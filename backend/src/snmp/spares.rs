//! Things a thread keeps for its next exchange or walk instead of freeing them: a bounded stack
//! per thread, taken from and given back to without a lock. The SNMP code's pools (a walk's
//! buffers, the reply buffers lent to a socket) are each one of these in a `thread_local!`; what
//! a thing must be to be kept (emptied, not too large) is its owner's to decide.
//!
//! A thread's stack is its own: a task that moves to another thread of a runtime gives back to
//! that thread's, which only shifts what each keeps. Nothing is ever kept past the bound.

use std::cell::RefCell;
use std::thread::LocalKey;

/// At most `most` things kept by one thread.
pub(super) struct Spares<T> {
    kept: RefCell<Vec<T>>,
    most: usize,
}

impl<T> Spares<T> {
    pub const fn new(most: usize) -> Spares<T> {
        Spares { kept: RefCell::new(Vec::new()), most }
    }

    /// How many this thread keeps.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.kept.borrow().len()
    }
}

/// One of the things this thread keeps in `spares`, if it keeps any.
pub(super) fn take<T: 'static>(spares: &'static LocalKey<Spares<T>>) -> Option<T> {
    // `try_with`: the thread may be ending.
    spares.try_with(|spares| spares.kept.try_borrow_mut().ok()?.pop()).ok().flatten()
}

/// Keeps `thing` in this thread's `spares`, unless they are full (then it is dropped).
pub(super) fn give_back<T: 'static>(spares: &'static LocalKey<Spares<T>>, thing: T) {
    let _ = spares.try_with(|spares| {
        if let Ok(mut kept) = spares.kept.try_borrow_mut() {
            if kept.len() < spares.most {
                kept.push(thing);
            }
        }
    });
}
