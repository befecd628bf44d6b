//! The order in which the Terraform plugin SDK (v2) lists the elements of a `TypeSet`: each
//! element gets a hash code (CRC-32/IEEE of a serialization of the element), the codes are
//! written in decimal and the elements are listed with the codes sorted as strings; two
//! elements with the same code are one element (the first added is kept). The provider
//! iterates `principals` and `condition` blocks in this order, which decides how identifiers
//! of one principal type and values of one condition key are concatenated.

use std::collections::BTreeMap;

/// CRC-32 with the IEEE polynomial (Go's `crc32.ChecksumIEEE`).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The SDK's set code of a serialized element. On 64-bit platforms Go's `int(uint32)` is
/// never negative, so the code is the checksum itself.
pub fn code(serialized: &str) -> String {
    crc32(serialized.as_bytes()).to_string()
}

/// Elements listed in the SDK's set order, deduplicated by code (first kept).
pub fn set_order<T>(items: Vec<T>, serialize: impl Fn(&T) -> String) -> Vec<T> {
    let mut by_code: BTreeMap<String, T> = BTreeMap::new();
    for item in items {
        by_code.entry(code(&serialize(&item))).or_insert(item);
    }
    by_code.into_values().collect()
}

/// How the SDK serializes a string element of a set of strings for hashing.
pub fn string_element(s: &str) -> String {
    format!("{s};")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        // The standard check value of CRC-32/IEEE.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn codes_sort_as_strings_not_numbers() {
        // Codes compare as decimal strings: "10..." sorts before "9...".
        let items = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let ordered = set_order(items.clone(), |s| s.clone());
        let mut codes: Vec<String> = items.iter().map(|s| code(s)).collect();
        codes.sort();
        let expected: Vec<String> = codes
            .iter()
            .map(|c| items.iter().find(|s| &code(s) == c).unwrap().clone())
            .collect();
        assert_eq!(ordered, expected);
        assert_eq!(set_order(vec!["x", "x"], |s| s.to_string()), vec!["x"]);
    }
}
