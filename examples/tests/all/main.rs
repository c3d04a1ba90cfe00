//! Integration tests of stackdepot-examples (one binary; one module per topic).

mod compare;
mod scenario_determinism;
mod scenario_inversion;
mod scenario_scale;
mod scenario_stream;
mod scenario_traces;
mod sdw1_errors;
mod sdw1_roundtrip;
mod support;
mod workload;
