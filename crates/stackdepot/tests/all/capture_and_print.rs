//! The `capture` feature: `capture` (innermost first, `skip`, bounded by the
//! buffer), `capture_and_save` (one call site gives one handle), `write_trace`
//! and `print` formatting.

use stackdepot::{Alloc, Config, Handle, StackDepot, capture, write_trace};

/// Captures from a frame of its own, so the first entry is inside this function.
#[inline(never)]
fn capture_here(skip: usize) -> Vec<usize> {
    let mut buf = [0usize; 128];
    let n = capture(&mut buf, skip);
    std::hint::black_box(buf[..n].to_vec())
}

#[inline(never)]
fn save_here(depot: &StackDepot) -> Handle {
    std::hint::black_box(depot.capture_and_save(0, Alloc::MayAlloc)).expect("capture_and_save")
}

#[inline(never)]
fn save_elsewhere(depot: &StackDepot) -> Handle {
    std::hint::black_box(depot.capture_and_save(0, Alloc::MayAlloc)).expect("capture_and_save")
}

#[test]
fn capture_is_innermost_first_and_skip_drops_the_innermost() {
    let mut runs = Vec::new();
    for skip in [0, 1, 2] {
        // One call site for all three, so the outer frames are the same.
        runs.push(capture_here(skip));
    }
    let full = &runs[0];
    assert!(
        full.len() >= 3,
        "a test thread has more than 3 frames: {full:x?}"
    );
    assert!(full.iter().all(|&ip| ip != 0));
    assert_eq!(
        &runs[1][..],
        &full[1..],
        "skip 1 must drop exactly the innermost frame"
    );
    assert_eq!(
        &runs[2][..],
        &full[2..],
        "skip 2 must drop exactly two frames"
    );
}

#[test]
fn capture_stops_at_the_end_of_the_buffer() {
    let mut full = [0usize; 128];
    let mut short = [0usize; 2];
    let mut empty: [usize; 0] = [];
    let mut n = [0; 3];
    for (i, buf) in [&mut full[..], &mut short[..], &mut empty[..]]
        .into_iter()
        .enumerate()
    {
        n[i] = capture(buf, 0);
    }
    assert_eq!(n[1], 2);
    assert_eq!(n[2], 0);
    assert_eq!(&short[..], &full[..2]);
}

#[test]
fn one_call_site_gives_one_handle_two_sites_two() {
    let depot = StackDepot::new();
    let mut handles = Vec::new();
    for _ in 0..20 {
        handles.push(save_here(&depot));
    }
    assert!(
        handles.iter().all(|&h| h == handles[0]),
        "the same stack saved 20 times must give one handle: {handles:?}"
    );
    let other = save_elsewhere(&depot);
    assert_ne!(other, handles[0]);
    let frames = depot.fetch(handles[0]).expect("fetch");
    assert!(!frames.is_empty() && frames.len() <= depot.config().max_frames);
    let stats = depot.stats();
    assert_eq!(stats.traces, 2, "{stats}");
    assert_eq!(stats.dedup_hits, 19, "{stats}");
}

#[test]
fn capture_and_save_respects_max_frames_and_no_wait() {
    let depot = StackDepot::with_config(Config::tiny().max_frames(3)).expect("config");
    let h = depot
        .capture_and_save(0, Alloc::NoWait)
        .expect("a fresh tiny depot has room for one no-wait save");
    let frames = depot.fetch(h).expect("fetch");
    assert!(!frames.is_empty() && frames.len() <= 3, "{frames:x?}");
}

#[test]
fn write_trace_puts_one_indented_address_per_line() {
    let frames = [0x10usize, 0xdead_beef, usize::MAX];
    for indent in [0, 1, 4] {
        let mut out = String::new();
        write_trace(&mut out, &frames, indent, false).expect("write to a String");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), frames.len(), "{out:?}");
        for (line, &ip) in lines.iter().zip(&frames) {
            let rest = &line[indent..];
            assert!(
                line[..indent].chars().all(|c| c == ' ') && !rest.starts_with(' '),
                "line {line:?} must start with exactly {indent} spaces"
            );
            let token = rest.split_whitespace().next().unwrap_or("");
            assert_eq!(
                usize::from_str_radix(token.trim_start_matches("0x"), 16).ok(),
                Some(ip),
                "line {line:?}"
            );
            assert_eq!(
                rest.split_whitespace().count(),
                1,
                "without symbolize a line is only the address: {line:?}"
            );
        }
    }
    let mut out = String::new();
    write_trace(&mut out, &[], 2, true).expect("empty trace");
    assert!(out.is_empty());
}

#[test]
fn print_symbolises_a_captured_trace() {
    let depot = StackDepot::new();
    let h = save_here(&depot);
    let mut out = String::new();
    depot.print(h, &mut out).expect("print");
    let frames = depot.fetch(h).expect("fetch");
    assert_eq!(out.lines().count(), frames.len(), "{out}");
    assert!(
        out.contains("save_here"),
        "the innermost frames are in save_here, whose name must be printed:\n{out}"
    );
}
