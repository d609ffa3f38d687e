//! mem collector (to be implemented)
