//! Lazily read request and response headers from a frame body (no length prefix).
//!
//! Only what routing needs is read: api key, api version, correlation id and client id of a
//! request; the correlation id and header length of a response; `acks` of a Produce request.
//! Every read is bounds-checked, so garbage yields a [`FrameError`], never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;

/// Malformed frame contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    #[error("frame of {len} bytes is too short for {what}")]
    TooShort { len: usize, what: &'static str },
    #[error("malformed {what} at byte {at}")]
    Malformed { what: &'static str, at: usize },
}

/// The fields of a request header the proxy routes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
    /// `None` for header v0, a null client id, or an unknown api key whose header is unparsable.
    pub client_id: Option<String>,
    /// Offset of the request body within the frame, when the api key is known.
    pub body_offset: Option<usize>,
}

impl RequestHeader {
    /// The api key when this build of kafka-protocol knows it.
    pub fn known_key(&self) -> Option<ApiKey> {
        ApiKey::try_from(self.api_key).ok()
    }
}

/// Bounds-checked big-endian reader over a byte slice.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn skip(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FrameError> {
        self.take(n, what)
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FrameError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(FrameError::Malformed { what, at: self.pos })?;
        let bytes = self.buf.get(self.pos..end).ok_or(FrameError::TooShort {
            len: self.buf.len(),
            what,
        })?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], FrameError> {
        let at = self.pos;
        self.take(N, what)?
            .try_into()
            .map_err(|_| FrameError::Malformed { what, at })
    }

    pub(crate) fn i16(&mut self, what: &'static str) -> Result<i16, FrameError> {
        self.array(what).map(i16::from_be_bytes)
    }

    pub(crate) fn i32(&mut self, what: &'static str) -> Result<i32, FrameError> {
        self.array(what).map(i32::from_be_bytes)
    }

    /// Unsigned LEB128 varint of at most 5 bytes (a Kafka `UNSIGNED_VARINT`).
    pub(crate) fn uvarint(&mut self, what: &'static str) -> Result<u32, FrameError> {
        let mut value: u32 = 0;
        for i in 0..5 {
            let [byte] = self.array::<1>(what)?;
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(FrameError::Malformed { what, at: self.pos })
    }

    /// `NULLABLE_STRING` (int16 length, -1 = null).
    pub(crate) fn nullable_string(
        &mut self,
        what: &'static str,
    ) -> Result<Option<&'a [u8]>, FrameError> {
        let at = self.pos;
        match self.i16(what)? {
            -1 => Ok(None),
            n if n >= 0 => Ok(Some(self.take(n as usize, what)?)),
            _ => Err(FrameError::Malformed { what, at }),
        }
    }

    /// `COMPACT_NULLABLE_STRING` (unsigned varint length + 1, 0 = null).
    pub(crate) fn compact_nullable_string(
        &mut self,
        what: &'static str,
    ) -> Result<Option<&'a [u8]>, FrameError> {
        match self.uvarint(what)? {
            0 => Ok(None),
            n => Ok(Some(self.take((n - 1) as usize, what)?)),
        }
    }

    /// `TAGGED_FIELDS`: a count, then (tag, size, bytes) for each; all skipped.
    pub(crate) fn skip_tagged_fields(&mut self, what: &'static str) -> Result<(), FrameError> {
        let count = self.uvarint(what)?;
        for _ in 0..count {
            self.uvarint(what)?;
            let size = self.uvarint(what)?;
            self.take(size as usize, what)?;
        }
        Ok(())
    }
}

/// Read the request header. Header v0 has no client id; v1 adds a NULLABLE_STRING client id;
/// v2 adds tagged fields after it (the client id stays non-compact, per KIP-482).
pub fn peek_request_header(frame: &[u8]) -> Result<RequestHeader, FrameError> {
    let mut r = Reader::new(frame);
    let api_key = r.i16("request api key")?;
    let api_version = r.i16("request api version")?;
    let correlation_id = r.i32("request correlation id")?;
    let header_version = ApiKey::try_from(api_key)
        .ok()
        .map(|key| key.request_header_version(api_version));
    let mut header = RequestHeader {
        api_key,
        api_version,
        correlation_id,
        client_id: None,
        body_offset: None,
    };
    match header_version {
        Some(0) => header.body_offset = Some(r.pos()),
        Some(v) => {
            header.client_id = read_client_id(&mut r)?;
            if v >= 2 {
                r.skip_tagged_fields("request header tagged fields")?;
            }
            header.body_offset = Some(r.pos());
        }
        // Unknown api key: every client sends header v1+ in practice; the client id is only
        // used for logs, so a parse failure here is not an error.
        None => header.client_id = read_client_id(&mut r).ok().flatten(),
    }
    Ok(header)
}

fn read_client_id(r: &mut Reader<'_>) -> Result<Option<String>, FrameError> {
    Ok(r.nullable_string("request client id")?
        .map(|b| String::from_utf8_lossy(b).into_owned()))
}

/// `acks` of a Produce request: after the header comes `transactional_id` (NULLABLE_STRING
/// from v3, COMPACT_NULLABLE_STRING from v9), then `acks` (INT16); v0–2 start with `acks`.
pub fn peek_produce_acks(frame: &[u8], header: &RequestHeader) -> Result<i16, FrameError> {
    let offset = header.body_offset.ok_or(FrameError::Malformed {
        what: "produce request header",
        at: 0,
    })?;
    let body = frame.get(offset..).ok_or(FrameError::TooShort {
        len: frame.len(),
        what: "produce request body",
    })?;
    let mut r = Reader::new(body);
    if header.api_version >= 9 {
        r.compact_nullable_string("produce transactional id")?;
    } else if header.api_version >= 3 {
        r.nullable_string("produce transactional id")?;
    }
    r.i16("produce acks")
}

/// Correlation id of a response and the length of its header (v0: correlation id only;
/// v1: plus tagged fields), so the body can be decoded and the header kept verbatim.
pub fn peek_response_header(frame: &[u8], header_version: i16) -> Result<(i32, usize), FrameError> {
    let mut r = Reader::new(frame);
    let correlation_id = r.i32("response correlation id")?;
    if header_version >= 1 {
        r.skip_tagged_fields("response header tagged fields")?;
    }
    Ok((correlation_id, r.pos()))
}

/// The response header version for a request's api key and version.
pub fn response_header_version(api_key: ApiKey, api_version: i16) -> i16 {
    api_key.response_header_version(api_version)
}

/// Split a response frame into its verbatim header and its body.
pub fn split_response(
    frame: &Bytes,
    header_version: i16,
) -> Result<(i32, Bytes, Bytes), FrameError> {
    let (correlation_id, header_len) = peek_response_header(frame, header_version)?;
    let header = frame.slice(..header_len);
    let body = frame.slice(header_len..);
    Ok((correlation_id, header, body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
