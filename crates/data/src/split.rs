//! Deterministic train/validation/test assignment, grouped by query.

use lorasearch_runtime::config::SplitSettings;

/// One of the three splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Validation, Split::Test];

    pub fn name(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Validation => "validation",
            Self::Test => "test",
        }
    }

    /// Parses a split column value; accepts the common spellings of validation.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "train" | "training" => Some(Self::Train),
            "validation" | "valid" | "val" | "dev" => Some(Self::Validation),
            "test" | "testing" => Some(Self::Test),
            _ => None,
        }
    }
}

/// Returns the key that groups pairs of one query: trimmed and lower-cased, so that "USB Cable"
/// and "usb cable " land in the same split.
pub fn query_group_key(query: &str) -> String {
    query.trim().to_lowercase()
}

/// Assigns a query to a split from a blake3 hash of the seed and its group key.
pub fn split_for_query(query: &str, seed: u64, shares: &SplitSettings) -> Split {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&seed.to_le_bytes());
    hasher.update(query_group_key(query).as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    // The top 53 bits give a uniform value in [0, 1) that an f64 represents exactly.
    let position = (u64::from_le_bytes(first) >> 11) as f64 / (1u64 << 53) as f64;

    if position < shares.train {
        Split::Train
    } else if position < shares.train + shares.validation {
        Split::Validation
    } else {
        Split::Test
    }
}

/// Returns the split of a query under the `blake2b-mod10` rule: the 8-byte BLAKE2b digest of the trimmed,
/// lower-cased query as a big-endian integer, modulo 10; 0 is test, 1 validation, 2 to 9 train.
pub fn blake2b_mod10_split(query: &str) -> Split {
    use blake2::digest::consts::U8;
    use blake2::{Blake2b, Digest};

    let digest = Blake2b::<U8>::digest(query_group_key(query).as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest);
    match u64::from_be_bytes(bytes) % 10 {
        0 => Split::Test,
        1 => Split::Validation,
        _ => Split::Train,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blake2b_mod10_matches_python_hashlib() {
        // int(hashlib.blake2b(b"angle bracket", digest_size=8).hexdigest(), 16) % 10 == 1
        assert_eq!(blake2b_mod10_split("Angle Bracket "), Split::Validation);
        // "deck over" gives bucket 3.
        assert_eq!(blake2b_mod10_split("deck over"), Split::Train);
    }

    #[test]
    fn same_query_in_other_case_gets_same_split() {
        let shares = SplitSettings::default();
        assert_eq!(split_for_query("USB Cable", 7, &shares), split_for_query(" usb cable", 7, &shares));
    }

    #[test]
    fn shares_are_roughly_respected() {
        let shares = SplitSettings::default();
        let train = (0..10_000).filter(|i| split_for_query(&format!("query {i}"), 1, &shares) == Split::Train).count();
        assert!((7_600..8_400).contains(&train), "{train} of 10000 in train");
    }

    #[test]
    fn parse_accepts_dev_as_validation() {
        assert_eq!(Split::parse("dev"), Some(Split::Validation));
    }
}
