//! A local HTTP/1.1 server that keeps every request exactly as it came on the wire, and
//! answers as a test says.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::faulty::read_request;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The request target, as sent: path and query, percent-encoded.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The whole request, head and body.
    pub raw: Vec<u8>,
}

impl Received {
    fn parse(raw: Vec<u8>) -> Option<Self> {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..end]).to_string();
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let method = first.next()?.to_string();
        let target = first.next()?.to_string();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Some(Self {
            method,
            target,
            headers,
            body: raw[end + 4..].to_vec(),
            raw,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path, percent-encoded, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query's pairs, decoded.
    pub fn query(&self) -> Vec<(String, String)> {
        match self.target.split_once('?') {
            Some((_, q)) => url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect(),
            None => Vec::new(),
        }
    }
}

/// How the server answers one request.
pub enum Answer {
    /// These bytes, then the connection is closed.
    Bytes(Vec<u8>),
    /// Nothing for a long time.
    Stall,
    /// A reset, without an answer.
    Reset,
}

impl Answer {
    /// A JSON answer with `status` (e.g. `"200 OK"`).
    pub fn json(status: &str, body: &str) -> Self {
        Self::with(status, "application/json", body, "")
    }

    /// An answer with a content type and extra header lines (each ending in `\r\n`).
    pub fn with(status: &str, content_type: &str, body: &str, headers: &str) -> Self {
        Self::Bytes(
            format!(
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{headers}connection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }
}

type Answerer = dyn Fn(&Received) -> Answer + Send + Sync;

pub struct RecordingServer {
    pub addr: std::net::SocketAddr,
    pub base_url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl RecordingServer {
    pub async fn start(answer: impl Fn(&Received) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Answerer> = Arc::new(answer);
        let log = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, log.clone(), answer.clone()));
            }
        });
        Self {
            addr,
            base_url: format!("http://{addr}/api/n/otp-handler"),
            received,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.received.lock().unwrap().clear();
    }
}

async fn serve(mut stream: TcpStream, log: Arc<Mutex<Vec<Received>>>, answer: Arc<Answerer>) {
    let raw = read_request(&mut stream).await;
    let Some(request) = Received::parse(raw) else {
        return;
    };
    let answer = answer(&request);
    log.lock().unwrap().push(request);
    match answer {
        Answer::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Answer::Stall => tokio::time::sleep(Duration::from_secs(60)).await,
        Answer::Reset => {
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
    }
}
