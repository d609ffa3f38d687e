//! nodeconsole: a terminal console for the physical nodes of a private cloud.
//!
//! The binary (`src/main.rs`) is a thin edge; everything testable lives in this
//! library so that integration tests and benchmarks reach the same code.
pub mod app;
pub mod assets;
pub mod child;
pub mod cli;
pub mod config;
pub mod diag;
pub mod engine;
pub mod export;
pub mod features;
pub mod input;
pub mod job;
pub mod kit;
pub mod logging;
pub mod net;
pub mod ops;
pub mod probe;
pub mod secret;
pub mod sync;
pub mod term_backend;
pub mod terminal;
#[doc(hidden)]
pub mod testdata;
pub mod tty;
pub mod ui;
