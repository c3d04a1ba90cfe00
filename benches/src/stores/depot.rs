//! The depot under test.

use stackdepot::{Config, Handle, StackDepot, Stats};

use super::{TraceStore, frame_sum, slice_parts};

/// `stackdepot::StackDepot` with its default configuration; ids are raw handles.
pub struct StackDepotStore {
    depot: StackDepot,
}

impl StackDepotStore {
    /// Name in tables.
    pub const NAME: &'static str = "stackdepot";

    /// A depot with [`Config::default`].
    pub fn new() -> StackDepotStore {
        StackDepotStore {
            depot: StackDepot::new(),
        }
    }

    /// A depot with a given config.
    pub fn with_config(config: Config) -> Result<StackDepotStore, stackdepot::ConfigError> {
        Ok(StackDepotStore {
            depot: StackDepot::with_config(config)?,
        })
    }

    /// The depot's own counters (bytes mapped, index size, ...).
    pub fn stats(&self) -> Stats {
        self.depot.stats()
    }

    /// The depot itself.
    pub fn depot(&self) -> &StackDepot {
        &self.depot
    }
}

impl Default for StackDepotStore {
    fn default() -> Self {
        Self::new()
    }
}

impl TraceStore for StackDepotStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    #[inline]
    fn save(&self, frames: &[usize]) -> Option<u32> {
        self.depot.save(frames).ok().map(Handle::to_raw)
    }

    #[inline]
    fn fetch_slice(&self, id: u32) -> Option<(usize, usize)> {
        self.depot.fetch(Handle::from_raw(id)?).map(slice_parts)
    }

    #[inline]
    fn fetch_sum(&self, id: u32) -> Option<usize> {
        self.depot.fetch(Handle::from_raw(id)?).map(frame_sum)
    }

    fn fetch_into(&self, id: u32, out: &mut Vec<usize>) -> bool {
        out.clear();
        match Handle::from_raw(id).and_then(|h| self.depot.fetch(h)) {
            Some(frames) => {
                out.extend_from_slice(frames);
                true
            }
            None => false,
        }
    }

    fn bytes_used(&self) -> usize {
        usize::try_from(self.depot.stats().bytes_used).unwrap_or(usize::MAX)
    }
}
