//! Capped decompression of a batch's record section, for inspection only.
//!
//! Invariant: at most `cap` decompressed bytes are ever produced; one more byte is enough to
//! prove a batch too large, so a decompression bomb costs at most `cap + 1` bytes of output
//! (plus the codec's bounded window) before it is refused.

use std::io::Read;

/// A Kafka compression codec (attributes bits 0–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Codec {
    pub fn from_attributes(bits: i16) -> Option<Self> {
        match bits {
            0 => Some(Self::None),
            1 => Some(Self::Gzip),
            2 => Some(Self::Snappy),
            3 => Some(Self::Lz4),
            4 => Some(Self::Zstd),
            _ => None,
        }
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Snappy => "snappy",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        })
    }
}

#[derive(Debug)]
pub enum DecompressError {
    TooLarge,
    Corrupt(String),
}

/// Header of snappy-java's framed stream, which Java clients write (KAFKA-3160 era and on):
/// 8 magic bytes, then version and minimum compatible version as big-endian i32.
const XERIAL_MAGIC: &[u8; 8] = b"\x82SNAPPY\x00";
const XERIAL_HEADER_LEN: usize = 16;
/// Largest zstd window we accept: zstd's own default limit (2^27 = 128 MiB). It cannot be
/// derived from the cap: frames without a content size (what producers write) carry the
/// level's window, and Kafka allows levels up to 22, whose window log is 27.
const ZSTD_MAX_WINDOW_LOG: u32 = 27;

/// Decompress `input` into `out` (cleared first), refusing more than `cap` bytes of output.
pub fn decompress_into(
    codec: Codec,
    input: &[u8],
    cap: usize,
    out: &mut Vec<u8>,
) -> Result<(), DecompressError> {
    out.clear();
    match codec {
        Codec::None => {
            if input.len() > cap {
                return Err(DecompressError::TooLarge);
            }
            out.extend_from_slice(input);
            Ok(())
        }
        // Every member, not just the first (GzDecoder would silently ignore the rest): Java's
        // GZIPInputStream reads them all, so bytes after the first member are records too.
        Codec::Gzip => read_capped(flate2::read::MultiGzDecoder::new(input), cap, out),
        Codec::Lz4 => lz4(input, cap, out),
        Codec::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::with_buffer(input).map_err(corrupt)?;
            decoder
                .window_log_max(ZSTD_MAX_WINDOW_LOG)
                .map_err(corrupt)?;
            read_capped(decoder, cap, out)
        }
        Codec::Snappy => snappy(input, cap, out),
    }
}

fn corrupt(e: impl std::fmt::Display) -> DecompressError {
    DecompressError::Corrupt(e.to_string())
}

/// Appends what `reader` yields to `out`, refusing once `out` would exceed `cap` bytes.
fn read_capped(reader: impl Read, cap: usize, out: &mut Vec<u8>) -> Result<(), DecompressError> {
    let room = cap.saturating_sub(out.len()).saturating_add(1);
    let limit = u64::try_from(room).unwrap_or(u64::MAX);
    reader.take(limit).read_to_end(out).map_err(corrupt)?;
    if out.len() > cap {
        return Err(DecompressError::TooLarge);
    }
    Ok(())
}

/// LZ4 frames up to the end of `input`. `FrameDecoder` reports end of input at the end of
/// each frame, but librdkafka decodes concatenated frames, so the bytes after the first frame
/// are records too and must be inspected; bytes that are not a frame are corrupt.
fn lz4(input: &[u8], cap: usize, out: &mut Vec<u8>) -> Result<(), DecompressError> {
    let mut decoder = lz4_flex::frame::FrameDecoder::new(input);
    loop {
        let left = decoder.get_ref().len();
        if left == 0 {
            return Ok(());
        }
        read_capped(&mut decoder, cap, out)?;
        if decoder.get_ref().len() == left {
            return Err(corrupt(format!("{left} bytes after the last LZ4 frame")));
        }
    }
}

/// Snappy as Kafka clients write it: xerial-framed by Java clients, raw by some others
/// (the Java consumer falls back to raw when the magic is absent, and so do we).
fn snappy(input: &[u8], cap: usize, out: &mut Vec<u8>) -> Result<(), DecompressError> {
    if input.len() < XERIAL_HEADER_LEN || !input.starts_with(XERIAL_MAGIC) {
        return snappy_block(input, cap, out);
    }
    let mut rest = input.get(XERIAL_HEADER_LEN..).unwrap_or_default();
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_at_checked(4)
            .ok_or_else(|| corrupt("truncated block length"))?;
        let len = u32::from_be_bytes(len.try_into().map_err(corrupt)?) as usize;
        let (block, tail) = tail
            .split_at_checked(len)
            .ok_or_else(|| corrupt("block length past end of data"))?;
        snappy_block(block, cap, out)?;
        rest = tail;
    }
    Ok(())
}

/// Append one raw snappy block to `out`, checking its declared size against the cap first.
fn snappy_block(block: &[u8], cap: usize, out: &mut Vec<u8>) -> Result<(), DecompressError> {
    let len = snap::raw::decompress_len(block).map_err(corrupt)?;
    let start = out.len();
    let end = start
        .checked_add(len)
        .filter(|&e| e <= cap)
        .ok_or(DecompressError::TooLarge)?;
    out.resize(end, 0);
    let dst = out
        .get_mut(start..end)
        .ok_or_else(|| corrupt("output range"))?;
    let written = snap::raw::Decoder::new()
        .decompress(block, dst)
        .map_err(corrupt)?;
    out.truncate(start + written);
    Ok(())
}
