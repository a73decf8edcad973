//! The run-time choices of a rule set's matchers (everything else is fixed when the
//! rules are compiled), shared by generated code and the interpreter.

use crate::sample::{SampleConfig, SampleMode};

/// The default cap on a sequence rule's open join keys.
pub const DEFAULT_MAX_SEQUENCE_KEYS: usize = 1_000_000;

/// How matchers are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatcherOptions {
    /// Samples: the first complete sample per key on a stream, or Elasticsearch's answer
    /// at end of input.
    pub sample_mode: SampleMode,
    /// The most open join keys a sequence keeps (oldest evicted, counted).
    pub max_sequence_keys: Option<usize>,
}

impl MatcherOptions {
    /// The sample configuration (a `max_samples_per_key` of 0 is taken as 1, so no
    /// option makes a matcher fail to build).
    pub fn sample_config(&self) -> SampleConfig {
        SampleConfig {
            mode: sanitize_sample_mode(self.sample_mode),
            ..SampleConfig::default()
        }
    }

    /// The sequence key cap (0 is taken as 1).
    pub fn max_keys(&self) -> Option<usize> {
        self.max_sequence_keys.map(|n| n.max(1))
    }
}

/// A sample mode that a matcher accepts: `max_samples_per_key` at least 1.
pub fn sanitize_sample_mode(mode: SampleMode) -> SampleMode {
    match mode {
        SampleMode::Batch {
            size,
            max_samples_per_key,
        } => SampleMode::Batch {
            size,
            max_samples_per_key: max_samples_per_key.max(1),
        },
        m => m,
    }
}

impl Default for MatcherOptions {
    fn default() -> Self {
        MatcherOptions {
            sample_mode: SampleMode::Stream,
            max_sequence_keys: Some(DEFAULT_MAX_SEQUENCE_KEYS),
        }
    }
}
