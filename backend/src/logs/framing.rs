//! Syslog over TCP cut into messages (RFC 6587): octet counting (`LEN SP <PRI>…`) and newline
//! framing, with a bounded buffer. A frame longer than the bound is cut: its first bytes are
//! delivered (marked cut) and the rest is skipped as it arrives, so a peer never makes Vigie
//! hold more than one bounded frame.

/// An octet count above this is not syslog at all: the frame is malformed.
const MAX_OCTET_COUNT: usize = 16 * 1024 * 1024;

#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A message, and whether it was cut at the bound.
    Message(Vec<u8>, bool),
    Incomplete,
    /// An invalid frame; its bytes are gone from the buffer.
    Malformed,
}

#[derive(Debug, PartialEq)]
enum Skip {
    Nothing,
    /// The rest of an octet-counted frame that was cut.
    Bytes(usize),
    /// The rest of a line that was cut.
    ToNewline,
}

/// One peer's bytes on their way to messages.
pub struct Framer {
    buf: Vec<u8>,
    max_frame: usize,
    skip: Skip,
}

impl Framer {
    /// A framer that holds at most `max_frame` bytes of one frame (plus the last read).
    pub fn new(max_frame: usize) -> Framer {
        Framer { buf: Vec::new(), max_frame, skip: Skip::Nothing }
    }

    /// Bytes held for a frame in progress.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Memory the buffer holds.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Adds bytes read from the peer, minus those of a cut frame being skipped.
    pub fn push(&mut self, mut data: &[u8]) {
        match self.skip {
            Skip::Nothing => {}
            Skip::Bytes(n) => {
                let k = n.min(data.len());
                data = &data[k..];
                self.skip = if n > k { Skip::Bytes(n - k) } else { Skip::Nothing };
            }
            Skip::ToNewline => match memchr::memchr(b'\n', data) {
                Some(end) => {
                    data = &data[end + 1..];
                    self.skip = Skip::Nothing;
                }
                None => data = &[],
            },
        }
        if data.is_empty() {
            return;
        }
        if self.skip != Skip::Nothing {
            return;
        }
        // Grow by doubling, but never past what one frame and one read need.
        let needed = self.buf.len() + data.len();
        if needed > self.buf.capacity() {
            let target = (self.buf.capacity() * 2).clamp(needed, needed.max(self.max_frame + data.len()));
            self.buf.reserve_exact(target - self.buf.len());
        }
        self.buf.extend_from_slice(data);
    }

    /// Gives back memory after a big frame, once the buffer is nearly empty.
    pub fn shrink(&mut self) {
        if self.buf.capacity() > 16 * 1024 && self.buf.len() < 4096 {
            self.buf.shrink_to(16 * 1024);
        }
    }

    /// The last bytes of a peer that closed: its last line may lack a newline.
    pub fn rest(&mut self) -> Option<Vec<u8>> {
        let rest = std::mem::take(&mut self.buf);
        (!rest.iter().all(u8::is_ascii_whitespace)).then_some(rest)
    }

    /// Takes the next frame off the buffer.
    pub fn next_frame(&mut self) -> Frame {
        let buf = &mut self.buf;
        let start = buf.iter().position(|b| !matches!(b, b'\n' | b'\r')).unwrap_or(buf.len());
        buf.drain(..start);
        if buf.is_empty() {
            return Frame::Incomplete;
        }
        let digits = buf.iter().take_while(|b| b.is_ascii_digit()).count();
        // An octet count has a few digits (past 8 it is over the limit anyway, and is refused
        // as such up to 12); a longer run of digits is text, so a header stays a few bytes.
        if (1..=12).contains(&digits) {
            if digits == buf.len() && digits < 9 {
                return Frame::Incomplete;
            }
            if buf.get(digits) == Some(&b' ') && buf.get(digits + 1).is_none_or(|&b| b == b'<') {
                let len: usize =
                    std::str::from_utf8(&buf[..digits]).ok().and_then(|t| t.parse().ok()).unwrap_or(usize::MAX);
                if len == 0 || len > MAX_OCTET_COUNT {
                    buf.drain(..digits + 1);
                    return Frame::Malformed;
                }
                return self.octet_counted(digits + 1, len);
            }
        }
        match memchr::memchr(b'\n', buf) {
            Some(end) => {
                let frame = buf[..end.min(self.max_frame)].to_vec();
                buf.drain(..=end);
                Frame::Message(frame, end > self.max_frame)
            }
            None if buf.len() > self.max_frame => {
                let frame = buf[..self.max_frame].to_vec();
                buf.clear();
                self.skip = Skip::ToNewline;
                Frame::Message(frame, true)
            }
            None => Frame::Incomplete,
        }
    }

