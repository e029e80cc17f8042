//! The integration tests of `manifest`, one binary: each module is one former test file.
//! (One binary per crate keeps the build small: every test binary links the whole crate graph.)

mod kyverno_comparison;
mod pss_conformance;
mod throughput;
