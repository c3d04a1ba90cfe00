//! A snapshot of the depot's counters, printed like `/proc/lockdep_stats`.

use core::fmt;

/// Counters and sizes of a [`StackDepot`](crate::StackDepot) at one moment.
///
/// Counters are summed from per-thread shards without stopping savers, so a
/// snapshot taken while other threads save is consistent per field, not across
/// fields. Byte figures are exact for the mappings the depot made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Unique traces stored.
    pub traces: u64,
    /// Frames in those traces.
    pub frames: u64,
    /// Every byte the depot has populated and still holds resident (what the
    /// memory cap is charged with): slabs in use, the reserve (populated slabs
    /// beyond the open one), live and spare index tables, what stays of retired
    /// ones (each keeps its first page; a table of one page keeps all of it), the
    /// record bits of populated slabs.
    pub bytes_mapped: u64,
    /// What the stored traces cost: records, their slabs' first words and unusable
    /// tails, the record bits of opened slabs, the live index tables and what stays
    /// resident of retired ones. Excludes the reserve, spare tables and the free
    /// end of the open slab.
    pub bytes_used: u64,
    /// Bytes populated ahead of need, which no-wait saves can use: slabs beyond the
    /// open one (with their record bits) and spare index tables.
    pub bytes_in_reserve: u64,
    /// Bytes of the live dedup-index tables (included in `bytes_used`).
    pub bytes_index: u64,
    /// Address space of replaced index tables: kept mapped so lock-free readers
    /// never fault, and returned to the OS (`MADV_DONTNEED`; by the populator
    /// thread, when it serves the depot, soon after the replacement) but for each
    /// table's first page. `bytes_mapped` counts what is still resident.
    pub bytes_index_retired: u64,
    /// Bytes lost inside slabs: tails too short for the next record, and copies
    /// written by the loser of a race to save the same new trace.
    pub bytes_wasted: u64,
    /// Slabs in use.
    pub slabs: u64,
    /// Slabs populated beyond the open one: the no-wait reserve. At least
    /// [`Config::reserve_slabs`](crate::Config::reserve_slabs) after a refill (when
    /// the cap allows), more when the last growth step was larger (steps double up to
    /// 2 MiB).
    pub reserve_slabs: u64,
    /// Slabs backed by the background populator thread rather than by a saver (see
    /// [`Config::background_population`](crate::Config::background_population)).
    pub background_slabs: u64,
    /// Pieces of slabs and index tables the background thread could not populate or
    /// map (cap reached, mapping refused); the save that then needs the memory
    /// meets the error itself and counts it in its own field.
    pub background_failures: u64,
    /// Slots in the live index tables (the kernel's "hash buckets").
    pub index_slots: u64,
    /// Longest probe a lookup of a stored trace needs, in slots (the kernel's
    /// "longest chain"); measured on the live tables when the snapshot is taken.
    pub index_longest_probe: u64,
    /// Sum over stored traces of the slots their lookup visits; see
    /// [`mean_probe`](Self::mean_probe).
    pub index_probe_total: u64,
    /// Calls to `save`/`save_with`.
    pub saves: u64,
    /// Saves answered by a trace already stored.
    pub dedup_hits: u64,
    /// Saves that lost a race to store the same new trace (their copy is waste).
    pub lost_races: u64,
    /// Saves whose trace was longer than `max_frames` and was truncated.
    pub truncated: u64,
    /// Saves of an empty trace.
    pub empty: u64,
    /// No-wait saves that found the reserve empty.
    pub no_reserve: u64,
    /// Saves refused by the memory cap.
    pub cap_reached: u64,
    /// Saves that failed because the OS refused a mapping.
    pub map_failed: u64,
    /// No-wait saves that found the publication lock busy.
    pub contended: u64,
    /// Saves refused because every addressable slab is in use.
    pub handle_space_exhausted: u64,
}

impl Stats {
    /// Bytes used per stored frame, index included (0 for an empty depot).
    pub fn bytes_per_frame(&self) -> f64 {
        if self.frames == 0 {
            0.0
        } else {
            self.bytes_used as f64 / self.frames as f64
        }
    }

    /// Mean slots a lookup of a stored trace visits (1.0 = always the home slot).
    pub fn mean_probe(&self) -> f64 {
        if self.traces == 0 {
            0.0
        } else {
            self.index_probe_total as f64 / self.traces as f64
        }
    }

    /// Total failed saves, all kinds.
    pub fn failures(&self) -> u64 {
        self.empty
            + self.no_reserve
            + self.cap_reached
            + self.map_failed
            + self.contended
            + self.handle_space_exhausted
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: [(&str, u64); 25] = [
            ("stack traces", self.traces),
            ("stack-trace frames", self.frames),
            ("bytes mapped", self.bytes_mapped),
            ("bytes used", self.bytes_used),
            ("bytes in reserve", self.bytes_in_reserve),
            ("index bytes", self.bytes_index),
            (
                "retired index bytes (not resident)",
                self.bytes_index_retired,
            ),
            ("wasted bytes", self.bytes_wasted),
            ("slabs", self.slabs),
            ("reserve slabs", self.reserve_slabs),
            ("slabs populated in background", self.background_slabs),
            ("background population failures", self.background_failures),
            ("index slots", self.index_slots),
            ("longest index probe", self.index_longest_probe),
            ("index probes (sum over traces)", self.index_probe_total),
            ("save calls", self.saves),
            ("dedup hits", self.dedup_hits),
            ("lost insert races", self.lost_races),
            ("truncated traces", self.truncated),
            ("empty traces", self.empty),
            ("failed: no reserve", self.no_reserve),
            ("failed: cap reached", self.cap_reached),
            ("failed: map failed", self.map_failed),
            ("failed: contended", self.contended),
            ("failed: handle space", self.handle_space_exhausted),
        ];
        for (name, value) in rows {
            writeln!(f, " {:<36} {:>11}", format!("{name}:"), value)?;
        }
        Ok(())
    }
}