    /// A frame of `len` bytes after a header of `header` bytes.
    fn octet_counted(&mut self, header: usize, len: usize) -> Frame {
        let buf = &mut self.buf;
        let have = buf.len() - header;
        if len <= self.max_frame {
            if have < len {
                return Frame::Incomplete;
            }
            let frame = buf[header..header + len].to_vec();
            buf.drain(..header + len);
            return Frame::Message(frame, false);
        }
        if have < self.max_frame {
            return Frame::Incomplete;
        }
        let frame = buf[header..header + self.max_frame].to_vec();
        let present = have.min(len);
        buf.drain(..header + present);
        if len > present {
            self.skip = Skip::Bytes(len - present);
        }
        Frame::Message(frame, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framer(bytes: &[u8]) -> Framer {
        let mut f = Framer::new(64);
        f.push(bytes);
        f
    }

    #[test]
    fn both_framings_and_partial_frames() {
        let mut f = framer(b"11 <13>hello a\n<13>line two\n<14>part");
        assert_eq!(f.next_frame(), Frame::Message(b"<13>hello a".to_vec(), false));
        assert_eq!(f.next_frame(), Frame::Message(b"<13>line two".to_vec(), false));
        assert_eq!(f.next_frame(), Frame::Incomplete);
        f.push(b"ial\n");
        assert_eq!(f.next_frame(), Frame::Message(b"<14>partial".to_vec(), false));
        let mut f = framer(b"2026 starts with digits\n");
        assert_eq!(f.next_frame(), Frame::Message(b"2026 starts with digits".to_vec(), false));
    }

    #[test]
    fn an_absurd_octet_count_is_malformed_and_a_long_run_of_digits_is_text() {
        assert_eq!(framer(b"99999999999 <13>x").next_frame(), Frame::Malformed);
        let mut f = framer(b"9999999999999 <13>x\n");
        assert_eq!(f.next_frame(), Frame::Message(b"9999999999999 <13>x".to_vec(), false));
    }

    #[test]
    fn a_line_without_newline_past_the_bound_is_cut_and_its_rest_skipped() {
        let mut f = framer(&[b'a'; 100]);
        assert_eq!(f.next_frame(), Frame::Message(vec![b'a'; 64], true));
        assert_eq!(f.buffered(), 0);
        f.push(&[b'a'; 1000]);
        assert_eq!((f.next_frame(), f.buffered()), (Frame::Incomplete, 0), "the rest of the line is not kept");
        f.push(b"aaa\n<13>next\n");
        assert_eq!(f.next_frame(), Frame::Message(b"<13>next".to_vec(), false));
    }

    #[test]
    fn an_octet_counted_frame_past_the_bound_is_cut_and_its_rest_skipped() {
        let mut f = framer(format!("200 <13>{}", "b".repeat(100)).as_bytes());
        assert_eq!(f.next_frame(), Frame::Message(format!("<13>{}", "b".repeat(60)).into_bytes(), true));
        f.push(&[b'b'; 96]);
        assert_eq!((f.next_frame(), f.buffered()), (Frame::Incomplete, 0));
        f.push(b"5 <13>x\n");
        assert_eq!(f.next_frame(), Frame::Message(b"<13>x".to_vec(), false));
    }

    #[test]
    fn the_buffer_stays_bounded_whatever_arrives() {
        let mut f = Framer::new(1000);
        for _ in 0..1000 {
            f.push(&[b'z'; 333]);
            while let Frame::Message(..) = f.next_frame() {}
            assert!(f.capacity() <= 2000, "{}", f.capacity());
        }
    }
}
