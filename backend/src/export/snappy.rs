//! Snappy's block format written directly by a writer that knows what repeats: literal bytes,
//! and copies of bytes it wrote before, named by their position in the uncompressed stream.
//! Nothing is searched for, so writing costs what the output is, not what the input is; any
//! snappy decoder reads the result. See <https://github.com/google/snappy/blob/main/format_description.txt>.

/// The farthest back a copy reaches here (copies with a 2-byte offset).
pub const MAX_OFFSET: usize = 65_535;

/// Bytes kept free at the head of `elements` for the uncompressed length (a varint of up to 5
/// bytes for a `u32`), so that the finished block is `elements` itself: no copy.
const HEAD_ROOM: usize = 5;

/// A block being written.
#[derive(Debug)]
pub struct Block {
    /// [`HEAD_ROOM`] bytes, then the elements so far.
    elements: Vec<u8>,
    /// Where the open literal's tag is in `elements` (its bytes follow it; the tag is written
    /// once its length is known): consecutive literals make one element, written in place.
    literal_at: Option<usize>,
    /// A copy not written as elements yet, offset and length: a copy that goes on from where
    /// it stopped (the same offset) makes one copy with it.
    copy: Option<(usize, usize)>,
    /// Bytes of the uncompressed stream so far.
    len: usize,
    /// The largest block finished so far, in bytes: the next starts with room for as much.
    largest: usize,
}

impl Default for Block {
    fn default() -> Self {
        Block { elements: vec![0; HEAD_ROOM], literal_at: None, copy: None, len: 0, largest: 0 }
    }
}

impl Block {
    /// Starts over, keeping the buffers.
    pub fn clear(&mut self) {
        self.elements.truncate(HEAD_ROOM);
        self.literal_at = None;
        self.copy = None;
        self.len = 0;
    }

    /// Bytes of the uncompressed stream so far: the position of the next byte.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `bytes` as they are.
    pub fn literal(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.flush_copy();
        if self.literal_at.is_none() {
            self.literal_at = Some(self.elements.len());
            self.elements.push(0);
        }
        self.elements.extend_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Appends again the `n` bytes that start at position `from` (`from` < [`Block::len`],
    /// at most [`MAX_OFFSET`] back; the bytes may run into what this copy writes).
    pub fn copy(&mut self, from: usize, n: usize) {
        let offset = self.len - from;
        debug_assert!(offset > 0 && offset <= MAX_OFFSET && n > 0, "copy of {n} from {offset} back");
        self.len += n;
        match &mut self.copy {
            Some((pending, len)) if *pending == offset => *len += n,
            _ => {
                self.flush_copy();
                self.flush_literal();
                self.copy = Some((offset, n));
            }
        }
    }

    fn flush_copy(&mut self) {
        let Some((offset, mut left)) = self.copy.take() else { return };
        while left > 0 {
            if (4..=11).contains(&left) && offset < 2048 {
                // Copy with a 1-byte offset: 3 bits of offset in the tag.
                let tag = 0b01 | ((left - 4) as u8) << 2 | ((offset >> 8) as u8) << 5;
                self.elements.extend_from_slice(&[tag, offset as u8]);
                return;
            }
            let chunk = left.min(64);
            let [low, high] = (offset as u16).to_le_bytes();
            self.elements.extend_from_slice(&[0b10 | ((chunk - 1) as u8) << 2, low, high]);
            left -= chunk;
        }
    }

    /// Writes the open literal's tag; a literal past 60 bytes has its length after the tag,
    /// so its bytes move to make room (rare: the literals of a request are mostly short).
    fn flush_literal(&mut self) {
        let Some(at) = self.literal_at.take() else { return };
        let n = self.elements.len() - at - 1;
        let stored = (n - 1) as u32;
        let [b0, b1, b2, b3] = stored.to_le_bytes();
        let tag: &[u8] = match n {
            1..=60 => {
                self.elements[at] = (stored as u8) << 2;
                return;
            }
            61..=0x100 => &[60 << 2, b0],
            0x101..=0x1_0000 => &[61 << 2, b0, b1],
            0x1_0001..=0x100_0000 => &[62 << 2, b0, b1, b2],
            _ => &[63 << 2, b0, b1, b2, b3],
        };
        self.elements.splice(at..at + 1, tag.iter().copied());
    }

    /// The block: the uncompressed length, then the elements. The buffer written so far is
    /// handed over as it is (the length goes in the room kept at its head); the next block
    /// starts in a new one as large as the largest so far and an eighth, so that it does not
    /// grow (by copying) even after a short one. Blocks are at most 4 GiB.
    pub fn finish(&mut self) -> bytes::Bytes {
        self.flush_copy();
        self.flush_literal();
        let mut head = [0u8; HEAD_ROOM];
        let mut n = 0;
        let mut len = u32::try_from(self.len).expect("a block under 4 GiB");
        while len >= 0x80 {
            head[n] = (len as u8) | 0x80;
            len >>= 7;
            n += 1;
        }
        head[n] = len as u8;
        n += 1;
        let start = HEAD_ROOM - n;
        self.elements[start..HEAD_ROOM].copy_from_slice(&head[..n]);
        // A fleet's requests are about the same size, but a batch's last one is short.
        self.largest = self.largest.max(self.elements.len());
        let mut next = Vec::with_capacity(self.largest + self.largest / 8);
        next.resize(HEAD_ROOM, 0);
        let block = std::mem::replace(&mut self.elements, next);
        self.clear();
        bytes::Bytes::from(block).slice(start..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decompress(block: &mut Block) -> Vec<u8> {
        snap::raw::Decoder::new().decompress_vec(&block.finish()).expect("a valid snappy block")
    }

    #[test]
    fn literals_and_copies_of_every_size_decode_as_written() {
        let mut block = Block::default();
        let mut expected = Vec::new();
        let mut seed = 7u64;
        let mut next = |m: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % m
        };
        for _ in 0..3000 {
            if expected.is_empty() || next(3) == 0 {
                let n = [1, 5, 60, 61, 200, 256, 257, 70_000][next(8)];
                let bytes: Vec<u8> = (0..n).map(|_| next(256) as u8).collect();
                block.literal(&bytes);
                expected.extend_from_slice(&bytes);
            } else {
                let back = 1 + next(expected.len().min(MAX_OFFSET));
                let from = expected.len() - back;
                let n = [1, 3, 4, 11, 12, 64, 65, 130, 300][next(9)];
                block.copy(from, n);
                for i in 0..n {
                    expected.push(expected[from + i]); // may run into what it writes
                }
            }
            assert_eq!(block.len(), expected.len());
        }
        assert_eq!(decompress(&mut block), expected);
        assert!(block.is_empty(), "finishing starts a new block");
        block.literal(b"abcd");
        block.copy(0, 8);
        assert_eq!(decompress(&mut block), b"abcdabcdabcd");
        assert_eq!(block.finish()[..], [0], "an empty block: its length only");
    }
}
