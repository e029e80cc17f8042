//! The integration tests of `baseline`, one binary: each module is one former test file.
//! (One binary per crate keeps the build small: every test binary links the whole crate graph.)

mod baseline;
mod common;
mod generated;
