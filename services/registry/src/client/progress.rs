//! What a waiting command shows on stderr: a line per state change; in a terminal, also the
//! state it waits in with the time spent, rewritten in place (never a spinner in a log file).

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct Progress {
    terminal: bool,
    started: Instant,
    last: Option<String>,
    /// A line being rewritten is on screen.
    open_line: bool,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            last: None,
            open_line: false,
        }
    }

    /// The state `what` was seen in.
    pub fn state(&mut self, what: &str, state: &str) {
        let elapsed = self.started.elapsed().as_secs();
        let mut err = std::io::stderr().lock();
        if self.last.as_deref() != Some(state) {
            self.clear(&mut err);
            let _ = writeln!(err, "{what}: {state} after {elapsed}s");
            self.last = Some(state.to_string());
        } else if self.terminal {
            self.clear(&mut err);
            let _ = write!(err, "{what}: {state}, waiting {elapsed}s");
            let _ = err.flush();
            self.open_line = true;
        }
    }

    /// Waiting is over: the rewritten line goes.
    pub fn done(&mut self) {
        let mut err = std::io::stderr().lock();
        self.clear(&mut err);
    }

    fn clear(&mut self, err: &mut impl Write) {
        if self.open_line {
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.open_line = false;
        }
    }
}
