//! Record-batch iteration over a partition's `records` bytes, without re-encoding.
//!
//! Invariants:
//! - Nothing here panics on wire input: every length is checked against the buffer before
//!   slicing, and every allocation is bounded (decompression stops at a configured cap).
//! - Batches are never rebuilt. [`BatchIter`] yields borrowed views of the original bytes;
//!   compressed record sections are inflated into a caller-owned scratch buffer (reused
//!   across batches) only so that key/value slices can be inspected.
//! - Only magic 2 batches are accepted: Produce v3+ carries nothing else (KIP-98).
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

mod decompress;
mod varint;

pub use decompress::{Codec, decompress_into};

use varint::Cursor;

/// Size of the fixed v2 batch header (baseOffset .. recordsCount).
pub const BATCH_HEADER_LEN: usize = 61;
/// Bytes before `batchLength` counts: baseOffset (8) + batchLength (4).
const LOG_OVERHEAD: usize = 12;
/// Offset of the `magic` byte, the same in legacy message sets and v2 batches.
const MAGIC_OFFSET: usize = 16;
/// Attribute bit marking a control batch (transaction markers).
const CONTROL_FLAG: i16 = 0x20;
/// Default cap on the decompressed size of one batch.
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: usize = 64 * 1024 * 1024;

/// Why a partition's record bytes cannot be inspected. Each rejects its batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    #[error("batch at byte {at}: truncated header ({available} of {BATCH_HEADER_LEN} bytes)")]
    TruncatedHeader { at: usize, available: usize },
    #[error("batch at byte {at}: batchLength {length} is out of range ({available} bytes left)")]
    BadBatchLength {
        at: usize,
        length: i32,
        available: usize,
    },
    #[error("batch at byte {at}: magic {magic} is not supported (only record batch v2)")]
    LegacyMagic { at: usize, magic: i8 },
    #[error(
        "{left} bytes at byte {at}, after the previous batch, are not a record batch v2: \
         the previous batch's batchLength does not cover its records"
    )]
    NotABatch { at: usize, left: usize },
    #[error("batch at byte {at}: unknown compression codec {codec}")]
    UnknownCodec { at: usize, codec: i16 },
    #[error("batch at byte {at}: {codec} decompression failed: {reason}")]
    Decompress {
        at: usize,
        codec: Codec,
        reason: String,
    },
    #[error("batch at byte {at}: decompressed size exceeds {cap} bytes")]
    TooLarge { at: usize, cap: usize },
    #[error("batch at byte {at}: recordsCount {count} is negative")]
    NegativeCount { at: usize, count: i32 },
    #[error("batch at byte {at}, record {index}: {reason}")]
    BadRecord {
        at: usize,
        index: i32,
        reason: &'static str,
    },
    #[error("batch at byte {at}: header says {expected} records, found {found}")]
    CountMismatch {
        at: usize,
        expected: i32,
        found: i32,
    },
    #[error("batch at byte {at}: control batches cannot be produced by clients")]
    ControlBatch { at: usize },
    #[error("batch at byte {at}: {extra} trailing bytes after the last record")]
    TrailingBytes { at: usize, extra: usize },
}

/// The fields of a v2 batch header that enforcement needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub magic: i8,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub records_count: i32,
}

impl BatchHeader {
    pub fn codec(&self) -> i16 {
        self.attributes & 0x07
    }

    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_FLAG != 0
    }
}

/// One batch: its header, where it starts in the partition bytes, and its raw bytes.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub header: BatchHeader,
    /// Byte position of the batch within the partition's `records`.
    pub position: usize,
    /// The whole batch, header included, exactly as received.
    pub raw: &'a [u8],
}

/// Iterates the batches of a partition's `records` bytes. Stops after the first error.
#[derive(Debug, Clone)]
pub struct BatchIter<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> BatchIter<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            failed: false,
        }
    }

    fn next_batch(&mut self) -> Result<Batch<'a>, RecordsError> {
        let at = self.pos;
        let rest = self.buf.get(at..).unwrap_or_default();
        // The magic byte sits at the same offset in every message format, so read it before
        // trusting anything else: a legacy message set has no v2 header to validate.
        if let Some(&magic) = rest.get(MAGIC_OFFSET)
            && magic != 2
        {
            return Err(match at {
                0 => RecordsError::LegacyMagic {
                    at,
                    magic: magic as i8,
                },
                // A legacy message set is a whole partition's records, never what follows a
                // v2 batch: bytes there are what a too-short batchLength left over.
                _ => RecordsError::NotABatch {
                    at,
                    left: rest.len(),
                },
            });
        }
        let header = parse_header(rest).ok_or(if at > 0 && rest.len() <= MAGIC_OFFSET {
            // Too short to even carry a magic byte: leftovers, not a cut-off batch.
            RecordsError::NotABatch {
                at,
                left: rest.len(),
            }
        } else {
            RecordsError::TruncatedHeader {
                at,
                available: rest.len(),
            }
        })?;
        let total = usize::try_from(header.batch_length)
            .ok()
            .and_then(|l| l.checked_add(LOG_OVERHEAD))
            .filter(|&t| t >= BATCH_HEADER_LEN && t <= rest.len())
            .ok_or(RecordsError::BadBatchLength {
                at,
                length: header.batch_length,
                available: rest.len(),
            })?;
        let raw = rest.get(..total).ok_or(RecordsError::BadBatchLength {
            at,
            length: header.batch_length,
            available: rest.len(),
        })?;
        self.pos = at + total;
        Ok(Batch {
            header,
            position: at,
            raw,
        })
    }
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = Result<Batch<'a>, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let item = self.next_batch();
        self.failed = item.is_err();
        Some(item)
    }
}

