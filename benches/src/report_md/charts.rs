//! The report's SVG charts, drawn with plotters into strings (so rendering is a pure
//! function and a test can look at the output) and then written to files.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::memory_curve::MemorySample;
use super::thread_sweep::ThreadSweep;

const WIDTH: u32 = 900;
const HEIGHT: u32 = 520;
const MIB: f64 = 1024.0 * 1024.0;

/// File name of the memory-vs-traces chart inside the image directory.
pub const MEMORY_SVG: &str = "memory_vs_traces.svg";
/// File name of the save-hit throughput chart.
pub const SAVE_THREADS_SVG: &str = "save_hit_vs_threads.svg";
/// File name of the fetch throughput chart.
pub const FETCH_THREADS_SVG: &str = "fetch_vs_threads.svg";

/// Series colours, picked to stay distinguishable in print.
const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// A fixed trace array on the memory chart: its size is paid up front, and it holds
/// traces only until it overflows.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedLine {
    /// "Fixed 2^19".
    pub label: String,
    /// Bytes preallocated (array and hash table).
    pub bytes: u64,
    /// Distinct traces stored when it overflowed, or at the end of the stream.
    pub traces: u64,
    /// Whether it overflowed (the line ends with a cross) or held the whole stream.
    pub overflowed: bool,
}

/// Everything the memory chart draws.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryChart {
    /// Chart title.
    pub title: String,
    /// The growable depot along the stream.
    pub depot: Vec<MemorySample>,
    /// The fixed arrays.
    pub fixed: Vec<FixedLine>,
}

/// An SVG file to write: its name inside the image directory and its contents.
#[derive(Clone, Debug)]
pub struct ChartFile {
    /// File name, e.g. `memory_vs_traces.svg`.
    pub name: String,
    /// The SVG document.
    pub svg: String,
}

