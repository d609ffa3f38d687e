//! cpu collector (to be implemented)
