//! The integration tests of `loadgen`, one binary: each module is one former test file.
//! (One binary per crate keeps the build small: every test binary links the whole crate graph.)

mod output_shape;
mod scenario_corpus;
