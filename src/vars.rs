//! The var store and its `max_var_bytes` accounting (docs/abi.md §7.3).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// Bytes each entry costs on top of its key and value.
const ENTRY_OVERHEAD: u64 = 48;

fn entry_size(key: &str, value: &[u8]) -> u64 {
    key.len() as u64 + value.len() as u64 + ENTRY_OVERHEAD
}

/// Stores `value` under `key` unless the store would exceed `limit`. The sum counts every
/// existing entry, one with the same key included, plus the new one; `limit` 0 disables vars.
pub(crate) fn insert(
    vars: &mut BTreeMap<String, Vec<u8>>,
    limit: u64,
    key: String,
    value: Vec<u8>,
) -> Result<()> {
    if limit == 0 {
        return Err(Error::msg("Vars are disabled by this host"));
    }
    let existing: u64 = vars.iter().map(|(k, v)| entry_size(k, v)).sum();
    if existing + entry_size(&key, &value) > limit {
        return Err(Error::msg("Variable store is full"));
    }
    vars.insert(key, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_existing_entries_and_the_new_one() {
        let mut vars = BTreeMap::new();
        // 1 + 1 + 48 = 50 bytes per one-byte entry.
        insert(&mut vars, 100, "a".into(), b"1".to_vec()).unwrap();
        insert(&mut vars, 100, "b".into(), b"2".to_vec()).unwrap();
        assert_eq!(
            insert(&mut vars, 100, "c".into(), b"3".to_vec())
                .unwrap_err()
                .message(),
            "Variable store is full"
        );
        // Replacing an entry still counts the old one.
        assert!(insert(&mut vars, 100, "a".into(), b"9".to_vec()).is_err());
        assert!(insert(&mut vars, 150, "a".into(), b"9".to_vec()).is_ok());
        assert_eq!(vars["a"], b"9");
        assert_eq!(
            insert(&mut vars, 0, "x".into(), vec![])
                .unwrap_err()
                .message(),
            "Vars are disabled by this host"
        );
    }
}
