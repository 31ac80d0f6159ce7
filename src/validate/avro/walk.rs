//! The byte walker: runs a [`Program`] over a payload without building values.
//!
//! Acceptance mirrors `apache_avro` 0.22's decoder (see `decode.rs` there), with three deliberate
//! differences that only ever reject more:
//! - a datum must end exactly at the end of the payload (trailing bytes are rejected);
//! - running out of input is always an error (apache-avro decodes a boolean, a string body or a
//!   union index cut off by the end of input as `null`);
//! - nesting deeper than [`MAX_DEPTH`] containers is rejected (apache-avro recurses without a
//!   limit and can overflow its stack).
//!
//! The success path allocates nothing; a [`Failure`] is boxed and its path built only on error.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use super::program::{Node, NodeId, Program};

/// Containers (records, arrays, maps, unions) that may be open at once.
pub(super) const MAX_DEPTH: u32 = 256;

/// One step of the path from the root to the failing value, innermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seg {
    /// Index into `Program::fields`.
    Field(u32),
    /// Position of an item in an array, counted across blocks.
    Item(u64),
    /// A map entry: the key's byte range in the payload (already checked UTF-8).
    Key(usize, usize),
    /// Index into `Program::branches`.
    Branch(u32),
}

/// Why the walk stopped, before the path is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// Innermost segment first (pushed while the error propagates outwards).
    pub(super) rev_path: Vec<Seg>,
    pub(super) message: String,
}

pub(super) type Walk<T> = Result<T, Box<Failure>>;

// Cold and out of line: error paths must not bloat or slow the inlined success paths.
#[cold]
#[inline(never)]
fn fail<T>(message: String) -> Walk<T> {
    Err(Box::new(Failure {
        rev_path: Vec::new(),
        message,
    }))
}

fn under(seg: Seg) -> impl FnOnce(Box<Failure>) -> Box<Failure> {
    move |mut failure| {
        failure.rev_path.push(seg);
        failure
    }
}

/// Read position over the payload. `pos <= buf.len()` always holds.
pub(super) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    pub(super) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(super) fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    fn byte(&mut self, what: &str) -> Walk<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => end_of_input(what),
        }
    }

    /// A varint of at most 10 bytes. Like apache-avro, bits shifted past 64 in the tenth byte
    /// are dropped, and an eleventh byte is an overflow.
    #[inline]
    pub(super) fn varint(&mut self, what: &str) -> Walk<u64> {
        // Most varints (small ints, lengths, indices, block counts) are one byte.
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        self.varint_multi(what)
    }

    fn varint_multi(&mut self, what: &str) -> Walk<u64> {
        // With 10 bytes in hand the loop needs no end-of-input checks.
        if let Some(chunk) = self
            .buf
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<10>())
        {
            let mut value = 0u64;
            for (index, &byte) in (0u32..).zip(chunk) {
                value |= u64::from(byte & 0x7f) << (index * 7);
                if byte & 0x80 == 0 {
                    self.pos += index as usize + 1;
                    return Ok(value);
                }
            }
            return fail(format!("varint overflow: {what} is longer than 10 bytes"));
        }
        let mut value = 0u64;
        for index in 0..10u32 {
            let byte = self.byte(what)?;
            value |= u64::from(byte & 0x7f) << (index * 7);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        fail(format!("varint overflow: {what} is longer than 10 bytes"))
    }

    #[inline]
    pub(super) fn long(&mut self, what: &str) -> Walk<i64> {
        let z = self.varint(what)?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    #[inline]
    pub(super) fn int(&mut self, what: &str) -> Walk<i32> {
        let value = self.long(what)?;
        match i32::try_from(value) {
            Ok(v) => Ok(v),
            Err(_) => fail(format!("{what} value {value} does not fit in 32 bits")),
        }
    }

    /// `n` raw bytes.
    #[inline]
    pub(super) fn take(&mut self, n: usize, what: &str) -> Walk<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.buf.len());
        match end.and_then(|end| self.buf.get(self.pos..end).map(|s| (end, s))) {
            Some((end, slice)) => {
                self.pos = end;
                Ok(slice)
            }
            None if self.remaining() == 0 => end_of_input(what),
            None => fail(format!(
                "expected {n} bytes of {what}, found {} before end of input",
                self.remaining()
            )),
        }
    }

    /// A length-prefixed byte string.
    #[inline]
    pub(super) fn bytes(&mut self, what: &str, max_len: usize) -> Walk<&'a [u8]> {
        let len = self.long(what)?;
        let Ok(len) = usize::try_from(len) else {
            return fail(format!("negative length {len} of {what}"));
        };
        if len > max_len {
            return fail(format!(
                "{what} length {len} exceeds the limit of {max_len} bytes"
            ));
        }
        self.take(len, what)
    }

    /// A length-prefixed string, returned as its bytes once they are known to be valid UTF-8
    /// (turning them into `&str` would mean validating twice, or `unsafe`).
    #[inline]
    pub(super) fn string(&mut self, what: &str, max_len: usize) -> Walk<&'a [u8]> {
        let raw = self.bytes(what, max_len)?;
        if is_utf8(raw) {
            return Ok(raw);
        }
        let valid_up_to = std::str::from_utf8(raw)
            .err()
            .map_or(0, |e| e.valid_up_to());
        fail(format!("invalid UTF-8 in {what} at byte {valid_up_to}"))
    }

    /// The item count of the next array/map block; 0 ends the sequence. A negative count is
    /// followed by the block's byte size, which apache-avro reads and ignores (so do we).
    fn block_count(&mut self, what: &str, max_len: usize) -> Walk<usize> {
        let raw = self.long(what)?;
        let count = if raw < 0 {
            self.long(what)?;
            match raw.checked_neg() {
                Some(count) => count,
                None => return fail(format!("{what} block count {raw} overflows")),
            }
        } else {
            raw
        };
        match usize::try_from(count) {
            Ok(count) if count <= max_len => Ok(count),
            _ => fail(format!(
                "{what} block count {count} exceeds the limit of {max_len}"
            )),
        }
    }
}

