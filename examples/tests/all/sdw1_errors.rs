//! Every malformed-input error of the SDW1 reader.

use stackdepot_examples::sdw1::{Sdw1, Sdw1Error};

/// Builds an SDW1 image by hand: header counts, trace records and event words as given.
fn image(
    magic: &[u8; 4],
    version: u32,
    n_traces: u64,
    n_events: u64,
    traces: &[Vec<u64>],
    events: &[u32],
) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(magic);
    v.extend_from_slice(&version.to_le_bytes());
    v.extend_from_slice(&n_traces.to_le_bytes());
    v.extend_from_slice(&n_events.to_le_bytes());
    for t in traces {
        v.extend_from_slice(&(t.len() as u32).to_le_bytes());
        for f in t {
            v.extend_from_slice(&f.to_le_bytes());
        }
    }
    for e in events {
        v.extend_from_slice(&e.to_le_bytes());
    }
    v
}

fn good() -> Vec<u8> {
    image(b"SDW1", 1, 2, 3, &[vec![1, 2], vec![3]], &[0, 1, 0])
}

#[test]
fn the_reference_image_is_valid() {
    let sdw = Sdw1::from_bytes(&good()).expect("valid");
    assert_eq!((sdw.n_traces(), sdw.n_events()), (2, 3));
}

#[test]
fn too_short_for_a_header() {
    for len in [0, 1, 4, 23] {
        assert!(
            matches!(Sdw1::from_bytes(&good()[..len]), Err(Sdw1Error::TooShort { len: l }) if l == len)
        );
    }
}

#[test]
fn bad_magic() {
    let img = image(b"SDW2", 1, 0, 0, &[], &[]);
    assert!(
        matches!(Sdw1::from_bytes(&img), Err(Sdw1Error::BadMagic { found }) if &found == b"SDW2")
    );
}

#[test]
fn unsupported_version() {
    for version in [0, 2, u32::MAX] {
        let img = image(b"SDW1", version, 0, 0, &[], &[]);
        assert!(
            matches!(Sdw1::from_bytes(&img), Err(Sdw1Error::UnsupportedVersion { found }) if found == version)
        );
    }
}

#[test]
fn forged_counts_are_refused_before_allocating() {
    // Counts that would need exabytes: refused by arithmetic on the file length, instantly.
    for (nt, ne) in [
        (u64::MAX, 0),
        (0, u64::MAX),
        (u64::MAX, u64::MAX),
        (1 << 40, 1),
        (2, 10),
    ] {
        let img = image(b"SDW1", 1, nt, ne, &[vec![1, 2], vec![3]], &[0, 1, 0]);
        match Sdw1::from_bytes(&img) {
            Err(Sdw1Error::CountsExceedFile {
                n_traces, n_events, ..
            }) => assert_eq!((n_traces, n_events), (nt, ne)),
            other => panic!("({nt}, {ne}): {other:?}"),
        }
    }
}

#[test]
fn more_traces_than_u32_indices_can_name_is_refused() {
    // 2^32 + 1 traces cannot be addressed by u32 event indices, whatever the file length.
    let img = image(b"SDW1", 1, (1u64 << 32) + 1, 0, &[], &[]);
    assert!(matches!(
        Sdw1::from_bytes(&img),
        Err(Sdw1Error::CountsExceedFile { .. })
    ));
}

#[test]
fn truncated_frames() {
    // The header's counts fit the length, but trace 0 claims more frames than are present.
    let mut img = image(b"SDW1", 1, 1, 1, &[vec![]], &[]);
    let at = img.len() - 4;
    img[at..at + 4].copy_from_slice(&5u32.to_le_bytes());
    img.extend_from_slice(&[0u8; 12]);
    assert!(matches!(
        Sdw1::from_bytes(&img),
        Err(Sdw1Error::Truncated {
            what: "trace frames",
            index: 0,
            ..
        })
    ));
}

#[test]
fn truncated_trace_header() {
    // Two traces and no events: the 12 bytes present pass the minimum check (2 * 4), but trace
    // 0 (length word + one frame) uses all of them, leaving nothing for trace 1's length.
    let img = image(b"SDW1", 1, 2, 0, &[vec![9]], &[]);
    assert!(matches!(
        Sdw1::from_bytes(&img),
        Err(Sdw1Error::Truncated {
            what: "trace header",
            index: 1,
            ..
        })
    ));
}

#[test]
fn truncated_events() {
    // One trace of one frame, two events announced, only one present (12 + 4 bytes >= 3 * 4).
    let img = image(b"SDW1", 1, 1, 2, &[vec![9]], &[0]);
    assert!(matches!(
        Sdw1::from_bytes(&img),
        Err(Sdw1Error::Truncated { what: "events", .. })
    ));
}

#[test]
fn empty_trace() {
    let img = image(b"SDW1", 1, 2, 1, &[vec![1], vec![]], &[0]);
    assert!(matches!(
        Sdw1::from_bytes(&img),
        Err(Sdw1Error::EmptyTrace { trace: 1 })
    ));
}

#[test]
fn duplicate_trace() {
    let img = image(b"SDW1", 1, 3, 1, &[vec![1, 2], vec![3], vec![1, 2]], &[0]);
    assert!(matches!(
        Sdw1::from_bytes(&img),
        Err(Sdw1Error::DuplicateTrace { trace: 2, first: 0 })
    ));
}

#[test]
fn index_out_of_range() {
    let img = image(b"SDW1", 1, 2, 3, &[vec![1, 2], vec![3]], &[0, 2, 1]);
    assert!(matches!(
        Sdw1::from_bytes(&img),
        Err(Sdw1Error::IndexOutOfRange {
            event: 1,
            index: 2,
            n_traces: 2
        })
    ));
}

#[test]
fn trailing_bytes() {
    let mut img = good();
    img.extend_from_slice(&[0, 0, 0]);
    assert!(matches!(
        Sdw1::from_bytes(&img),
        Err(Sdw1Error::TrailingBytes { extra: 3 })
    ));
}

#[test]
fn errors_print_a_clear_message() {
    let e = Sdw1::from_bytes(b"NOPE and more bytes to pass the header").expect_err("bad magic");
    assert!(e.to_string().contains("not an SDW1 file"), "{e}");
    let e = Sdw1::read_path("/nonexistent/dir/file.sdw1").expect_err("no file");
    assert!(matches!(e, Sdw1Error::Io(_)));
}
