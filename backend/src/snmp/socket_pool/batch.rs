//! Datagrams read in batches: one `recvmmsg` takes up to [`BATCH`] datagrams waiting in a
//! socket, each with its source, where `recvfrom` took one per system call.

use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;

use socket2::{SockAddr, SockAddrStorage};

/// Datagrams taken by one system call at most.
pub(super) const BATCH: usize = 16;
/// The largest UDP payload: no reply is cut short.
const MAX_DATAGRAM: usize = 65_535;

/// The buffers of a batch: [`BATCH`] × 64 KB asked of the allocator, of which only the pages
/// replies are written to become resident.
pub(super) struct Batch {
    buffers: Vec<u8>,
}

impl Batch {
    pub(super) fn new() -> Batch {
        Batch { buffers: vec![0; BATCH * MAX_DATAGRAM] }
    }

    /// Takes the datagrams waiting in `fd`, up to [`BATCH`], without waiting, and hands each to
    /// `each` with its source; answers how many came (an error only when none did).
    pub(super) fn receive(&mut self, fd: RawFd, mut each: impl FnMut(SocketAddr, &[u8])) -> io::Result<usize> {
        let mut names: [SockAddrStorage; BATCH] = std::array::from_fn(|_| SockAddrStorage::zeroed());
        let mut slices = self.buffers.chunks_exact_mut(MAX_DATAGRAM);
        let mut iovecs: [libc::iovec; BATCH] = std::array::from_fn(|_| {
            let slice = slices.next().expect("BATCH slices");
            libc::iovec { iov_base: slice.as_mut_ptr().cast(), iov_len: slice.len() }
        });
        // SAFETY: an all-zero mmsghdr is valid (null pointers, zero lengths); filled in below.
        let mut headers: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for ((header, name), iovec) in headers.iter_mut().zip(names.iter_mut()).zip(iovecs.iter_mut()) {
            header.msg_hdr.msg_namelen = name.size_of();
            header.msg_hdr.msg_name = (name as *mut SockAddrStorage).cast();
            header.msg_hdr.msg_iov = iovec;
            header.msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every header points into `names` and `iovecs`, which point into `self.buffers`
        // with their lengths; all live for the call.
        let received = unsafe {
            libc::recvmmsg(fd, headers.as_mut_ptr(), BATCH as libc::c_uint, libc::MSG_DONTWAIT, std::ptr::null_mut())
        };
        let Ok(received) = usize::try_from(received) else { return Err(io::Error::last_os_error()) };
        for (i, (header, name)) in headers.into_iter().zip(names).take(received).enumerate() {
            // SAFETY: recvmmsg wrote `msg_namelen` bytes of a socket address into `name`.
            let Some(source) = unsafe { SockAddr::new(name, header.msg_hdr.msg_namelen) }.as_socket() else {
                continue;
            };
            let start = i * MAX_DATAGRAM;
            let len = (header.msg_len as usize).min(MAX_DATAGRAM);
            each(source, &self.buffers[start..start + len]);
        }
        Ok(received)
    }
}
