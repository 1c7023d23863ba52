//! The ICMP messages of a round, byte by byte: the echo request sent, and what a received
//! datagram says about one of our requests (its reply, or an error quoting it). Pure functions
//! over byte slices: nothing here touches a socket, and nothing panics on what the network sends.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The bytes each echo carries (the reply echoes them back).
pub const PAYLOAD: &[u8; 32] = b"vigie reachability probe 0123456";
/// An echo request: 8 bytes of header, then the payload.
pub const REQUEST_LEN: usize = 8 + PAYLOAD.len();

const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V6: u8 = 129;
const ECHO_REQUEST_V6: u8 = 128;
const PROTOCOL_ICMPV6: u8 = 58;

/// What a received datagram says about an echo request of ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// An echo reply from `from`.
    Reply { from: IpAddr, ident: u16, seq: u16 },
    /// An ICMP error (unreachable, time exceeded, …) quoting the request sent to `to`.
    Error { to: IpAddr, ident: u16, seq: u16, kind: u8, code: u8 },
}

impl Seen {
    pub fn ident(&self) -> u16 {
        match *self {
            Seen::Reply { ident, .. } | Seen::Error { ident, .. } => ident,
        }
    }
}

/// The echo request `seq` of `ident`. ICMPv6's checksum is the kernel's (it covers a
/// pseudo-header we do not know), as is the whole header's on a ping socket, which also sets its
/// own identifier; ours is computed anyway, harmless there.
pub fn echo_request(v6: bool, ident: u16, seq: u16) -> [u8; REQUEST_LEN] {
    let mut packet = [0u8; REQUEST_LEN];
    packet[0] = if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 };
    packet[4..6].copy_from_slice(&ident.to_be_bytes());
    packet[6..8].copy_from_slice(&seq.to_be_bytes());
    packet[8..].copy_from_slice(PAYLOAD);
    if !v6 {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// The Internet checksum (RFC 1071) of `bytes`.
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMPv4 datagram from `from`; `with_ip_header` on a raw socket, which hands over the IP
/// header too (a ping socket does not).
pub fn parse_v4(datagram: &[u8], with_ip_header: bool, from: Ipv4Addr) -> Option<Seen> {
    let icmp = if with_ip_header { datagram.get(ip_header_len(datagram)?..)? } else { datagram };
    match *icmp.first()? {
        ECHO_REPLY_V4 => reply(icmp, IpAddr::V4(from)),
        // Errors that quote the datagram that caused them: unreachable, source quench,
        // redirect, time exceeded, parameter problem.
        3 | 4 | 5 | 11 | 12 => {
            let quoted = icmp.get(8..)?;
            let to = Ipv4Addr::from(<[u8; 4]>::try_from(quoted.get(16..20)?).ok()?);
            error(icmp, IpAddr::V4(to), quoted.get(ip_header_len(quoted)?..)?, ECHO_REQUEST_V4)
        }
        _ => None,
    }
}

/// An ICMPv6 datagram from `from` (the kernel strips the IPv6 header on every ICMPv6 socket).
pub fn parse_v6(icmp: &[u8], from: Ipv6Addr) -> Option<Seen> {
    match *icmp.first()? {
        ECHO_REPLY_V6 => reply(icmp, IpAddr::V6(from)),
        // Destination unreachable, packet too big, time exceeded, parameter problem.
        1..=4 => {
            let quoted = icmp.get(8..)?;
            let to = Ipv6Addr::from(<[u8; 16]>::try_from(quoted.get(24..40)?).ok()?);
            error(icmp, IpAddr::V6(to), quoted.get(upper_layer_v6(quoted)?..)?, ECHO_REQUEST_V6)
        }
        _ => None,
    }
}

fn reply(icmp: &[u8], from: IpAddr) -> Option<Seen> {
    let (ident, seq) = ident_seq(icmp)?;
    Some(Seen::Reply { from, ident, seq })
}

/// The error `icmp`, quoting `echo` sent to `to`, when that is an echo request.
fn error(icmp: &[u8], to: IpAddr, echo: &[u8], request: u8) -> Option<Seen> {
    if *echo.first()? != request {
        return None;
    }
    let (ident, seq) = ident_seq(echo)?;
    Some(Seen::Error { to, ident, seq, kind: *icmp.first()?, code: *icmp.get(1)? })
}

fn ident_seq(echo: &[u8]) -> Option<(u16, u16)> {
    let ident = u16::from_be_bytes([*echo.get(4)?, *echo.get(5)?]);
    let seq = u16::from_be_bytes([*echo.get(6)?, *echo.get(7)?]);
    Some((ident, seq))
}

/// The length of the IPv4 header `packet` starts with.
fn ip_header_len(packet: &[u8]) -> Option<usize> {
    let first = *packet.first()?;
    let len = usize::from(first & 0x0f) * 4;
    (first >> 4 == 4 && len >= 20).then_some(len)
}

/// Where the ICMPv6 header of the quoted IPv6 `packet` starts, past its extension headers;
/// `None` when the packet is not ICMPv6 or its chain cannot be followed.
fn upper_layer_v6(packet: &[u8]) -> Option<usize> {
    const HOP_BY_HOP: u8 = 0;
    const ROUTING: u8 = 43;
    const FRAGMENT: u8 = 44;
    const DESTINATION: u8 = 60;
    let mut next = *packet.get(6)?;
    let mut at = 40;
    for _ in 0..8 {
        match next {
            PROTOCOL_ICMPV6 => return Some(at),
            HOP_BY_HOP | ROUTING | DESTINATION => {
                let len = (usize::from(*packet.get(at + 1)?) + 1) * 8;
                next = *packet.get(at)?;
                at += len;
            }
            FRAGMENT => {
                next = *packet.get(at)?;
                at += 8;
            }
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4_header(protocol: u8, src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
        let mut header = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, protocol, 0, 0];
        header.extend_from_slice(&src);
        header.extend_from_slice(&dst);
        header
    }

    #[test]
    fn a_request_carries_ident_seq_payload_and_a_valid_checksum() {
        let packet = echo_request(false, 0x1234, 0xbeef);
        assert_eq!((packet[0], &packet[4..8], &packet[8..]), (8, &[0x12, 0x34, 0xbe, 0xef][..], &PAYLOAD[..]));
        assert_eq!(checksum(&packet), 0, "a packet with its checksum sums to zero");
        let v6 = echo_request(true, 1, 2);
        assert_eq!((v6[0], &v6[2..4]), (128, &[0, 0][..]), "the kernel fills ICMPv6's checksum");
    }

    #[test]
    fn a_reply_is_read_with_or_without_its_ip_header() {
        let mut reply = echo_request(false, 7, 9);
        reply[0] = 0;
        let from = Ipv4Addr::new(127, 0, 0, 1);
        let expected = Some(Seen::Reply { from: IpAddr::V4(from), ident: 7, seq: 9 });
        assert_eq!(parse_v4(&reply, false, from), expected);
        let mut raw = ipv4_header(1, [127, 0, 0, 1], [127, 0, 0, 1]);
        raw.extend_from_slice(&reply);
        assert_eq!(parse_v4(&raw, true, from), expected);
        // Our own request, seen by a raw socket on loopback, is nothing.
        let mut own = ipv4_header(1, [127, 0, 0, 1], [127, 0, 0, 1]);
        own.extend_from_slice(&echo_request(false, 7, 9));
        assert_eq!(parse_v4(&own, true, from), None);
    }

    #[test]
    fn an_unreachable_quoting_our_request_names_its_target() {
        let mut quoted = ipv4_header(1, [10, 0, 0, 1], [10, 0, 0, 99]);
        quoted.extend_from_slice(&echo_request(false, 0xa1ee, 3)[..8]);
        let mut error = ipv4_header(1, [10, 0, 0, 1], [10, 0, 0, 1]);
        error.extend_from_slice(&[3, 1, 0, 0, 0, 0, 0, 0]);
        error.extend_from_slice(&quoted);
        let seen = parse_v4(&error, true, Ipv4Addr::new(10, 0, 0, 1));
        let to = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 99));
        assert_eq!(seen, Some(Seen::Error { to, ident: 0xa1ee, seq: 3, kind: 3, code: 1 }));
    }

    #[test]
    fn an_icmpv6_error_is_followed_past_extension_headers() {
        let target: Ipv6Addr = "2001:db8::99".parse().unwrap();
        let mut quoted = vec![0x60, 0, 0, 0, 0, 16, 0 /* hop-by-hop */, 64];
        quoted.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        quoted.extend_from_slice(&target.octets());
        quoted.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop, then destination options
        quoted.extend_from_slice(&[58, 0, 1, 4, 0, 0, 0, 0]); // destination options, then ICMPv6
        quoted.extend_from_slice(&echo_request(true, 0xbeef, 5)[..8]);
        let mut error = vec![3, 0, 0, 0, 0, 0, 0, 0];
        error.extend_from_slice(&quoted);
        let seen = parse_v6(&error, "2001:db8::1".parse().unwrap());
        assert_eq!(seen, Some(Seen::Error { to: IpAddr::V6(target), ident: 0xbeef, seq: 5, kind: 3, code: 0 }));
    }

    #[test]
    fn truncated_or_foreign_datagrams_are_nothing() {
        let from = Ipv4Addr::LOCALHOST;
        for bytes in [&[][..], &[0][..], &[0, 0, 0, 0, 0][..], &[3, 1, 0, 0, 0, 0, 0, 0, 0x45][..], &[13; 40][..]] {
            assert_eq!(parse_v4(bytes, false, from), None, "{bytes:?}");
            assert_eq!(parse_v4(bytes, true, from), None, "{bytes:?}");
            assert_eq!(parse_v6(bytes, Ipv6Addr::LOCALHOST), None, "{bytes:?}");
        }
    }
}
