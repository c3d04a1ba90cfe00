//! Handle layouts: the field widths the design documents for each slab size and
//! caller-bit count, and handles that respect them (offset never 0, caller bits
//! clear, slab index within the addressable range).

use stackdepot::{Config, ConfigError, DEFAULT_LAYOUT, HandleLayout, StackDepot};

use crate::support::{Rng, distinct_trace};

#[test]
fn layouts_match_the_documented_table() {
    // (slab size, caller bits) -> (offset bits, slab bits), from docs/design.md.
    let table = [
        (4096usize, 5u32, 9u32, 18u32),
        (16 * 1024, 5, 11, 16),
        (64 * 1024, 5, 13, 14),
        (16 * 1024, 0, 11, 21),
    ];
    for (slab_size, caller_bits, offset_bits, slab_bits) in table {
        let layout = Config::default()
            .slab_size(slab_size)
            .caller_bits(caller_bits)
            .layout()
            .expect("valid");
        assert_eq!(
            layout,
            HandleLayout {
                offset_bits,
                slab_bits,
                caller_bits
            },
            "{slab_size}-byte slabs, {caller_bits} caller bits"
        );
        // "addressable": slabs x slab size.
        let addressable = layout.max_slabs() as u64 * slab_size as u64;
        assert_eq!(
            addressable,
            if caller_bits == 0 { 32 << 30 } else { 1 << 30 }
        );
    }
    assert_eq!(Config::default().layout(), Ok(DEFAULT_LAYOUT));
    assert_eq!(DEFAULT_LAYOUT.max_slabs(), 65_536);
}

#[test]
fn the_documented_frame_limit_of_a_16k_slab_is_2047() {
    let fits = match Config::default().max_frames(1 << 20).validate() {
        Err(ConfigError::MaxFrames { fits, .. }) => fits,
        other => panic!("2^20 frames cannot fit a 16 KiB slab, got {other:?}"),
    };
    // 2048 words less the one that keeps every handle body non-zero.
    assert_eq!(fits, 2047);
    assert!(Config::default().max_frames(2047).validate().is_ok());
    assert!(Config::default().max_frames(2048).validate().is_err());
}

#[test]
fn saved_handles_respect_the_layout() {
    for config in [
        Config::tiny(),
        Config::default(),
        Config::tiny().caller_bits(0),
        Config::tiny().caller_bits(8),
    ] {
        let depot = StackDepot::with_config(config).expect("config");
        let layout = depot.layout();
        let max = depot.config().max_frames;
        let mut rng = Rng::new(5);
        for id in 0..2_000u64 {
            let h = depot
                .save(&distinct_trace(id, 1 + rng.below(max)))
                .expect("save");
            let raw = h.to_raw();
            assert_eq!(raw & layout.caller_mask(), 0, "{h:?}: caller bits set");
            assert_ne!(
                raw & layout.offset_mask(),
                0,
                "{h:?}: a record never starts at word 0"
            );
            let slab = (raw & layout.body_mask()) >> layout.slab_shift();
            assert!((slab as usize) < layout.max_slabs());
        }
    }
}
