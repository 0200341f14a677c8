//! HTTP-level tests: each runs against a real server on a random port, once
//! per storage backend.

mod helpers;

mod basics;
