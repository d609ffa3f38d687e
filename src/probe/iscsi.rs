//! iscsi collector (to be implemented)
