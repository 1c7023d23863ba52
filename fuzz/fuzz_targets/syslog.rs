//! The syslog receivers' input path: the TCP framer (octet counting and newline framing) fed
//! the input in chunks of a size the first byte chooses, then the parser on every frame, and
//! the parser on the whole input as one UDP datagram. Nothing may panic, the framer must always
//! make progress and never invent bytes, and a parsed message respects the size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie::logs::syslog;
use vigie::logs::syslog_listener::{next_frame, Frame};
use vigie::logs::MAX_MESSAGE_BYTES;

fn parse(bytes: &[u8]) {
    let entry = syslog::parse(bytes, 0.0, "127.0.0.1:514".into());
    assert!(entry.message.len() <= MAX_MESSAGE_BYTES);
    assert!(entry.severity <= 7, "severity {}", entry.severity);
}

fuzz_target!(|input: &[u8]| {
    parse(input);
    let Some((&chunk, stream)) = input.split_first() else { return };
    let chunk = usize::from(chunk).max(1);
    let (mut buf, mut framed) = (Vec::new(), 0usize);
    for piece in stream.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            let before = buf.len();
            match next_frame(&mut buf) {
                Frame::Message(frame) => {
                    framed += frame.len();
                    parse(&frame);
                }
                Frame::Malformed => {}
                Frame::Incomplete => break,
            }
            assert!(buf.len() < before, "a frame that takes no bytes would loop forever");
        }
    }
    assert!(framed <= stream.len(), "the framer invented bytes");
});
