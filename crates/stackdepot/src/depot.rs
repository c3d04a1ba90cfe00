//! INTERIM implementation (to be replaced by the lock-free one).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{Alloc, Config, ConfigError, Handle, HandleLayout, SaveError, Stats};

/// The stack depot.
pub struct StackDepot {
    config: Config,
    layout: HandleLayout,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Box<[usize]>, u32>,
    traces: Vec<Box<[usize]>>,
    stats: Stats,
}

impl StackDepot {
    /// A depot with [`Config::default`].
    pub fn new() -> StackDepot {
        Self::with_config(Config::default()).expect("default config is valid")
    }

    /// A depot with the given config.
    pub fn with_config(config: Config) -> Result<StackDepot, ConfigError> {
        let layout = config.validate()?;
        Ok(StackDepot { config, layout, inner: Mutex::new(Inner::default()) })
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The handle layout.
    pub fn layout(&self) -> HandleLayout {
        self.layout
    }

    /// Saves with [`Alloc::MayAlloc`].
    pub fn save(&self, frames: &[usize]) -> Result<Handle, SaveError> {
        self.save_with(frames, Alloc::MayAlloc)
    }

    /// Saves.
    pub fn save_with(&self, frames: &[usize], _alloc: Alloc) -> Result<Handle, SaveError> {
        let mut g = self.inner.lock().unwrap();
        g.stats.saves += 1;
        if frames.is_empty() {
            g.stats.empty += 1;
            return Err(SaveError::Empty);
        }
        let frames = if frames.len() > self.config.max_frames {
            g.stats.truncated += 1;
            &frames[..self.config.max_frames]
        } else {
            frames
        };
        if let Some(&h) = g.map.get(frames) {
            g.stats.dedup_hits += 1;
            return Ok(Handle::from_raw(h).unwrap());
        }
        let id = g.traces.len() as u32 + 1;
        g.traces.push(frames.into());
        g.map.insert(frames.into(), id);
        g.stats.traces += 1;
        g.stats.frames += frames.len() as u64;
        Ok(Handle::from_raw(id).unwrap())
    }

    /// Fetches.
    pub fn fetch(&self, handle: Handle) -> Option<&[usize]> {
        let g = self.inner.lock().unwrap();
        let raw = handle.to_raw() & self.layout.body_mask();
        let b = g.traces.get((raw as usize).checked_sub(1)?)?;
        let (p, l) = (b.as_ptr(), b.len());
        // SAFETY: interim; boxes are never dropped or moved while the depot lives.
        Some(unsafe { core::slice::from_raw_parts(p, l) })
    }

    /// Refills.
    pub fn refill(&self) -> Result<(), SaveError> {
        Ok(())
    }

    /// Stats.
    pub fn stats(&self) -> Stats {
        self.inner.lock().unwrap().stats.clone()
    }

    /// Caller bits.
    pub fn with_caller_bits(&self, handle: Handle, bits: u32) -> Option<Handle> {
        if self.layout.caller_bits < 32 && bits >> self.layout.caller_bits != 0 {
            return None;
        }
        Handle::from_raw((handle.to_raw() & self.layout.body_mask()) | (bits << self.layout.caller_shift()))
    }

    /// Caller bits.
    pub fn caller_bits(&self, handle: Handle) -> u32 {
        (handle.to_raw() & self.layout.caller_mask()) >> self.layout.caller_shift()
    }
}

impl Default for StackDepot {
    fn default() -> Self {
        Self::new()
    }
}

impl StackDepot {
    /// Writes the trace behind `handle` symbolised, like the kernel's
    /// `stack_depot_print`; an unknown handle prints `<trace unavailable>`.
    #[cfg(feature = "capture")]
    pub fn print(&self, handle: Handle, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        match self.fetch(handle) {
            Some(frames) => crate::write_trace(out, frames, 1, true),
            None => out.write_str(" <trace unavailable>\n"),
        }
    }

    /// Captures the current stack (skipping `skip` frames above the caller) and saves it.
    #[cfg(feature = "capture")]
    #[inline(never)]
    pub fn capture_and_save(&self, skip: usize, alloc: Alloc) -> Result<Handle, SaveError> {
        let mut buf = [0usize; 256];
        let max = self.config.max_frames.min(buf.len());
        let n = crate::capture(&mut buf[..max], skip + 1);
        self.save_with(&buf[..n], alloc)
    }
}