/// Memory against distinct traces: the fixed arrays as flat lines at their size
/// (ending at their overflow), the depot's bytes used and bytes mapped as curves.
pub fn memory_chart_svg(chart: &MemoryChart) -> Result<String, String> {
    let max_traces = chart
        .depot
        .iter()
        .map(|s| s.traces)
        .chain(chart.fixed.iter().map(|f| f.traces))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let max_bytes = chart
        .depot
        .iter()
        .map(|s| s.bytes_mapped.max(s.bytes_used))
        .chain(chart.fixed.iter().map(|f| f.bytes))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut ctx = ChartBuilder::on(&root)
            .caption(&chart.title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            // Headroom above the highest line keeps the legend clear of the data.
            .build_cartesian_2d(0.0..max_traces * 1.05, 0.0..max_bytes / MIB * 1.45)
            .map_err(err)?;
        let x_decimals = if max_traces < 10_000.0 { 1 } else { 0 };
        let y_decimals = if max_bytes / MIB < 10.0 { 1 } else { 0 };
        ctx.configure_mesh()
            .x_desc("distinct stack traces stored")
            .y_desc("MiB for stack traces")
            .x_label_formatter(&|x| format!("{:.x_decimals$}k", x / 1000.0))
            .y_label_formatter(&|y| format!("{y:.y_decimals$}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        for (i, f) in chart.fixed.iter().enumerate() {
            let colour = COLOURS[(i + 2) % COLOURS.len()];
            let y = f.bytes as f64 / MIB;
            let end = f.traces as f64;
            let label = if f.overflowed {
                format!("{} (overflows at {} traces)", f.label, f.traces)
            } else {
                format!("{} (held all {} traces)", f.label, f.traces)
            };
            ctx.draw_series(LineSeries::new(
                [(0.0, y), (end, y)],
                colour.stroke_width(3),
            ))
            .map_err(err)?
            .label(label)
            .legend(legend_line(colour.stroke_width(3)));
            if f.overflowed {
                ctx.draw_series([Cross::new((end, y), 7, colour.stroke_width(3))])
                    .map_err(err)?;
            }
        }
        let depot = COLOURS[0];
        ctx.draw_series(LineSeries::new(
            chart
                .depot
                .iter()
                .map(|s| (s.traces as f64, s.bytes_used as f64 / MIB)),
            depot.stroke_width(3),
        ))
        .map_err(err)?
        .label("growable depot: bytes used")
        .legend(legend_line(depot.stroke_width(3)));
        let mapped = depot.mix(0.5);
        ctx.draw_series(DashedLineSeries::new(
            chart
                .depot
                .iter()
                .map(|s| (s.traces as f64, s.bytes_mapped as f64 / MIB)),
            6,
            4,
            mapped.stroke_width(2),
        ))
        .map_err(err)?
        .label("growable depot: bytes mapped (reserve and spare tables included)")
        .legend(legend_line(mapped.stroke_width(2)));
        ctx.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A series' sample in the legend: a short stroke in the series' own style.
fn legend_line(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style)
}

/// The depot is blue on every chart; the other stores take the next colours in
/// their order (`index` is the store's position in the sweep).
fn store_colour(store: &str, index: usize) -> RGBColor {
    if store == crate::stores::StackDepotStore::NAME {
        COLOURS[0]
    } else {
        COLOURS[(index + 1) % COLOURS.len()]
    }
}

/// Which throughput the sweep chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throughput {
    /// Saves of already stored traces.
    SaveHit,
    /// Fetches of random ids (the fetch call alone, handle to slice).
    Fetch,
}

/// Throughput of every store against the thread count, one line per store.
pub fn throughput_chart_svg(sweep: &ThreadSweep, what: Throughput) -> Result<String, String> {
    let value = |p: &super::SweepPoint| match what {
        Throughput::SaveHit => p.hit_mops,
        Throughput::Fetch => p.fetch_mops,
    };
    let points = sweep.stores.iter().flat_map(|s| s.points.iter());
    let max_threads = points.clone().map(|p| p.threads).max().unwrap_or(1).max(2) as f64;
    let max_mops = points
        .map(value)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-3);
    let (title, y_desc) = match what {
        Throughput::SaveHit => (
            format!(
                "Save (hit) throughput vs threads, {} size ({} traces)",
                sweep.size, sweep.traces
            ),
            "million saves per second, all threads",
        ),
        Throughput::Fetch => (
            format!(
                "Fetch (handle -> slice) throughput vs threads, {} size ({} traces)",
                sweep.size, sweep.traces
            ),
            "million fetches per second, all threads",
        ),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut ctx = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.75..max_threads + 0.25, 0.0..max_mops * 1.3)
            .map_err(err)?;
        ctx.configure_mesh()
            .x_desc("threads")
            .y_desc(y_desc)
            .x_labels(max_threads as usize + 1)
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-9 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.1}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        for (i, s) in sweep.stores.iter().enumerate() {
            let colour = store_colour(&s.store, i);
            let line: Vec<(f64, f64)> = s
                .points
                .iter()
                .map(|p| (p.threads as f64, value(p)))
                .collect();
            ctx.draw_series(LineSeries::new(
                line.iter().copied(),
                colour.stroke_width(3),
            ))
            .map_err(err)?
            .label(s.store.clone())
            .legend(legend_line(colour.stroke_width(3)));
            ctx.draw_series(line.iter().map(|&p| Circle::new(p, 4, colour.filled())))
                .map_err(err)?;
        }
        ctx.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Every chart the report has data for: the memory chart (the depot curve and the
/// fixed arrays of the longest scenario compared) and the two throughput charts.
pub fn report_charts(report: &super::BenchReport) -> Result<Vec<ChartFile>, String> {
    let mut files = Vec::new();
    if let Some(longest) = report.scenarios.iter().max_by_key(|s| s.length)
        && !report.memory_curve.is_empty()
    {
        let chart = MemoryChart {
            title: format!(
                "Trace memory vs distinct traces, RFC scenario (scale {}, {:.0} simulated hours)",
                longest.scale, longest.hours
            ),
            depot: report.memory_curve.clone(),
            fixed: longest
                .backends
                .iter()
                .filter(|b| b.fixed_bits.is_some())
                .map(|b| FixedLine {
                    label: b.label.clone(),
                    bytes: b.trace_bytes_reserved,
                    traces: b.traces,
                    overflowed: b.overflow_event.is_some(),
                })
                .collect(),
        };
        files.push(ChartFile {
            name: MEMORY_SVG.to_string(),
            svg: memory_chart_svg(&chart)?,
        });
    }
    if let Some(sweep) = &report.sweep {
        files.push(ChartFile {
            name: SAVE_THREADS_SVG.to_string(),
            svg: throughput_chart_svg(sweep, Throughput::SaveHit)?,
        });
        files.push(ChartFile {
            name: FETCH_THREADS_SVG.to_string(),
            svg: throughput_chart_svg(sweep, Throughput::Fetch)?,
        });
    }
    Ok(files)
}

/// Writes `file` into `dir` (created if missing) and returns its path.
pub fn write_chart(dir: &Path, file: &ChartFile) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let path = dir.join(&file.name);
    std::fs::write(&path, &file.svg).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("drawing a chart: {e}")
}

