//! A bounds-checked reader over a byte slice: big-endian integers, zigzag varints and the
//! nullable byte strings of record v2. Every read returns `None` instead of reading past
//! the end, and never allocates.

/// Reads from a borrowed slice; the slice only shrinks.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.buf.len() {
            return None;
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Some(head)
    }

    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub fn i8(&mut self) -> Option<i8> {
        self.array::<1>().map(i8::from_be_bytes)
    }

    pub fn i16(&mut self) -> Option<i16> {
        self.array::<2>().map(i16::from_be_bytes)
    }

    pub fn i32(&mut self) -> Option<i32> {
        self.array::<4>().map(i32::from_be_bytes)
    }

    pub fn i64(&mut self) -> Option<i64> {
        self.array::<8>().map(i64::from_be_bytes)
    }

    /// Unsigned LEB128 of at most `max_bytes` bytes (5 for 32-bit, 10 for 64-bit values).
    fn unsigned(&mut self, max_bytes: u32) -> Option<u64> {
        let mut value: u64 = 0;
        for i in 0..max_bytes {
            let (&byte, rest) = self.buf.split_first()?;
            self.buf = rest;
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// Zigzag-encoded 32-bit varint (Kafka `varint`).
    pub fn varint(&mut self) -> Option<i32> {
        let raw = u32::try_from(self.unsigned(5)?).ok()?;
        Some(((raw >> 1) as i32) ^ -((raw & 1) as i32))
    }

    /// Zigzag-encoded 64-bit varint (Kafka `varlong`).
    pub fn varlong(&mut self) -> Option<i64> {
        let raw = self.unsigned(10)?;
        Some(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    /// Varint length then bytes; length -1 is null. `None` on a bad or overlong length.
    pub fn nullable_bytes(&mut self) -> Option<Option<&'a [u8]>> {
        let len = self.varint()?;
        if len == -1 {
            return Some(None);
        }
        let len = usize::try_from(len).ok()?;
        self.take(len).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn zigzag_varints_decode_like_kafka() {
        // 0 → 0, 1 → -1, 2 → 1, 0x7f → -64, 0x80 0x01 → 64
        let bytes = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x01];
        let mut c = Cursor::new(&bytes);
        let got: Vec<i32> = std::iter::from_fn(|| c.varint()).collect();
        assert_eq!(got, vec![0, -1, 1, -64, 64]);
    }

    #[test]
    fn overlong_varint_is_refused() {
        let mut c = Cursor::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(c.varint(), None);
    }

    #[test]
    fn varint_past_the_end_is_refused() {
        let mut c = Cursor::new(&[0x80]);
        assert_eq!(c.varint(), None);
    }

    #[test]
    fn nullable_bytes_checks_the_length() {
        let mut c = Cursor::new(&[0x01]);
        assert_eq!(c.nullable_bytes(), Some(None));
        let mut c = Cursor::new(&[0x06, b'a', b'b']);
        assert_eq!(c.nullable_bytes(), None);
        let mut c = Cursor::new(&[0x04, b'a', b'b']);
        assert_eq!(c.nullable_bytes(), Some(Some(&b"ab"[..])));
    }
}
