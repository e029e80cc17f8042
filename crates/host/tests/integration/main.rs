//! The integration tests of `host`, one binary: each module is one former test file.
//! (One binary per crate keeps the build small: every test binary links the whole crate graph.)

mod corpus;
mod kubectl_table;
mod no_panic;
mod rules;
