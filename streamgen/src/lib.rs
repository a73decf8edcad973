//! A seeded generator of realistic ECS NDJSON event streams (being written).
