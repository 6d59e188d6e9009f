//! The registry's socket to a PostgreSQL server: TCP or a Unix socket, as the driver would
//! open it, with one difference that a connection budget needs. When the registry closes a
//! connection, its shutdown lasts until the server has closed its end too (at most
//! [`CLOSE_WAIT`]): the server's backend has left by then, so the place the connection held in
//! a budget is given back only once the server no longer counts it either.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

/// The longest a closing connection waits for the server to close its end.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// A socket to a server (see the module's documentation).
pub struct Socket {
    stream: Stream,
    /// Set once the write side is shut: until when the server's end is waited for.
    closing: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Socket {
    /// Connects to `host` (a name or address) on `port`, within `timeout`; TCP keepalive
    /// probes start after `keepalive_idle` (none: off), so that a server gone silent is noticed.
    pub async fn tcp(host: &str, port: u16, timeout: Duration, keepalive_idle: Option<Duration>) -> io::Result<Self> {
        let stream = within(timeout, TcpStream::connect((host, port))).await?;
        stream.set_nodelay(true)?;
        if let Some(idle) = keepalive_idle {
            socket2::SockRef::from(&stream).set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(idle))?;
        }
        Ok(Self {
            stream: Stream::Tcp(stream),
            closing: None,
        })
    }

    /// Connects to the server's socket in `dir` for `port`, within `timeout`.
    pub async fn unix(dir: &Path, port: u16, timeout: Duration) -> io::Result<Self> {
        let path = dir.join(format!(".s.PGSQL.{port}"));
        let stream = within(timeout, UnixStream::connect(path)).await?;
        Ok(Self {
            stream: Stream::Unix(stream),
            closing: None,
        })
    }
}

async fn within<T>(timeout: Duration, connect: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    tokio::time::timeout(timeout, connect)
        .await
        .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "connection timed out")))
}

impl AsyncRead for Socket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().stream {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().stream {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().stream {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    /// Shuts the write side, then reads (and throws away) until the server closes its end,
    /// an error, or [`CLOSE_WAIT`].
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.closing.is_none() {
            let shut = match &mut this.stream {
                Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
                Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            };
            // A socket the server closed already cannot be shut: nothing left to wait for.
            if ready!(shut).is_err() {
                return Poll::Ready(Ok(()));
            }
            this.closing = Some(Box::pin(tokio::time::sleep(CLOSE_WAIT)));
        }
        let mut scratch = [0u8; 256];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            let read = match &mut this.stream {
                Stream::Tcp(s) => Pin::new(s).poll_read(cx, &mut buf),
                Stream::Unix(s) => Pin::new(s).poll_read(cx, &mut buf),
            };
            match read {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    let deadline = this.closing.as_mut().expect("set above");
                    return match deadline.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Ok(())),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}
