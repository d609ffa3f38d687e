//! runner collector (to be implemented)
