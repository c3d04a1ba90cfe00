//! Capturing the current stack and printing saved traces (feature `capture`).

use core::fmt;

/// Captures the calling thread's return addresses into `buf`, innermost frame
/// first, and returns how many were written. `skip` frames above the caller of
/// `capture` are dropped (0 keeps the caller's own frame as the first entry).
///
/// It does not allocate. It takes the `backtrace` crate's global unwinding lock,
/// so it is not async-signal-safe: from a signal handler, save frames you
/// collected yourself.
///
/// ```
/// let mut buf = [0usize; 32];
/// let n = stackdepot::capture(&mut buf, 0);
/// assert!(n > 0 && buf[..n].iter().all(|&ip| ip != 0));
/// ```
#[inline(never)]
pub fn capture(buf: &mut [usize], skip: usize) -> usize {
    // The unwinder reports its own frames and ours before the caller's, and how
    // many depends on inlining (debug vs release). Anchor on this function's own
    // frame: everything up to and including it is dropped, then `skip` more.
    let me = capture as *const () as usize;
    let mut seen_self = false;
    let mut to_skip = skip;
    let mut n = 0;
    backtrace::trace(|frame| {
        if !seen_self {
            seen_self = frame.symbol_address() as usize == me;
            return true;
        }
        if n == buf.len() {
            return false;
        }
        if to_skip > 0 {
            to_skip -= 1;
            return true;
        }
        let ip = frame.ip() as usize;
        if ip == 0 {
            return false;
        }
        buf[n] = ip;
        n += 1;
        true
    });
    n
}

/// Writes `frames` one per line, like the kernel's `stack_trace_print`: each line
/// is `indent` spaces, the address and, when `symbolize` is set and the address
/// resolves in this process, `symbol+0xoff` and `file:line`.
pub fn write_trace(
    out: &mut dyn fmt::Write,
    frames: &[usize],
    indent: usize,
    symbolize: bool,
) -> fmt::Result {
    for &ip in frames {
        write!(out, "{:indent$}{:#018x}", "", ip)?;
        if symbolize {
            let mut first = true;
            backtrace::resolve(ip as *mut core::ffi::c_void, |sym| {
                if !first {
                    return;
                }
                first = false;
                if let Some(name) = sym.name() {
                    let _ = write!(out, " {name:#}");
                    // Some symbolizers report the symbol's address unrelocated; only
                    // print an offset that is plausibly inside the function.
                    if let Some(off) = sym
                        .addr()
                        .and_then(|a| ip.checked_sub(a as usize))
                        .filter(|&o| o < 1 << 20)
                    {
                        let _ = write!(out, "+{off:#x}");
                    }
                }
                if let (Some(file), Some(line)) = (sym.filename(), sym.lineno()) {
                    let _ = write!(out, " ({}:{line})", file.display());
                }
            });
        }
        out.write_char('\n')?;
    }
    Ok(())
}

impl crate::StackDepot {
    /// Writes the trace behind `handle` symbolised, like the kernel's
    /// `stack_depot_print`; an unknown handle prints `<trace unavailable>`.
    pub fn print(&self, handle: crate::Handle, out: &mut dyn fmt::Write) -> fmt::Result {
        match self.fetch(handle) {
            Some(frames) => write_trace(out, frames, 1, true),
            None => out.write_str(" <trace unavailable>\n"),
        }
    }

    /// Captures the current stack (dropping `skip` frames above the caller) into a
    /// stack buffer and saves it: no allocation beyond what `alloc` allows.
    #[inline(never)]
    pub fn capture_and_save(
        &self,
        skip: usize,
        alloc: crate::Alloc,
    ) -> Result<crate::Handle, crate::SaveError> {
        let mut buf = [0usize; 256];
        let max = self.config().max_frames.min(buf.len());
        let n = capture(&mut buf[..max], skip + 1);
        self.save_with(&buf[..n], alloc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn marker(buf: &mut [usize]) -> usize {
        // black_box after the call: a tail call would leave no frame for `marker`.
        let n = capture(buf, 0);
        core::hint::black_box(n)
    }

    #[test]
    #[cfg_attr(miri, ignore = "the unwinder reads raw frame memory Miri cannot model")]
    fn first_frame_is_the_caller() {
        let mut buf = [0usize; 16];
        let n = marker(&mut buf);
        assert!(n >= 2);
        let mut name = String::new();
        backtrace::resolve(buf[0] as *mut core::ffi::c_void, |s| {
            if name.is_empty() {
                name = s.name().map(|n| n.to_string()).unwrap_or_default();
            }
        });
        assert!(name.contains("marker"), "first frame resolves to {name:?}");
        let mut skipped = [0usize; 16];
        #[inline(never)]
        fn skipper(buf: &mut [usize]) -> usize {
            capture(buf, 1)
        }
        let m = skipper(&mut skipped);
        assert!(m >= 1 && !skipped[..m].contains(&0));
    }
}
