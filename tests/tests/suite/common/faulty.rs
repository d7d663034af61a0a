//! A local HTTP server that misbehaves on purpose, byte by byte.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Promises 100 bytes, sends 10, and resets the connection.
    ResetMidBody,
    /// A JSON body cut short, with a matching length.
    TruncatedJson,
    /// A 502 HTML page, as a proxy sends.
    Html502,
    /// 200 with a plain-text body.
    WrongContentType,
    /// Sends the status line, then nothing.
    SlowHeaders,
    /// 200 with an error body.
    SuccessWithErrorBody,
    /// 404 (a documented status) with a success body.
    ErrorWithSuccessBody,
    /// 200 with a chunked body of 8 MiB.
    HugeBody,
}

pub const ALL: [Fault; 8] = [
    Fault::ResetMidBody,
    Fault::TruncatedJson,
    Fault::Html502,
    Fault::WrongContentType,
    Fault::SlowHeaders,
    Fault::SuccessWithErrorBody,
    Fault::ErrorWithSuccessBody,
    Fault::HugeBody,
];

pub struct FaultyServer {
    pub base_url: String,
    pub requests: Arc<AtomicUsize>,
}

impl FaultyServer {
    pub async fn start(fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, fault));
            }
        });
        Self {
            base_url: format!("http://{addr}/api/n/otp-handler"),
            requests,
        }
    }
}

/// Reads one request, head and body, as it came on the wire.
pub async fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut chunk).await else {
            return buf;
        };
        if n == 0 {
            return buf;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return buf;
            }
        }
    }
}

pub fn response(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn serve(mut stream: TcpStream, fault: Fault) {
    read_request(&mut stream).await;
    let text = match fault {
        Fault::ResetMidBody => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"success\"";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            // Linger 0: the close is a TCP reset, not an orderly end.
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            drop(stream);
            return;
        }
        Fault::TruncatedJson => response("200 OK", "application/json", "{\"success\": tr"),
        Fault::Html502 => response(
            "502 Bad Gateway",
            "text/html",
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        ),
        Fault::WrongContentType => response("200 OK", "text/plain", "OK"),
        Fault::SlowHeaders => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n").await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        Fault::SuccessWithErrorBody => response(
            "200 OK",
            "application/json",
            r#"{"type":"ForbiddenException","message":"Запрещено","httpStatus":403}"#,
        ),
        Fault::ErrorWithSuccessBody => {
            response("404 Not Found", "application/json", r#"{"success":true}"#)
        }
        Fault::HugeBody => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
            for _ in 0..128 {
                if stream.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n").await;
            return;
        }
    };
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.shutdown().await;
}
