//! nic collector (to be implemented)
