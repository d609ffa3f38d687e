//! Helpers shared by the integration tests.
#![allow(dead_code)]
pub mod menu;
pub mod poll;
pub mod screen;
pub mod sntp;
pub mod tmux;