impl Program {
    /// Accept iff `payload` is exactly one datum of the root schema.
    pub(super) fn run(&self, payload: &[u8]) -> Walk<()> {
        let mut cursor = Cursor::new(payload);
        self.walk(self.root, &mut cursor, 0)?;
        match cursor.remaining() {
            0 => Ok(()),
            1 => fail("1 trailing byte after the datum".into()),
            n => fail(format!("{n} trailing bytes after the datum")),
        }
    }

    fn walk(&self, id: NodeId, cur: &mut Cursor<'_>, depth: u32) -> Walk<()> {
        let Some(node) = self.nodes.get(id as usize) else {
            return fail(format!("internal error: node {id} missing"));
        };
        match *node {
            Node::Null => Ok(()),
            Node::Boolean => match cur.byte("boolean")? {
                0 | 1 => Ok(()),
                b => fail(format!("boolean byte {b:#04x} is neither 0x00 nor 0x01")),
            },
            Node::Int => cur.int("int").map(drop),
            Node::Long => cur.long("long").map(drop),
            Node::Float => cur.take(4, "float").map(drop),
            Node::Double => cur.take(8, "double").map(drop),
            Node::Bytes => cur.bytes("bytes", self.max_len).map(drop),
            Node::String => cur.string("string", self.max_len).map(drop),
            Node::Fixed { size } => cur.take(size, "fixed").map(drop),
            Node::Enum { symbols } => self.enumeration(symbols, cur),
            Node::Array {
                items,
                trivial_items,
            } => self.array(items, trivial_items, cur, deeper(depth)?),
            Node::Map { values } => self.map(values, cur, deeper(depth)?),
            Node::Union { start, len } => self.union(start, len, cur, deeper(depth)?),
            Node::Record { start, len } => self.record(start, len, cur, deeper(depth)?),
            Node::BigDecimal | Node::UuidString | Node::UuidBytes => self.logical(node, cur),
            Node::UuidFixed { size } => {
                cur.take(size, "uuid")?;
                if size == 16 {
                    Ok(())
                } else {
                    fail(format!("uuid fixed size {size} is not 16"))
                }
            }
            Node::Duration { size: 12 } => cur.take(12, "duration").map(drop),
            Node::Duration { size } => fail(format!("duration fixed size {size} is not 12")),
        }
    }

    fn logical(&self, node: &Node, cur: &mut Cursor<'_>) -> Walk<()> {
        match node {
            Node::UuidString => {
                let text = cur.string("string", self.max_len)?;
                // Same parser as apache-avro's `Uuid::parse_str`, on the bytes; the detailed
                // message is built by parsing again, only on failure.
                match uuid::Uuid::try_parse_ascii(text) {
                    Ok(_) => Ok(()),
                    Err(_) => match uuid::Uuid::parse_str(&String::from_utf8_lossy(text)) {
                        Ok(_) => Ok(()),
                        Err(e) => fail(format!("invalid uuid string: {e}")),
                    },
                }
            }
            Node::UuidBytes => match cur.bytes("bytes", self.max_len)?.len() {
                16 => Ok(()),
                n => fail(format!("uuid of {n} bytes is not 16 bytes")),
            },
            _ => {
                // big-decimal: bytes holding (length-prefixed unscaled bytes, scale long); bytes
                // after the scale are ignored, as apache-avro does.
                let inner = cur.bytes("bytes", self.max_len)?;
                let mut nested = Cursor::new(inner);
                nested.bytes("big-decimal unscaled value", self.max_len)?;
                nested.long("big-decimal scale").map(drop)
            }
        }
    }

