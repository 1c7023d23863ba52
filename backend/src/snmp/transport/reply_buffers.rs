//! The buffers replies are received into: lent by the thread's pool to an exchange (or a
//! round's request) when it waits on a socket, kept by the transport while its walk reads the
//! reply, and given back once the walk or GET is over (or failed), so that only the exchanges
//! in flight hold one. Kept by every session between polls, they took about 14.5 KB per
//! 200-interface device (a capped device's 16 round buffers up to 24 KB): 725 MB at fifty
//! thousand devices, for the few dozen exchanges a thread has in flight at once.
//!
//! A buffer lent to a socket's table is owned by the table's waiter until the exchange leaves
//! the table (its `Ticket` finished, its round left): it cannot be given back while the table
//! holds it. One dropped with its waiter (an exchange cancelled mid-wait) is freed.

use super::super::spares::{self, Spares};

/// Buffers a thread keeps at most: as many as a thread has exchanges in flight in steady state
/// (a poll's walk holds one, or one per request of its round, up to 16; the poller's thread
/// runs a few polls at once), so that steady polls lend and take back without allocating. At
/// most 8 MiB if every one had held the largest datagram; about 1 MB with 8,000-byte replies.
const KEPT: usize = 128;
/// The largest buffer kept: one with room for the largest datagram (65,535 B). The receiver
/// grows a buffer to a power of two, so none grows past it (see `SharedSocket::route`).
pub(in crate::snmp) const MOST_KEPT_BYTES: usize = 64 * 1024;

thread_local! {
    static KEPT_BUFFERS: Spares<Vec<u8>> = const { Spares::new(KEPT) };
}

/// The buffer in `place` if it has room already (the walk's last reply), else one lent by the
/// thread's pool.
pub(super) fn lend(place: &mut Vec<u8>) -> Vec<u8> {
    match place.capacity() {
        0 => spares::take(&KEPT_BUFFERS).unwrap_or_default(),
        _ => std::mem::take(place),
    }
}

/// Gives the buffer in `place` back to the thread's pool, emptied (length 0: whoever borrows it
/// next writes from its start), unless it has no room or more than [`MOST_KEPT_BYTES`].
pub(super) fn give_back(place: &mut Vec<u8>) {
    let mut buffer = std::mem::take(place);
    if buffer.capacity() == 0 || buffer.capacity() > MOST_KEPT_BYTES {
        return;
    }
    buffer.clear();
    spares::give_back(&KEPT_BUFFERS, buffer);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> usize {
        KEPT_BUFFERS.with(Spares::len)
    }

    #[test]
    fn the_pool_keeps_at_most_its_bound_and_no_large_or_empty_buffer() {
        // A test thread of its own: the pool is the thread's.
        std::thread::spawn(|| {
            for _ in 0..KEPT + 10 {
                give_back(&mut Vec::with_capacity(1_500));
            }
            assert_eq!(kept(), KEPT);
            let mut place = Vec::new();
            let lent = lend(&mut place);
            assert!(lent.capacity() >= 1_500, "lent from the pool");
            assert_eq!(kept(), KEPT - 1);
            give_back(&mut Vec::with_capacity(MOST_KEPT_BYTES + 1));
            give_back(&mut Vec::new());
            assert_eq!(kept(), KEPT - 1, "neither a buffer past the bound nor one without room is kept");
            let mut reply = b"public".to_vec();
            let room = reply.capacity();
            give_back(&mut reply);
            assert_eq!((reply.capacity(), kept()), (0, KEPT));
            let again = lend(&mut Vec::new());
            assert!(again.is_empty() && again.capacity() == room, "given back emptied");
            let mut walking = Vec::with_capacity(8_000);
            let ptr = walking.as_ptr();
            let reused = lend(&mut walking);
            assert_eq!(reused.as_ptr(), ptr, "a buffer in place is reused");
        })
        .join()
        .unwrap();
    }
}
