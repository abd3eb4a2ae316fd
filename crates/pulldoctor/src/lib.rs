//! The library half of the pulldoctor binary: the edge code that the binary, its integration
//! tests and the benchmark share. Only [`fs`] for now: the one place that walks a bundle directory
//! and reads its files, so that no library crate below does I/O.

pub mod fs;
