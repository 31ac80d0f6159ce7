//! Any bytes as a client's byte stream: `KafkaCodec` splits it into frames (whole, and again in
//! two chunks at a point picked by the input, which must give the same frames), and every frame
//! goes through `peek_request_header` (and `peek_produce_acks` for Produce). Nothing panics, no
//! frame exceeds the limit, and a header's body offset lies inside its frame.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use schemagate::codec::KafkaCodec;
use schemagate::frame::{peek_produce_acks, peek_request_header};
use tokio_util::codec::Decoder;

/// Small, so the fuzzer reaches both the oversized and the complete-frame paths.
const MAX_FRAME: usize = 4096;

/// Frames until the codec wants more bytes or fails, then what `decode_eof` says.
fn frames(chunks: &[&[u8]]) -> (Vec<Bytes>, bool) {
    let mut codec = KafkaCodec::new(MAX_FRAME);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => out.push(frame),
                Ok(None) => break,
                Err(_) => return (out, false),
            }
        }
    }
    match codec.decode_eof(&mut buf) {
        Ok(Some(frame)) => out.push(frame),
        Ok(None) => {}
        Err(_) => return (out, false),
    }
    (out, true)
}

fuzz_target!(|data: &[u8]| {
    let (whole, clean) = frames(&[data]);
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (split, split_clean) = frames(&[&data[..cut], &data[cut..]]);
    assert_eq!(whole, split, "chunking changed the frames");
    assert_eq!(clean, split_clean, "chunking changed the verdict");
    for frame in &whole {
        assert!(frame.len() <= MAX_FRAME);
        let Ok(header) = peek_request_header(frame) else {
            continue;
        };
        if let Some(offset) = header.body_offset {
            assert!(
                offset <= frame.len(),
                "body offset {offset} past {}",
                frame.len()
            );
        }
        if header.api_key == 0 {
            let _ = peek_produce_acks(frame, &header);
        }
    }
});
