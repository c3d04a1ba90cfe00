//! Accounting of mapped bytes against the optional memory cap.

use crate::SaveError;
use crate::sync::{AtomicUsize, Ordering};

pub(crate) struct Budget {
    mapped: AtomicUsize,
    cap: usize,
}

impl Budget {
    pub(crate) fn new(cap: Option<usize>) -> Budget {
        Budget {
            mapped: AtomicUsize::new(0),
            cap: cap.unwrap_or(usize::MAX),
        }
    }

    /// Reserves `bytes` of the cap before mapping them.
    pub(crate) fn charge(&self, bytes: usize) -> Result<(), SaveError> {
        self.charge_up_to(bytes, 1).map(|_| ())
    }

    /// Reserves as many `unit`-byte pieces as fit under the cap, at most `want`
    /// (at least one, or [`SaveError::CapReached`]); returns how many.
    pub(crate) fn charge_up_to(&self, unit: usize, want: usize) -> Result<usize, SaveError> {
        let mut mapped = self.mapped.load(Ordering::Relaxed);
        loop {
            let room = self.cap.saturating_sub(mapped) / unit.max(1);
            let n = want.min(room);
            if n == 0 {
                return Err(SaveError::CapReached);
            }
            match self.mapped.compare_exchange_weak(
                mapped,
                mapped + n * unit,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(n),
                Err(now) => mapped = now,
            }
        }
    }

    /// Bytes charged now.
    pub(crate) fn charged(&self) -> usize {
        self.mapped.load(Ordering::Relaxed)
    }

    /// Whether `bytes` more would fit under the cap now (a hint: others may charge
    /// meanwhile).
    pub(crate) fn has_room(&self, bytes: usize) -> bool {
        self.cap.saturating_sub(self.mapped.load(Ordering::Relaxed)) >= bytes
    }

    /// Gives back bytes that were unmapped (or never mapped after a failed map).
    pub(crate) fn refund(&self, bytes: usize) {
        self.mapped.fetch_sub(bytes, Ordering::Relaxed);
    }
}
