#![no_main]

use accord_schema::SchemaType;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| accord_fuzz::parse(SchemaType::Json, data));
