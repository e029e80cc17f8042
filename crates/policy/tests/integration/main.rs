//! The integration tests of `policy`, one binary: each module is one former test file.
//! (One binary per crate keeps the build small: every test binary links the whole crate graph.)

mod corpus_templates;
mod no_panic;
