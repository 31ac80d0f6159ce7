//! Kafka framing: a 4-byte big-endian length, then that many bytes.
//!
//! Invariants: a decoded frame is never larger than `max_frame_bytes`; a negative or oversized
//! length is an error before any buffer is reserved for it; a stream that ends inside a frame
//! is reported as truncated rather than silently dropped.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Length prefix size.
const LEN: usize = 4;

/// Framing errors; each closes the connection it came from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    #[error("negative frame length {0}")]
    NegativeLength(i32),
    #[error("frame length {len} exceeds the limit of {max} bytes")]
    Oversized { len: usize, max: usize },
    #[error("stream ended inside a frame ({have} of {want} bytes received)")]
    Truncated { have: usize, want: usize },
    #[error("frame of {len} bytes is too large to encode")]
    TooLargeToEncode { len: usize },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Length-prefixed frame codec. Decodes to the frame body (without the prefix); encodes a body
/// by prefixing its length.
#[derive(Debug, Clone, Copy)]
pub struct KafkaCodec {
    max_frame_bytes: usize,
}

impl KafkaCodec {
    pub fn new(max_frame_bytes: usize) -> Self {
        KafkaCodec { max_frame_bytes }
    }

    /// Length of the frame at the start of `src`, once the prefix is complete.
    fn frame_len(&self, src: &[u8]) -> Result<Option<usize>, CodecError> {
        let Some(prefix) = src.get(..LEN) else {
            return Ok(None);
        };
        let mut prefix = prefix;
        let len = prefix.get_i32();
        let len = usize::try_from(len).map_err(|_| CodecError::NegativeLength(len))?;
        if len > self.max_frame_bytes {
            return Err(CodecError::Oversized {
                len,
                max: self.max_frame_bytes,
            });
        }
        Ok(Some(len))
    }
}

impl Decoder for KafkaCodec {
    type Item = Bytes;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        let Some(len) = self.frame_len(src)? else {
            return Ok(None);
        };
        let have = src.len().saturating_sub(LEN);
        if have < len {
            // Reserve only what the cap allows; the length was checked above.
            src.reserve(len - have);
            return Ok(None);
        }
        src.advance(LEN);
        Ok(Some(src.split_to(len).freeze()))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let want = self.frame_len(src)?.map_or(LEN, |len| len + LEN);
        Err(CodecError::Truncated {
            have: src.len(),
            want,
        })
    }
}

impl Encoder<Bytes> for KafkaCodec {
    type Error = CodecError;

    fn encode(&mut self, body: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        let len = i32::try_from(body.len())
            .map_err(|_| CodecError::TooLargeToEncode { len: body.len() })?;
        dst.reserve(LEN + body.len());
        dst.put_i32(len);
        dst.extend_from_slice(&body);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn codec() -> KafkaCodec {
        KafkaCodec::new(16)
    }

    fn prefixed(len: i32, body: &[u8]) -> BytesMut {
        let mut buf = BytesMut::new();
        buf.put_i32(len);
        buf.extend_from_slice(body);
        buf
    }

    #[test]
    fn decodes_a_complete_frame_and_leaves_the_rest() {
        let mut buf = prefixed(3, b"abcde");
        let frame = codec().decode(&mut buf).unwrap();
        assert_eq!(frame.as_deref(), Some(&b"abc"[..]));
        assert_eq!(&buf[..], b"de");
    }

    #[test]
    fn waits_for_a_partial_prefix_or_body() {
        let mut buf = BytesMut::from(&[0u8, 0][..]);
        assert!(codec().decode(&mut buf).unwrap().is_none());
        let mut buf = prefixed(5, b"ab");
        assert!(codec().decode(&mut buf).unwrap().is_none());
    }

    #[test]
    fn zero_length_frame_is_an_empty_body() {
        let mut buf = prefixed(0, b"");
        assert_eq!(codec().decode(&mut buf).unwrap(), Some(Bytes::new()));
    }

    #[test]
    fn negative_length_is_rejected() {
        let mut buf = prefixed(-1, b"");
        assert!(matches!(
            codec().decode(&mut buf),
            Err(CodecError::NegativeLength(-1))
        ));
        let mut buf = prefixed(i32::MIN, b"");
        assert!(matches!(
            codec().decode(&mut buf),
            Err(CodecError::NegativeLength(i32::MIN))
        ));
    }

    #[test]
    fn oversized_length_is_rejected_before_reserving() {
        let mut buf = prefixed(17, b"");
        let capacity = buf.capacity();
        assert!(matches!(
            codec().decode(&mut buf),
            Err(CodecError::Oversized { len: 17, max: 16 })
        ));
        assert_eq!(buf.capacity(), capacity);
        let mut buf = prefixed(i32::MAX, b"");
        assert!(codec().decode(&mut buf).is_err());
    }

    #[test]
    fn limit_is_inclusive() {
        let mut buf = prefixed(16, &[7; 16]);
        assert_eq!(codec().decode(&mut buf).unwrap().map(|b| b.len()), Some(16));
    }

    #[test]
    fn eof_inside_a_frame_is_truncated() {
        let mut buf = prefixed(8, b"abc");
        assert!(matches!(
            codec().decode_eof(&mut buf),
            Err(CodecError::Truncated { have: 7, want: 12 })
        ));
        let mut buf = BytesMut::from(&[0u8][..]);
        assert!(matches!(
            codec().decode_eof(&mut buf),
            Err(CodecError::Truncated { have: 1, want: 4 })
        ));
        let mut empty = BytesMut::new();
        assert!(codec().decode_eof(&mut empty).unwrap().is_none());
    }

    #[test]
    fn encode_prefixes_the_length() {
        let mut dst = BytesMut::new();
        codec()
            .encode(Bytes::from_static(b"xyz"), &mut dst)
            .unwrap();
        assert_eq!(&dst[..], &[0, 0, 0, 3, b'x', b'y', b'z']);
    }

    proptest::proptest! {
        /// Arbitrary client bytes, fed in arbitrary chunks, never panic the decoder and never
        /// yield a frame over the limit.
        #[test]
        fn arbitrary_streams_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..128),
            chunk in 1usize..16,
        ) {
            let mut codec = codec();
            let mut buf = BytesMut::new();
            'feed: for piece in bytes.chunks(chunk) {
                buf.extend_from_slice(piece);
                loop {
                    match codec.decode(&mut buf) {
                        Ok(Some(frame)) => proptest::prop_assert!(frame.len() <= 16),
                        Ok(None) => break,
                        Err(_) => break 'feed,
                    }
                }
            }
            let _ = codec.decode_eof(&mut buf);
        }
    }
}
