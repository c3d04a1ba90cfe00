//! The depot under test.

use stackdepot::{Config, Handle, StackDepot, Stats};

use super::{TraceStore, frame_sum, slice_parts};

/// `stackdepot::StackDepot` (by default with its default configuration); ids are
/// raw handles.
pub struct StackDepotStore {
    depot: StackDepot,
    name: &'static str,
}

impl StackDepotStore {
    /// Name in tables.
    pub const NAME: &'static str = "stackdepot";
    /// Name in tables of the huge-page variant.
    pub const HUGE_PAGES_NAME: &'static str = "stackdepot-thp";

    /// A depot with [`Config::default`].
    pub fn new() -> StackDepotStore {
        StackDepotStore {
            depot: StackDepot::new(),
            name: Self::NAME,
        }
    }

    /// A depot with [`Config::default`] and [`Config::huge_pages`] on.
    ///
    /// # Panics
    /// If the OS refuses the depot's first mappings (as [`StackDepot::new`] does).
    pub fn huge_pages() -> StackDepotStore {
        match StackDepot::with_config(Config::default().huge_pages(true)) {
            Ok(depot) => StackDepotStore {
                depot,
                name: Self::HUGE_PAGES_NAME,
            },
            Err(e) => panic!("cannot create a stack depot: {e}"),
        }
    }

    /// A depot with a given config.
    pub fn with_config(config: Config) -> Result<StackDepotStore, stackdepot::ConfigError> {
        Ok(StackDepotStore {
            depot: StackDepot::with_config(config)?,
            name: Self::NAME,
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
        self.name
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
