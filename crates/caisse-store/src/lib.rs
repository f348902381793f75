//! caisse-store
