//! The application: state machine, actions, key bindings, and the event
//! loop that ties collectors, input and drawing together.

pub mod action;
pub mod collectors;
pub mod effect;
pub mod feed;
pub mod flow;
pub mod keys;
pub mod lower;
pub mod run;
pub mod runner;
pub mod services;
pub mod session;
pub mod state;
pub mod update;
pub mod window;

pub use action::Action;
pub use feed::{Feed, FeedState};
pub use state::{App, LowerTable, Screen, Settings};
pub use update::{Update, UpdateData};
