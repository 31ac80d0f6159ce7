//! Compiled payload validators. (Validator slice.)

pub mod avro;
