//! A structural pre-scan of a Produce request before kafka-protocol decodes it.
//!
//! kafka-protocol sizes each array with `Vec::with_capacity(count)` straight from the wire, so
//! a 20-byte frame announcing 2^31 topics would make it try to allocate hundreds of gigabytes
//! (and abort the process). This walk reads the same layout without allocating and refuses
//! any array whose count exceeds the bytes left: every element takes at least one byte, so
//! after it the decoder's allocations are bounded by the frame size.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

/// Bounds-checked reader over the frame; every read fails instead of passing the end.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn skip(&mut self, n: usize) -> Result<(), String> {
        match self.buf.get(n..) {
            Some(rest) => {
                self.buf = rest;
                Ok(())
            }
            None => Err(format!("{n} bytes needed, {} left", self.buf.len())),
        }
    }

    fn int(&mut self, n: usize) -> Result<i64, String> {
        let bytes = self
            .buf
            .get(..n)
            .ok_or_else(|| format!("truncated {n}-byte integer"))?;
        let value = bytes.iter().fold(0i64, |acc, b| (acc << 8) | i64::from(*b));
        self.skip(n)?;
        // Sign-extend from n bytes.
        let shift = 64 - 8 * n as u32;
        Ok((value << shift) >> shift)
    }

    fn uvarint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for i in 0..5 {
            let (&byte, rest) = self.buf.split_first().ok_or("truncated varint")?;
            self.buf = rest;
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 5 bytes".to_owned())
    }

    /// A length: i16/i32 prefixed (`-1` = null) or compact (`0` = null, else n + 1).
    fn length(&mut self, flexible: bool, wide: bool) -> Result<usize, String> {
        let raw = if flexible {
            i64::try_from(self.uvarint()?).unwrap_or(i64::MAX) - 1
        } else {
            self.int(if wide { 4 } else { 2 })?
        };
        if raw < -1 {
            return Err(format!("negative length {raw}"));
        }
        Ok(usize::try_from(raw).unwrap_or(0))
    }

    /// An array count, refused when it exceeds the bytes left.
    fn count(&mut self, flexible: bool, what: &str) -> Result<usize, String> {
        let n = self.length(flexible, true)?;
        if n > self.buf.len() {
            return Err(format!(
                "{what} array of {n} elements in {} bytes",
                self.buf.len()
            ));
        }
        Ok(n)
    }

    fn sized(&mut self, flexible: bool, wide: bool) -> Result<(), String> {
        let n = self.length(flexible, wide)?;
        self.skip(n)
    }

    fn tagged_fields(&mut self) -> Result<(), String> {
        let n = self.uvarint()?;
        for _ in 0..n {
            self.uvarint()?;
            let size = self.uvarint()?;
            self.skip(usize::try_from(size).map_err(|e| e.to_string())?)?;
        }
        Ok(())
    }
}

/// Walk a Produce request frame of `version` (header + body); `Err` describes the first
/// structural problem.
pub fn prescan(frame: &[u8], version: i16) -> Result<(), String> {
    let flexible = version >= 9;
    let mut r = Reader { buf: frame };
    r.skip(2 + 2 + 4)?; // api key, api version, correlation id
    r.sized(false, false)?; // client_id: always a classic nullable string
    if flexible {
        r.tagged_fields()?;
    }
    r.sized(flexible, false)?; // transactional_id
    r.skip(2 + 4)?; // acks, timeout_ms
    for _ in 0..r.count(flexible, "topic")? {
        if version >= 13 {
            r.skip(16)?; // topic id
        } else {
            r.sized(flexible, false)?; // topic name
        }
        for _ in 0..r.count(flexible, "partition")? {
            r.skip(4)?; // index
            r.sized(flexible, true)?; // records
            if flexible {
                r.tagged_fields()?;
            }
        }
        if flexible {
            r.tagged_fields()?;
        }
    }
    if flexible {
        r.tagged_fields()?;
    }
    Ok(())
}
