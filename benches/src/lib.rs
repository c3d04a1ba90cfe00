//! Baselines and workloads for the stackdepot benchmarks.
