//! The ceiling for `benches/load/run.sh`: the fastest answer an axum server
//! on this machine can give to the same requests the load benchmark sends to
//! Accord. It answers every request (any path, any method) with one fixed
//! body read from a file at start-up, with Accord's content type, after
//! reading the request's body, so a POST costs what receiving it costs and
//! nothing more. No middleware, no routing, no state beyond the body.
//!
//! ```text
//! cargo run --release --example load_ceiling -- 127.0.0.1:9000 body.json
//! ```
//!
//! Accord's requests per second divided by this server's, under the same
//! wrk command, is the share of the HTTP stack's ceiling that Accord reaches.

use std::error::Error;

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::Router;

const CONTENT_TYPE_SCHEMA_REGISTRY: &str = "application/vnd.schemaregistry.v1+json";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(body_path), None) = (args.next(), args.next(), args.next()) else {
        return Err("usage: load_ceiling LISTEN_ADDR BODY_FILE".into());
    };
    let body = Bytes::from(std::fs::read(&body_path)?);
    let app = Router::new().fallback(move |request: axum::extract::Request| {
        let body = body.clone();
        async move {
            // Read (and drop) the request body, as Accord must before it
            // can answer a POST.
            let _ = axum::body::to_bytes(request.into_body(), usize::MAX).await;
            let mut response = Response::new(Body::from(body));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(CONTENT_TYPE_SCHEMA_REGISTRY),
            );
            response
        }
    });
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
