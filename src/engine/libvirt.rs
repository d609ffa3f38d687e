//! The libvirt engine (placeholder, replaced by the real implementation).
