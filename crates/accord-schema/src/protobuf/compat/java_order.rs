//! The iteration order of Java's `HashMap`/`HashSet`, which decides the order
//! of Confluent's differences: `SchemaDiff` walks message names, oneof names
//! and field numbers by iterating hash sets.
//!
//! A Java hash table iterates bucket by bucket; inside a bucket, entries keep
//! the order they were inserted in, and a resize splits a bucket without
//! reordering it. So the order is the insertion order, stably sorted by the
//! bucket index at the table's final capacity. (Buckets of eight or more
//! colliding keys in tables of 64 buckets or more become trees in Java; field
//! numbers and identifiers never collide that much in practice, so that is not
//! modelled.)

use std::collections::HashMap;
use std::hash::Hash;

/// A key with Java's `hashCode()`.
pub(super) trait JavaHash {
    fn java_hash(&self) -> i32;
}

impl JavaHash for String {
    /// `String.hashCode()`: `s[0]·31^(n-1) + … + s[n-1]` over UTF-16 units.
    fn java_hash(&self) -> i32 {
        self.encode_utf16().fold(0i32, |hash, unit| {
            hash.wrapping_mul(31).wrapping_add(i32::from(unit))
        })
    }
}

impl JavaHash for u32 {
    /// `Integer.hashCode()` of a field number or enum value number.
    fn java_hash(&self) -> i32 {
        *self as i32
    }
}

impl JavaHash for i32 {
    fn java_hash(&self) -> i32 {
        *self
    }
}

const DEFAULT_CAPACITY: usize = 16;

/// The keys of a Java hash set or map, in insertion order, with the table
/// capacity Java would have.
#[derive(Clone, Debug)]
pub(super) struct JavaHashSet<K> {
    capacity: usize,
    /// Keys by insertion; removed ones leave a hole.
    keys: Vec<Option<K>>,
    /// Where each present key sits in `keys`.
    positions: HashMap<K, usize>,
}

impl<K: JavaHash + Hash + Eq + Clone> JavaHashSet<K> {
    /// `new HashMap<>()` / `new HashSet<>()`.
    pub(super) fn new() -> Self {
        JavaHashSet {
            capacity: DEFAULT_CAPACITY,
            keys: Vec::new(),
            positions: HashMap::new(),
        }
    }

    /// `new HashSet<>(collection)`: sized for the collection (Java 8–17:
    /// `max((int) (n / .75f) + 1, 16)` rounded up to a power of two), then
    /// filled in the collection's iteration order.
    pub(super) fn copy_of(collection: &JavaHashSet<K>) -> Self {
        let wanted = ((collection.len() as f32 / 0.75f32) as usize + 1).max(DEFAULT_CAPACITY);
        let mut set = JavaHashSet {
            capacity: wanted.next_power_of_two(),
            keys: Vec::with_capacity(collection.len()),
            positions: HashMap::with_capacity(collection.len()),
        };
        for key in collection.iter_order() {
            set.insert(key);
        }
        set
    }

    pub(super) fn len(&self) -> usize {
        self.positions.len()
    }

    pub(super) fn contains(&self, key: &K) -> bool {
        self.positions.contains_key(key)
    }

    /// `put`/`add`: a new key goes last; the table doubles once it is more
    /// than three quarters full.
    pub(super) fn insert(&mut self, key: K) {
        if self.positions.contains_key(&key) {
            return;
        }
        self.positions.insert(key.clone(), self.keys.len());
        self.keys.push(Some(key));
        if self.positions.len() > self.capacity / 4 * 3 {
            self.capacity *= 2;
        }
    }

    /// `addAll(other)`: every key of `other` in its iteration order.
    pub(super) fn insert_all(&mut self, other: &JavaHashSet<K>) {
        for key in other.iter_order() {
            self.insert(key);
        }
    }

    /// `remove`: the table never shrinks.
    pub(super) fn remove(&mut self, key: &K) -> bool {
        match self.positions.remove(key) {
            Some(index) => {
                self.keys[index] = None;
                true
            }
            None => false,
        }
    }

    /// The keys in the order Java iterates them.
    pub(super) fn iter_order(&self) -> Vec<K> {
        let mask = self.capacity - 1;
        let mut keys: Vec<(usize, &K)> = self
            .keys
            .iter()
            .flatten()
            .map(|key| (bucket(key.java_hash(), mask), key))
            .collect();
        keys.sort_by_key(|(bucket, _)| *bucket);
        keys.into_iter().map(|(_, key)| key.clone()).collect()
    }
}

/// `HashMap.hash()` spreads the high bits down before masking.
fn bucket(hash: i32, mask: usize) -> usize {
    let hash = hash as u32;
    ((hash ^ (hash >> 16)) as usize) & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> JavaHashSet<String> {
        let mut set = JavaHashSet::new();
        for name in names {
            set.insert((*name).to_owned());
        }
        set
    }

    #[test]
    fn string_hashes_are_javas() {
        assert_eq!("".to_owned().java_hash(), 0);
        assert_eq!("A".to_owned().java_hash(), 65);
        assert_eq!("hello".to_owned().java_hash(), 99_162_322);
        // Overflows wrap as Java's int arithmetic does.
        assert_eq!(
            "polygenelubricants".to_owned().java_hash(),
            i32::MIN,
            "a known Java string whose hash is Integer.MIN_VALUE"
        );
    }

    #[test]
    fn small_numbers_iterate_in_numeric_order() {
        let mut set = JavaHashSet::new();
        for tag in [5u32, 3, 1, 4, 2] {
            set.insert(tag);
        }
        assert_eq!(set.iter_order(), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn numbers_beyond_the_capacity_share_buckets_in_insertion_order() {
        let mut set = JavaHashSet::new();
        for tag in [17u32, 1, 33, 2] {
            set.insert(tag);
        }
        // 16 buckets: 17, 1 and 33 all land in bucket 1, kept in insertion order.
        assert_eq!(set.iter_order(), vec![17, 1, 33, 2]);
    }

    #[test]
    fn growing_past_three_quarters_doubles_the_table() {
        let mut set = JavaHashSet::new();
        for tag in 1u32..=13 {
            set.insert(tag);
        }
        set.insert(17);
        // 13 keys exceed 12 = 16·¾, so the table has 32 buckets and 17 sorts after 13.
        assert_eq!(*set.iter_order().last().unwrap(), 17);
    }

    #[test]
    fn copies_are_sized_for_their_source() {
        let source = strings(&["A", "B"]);
        let mut copy = JavaHashSet::copy_of(&source);
        copy.insert("Z".to_owned());
        assert_eq!(copy.iter_order(), vec!["A", "B", "Z"]);
        // "Aa" and "BB" collide in Java; the first inserted comes first.
        let colliding = strings(&["BB", "Aa"]);
        assert_eq!(colliding.iter_order(), vec!["BB", "Aa"]);
    }

    #[test]
    fn removal_keeps_the_order_of_the_rest() {
        let mut set = JavaHashSet::new();
        for tag in [3u32, 1, 2] {
            set.insert(tag);
        }
        assert!(set.remove(&1));
        assert!(!set.remove(&9));
        assert_eq!(set.iter_order(), vec![2, 3]);
        assert!(set.contains(&3));
        assert_eq!(set.len(), 2);
    }
}
