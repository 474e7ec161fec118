//! Tracking and lens input: FreeD, OpenTrackIO, recorded takes, delay compensation.

pub mod config;
