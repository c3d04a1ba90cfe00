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
        let before = self.mapped.fetch_add(bytes, Ordering::Relaxed);
        if before
            .checked_add(bytes)
            .is_none_or(|after| after > self.cap)
        {
            self.mapped.fetch_sub(bytes, Ordering::Relaxed);
            return Err(SaveError::CapReached);
        }
        Ok(())
    }

    /// Gives back bytes that were unmapped (or never mapped after a failed map).
    pub(crate) fn refund(&self, bytes: usize) {
        self.mapped.fetch_sub(bytes, Ordering::Relaxed);
    }
}
