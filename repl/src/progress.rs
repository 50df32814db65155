//! A one-line progress bar on stderr for long renders, drawn only when stderr is a terminal
//! (piped or captured output, as in tests and CI, stays clean).

use std::io::{IsTerminal, Write};

/// Renders shorter than this (seconds of audio) finish before a bar would help.
pub const MIN_SECONDS: f64 = 30.0;

const WIDTH: usize = 30;

/// A progress bar over `total` units (frames), shown in seconds of audio.
pub struct Progress {
    total: u64,
    rate: f64,
    shown: Option<usize>,
    enabled: bool,
}

impl Progress {
    /// A bar for `total` frames at `rate`; drawn only on a terminal and for long renders.
    pub fn new(total: u64, rate: u32) -> Progress {
        let rate = f64::from(rate.max(1));
        let long = total as f64 / rate >= MIN_SECONDS;
        Progress {
            total,
            rate,
            shown: None,
            enabled: long && std::io::stderr().is_terminal(),
        }
    }

    /// `done` frames are rendered; redraws when the bar moves by a step.
    pub fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        let step = steps(done, self.total);
        if self.shown == Some(step) {
            return;
        }
        self.shown = Some(step);
        let line = bar_line(done, self.total, self.rate);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}");
        let _ = err.flush();
    }

    /// Erase the bar (the caller prints its own summary line next).
    pub fn finish(&mut self) {
        if self.enabled && self.shown.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

/// Filled cells of the bar (0..=WIDTH), also its redraw step.
fn steps(done: u64, total: u64) -> usize {
    if total == 0 {
        return WIDTH;
    }
    ((done.min(total) as f64 / total as f64) * WIDTH as f64) as usize
}

/// `rendering [#######.......]  23%  41.0 of 180.0 s`
pub fn bar_line(done: u64, total: u64, rate: f64) -> String {
    let filled = steps(done, total);
    let pct = (done.min(total) * 100).checked_div(total).unwrap_or(100);
    format!(
        "rendering [{}{}] {pct:>3}%  {:.1} of {:.1} s",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        done.min(total) as f64 / rate,
        total as f64 / rate
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_frames_done() {
        assert_eq!(
            bar_line(0, 480_000, 48_000.0),
            format!("rendering [{}]   0%  0.0 of 10.0 s", ".".repeat(WIDTH))
        );
        assert_eq!(
            bar_line(240_000, 480_000, 48_000.0),
            format!(
                "rendering [{}{}]  50%  5.0 of 10.0 s",
                "#".repeat(15),
                ".".repeat(15)
            )
        );
        assert_eq!(
            bar_line(999_999, 480_000, 48_000.0),
            format!("rendering [{}] 100%  10.0 of 10.0 s", "#".repeat(WIDTH))
        );
        assert!(bar_line(0, 0, 48_000.0).contains("100%"));
    }

    #[test]
    fn short_renders_draw_nothing() {
        let p = Progress::new(48_000 * 10, 48_000);
        assert!(!p.enabled);
    }
}
