//! For tests: a one-shot HTTP server on loopback that answers `204 No Content` to the first
//! request and hands back that request's head (lower-cased), to check what a client sends.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Listens on a free loopback port; answers its base URL and the head of the first request.
pub async fn one_request() -> (String, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("a request");
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 << 10 {
            let n = socket.read(&mut buf).await.expect("read the request");
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let answer = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        socket.write_all(answer).await.expect("answer");
        String::from_utf8_lossy(&head).to_lowercase()
    });
    (base, server)
}
