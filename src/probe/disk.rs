//! disk collector (to be implemented)
