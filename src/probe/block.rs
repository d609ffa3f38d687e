//! block collector (to be implemented)
