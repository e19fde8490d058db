//! A real SMTP server for the tests, on 127.0.0.1: it speaks the protocol
//! over TCP (RFC 5321: greeting, EHLO, MAIL, RCPT, DATA with dot-stuffing,
//! RSET, NOOP, QUIT), keeps what it receives, and decodes the MIME parts
//! Portico sends. Written here rather than taken from a package registry
//! so the test command needs no Python or Node to receive mail; it is
//! deliberately small and answers like a relay would, including 451
//! "try later" on demand.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the relay received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The raw message (headers and body), dot-stuffing undone.
    pub data: String,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    /// Answer the next N messages' DATA with 451.
    refuse: Arc<AtomicUsize>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(AtomicUsize::new(0));
        let (r, f) = (received.clone(), refuse.clone());
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (r, f) = (r.clone(), f.clone());
                tokio::spawn(async move {
                    let _ = session(conn, r, f).await;
                });
            }
        });
        Self {
            port,
            received,
            refuse,
            task: Arc::new(task),
        }
    }

    /// `[email]` for a Portico that sends here.
    pub fn config(&self) -> String {
        format!(
            "[email]\nsmtp_url = \"smtp://127.0.0.1:{}\"\nfrom = \"Acme Accounts <no-reply@acme.example>\"\n",
            self.port
        )
    }

    /// Refuse the next `n` messages with 451 (a relay asking to retry).
    pub fn refuse_next(&self, n: usize) {
        self.refuse.store(n, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Wait until `n` messages have arrived (at most `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{} of {n} mails arrived within {within:?}", got.len());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

async fn session(
    conn: tokio::net::TcpStream,
    received: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let (read, mut write) = conn.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = cmd[10..].trim().to_owned();
            to.clear();
            b"250 2.1.0 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(cmd[8..].trim().trim_matches(['<', '>']).to_owned());
            b"250 2.1.5 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let refused = refuse
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if refused {
                b"451 4.3.0 try again later\r\n"
            } else {
                received.lock().unwrap().push(Received {
                    mail_from: from.clone(),
                    rcpt_to: to.clone(),
                    data,
                });
                b"250 2.0.0 queued\r\n"
            }
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 5.5.2 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

impl Received {
    /// A header's value (unfolded), by name.
    pub fn header(&self, name: &str) -> Option<String> {
        header_in(self.data.split("\r\n\r\n").next().unwrap_or(""), name)
    }

    /// The Subject, its RFC 2047 encoded words (how non-ASCII subjects
    /// travel) decoded.
    pub fn subject(&self) -> String {
        decode_words(&self.header("Subject").expect("a Subject header"))
    }

    /// The decoded `text/plain` part.
    pub fn text(&self) -> String {
        self.part("text/plain")
    }

    /// The decoded `text/html` part.
    pub fn html(&self) -> String {
        self.part("text/html")
    }

    fn part(&self, mime: &str) -> String {
        let ct = self.header("Content-Type").unwrap_or_default();
        let boundary = ct
            .split("boundary=")
            .nth(1)
            .map(|b| {
                b.trim_matches('"')
                    .split(';')
                    .next()
                    .unwrap()
                    .trim_matches('"')
                    .to_owned()
            })
            .expect("a multipart mail");
        for part in self.data.split(&format!("--{boundary}")) {
            let Some((head, body)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            let ct = header_in(head, "Content-Type").unwrap_or_default();
            if !ct.starts_with(mime) {
                continue;
            }
            let enc = header_in(head, "Content-Transfer-Encoding")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let body = body.trim_end_matches(['\r', '\n', '-']);
            return match enc.as_str() {
                "base64" => {
                    let joined: String = body.split_whitespace().collect();
                    String::from_utf8(
                        base64::engine::general_purpose::STANDARD
                            .decode(joined)
                            .unwrap(),
                    )
                    .unwrap()
                }
                "quoted-printable" => quoted_printable(body),
                _ => body.to_owned(),
            };
        }
        panic!("no {mime} part in {}", self.data)
    }

    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let text = self.text();
        let at = text
            .find(prefix)
            .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
        text[at..].split_whitespace().next().unwrap().to_owned()
    }
}

fn header_in(head: &str, name: &str) -> Option<String> {
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.split("\r\n").find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// RFC 2047 §6.2: whitespace between two encoded words is dropped, and
/// their bytes are joined before reading them as UTF-8 (an encoder may
/// split a character across two words).
fn decode_words(value: &str) -> String {
    let mut out = Vec::new();
    let mut last_encoded = false;
    for (i, word) in value.split_whitespace().enumerate() {
        let decoded = encoded_word(word);
        let encoded = decoded.is_some();
        if i > 0 && !(last_encoded && encoded) {
            out.push(b' ');
        }
        out.extend(decoded.unwrap_or_else(|| word.as_bytes().to_vec()));
        last_encoded = encoded;
    }
    String::from_utf8(out).unwrap()
}

/// `=?charset?B?...?=` or `=?charset?Q?...?=` as bytes; None for plain text.
fn encoded_word(word: &str) -> Option<Vec<u8>> {
    let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD.decode(text).ok(),
        "Q" | "q" => Some(quoted_printable_bytes(&text.replace('_', " "))),
        _ => None,
    }
}

fn quoted_printable(s: &str) -> String {
    String::from_utf8(quoted_printable_bytes(s)).unwrap()
}

fn quoted_printable_bytes(s: &str) -> Vec<u8> {
    let s = s.replace("=\r\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}
