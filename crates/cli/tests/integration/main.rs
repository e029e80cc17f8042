//! The integration tests of `cli`, one binary: each module is one former test file.
//! (One binary per crate keeps the build small: every test binary links the whole crate graph.)

mod baseline;
mod hunt;
mod incidents;
mod scan;
mod sigma;
mod who_can;
