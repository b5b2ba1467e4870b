//! A hostile HTTP server on loopback: answers every request with what a closure makes of
//! the request target (the signed path and query), e.g. an echo of the URL or escape
//! sequences, to check what the CLI shows of server-provided text.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// Starts the server; returns its base URL. It runs until the test process ends.
pub fn serve(answer: impl Fn(&str) -> (u16, String) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Skip the headers up to the blank line.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let target = request_line.split(' ').nth(1).unwrap_or("/");
            let (status, body) = answer(target);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

/// The value of `key` in a request target's query, still percent-encoded.
pub fn query_value(target: &str, key: &str) -> String {
    target
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_default()
        .to_owned()
}
