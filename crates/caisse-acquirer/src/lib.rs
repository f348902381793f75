//! caisse-acquirer
