//! Serialising a workload to SDW1 bytes.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::{MAGIC, Sdw1, VERSION};

impl Sdw1 {
    /// Writes the SDW1 image to `out`.
    pub fn write_to(&self, out: impl Write) -> io::Result<()> {
        let mut w = BufWriter::new(out);
        w.write_all(&MAGIC)?;
        w.write_all(&VERSION.to_le_bytes())?;
        w.write_all(&(self.n_traces() as u64).to_le_bytes())?;
        w.write_all(&(self.n_events() as u64).to_le_bytes())?;
        for t in self.traces() {
            let n = u32::try_from(t.len())
                .map_err(|_| io::Error::other("trace longer than u32::MAX frames"))?;
            w.write_all(&n.to_le_bytes())?;
            for &f in t {
                w.write_all(&(f as u64).to_le_bytes())?;
            }
        }
        for &e in self.events() {
            w.write_all(&e.to_le_bytes())?;
        }
        w.flush()
    }

    /// The SDW1 image as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(
            super::HEADER_LEN + self.n_traces() * 4 + self.frames.len() * 8 + self.n_events() * 4,
        );
        // Writing to a Vec cannot fail except for a trace of more than u32::MAX frames,
        // which the builder cannot produce.
        let _ = self.write_to(&mut v);
        v
    }

    /// Writes the SDW1 image to the file at `path` (created or truncated).
    pub fn write_path(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.write_to(std::fs::File::create(path)?)
    }
}
