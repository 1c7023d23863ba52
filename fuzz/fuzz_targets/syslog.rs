//! The syslog receivers' input path: the TCP framer (octet counting and newline framing, bounded) fed
//! the input in chunks of a size the first byte chooses, then the parser on every frame, and
//! the parser on the whole input as one UDP datagram. Nothing may panic, the framer must always
//! make progress and never invent bytes, and a parsed message respects the size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie::logs::framing::{Frame, Framer};
use vigie::logs::syslog;
use vigie::logs::MAX_MESSAGE_BYTES;

/// The largest frame the TCP receiver keeps, as it configures its framer.
const MAX_FRAME_BYTES: usize = MAX_MESSAGE_BYTES + 1024;

fn parse(bytes: &[u8]) {
    let entry = syslog::parse(bytes, 0.0, "127.0.0.1:514".into());
    assert!(entry.message.len() <= MAX_MESSAGE_BYTES);
    assert!(entry.severity.code() <= 7, "severity {:?}", entry.severity);
}

fuzz_target!(|input: &[u8]| {
    parse(input);
    let Some((&chunk, stream)) = input.split_first() else { return };
    let chunk = usize::from(chunk).max(1);
    let (mut framer, mut framed) = (Framer::new(MAX_FRAME_BYTES), 0usize);
    for piece in stream.chunks(chunk) {
        framer.push(piece);
        loop {
            let before = framer.buffered();
            match framer.next_frame() {
                Frame::Message(frame, _cut) => {
                    assert!(frame.len() <= MAX_FRAME_BYTES, "a frame past the bound");
                    framed += frame.len();
                    parse(&frame);
                }
                Frame::Malformed => {}
                Frame::Incomplete => break,
            }
            assert!(framer.buffered() < before, "a frame that takes no bytes would loop forever");
        }
        // One frame, its octet-count header (at most 12 digits and a space) and one read.
        assert!(framer.buffered() <= MAX_FRAME_BYTES + 13 + chunk, "the buffer holds more than one frame and one read");
    }
    assert!(framed <= stream.len(), "the framer invented bytes");
});
