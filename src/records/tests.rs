#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use super::*;

fn record(i: i64, key: Option<&[u8]>, value: Option<&[u8]>) -> Record {
    Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: 0,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: i,
        sequence: i as i32,
        timestamp: 1_700_000_000_000 + i,
        key: key.map(Bytes::copy_from_slice),
        value: value.map(Bytes::copy_from_slice),
        headers: [("h".into(), Some(Bytes::from_static(b"v")))]
            .into_iter()
            .collect(),
    }
}

fn batch(records: &[Record], compression: Compression) -> Vec<u8> {
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression,
    };
    RecordBatchEncoder::encode(&mut buf, records.iter(), &options).unwrap();
    buf.to_vec()
}

fn values(buf: &[u8], cap: usize) -> Result<Vec<Option<Vec<u8>>>, RecordsError> {
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    for b in BatchIter::new(buf) {
        let b = b?;
        let section = b.records_section(&mut scratch, cap)?;
        for r in b.records(section)? {
            out.push(r?.value.map(<[u8]>::to_vec));
        }
    }
    Ok(out)
}

const ALL: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

#[test]
fn every_codec_yields_the_original_keys_and_values() {
    let recs: Vec<Record> = (0..20)
        .map(|i| {
            record(
                i,
                (i % 3 != 0).then_some(&b"k"[..]),
                (i != 5).then_some(&b"value"[..]),
            )
        })
        .collect();
    for c in ALL {
        let buf = batch(&recs, c);
        let mut scratch = Vec::new();
        let b = BatchIter::new(&buf).next().unwrap().unwrap();
        assert_eq!(b.header.records_count, 20, "{c:?}");
        assert_eq!(b.raw.len(), buf.len());
        let section = b.records_section(&mut scratch, 1 << 20).unwrap();
        let got: Vec<RecordView<'_>> = b.records(section).unwrap().map(Result::unwrap).collect();
        assert_eq!(got.len(), 20, "{c:?}");
        for (i, r) in got.iter().enumerate() {
            assert_eq!(r.index, i as i32);
            assert_eq!(r.offset_delta, i as i32);
            assert_eq!(r.key, (i % 3 != 0).then_some(&b"k"[..]), "{c:?} key {i}");
            assert_eq!(
                r.value,
                (i != 5).then_some(&b"value"[..]),
                "{c:?} value {i}"
            );
        }
    }
}

#[test]
fn several_batches_in_one_partition_are_all_visited() {
    let mut buf = batch(&[record(0, None, Some(b"a"))], Compression::None);
    buf.extend(batch(
        &[record(0, None, Some(b"b")), record(1, None, Some(b"c"))],
        Compression::Lz4,
    ));
    let got = values(&buf, 1 << 20).unwrap();
    assert_eq!(
        got,
        vec![
            Some(b"a".to_vec()),
            Some(b"b".to_vec()),
            Some(b"c".to_vec())
        ]
    );
}

#[test]
fn raw_snappy_without_xerial_framing_is_accepted() {
    let plain = batch(
        &[record(0, Some(b"key"), Some(b"hello raw snappy"))],
        Compression::None,
    );
    let section = &plain[BATCH_HEADER_LEN..];
    let compressed = snap::raw::Encoder::new().compress_vec(section).unwrap();
    let mut out = Vec::new();
    decompress_into(Codec::Snappy, &compressed, 1 << 20, &mut out).unwrap();
    assert_eq!(out, section);
}

#[test]
fn decompression_bomb_is_refused_with_the_cap_in_the_message() {
    let big = vec![b'x'; 200_000];
    for c in [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let buf = batch(&[record(0, None, Some(&big))], c);
        assert!(buf.len() < 50_000, "{c:?} compresses well");
        let err = values(&buf, 100_000).unwrap_err();
        assert!(
            matches!(err, RecordsError::TooLarge { cap: 100_000, .. }),
            "{c:?}: {err}"
        );
        assert!(
            err.to_string()
                .contains("decompressed size exceeds 100000 bytes")
        );
    }
}

#[test]
fn legacy_magic_is_refused() {
    let mut buf = batch(&[record(0, None, Some(b"a"))], Compression::None);
    buf[MAGIC_OFFSET] = 1;
    assert!(matches!(
        values(&buf, 1 << 20),
        Err(RecordsError::LegacyMagic { magic: 1, .. })
    ));
}

#[test]
fn bytes_left_by_a_short_batch_length_are_named_as_such() {
    let mut buf = batch(
        &[record(0, None, Some(b"a")), record(1, None, Some(b"b"))],
        Compression::None,
    );
    // batchLength and recordsCount cover record 0 only: record 1 is left behind the batch,
    // where the next batch would start.
    let one = batch(&[record(0, None, Some(b"a"))], Compression::None);
    let second = i32::try_from(buf.len() - one.len()).expect("small");
    let length = i32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
    buf[8..12].copy_from_slice(&(length - second).to_be_bytes());
    buf[57..61].copy_from_slice(&1i32.to_be_bytes());
    let err = values(&buf, 1 << 20).expect_err("a short batchLength is refused");
    let at = one.len();
    assert!(
        matches!(err, RecordsError::NotABatch { at: a, .. } if a == at),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("previous batch's batchLength"),
        "{err}"
    );
}

