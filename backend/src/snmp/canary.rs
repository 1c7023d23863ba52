//! Seeing a closed port at once. csnmp's socket is not connected, so the kernel never reports
//! "ICMP port unreachable" to it and a closed port looks like a silent agent until the timeout.
//! A canary sends one GET of sysUpTime.0 from a connected socket alongside each poll: if the
//! kernel answers "connection refused", the poll is cut short with that reason. The agent's
//! answer to the canary, when it comes, is ignored.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::net::UdpSocket;

use super::SnmpError;

#[derive(Clone)]
pub struct Canary {
    socket: Arc<UdpSocket>,
    request: Arc<[u8]>,
    target: SocketAddr,
}

impl Canary {
    /// A canary for `target`; `None` when the community is too long for the small encoder here.
    pub async fn open(target: SocketAddr, community: &[u8]) -> Option<Canary> {
        let bind: SocketAddr = match target.ip() {
            IpAddr::V4(_) => "0.0.0.0:0".parse().expect("valid literal"),
            IpAddr::V6(_) => "[::]:0".parse().expect("valid literal"),
        };
        let socket = UdpSocket::bind(bind).await.ok()?;
        socket.connect(target).await.ok()?;
        Some(Canary { socket: Arc::new(socket), request: get_sys_up_time(community)?.into(), target })
    }

    /// Resolves only if the port is closed; otherwise never (drop it when the poll ends).
    pub async fn refused(&self) -> SnmpError {
        if let Err(e) = self.socket.send(&self.request).await {
            if e.kind() == ErrorKind::ConnectionRefused {
                return SnmpError::Refused { target: self.target };
            }
        }
        let mut buf = [0u8; 1500];
        loop {
            match self.socket.recv(&mut buf).await {
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                    return SnmpError::Refused { target: self.target }
                }
                Err(_) => std::future::pending::<()>().await,
                Ok(_) => {} // an answer (to this or an earlier canary): the port is open
            }
        }
    }
}

/// SNMPv2c GetRequest for sysUpTime.0, BER-encoded by hand (short lengths only).
fn get_sys_up_time(community: &[u8]) -> Option<Vec<u8>> {
    const PDU: [u8; 27] = [
        0xa0, 0x19, // GetRequest
        0x02, 0x01, 0x01, // request-id 1
        0x02, 0x01, 0x00, // error-status
        0x02, 0x01, 0x00, // error-index
        0x30, 0x0e, 0x30, 0x0c, // varbind list, varbind
        0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, // 1.3.6.1.2.1.1.3.0
        0x05, 0x00, // NULL
    ];
    let contents = 3 + 2 + community.len() + PDU.len();
    if contents > 127 {
        return None;
    }
    let mut out = vec![0x30, contents as u8, 0x02, 0x01, 0x01, 0x04, community.len() as u8];
    out.extend_from_slice(community);
    out.extend_from_slice(&PDU);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canary_is_a_get_snmp2_can_read() {
        let bytes = get_sys_up_time(b"public").unwrap();
        let pdu = snmp2::Pdu::from_bytes(&bytes).expect("valid SNMP");
        assert_eq!(pdu.message_type, snmp2::MessageType::GetRequest);
        assert_eq!(pdu.community, b"public");
        let (oid, _) = pdu.varbinds.clone().next().unwrap();
        assert_eq!(oid.to_string(), "1.3.6.1.2.1.1.3.0");
        assert!(get_sys_up_time(&[b'x'; 120]).is_none());
    }

    #[tokio::test]
    async fn a_closed_port_is_refused_at_once() {
        // Bind then drop a socket: nothing listens on that port any more.
        let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let canary = Canary::open(SocketAddr::from(([127, 0, 0, 1], port)), b"public").await.unwrap();
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(2), canary.refused()).await;
        assert!(matches!(outcome, Ok(SnmpError::Refused { .. })), "refused at once");
    }
}
