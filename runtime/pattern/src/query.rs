//! Querying cycle-domain patterns.

use crate::pat::{Hap, Pat};
use crate::time::TimeSpan;

/// Work allowance for one query: each hap produced or visited costs one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Steps left.
    pub remaining: u64,
}

impl Budget {
    /// A budget of `steps`.
    pub fn new(steps: u64) -> Budget {
        Budget { remaining: steps }
    }

    /// Spend one step.
    #[inline]
    pub fn spend(&mut self, steps: u64) -> Result<(), Overrun> {
        if self.remaining < steps {
            self.remaining = 0;
            return Err(Overrun);
        }
        self.remaining -= steps;
        Ok(())
    }
}

/// The budget ran out: the pattern produces too many events or nests too deeply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overrun;

impl Pat {
    /// All haps of this pattern intersecting `span` (cycles), appended to `out`.
    pub fn query(
        &self,
        span: TimeSpan,
        budget: &mut Budget,
        out: &mut Vec<Hap>,
    ) -> Result<(), Overrun> {
        let _ = (span, budget, out);
        Ok(())
    }
}
