//! The integration tests of `decode`, one binary: each module is one former test file.
//! (One binary per crate keeps the build small: every test binary links the whole crate graph.)

mod corpus;
mod decode;
mod no_panic;
