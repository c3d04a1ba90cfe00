//! What a depot grows, shared with the background populator: the slab region, the
//! memory budget, and the depot's population request.
//!
//! The depot holds its `Growth` in an `Arc`, and so does the populator while a
//! request is queued or being served, so a region outlives a dropped depot until
//! the populator lets go of it (it then skips the request: `closed`). The hot
//! paths do not go through here: the depot keeps a copy of the region's base
//! ([`Records`](crate::region::Records)).
//!
//! # Request protocol
//!
//! A saver that wants slabs populated raises `wanted` (`fetch_max`, `Relaxed`),
//! then sets `queued` with `swap(true, AcqRel)`; only the saver that found it
//! clear pushes the growth onto the populator's list (see `populator.rs`). The
//! populator clears `queued` with `swap(false, AcqRel)` *before* it reads
//! `wanted`. Either a saver's swap comes after that clear in `queued`'s order — it
//! sees `false` and queues the growth again — or before it, and then the
//! populator's clearing swap reads a value written by a chain of read-modify-writes
//! that includes that saver's `Release` swap, so the saver's raise of `wanted`
//! happens-before the populator's read. No request is lost.

use std::sync::Arc;
use std::sync::atomic::AtomicPtr;

use crate::budget::Budget;
use crate::index::Shard;
use crate::region::SlabRegion;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

pub(crate) struct Growth {
    pub(crate) region: SlabRegion,
    pub(crate) budget: Budget,
    /// The depot's index shards, whose next tables the populator maps.
    shards: Arc<[Shard]>,
    /// Slabs the depot wants populated; only grows.
    wanted: AtomicUsize,
    /// On the populator's list, or being served (see the module docs).
    queued: AtomicBool,
    /// The next growth on the populator's list (its `Arc`, as a raw pointer).
    pub(crate) next: AtomicPtr<Growth>,
    /// The depot was dropped: nothing to populate for.
    closed: AtomicBool,
    /// Slabs the populator backed.
    background_slabs: AtomicUsize,
    /// Requests the populator could not complete (cap reached, mapping refused);
    /// the saver that needs the memory then meets the error itself.
    background_failures: AtomicUsize,
}

impl Growth {
    pub(crate) fn new(region: SlabRegion, budget: Budget, shards: Arc<[Shard]>) -> Growth {
        Growth {
            region,
            budget,
            shards,
            wanted: AtomicUsize::new(0),
            queued: AtomicBool::new(false),
            next: AtomicPtr::new(core::ptr::null_mut()),
            closed: AtomicBool::new(false),
            background_slabs: AtomicUsize::new(0),
            background_failures: AtomicUsize::new(0),
        }
    }

    /// Asks for `slabs` populated slabs (0: only the shards' next tables). `true` if
    /// the caller must hand this growth to the populator (it was not queued
    /// already).
    #[inline]
    pub(crate) fn ask(&self, slabs: usize) -> bool {
        self.wanted.fetch_max(slabs, Ordering::Relaxed);
        // AcqRel: see the module docs.
        !self.queued.swap(true, Ordering::AcqRel)
    }

    /// Serves the request, on the populator's thread: slabs up to the target, then,
    /// per shard, the pages of replaced tables go back to the OS and the next table
    /// is mapped if the shard is past half its growth point. The growth was
    /// taken off the list; it may be queued again from here on.
    pub(crate) fn serve(&self) {
        // AcqRel: clears the flag before `wanted` is read (module docs).
        self.queued.swap(false, Ordering::AcqRel);
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        // Index tables first, and again after every piece of slabs: a shard that
        // reaches its growth point without its next table makes a saver map one
        // (or a no-wait saver fail), while slabs are asked for well ahead.
        self.serve_shards();
        while !self.closed.load(Ordering::Relaxed) {
            let wanted = self.wanted.load(Ordering::Relaxed);
            // Piece by piece, each published when it is backed: a saver that caught
            // up waits for one piece, not for the whole target.
            match crate::populator::piece(|| self.region.populate_piece(wanted, &self.budget)) {
                Ok(0) => return,
                Ok(added) => {
                    self.background_slabs.fetch_add(added, Ordering::Relaxed);
                }
                Err(_) => {
                    self.background_failures.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
            self.serve_shards();
        }
    }

    /// Returns replaced index tables' pages and maps the next table of every shard
    /// past half its growth point.
    fn serve_shards(&self) {
        for shard in self.shards.iter() {
            shard.release_retired(&self.budget);
            if shard.wants_spare() && shard.ensure_spare(&self.budget).is_err() {
                self.background_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The depot is going away; a queued request is skipped.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Slabs the populator backed.
    pub(crate) fn background_slabs(&self) -> usize {
        self.background_slabs.load(Ordering::Relaxed)
    }

    /// Requests the populator could not complete.
    pub(crate) fn background_failures(&self) -> usize {
        self.background_failures.load(Ordering::Relaxed)
    }
}
