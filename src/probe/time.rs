//! time collector (to be implemented)
