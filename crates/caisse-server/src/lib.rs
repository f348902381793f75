//! caisse-server
