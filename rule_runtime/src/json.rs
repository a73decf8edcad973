//! PLACEHOLDER until the one-pass scanner lands: projects a line through serde_json.
use std::fmt;

use crate::event::JsonEvent;
use crate::fields::{FieldTable, Fields};

pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Default)]
pub struct JsonProjector {}

impl JsonProjector {
    pub fn new() -> Self {
        JsonProjector {}
    }

    pub fn project(
        &mut self,
        line: &str,
        table: &FieldTable,
        out: &mut Fields,
    ) -> Result<(), JsonError> {
        let e = JsonEvent::parse(line).map_err(|e| JsonError {
            kind: match e {
                crate::event::EventError::NotAnObject { found } => {
                    JsonErrorKind::NotAnObject(found)
                }
                _ => JsonErrorKind::Syntax("invalid"),
            },
            offset: 0,
        })?;
        out.fill_from_event(&e, table);
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonErrorKind {
    Syntax(&'static str),
    NotAnObject(&'static str),
    TooDeep,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            JsonErrorKind::Syntax(m) => {
                write!(f, "event is not valid JSON: {m} at byte {}", self.offset)
            }
            JsonErrorKind::NotAnObject(k) => write!(f, "event must be a JSON object, found {k}"),
            JsonErrorKind::TooDeep => write!(f, "event nests deeper than {MAX_DEPTH} levels"),
        }
    }
}

impl std::error::Error for JsonError {}