fn parse_header(b: &[u8]) -> Option<BatchHeader> {
    let mut c = Cursor::new(b.get(..BATCH_HEADER_LEN)?);
    let base_offset = c.i64()?;
    let batch_length = c.i32()?;
    let _partition_leader_epoch = c.i32()?;
    let magic = c.i8()?;
    let _crc = c.i32()?;
    let attributes = c.i16()?;
    let last_offset_delta = c.i32()?;
    c.skip(8 + 8 + 8 + 2 + 4)?; // timestamps, producerId, producerEpoch, baseSequence
    let records_count = c.i32()?;
    Some(BatchHeader {
        base_offset,
        batch_length,
        magic,
        attributes,
        last_offset_delta,
        records_count,
    })
}

/// One record of a batch, borrowing its key and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// Position of the record within its batch (0-based): KIP-467's `batch_index`.
    pub index: i32,
    pub offset_delta: i32,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
}

impl<'a> Batch<'a> {
    /// The record section, decompressed into `scratch` when the batch is compressed.
    /// `scratch` is cleared first and is reused across batches to avoid allocations.
    pub fn records_section<'s>(
        &self,
        scratch: &'s mut Vec<u8>,
        max_decompressed: usize,
    ) -> Result<&'s [u8], RecordsError>
    where
        'a: 's,
    {
        let at = self.position;
        let section = self.raw.get(BATCH_HEADER_LEN..).unwrap_or_default();
        let codec =
            Codec::from_attributes(self.header.codec()).ok_or(RecordsError::UnknownCodec {
                at,
                codec: self.header.codec(),
            })?;
        if codec == Codec::None {
            return Ok(section);
        }
        decompress_into(codec, section, max_decompressed, scratch).map_err(|e| match e {
            decompress::DecompressError::TooLarge => RecordsError::TooLarge {
                at,
                cap: max_decompressed,
            },
            decompress::DecompressError::Corrupt(reason) => {
                RecordsError::Decompress { at, codec, reason }
            }
        })?;
        Ok(scratch.as_slice())
    }

    /// Every record of the batch, checked against the header's `recordsCount`.
    /// `section` is what [`Batch::records_section`] returned.
    pub fn records<'s>(&self, section: &'s [u8]) -> Result<RecordIter<'s>, RecordsError> {
        let count = self.header.records_count;
        if count < 0 {
            return Err(RecordsError::NegativeCount {
                at: self.position,
                count,
            });
        }
        Ok(RecordIter {
            cur: Cursor::new(section),
            at: self.position,
            expected: count,
            index: 0,
        })
    }
}

/// Iterates the records of one batch. After the last record it checks that exactly
/// `recordsCount` records were present and no bytes remain; it stops after an error.
#[derive(Debug, Clone)]
pub struct RecordIter<'a> {
    cur: Cursor<'a>,
    at: usize,
    expected: i32,
    index: i32,
}

impl<'a> RecordIter<'a> {
    fn bad(&mut self, reason: &'static str) -> RecordsError {
        let index = self.index;
        self.expected = -1;
        RecordsError::BadRecord {
            at: self.at,
            index,
            reason,
        }
    }

    fn next_record(&mut self) -> Result<RecordView<'a>, RecordsError> {
        let len = self
            .cur
            .varint()
            .ok_or_else(|| self.bad("bad record length varint"))?;
        let len = usize::try_from(len).map_err(|_| self.bad("negative record length"))?;
        let body = self
            .cur
            .take(len)
            .ok_or_else(|| self.bad("record length past end of batch"))?;
        let record = parse_record(body, self.index).map_err(|reason| self.bad(reason))?;
        self.index += 1;
        Ok(record)
    }
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Result<RecordView<'a>, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.expected < 0 {
            return None;
        }
        if self.index == self.expected || self.cur.is_empty() {
            let (expected, found, extra) = (self.expected, self.index, self.cur.remaining());
            self.expected = -1;
            if found != expected {
                return Some(Err(RecordsError::CountMismatch {
                    at: self.at,
                    expected,
                    found,
                }));
            }
            if extra != 0 {
                return Some(Err(RecordsError::TrailingBytes { at: self.at, extra }));
            }
            return None;
        }
        Some(self.next_record())
    }
}

fn parse_record(body: &[u8], index: i32) -> Result<RecordView<'_>, &'static str> {
    let mut c = Cursor::new(body);
    c.i8().ok_or("missing attributes")?;
    c.varlong().ok_or("bad timestampDelta varint")?;
    let offset_delta = c.varint().ok_or("bad offsetDelta varint")?;
    let key = c.nullable_bytes().ok_or("bad key length")?;
    let value = c.nullable_bytes().ok_or("bad value length")?;
    let headers = c.varint().ok_or("bad header count")?;
    if headers < 0 {
        return Err("negative header count");
    }
    for _ in 0..headers {
        c.nullable_bytes()
            .ok_or("bad header key")?
            .ok_or("null header key")?;
        c.nullable_bytes().ok_or("bad header value")?;
    }
    if !c.is_empty() {
        return Err("bytes left after the record's headers");
    }
    Ok(RecordView {
        index,
        offset_delta,
        key,
        value,
    })
}

#[cfg(test)]
mod tests;
