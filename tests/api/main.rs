//! HTTP-level tests: each runs against a real server on a random port, once
//! per storage backend.

mod health;
mod helpers;

mod audit;
mod bad_input;
mod basics;
mod caching;
mod cli_check;
mod cli_codec;
mod coherence;
mod concurrency;
mod conformance;
mod container;
mod crash;
mod explanations;
mod memory;
mod metrics;
mod nats_example;
mod oidc;
mod openapi;
mod protobuf_corpus;
mod python_client;
mod reference_limits;
mod rust_client;
mod security;
mod serde_errors;
mod serde_features;
mod serde_hot_path;
mod serde_interop;
mod slow_clients;
mod store_failure;
mod tls;
mod transfer;