    fn enumeration(&self, symbols: u32, cur: &mut Cursor<'_>) -> Walk<()> {
        let index = cur.int("enum index")?;
        match u32::try_from(index) {
            Ok(i) if i < symbols => Ok(()),
            _ => fail(format!("enum index {index} out of range 0..{symbols}")),
        }
    }

    fn record(&self, start: u32, len: u32, cur: &mut Cursor<'_>, depth: u32) -> Walk<()> {
        let end = start.saturating_add(len);
        let fields = self
            .fields
            .get(start as usize..end as usize)
            .unwrap_or_default();
        for (offset, field) in (start..).zip(fields) {
            self.walk(field.node, cur, depth)
                .map_err(under(Seg::Field(offset)))?;
        }
        Ok(())
    }

    fn union(&self, start: u32, len: u32, cur: &mut Cursor<'_>, depth: u32) -> Walk<()> {
        let index = cur.long("union branch index")?;
        let branch = u32::try_from(index).ok().filter(|&i| i < len);
        let Some(branch) = branch.and_then(|i| start.checked_add(i)) else {
            return fail(format!("union branch index {index} out of range 0..{len}"));
        };
        let Some(target) = self.branches.get(branch as usize) else {
            return fail(format!("internal error: union branch {branch} missing"));
        };
        self.walk(target.node, cur, depth)
            .map_err(under(Seg::Branch(branch)))
    }

    fn array(&self, items: NodeId, trivial: bool, cur: &mut Cursor<'_>, depth: u32) -> Walk<()> {
        let mut total = 0usize;
        loop {
            let count = cur.block_count("array block count", self.max_len)?;
            if count == 0 {
                return Ok(());
            }
            let index = total as u64;
            total = self.grow(total, count, self.max_array_items, "array items")?;
            if trivial {
                // Items that consume nothing and cannot fail: counting them is validating them.
                continue;
            }
            for item in index..index.saturating_add(count as u64) {
                self.walk(items, cur, depth)
                    .map_err(under(Seg::Item(item)))?;
            }
        }
    }

    fn map(&self, values: NodeId, cur: &mut Cursor<'_>, depth: u32) -> Walk<()> {
        let mut total = 0usize;
        loop {
            let count = cur.block_count("map block count", self.max_len)?;
            if count == 0 {
                return Ok(());
            }
            total = self.grow(total, count, self.max_map_entries, "map entries")?;
            for _ in 0..count {
                let key = cur.string("map key", self.max_len)?;
                let key_end = cur.position();
                let key_start = key_end.saturating_sub(key.len());
                self.walk(values, cur, depth)
                    .map_err(under(Seg::Key(key_start, key_end)))?;
            }
        }
    }

    fn grow(&self, total: usize, count: usize, max: usize, what: &str) -> Walk<usize> {
        match total.checked_add(count) {
            Some(total) if total <= max => Ok(total),
            _ => fail(format!("{what} exceed the decoder's limit of {max}")),
        }
    }
}

/// Whether `raw` is valid UTF-8 (exactly std's rule), fast for the short strings that dominate
/// Avro records: ASCII is checked word-wise; other strings go through SIMD validation, short
/// ones padded with zero bytes to one 64-byte SIMD block (zeros are ASCII, so padding neither
/// completes nor breaks a sequence; simdutf8 would otherwise fall back to std's scalar loop).
#[inline]
pub(super) fn is_utf8(raw: &[u8]) -> bool {
    const BLOCK: usize = 64;
    if raw.is_ascii() {
        return true;
    }
    if raw.len() >= BLOCK {
        return simdutf8::basic::from_utf8(raw).is_ok();
    }
    let mut block = [0u8; BLOCK];
    match block.get_mut(..raw.len()) {
        Some(head) => head.copy_from_slice(raw),
        None => return std::str::from_utf8(raw).is_ok(),
    }
    simdutf8::basic::from_utf8(&block).is_ok()
}

#[cold]
#[inline(never)]
fn end_of_input<T>(what: &str) -> Walk<T> {
    fail(format!("expected {what}, found end of input"))
}

#[inline]
fn deeper(depth: u32) -> Walk<u32> {
    if depth >= MAX_DEPTH {
        fail(format!("nesting deeper than {MAX_DEPTH} levels"))
    } else {
        Ok(depth + 1)
    }
}
