//! The HTTP server around the application: HTTP/1.1 connections with a deadline for each
//! request's headers, a cap on connections served at once, graceful shutdown, and problem
//! documents also for the requests hyper refuses before the application sees them.
//!
//! `axum::serve` sets no timer, so a client that sends half a header holds its connection for
//! ever; and hyper answers a request it cannot parse (400), whose URI is too long (414) or
//! whose headers are too large (431) with an empty body. Here each connection gets
//! `header_read_timeout` (which also bounds how long a kept-alive connection may sit idle), a
//! permit of `max_connections` (more wait in the listen queue), and [`ProblemIo`] rewrites
//! hyper's own empty error answers into RFC 9457 documents.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::http::problem::{Problem, slug_of};

/// How connections are served.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest a client may take to send a request's headers (and to start the next
    /// request on a kept-alive connection).
    pub header_read_timeout: Duration,
    /// Most connections served at once.
    pub max_connections: usize,
    /// The largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
}

impl Limits {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs),
            max_connections: config.max_connections,
            max_header_bytes: 64 * 1024,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the connections in flight
/// finish (at most `drain` long).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> io::Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        // One buffer per write: what ProblemIo reads a response head from.
        .writev(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = builder.serve_connection(TokioIo::new(ProblemIo::new(stream)), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period are closed");
    }
    Ok(())
}

/// Raises this process's limit of open files to its hard limit, so that `max_connections`
/// can be reached; returns the limit now in force.
pub fn raise_open_files_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(_) => soft,
        },
        Ok((soft, _)) => soft,
        Err(_) => 0,
    }
}

/// A connection whose writes are watched for the error answers hyper makes itself (400, 414,
/// 431 with no body, on a request it could not parse); those are replaced by a problem
/// document. Everything else passes unchanged.
pub struct ProblemIo {
    inner: TcpStream,
    /// A replacement answer still to be written, and how much of it has been.
    pending: Option<(Vec<u8>, usize)>,
}

impl ProblemIo {
    pub fn new(inner: TcpStream) -> Self {
        Self { inner, pending: None }
    }

    /// Writes what is pending; ready once it is all written.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
            if *written == bytes.len() {
                self.pending = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// The problem document that replaces hyper's own answer in `head`, if `head` is one.
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let status: u16 = head
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| head.strip_prefix(b"HTTP/1.0 "))
        .and_then(|rest| std::str::from_utf8(rest.get(..3)?).ok())
        .and_then(|code| code.parse().ok())?;
    if !matches!(status, 400 | 414 | 431) {
        return None;
    }
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    let text = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    // The application's answers always carry a content type; hyper's own have none, and no body.
    if text.contains("\r\ncontent-type:") || !text.contains("\r\ncontent-length: 0") || head.len() != end + 4 {
        return None;
    }
    let status = axum::http::StatusCode::from_u16(status).ok()?;
    let detail = match status.as_u16() {
        414 => "the request's URI is longer than this registry reads",
        431 => "the request's headers are larger than this registry reads (64 KiB in all)",
        _ => "the request is not valid HTTP/1.1 (its request line or a header cannot be read)",
    };
    let problem = Problem::new(status, &slug_of(status), detail, None, Vec::new());
    let body = serde_json::to_vec(&problem).expect("a problem serialises");
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        crate::http::problem::PROBLEM_JSON,
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

impl AsyncRead for ProblemIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ProblemIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(out) = replacement(buf) {
            self.pending = Some((out, 0));
            // Taken whole: the replacement goes out with this and the next calls.
            let _ = self.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    #[test]
    fn only_hypers_own_empty_error_answers_are_replaced() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(replacement(hyper).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
        assert!(out.contains("content-type: application/problem+json"), "{out}");
        assert!(out.contains("\"status\":431"), "{out}");
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n";
        assert!(replacement(ours).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(replacement(ok).is_none());
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 OK\r\n";
        assert!(replacement(with_body).is_none());
    }
}
