//! Unit tests of the Protobuf schema engine.

use super::*;