#[cfg(test)]
mod tests {
    use super::super::{StoreSweep, SweepPoint};
    use super::*;

    fn sample(traces: u64, used: u64) -> MemorySample {
        MemorySample {
            events: traces * 10,
            hour: 0.0,
            traces,
            bytes_used: used,
            bytes_mapped: used + 100_000,
        }
    }

    #[test]
    fn memory_chart_names_every_series_and_marks_overflows() {
        let chart = MemoryChart {
            title: "memory vs traces".into(),
            depot: vec![
                sample(0, 0),
                sample(10_000, 2 << 20),
                sample(30_000, 6 << 20),
            ],
            fixed: vec![
                FixedLine {
                    label: "Fixed 2^19".into(),
                    bytes: 4 << 20,
                    traces: 20_000,
                    overflowed: true,
                },
                FixedLine {
                    label: "Fixed 2^21".into(),
                    bytes: 16 << 20,
                    traces: 30_000,
                    overflowed: false,
                },
            ],
        };
        let svg = memory_chart_svg(&chart).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
        assert!(svg.trim_end().ends_with("</svg>"));
        for text in [
            "memory vs traces",
            "Fixed 2^19 (overflows at 20000 traces)",
            "Fixed 2^21 (held all 30000 traces)",
            "growable depot: bytes used",
            "distinct stack traces stored",
        ] {
            assert!(svg.contains(text), "missing {text:?}");
        }
    }

    #[test]
    fn throughput_chart_has_a_line_per_store_and_is_written_to_a_file() {
        let point = |threads, hit_mops| SweepPoint {
            threads,
            hit_mops,
            fetch_mops: hit_mops * 2.0,
            disturbed_runs: 0,
        };
        let sweep = ThreadSweep {
            size: "kasan".into(),
            traces: 200_000,
            runs: 1,
            hit_ops_per_thread: 1,
            fetch_ops_per_thread: 1,
            stores: vec![
                StoreSweep {
                    store: "stackdepot".into(),
                    points: vec![point(1, 5.0), point(2, 9.0), point(4, 9.5)],
                },
                StoreSweep {
                    store: "mutex-hashmap".into(),
                    points: vec![point(1, 2.0), point(2, 1.5), point(4, 1.2)],
                },
            ],
        };
        let svg = throughput_chart_svg(&sweep, Throughput::SaveHit).unwrap();
        assert!(svg.contains("stackdepot") && svg.contains("mutex-hashmap"));
        assert!(svg.contains("Save (hit) throughput vs threads, kasan size"));
        // One marker per point.
        assert_eq!(svg.matches("<circle").count(), 6);
        let fetch = throughput_chart_svg(&sweep, Throughput::Fetch).unwrap();
        assert!(fetch.contains("million fetches per second"));

        let dir = std::env::temp_dir().join(format!("bench-report-test-{}", std::process::id()));
        let path = write_chart(
            &dir.join("img"),
            &ChartFile {
                name: "t.svg".into(),
                svg: svg.clone(),
            },
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), svg);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
