//! The integration tests of `cronspec`, one binary: each module is one former test file.
//! (One binary per crate keeps the build small: every test binary links the whole crate graph.)

mod properties;
mod robfig_vectors;
mod shared_schedules;