#[test]
fn a_record_count_that_lies_is_refused() {
    let recs = [record(0, None, Some(b"a")), record(1, None, Some(b"b"))];
    let mut more = batch(&recs, Compression::None);
    more[60] = 3; // recordsCount (last header byte) claims 3
    let err = values(&more, 1 << 20).unwrap_err();
    assert_eq!(
        err,
        RecordsError::CountMismatch {
            at: 0,
            expected: 3,
            found: 2
        }
    );
    let mut fewer = batch(&recs, Compression::None);
    fewer[60] = 1;
    assert!(matches!(
        values(&fewer, 1 << 20),
        Err(RecordsError::TrailingBytes { .. })
    ));
    let mut negative = batch(&recs, Compression::None);
    negative[57..61].copy_from_slice(&(-1i32).to_be_bytes());
    assert!(matches!(
        values(&negative, 1 << 20),
        Err(RecordsError::NegativeCount { .. })
    ));
}

#[test]
fn truncated_batches_are_refused_at_every_length() {
    let buf = batch(&[record(0, Some(b"k"), Some(b"value"))], Compression::None);
    for len in 1..buf.len() {
        assert!(
            values(&buf[..len], 1 << 20).is_err(),
            "length {len} accepted"
        );
    }
}

#[test]
fn batch_length_beyond_the_buffer_is_refused() {
    let mut buf = batch(&[record(0, None, Some(b"a"))], Compression::None);
    buf[8..12].copy_from_slice(&i32::MAX.to_be_bytes());
    assert!(matches!(
        values(&buf, 1 << 20),
        Err(RecordsError::BadBatchLength { .. })
    ));
    buf[8..12].copy_from_slice(&(-5i32).to_be_bytes());
    assert!(matches!(
        values(&buf, 1 << 20),
        Err(RecordsError::BadBatchLength { .. })
    ));
}

#[test]
fn a_record_length_past_the_batch_is_refused() {
    let mut buf = batch(&[record(0, None, Some(b"a"))], Compression::None);
    buf[BATCH_HEADER_LEN] = 0x7e; // record length varint 63: far past the end
    let err = values(&buf, 1 << 20).unwrap_err();
    assert!(
        matches!(err, RecordsError::BadRecord { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn unknown_codec_and_corrupt_data_are_refused() {
    let mut buf = batch(&[record(0, None, Some(b"a"))], Compression::None);
    buf[22] |= 0x07; // attributes low byte: codec 7
    assert!(matches!(
        values(&buf, 1 << 20),
        Err(RecordsError::UnknownCodec { codec: 7, .. })
    ));
    for c in [
        Compression::Gzip,
        Compression::Lz4,
        Compression::Zstd,
        Compression::Snappy,
    ] {
        let mut buf = batch(&[record(0, None, Some(b"some value bytes"))], c);
        for b in buf.iter_mut().skip(BATCH_HEADER_LEN + 2) {
            *b = 0xa5;
        }
        assert!(values(&buf, 1 << 20).is_err(), "{c:?} garbage accepted");
    }
}

/// One compressed stream of `data` per codec, as a producer would write it.
fn compress(codec: Codec, data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    match codec {
        Codec::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Codec::Lz4 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Codec::Zstd => zstd::encode_all(data, 3).unwrap(),
        Codec::Snappy => snap::raw::Encoder::new().compress_vec(data).unwrap(),
        Codec::None => data.to_vec(),
    }
}

/// Regression (end-to-end hostile test `faults_hostile_records`): a gzip section made of two
/// members was inflated only up to the end of the first, so a record hidden in the second
/// reached the broker unchecked. Every stream codec must read concatenated streams to the
/// end, as Java's GZIPInputStream and librdkafka's LZ4 reader do, and refuse bytes after the
/// last stream that are not another stream.
#[test]
fn concatenated_streams_are_read_to_the_end_and_trailing_garbage_is_refused() {
    for codec in [Codec::Gzip, Codec::Lz4, Codec::Zstd] {
        let mut input = compress(codec, b"first stream, ");
        input.extend(compress(codec, b"second stream"));
        let mut out = Vec::new();
        decompress_into(codec, &input, 1 << 20, &mut out).unwrap();
        assert_eq!(out, b"first stream, second stream", "{codec}");

        let mut garbage = compress(codec, b"one stream");
        garbage.extend_from_slice(b"not a stream at all");
        let result = decompress_into(codec, &garbage, 1 << 20, &mut out);
        assert!(
            matches!(result, Err(decompress::DecompressError::Corrupt(_))),
            "{codec}: trailing garbage gave {result:?} ({out:?})"
        );
    }
    let mut snappy = compress(Codec::Snappy, b"one block");
    snappy.extend_from_slice(b"trailing");
    let result = decompress_into(Codec::Snappy, &snappy, 1 << 20, &mut Vec::new());
    assert!(
        matches!(result, Err(decompress::DecompressError::Corrupt(_))),
        "raw snappy with trailing bytes gave {result:?}"
    );
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let _ = values(&bytes, 4096);
    }

    #[test]
    fn mutated_batches_never_panic(pos in 0usize..200, byte in proptest::num::u8::ANY, codec in 0usize..5) {
        let mut buf = batch(&[record(0, Some(b"k"), Some(b"value")), record(1, None, None)], ALL[codec]);
        let i = pos % buf.len();
        buf[i] = byte;
        let _ = values(&buf, 4096);
    }
}
