//! HTTP-level tests: each runs against a real server on a random port, once
//! per storage backend.

mod helpers;

mod basics;
mod conformance;
mod openapi;
mod concurrency;
mod python_client;
