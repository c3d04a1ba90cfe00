//! Parsing and validating SDW1 bytes.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use super::{HEADER_LEN, MAGIC, Sdw1, Sdw1Error, VERSION};

/// A bounds-checked little-endian cursor; every read past the end is `None`.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
}

impl Sdw1 {
    /// Parses and validates an SDW1 image.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sdw1, Sdw1Error> {
        let len = bytes.len();
        if len < HEADER_LEN {
            return Err(Sdw1Error::TooShort { len });
        }
        let mut c = Cursor { bytes, pos: 0 };
        let too_short = Sdw1Error::TooShort { len };
        let magic: [u8; 4] = c
            .take(4)
            .and_then(|b| b.try_into().ok())
            .ok_or(Sdw1Error::TooShort { len })?;
        if magic != MAGIC {
            return Err(Sdw1Error::BadMagic { found: magic });
        }
        let version = c.u32().ok_or(Sdw1Error::TooShort { len })?;
        if version != VERSION {
            return Err(Sdw1Error::UnsupportedVersion { found: version });
        }
        let n_traces = c.u64().ok_or(Sdw1Error::TooShort { len })?;
        let n_events = c.u64().ok_or(too_short)?;

        // Every trace needs at least its 4-byte length and every event 4 bytes: refuse counts
        // the file cannot hold before sizing anything from them.
        let minimum = (n_traces as u128 + n_events as u128) * 4;
        if minimum > c.remaining() as u128 || n_traces > u64::from(u32::MAX) + 1 {
            return Err(Sdw1Error::CountsExceedFile {
                n_traces,
                n_events,
                len,
            });
        }
        // Both now fit in usize: they are bounded by the file length.
        let (nt, ne) = (n_traces as usize, n_events as usize);

        let mut starts = Vec::with_capacity(nt + 1);
        let mut frames = Vec::new();
        starts.push(0);
        for t in 0..n_traces {
            let offset = c.pos;
            let n = c.u32().ok_or(Sdw1Error::Truncated {
                what: "trace header",
                index: t,
                offset,
            })?;
            if n == 0 {
                return Err(Sdw1Error::EmptyTrace { trace: t });
            }
            let body = c
                .take((n as usize).saturating_mul(8))
                .ok_or(Sdw1Error::Truncated {
                    what: "trace frames",
                    index: t,
                    offset,
                })?;
            // The body is present, so reserving for it is bounded by the file size.
            frames.reserve(n as usize);
            for word in body.chunks_exact(8) {
                let mut w = [0u8; 8];
                w.copy_from_slice(word);
                let v = u64::from_le_bytes(w);
                let f = usize::try_from(v)
                    .map_err(|_| Sdw1Error::FrameTooLarge { trace: t, frame: v })?;
                frames.push(f);
            }
            starts.push(frames.len());
        }

        let offset = c.pos;
        let body = c.take(ne.saturating_mul(4)).ok_or(Sdw1Error::Truncated {
            what: "events",
            index: (c.remaining() / 4) as u64,
            offset,
        })?;
        let mut events = Vec::with_capacity(ne);
        for (e, word) in body.chunks_exact(4).enumerate() {
            let mut w = [0u8; 4];
            w.copy_from_slice(word);
            let index = u32::from_le_bytes(w);
            if index as u64 >= n_traces {
                return Err(Sdw1Error::IndexOutOfRange {
                    event: e as u64,
                    index,
                    n_traces,
                });
            }
            events.push(index);
        }
        if c.remaining() != 0 {
            return Err(Sdw1Error::TrailingBytes {
                extra: c.remaining(),
            });
        }

        let sdw = Sdw1 {
            frames,
            starts,
            events,
        };
        let mut seen: HashMap<&[usize], u64> = HashMap::with_capacity(nt);
        for (i, t) in sdw.traces().enumerate() {
            if let Some(&first) = seen.get(t) {
                return Err(Sdw1Error::DuplicateTrace {
                    trace: i as u64,
                    first,
                });
            }
            seen.insert(t, i as u64);
        }
        drop(seen);
        Ok(sdw)
    }

    /// Reads a whole SDW1 stream and validates it.
    pub fn read(mut reader: impl Read) -> Result<Sdw1, Sdw1Error> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        Sdw1::from_bytes(&bytes)
    }

    /// Reads and validates the SDW1 file at `path`.
    pub fn read_path(path: impl AsRef<Path>) -> Result<Sdw1, Sdw1Error> {
        Sdw1::from_bytes(&std::fs::read(path)?)
    }
}
