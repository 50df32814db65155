//! Turning players into events.

use crate::program::{Event, Program};
use crate::query::Budget;
use crate::time::TimeSpan;

/// Per-player memo of stream positions; carried between queries by the runtime so that
/// successive windows cost O(events). Results never depend on it.
#[derive(Clone, Debug, Default)]
pub struct QueryCache {}

impl Program {
    /// Events with onsets in `beats` (a window in beats), ordered by onset then player name.
    /// Players whose budget runs out are skipped and their indices pushed to `failed`.
    pub fn query(
        &self,
        beats: TimeSpan,
        cache: &mut QueryCache,
        budget_per_player: Budget,
        out: &mut Vec<Event>,
        failed: &mut Vec<u32>,
    ) {
        let _ = (beats, cache, budget_per_player, out, failed);
    }
}
