//! Fixtures shared by the bench modules, built lazily (only for benchmarks the
//! filter selects) and once per size.

use std::sync::OnceLock;

use stackdepot_benches::fixture::Fixture;
use stackdepot_benches::{SizeSpec, StoreKind};

/// The filled stores of a size, built on first use.
pub(crate) fn fixture(spec: SizeSpec) -> &'static Fixture {
    static RFC: OnceLock<Fixture> = OnceLock::new();
    static KASAN: OnceLock<Fixture> = OnceLock::new();
    let cell = if spec == SizeSpec::RFC { &RFC } else { &KASAN };
    cell.get_or_init(|| match Fixture::build(spec, &StoreKind::ALL) {
        Ok(f) => f,
        Err(e) => panic!("fixture {}: {e}", spec.name),
    })
}

/// Traces of a size without the filled stores (for the insert benchmark).
pub(crate) fn traces(spec: SizeSpec) -> &'static stackdepot_benches::TraceSet {
    &fixture(spec).traces
}

/// Advances a rotating start offset so successive samples continue through the
/// random order instead of replaying its cached beginning.
pub(crate) fn next_start(start: &mut usize, iters: u64, len: usize) -> usize {
    let s = *start;
    *start = (s + iters as usize) % len.max(1);
    s
}
