//! caisse-sips
