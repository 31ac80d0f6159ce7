use super::*;

fn compile(schema: &str) -> AvroValidator {
    match AvroValidator::compile(schema, &[]) {
        Ok(v) => v,
        Err(e) => panic!("{schema}: {e}"),
    }
}

/// Zig-zag varint, as the Avro spec encodes int and long.
fn zz(n: i64) -> Vec<u8> {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    let mut out = Vec::new();
    loop {
        if z < 0x80 {
            out.push(z as u8);
            return out;
        }
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
}

fn string(s: &[u8]) -> Vec<u8> {
    let mut out = zz(s.len() as i64);
    out.extend_from_slice(s);
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn error(v: &AvroValidator, payload: &[u8]) -> String {
    match v.validate(payload) {
        Ok(()) => panic!("{payload:02x?} was accepted"),
        Err(e) => e.to_string(),
    }
}

const USER: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"int"},
    {"name":"name","type":"string"},{"name":"email","type":"string"}]}"#;

#[test]
fn validator_is_cheap_to_share_across_threads() {
    fn assert_traits<T: Clone + std::fmt::Debug + Send + Sync + 'static>() {}
    assert_traits::<AvroValidator>();
}

#[test]
fn null_is_zero_bytes() {
    let v = compile(r#""null""#);
    assert_eq!(v.validate(&[]), Ok(()));
    assert_eq!(error(&v, &[0]), "field /: 1 trailing byte after the datum");
}

#[test]
fn boolean_accepts_only_bytes_zero_and_one() {
    let v = compile(r#""boolean""#);
    assert_eq!(v.validate(&[0]), Ok(()));
    assert_eq!(v.validate(&[1]), Ok(()));
    assert_eq!(
        error(&v, &[2]),
        "field /: boolean byte 0x02 is neither 0x00 nor 0x01"
    );
    assert_eq!(
        error(&v, &[]),
        "field /: expected boolean, found end of input"
    );
}

#[test]
fn int_accepts_zigzag_values_that_fit_32_bits() {
    let v = compile(r#""int""#);
    for n in [
        0,
        -1,
        1,
        63,
        -64,
        64,
        i64::from(i32::MAX),
        i64::from(i32::MIN),
    ] {
        assert_eq!(v.validate(&zz(n)), Ok(()), "{n}");
    }
    let too_big = zz(i64::from(i32::MAX) + 1);
    assert_eq!(
        error(&v, &too_big),
        "field /: int value 2147483648 does not fit in 32 bits"
    );
    assert!(v.validate(&zz(i64::from(i32::MIN) - 1)).is_err());
}

#[test]
fn int_accepts_a_non_canonical_varint_like_apache_avro() {
    // 0 written in two bytes: decoders (apache-avro included) accept padding continuation bits.
    assert_eq!(compile(r#""int""#).validate(&[0x80, 0x00]), Ok(()));
}

#[test]
fn long_accepts_ten_byte_varints_and_rejects_an_eleventh_byte() {
    let v = compile(r#""long""#);
    for n in [i64::MAX, i64::MIN, 0, -1] {
        assert_eq!(v.validate(&zz(n)), Ok(()), "{n}");
    }
    assert_eq!(zz(i64::MIN).len(), 10);
    let eleven = [0xff; 11];
    assert_eq!(
        error(&v, &eleven),
        "field /: varint overflow: long is longer than 10 bytes"
    );
    assert_eq!(
        error(&v, &[0x80, 0x80]),
        "field /: expected long, found end of input"
    );
}

#[test]
fn float_and_double_need_their_exact_width() {
    let f = compile(r#""float""#);
    assert_eq!(f.validate(&1.5f32.to_le_bytes()), Ok(()));
    assert_eq!(
        error(&f, &[0, 0, 0]),
        "field /: expected 4 bytes of float, found 3 before end of input"
    );
    let d = compile(r#""double""#);
    assert_eq!(d.validate(&2.5f64.to_le_bytes()), Ok(()));
    assert_eq!(
        error(&d, &[]),
        "field /: expected double, found end of input"
    );
    assert_eq!(
        error(&d, &[0; 9]),
        "field /: 1 trailing byte after the datum"
    );
}

#[test]
fn string_must_be_valid_utf8_within_the_buffer() {
    let v = compile(r#""string""#);
    assert_eq!(v.validate(&string("Straße 서울".as_bytes())), Ok(()));
    assert_eq!(v.validate(&string(b"")), Ok(()));
    assert_eq!(
        error(&v, &string(&[b'a', 0xff])),
        "field /: invalid UTF-8 in string at byte 1"
    );
    assert_eq!(error(&v, &zz(-3)), "field /: negative length -3 of string");
    let short = cat(&[&zz(10), b"abc"]);
    assert_eq!(
        error(&v, &short),
        "field /: expected 10 bytes of string, found 3 before end of input"
    );
    assert_eq!(
        error(&v, &[]),
        "field /: expected string, found end of input"
    );
}

#[test]
fn bytes_accept_anything_of_the_stated_length() {
    let v = compile(r#""bytes""#);
    assert_eq!(v.validate(&string(&[0xff, 0x00, 0xfe])), Ok(()));
    assert!(error(&v, &zz(4)).contains("expected bytes"));
    assert!(error(&v, &zz(i64::MAX)).contains("exceeds the limit"));
}

#[test]
fn fixed_is_exactly_its_size() {
    let v = compile(r#"{"type":"fixed","name":"F","size":3}"#);
    assert_eq!(v.validate(&[1, 2, 3]), Ok(()));
    assert!(v.validate(&[1, 2]).is_err());
    assert!(v.validate(&[1, 2, 3, 4]).is_err());
}

#[test]
fn enum_index_must_be_a_symbol() {
    let v = compile(r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#);
    assert_eq!(v.validate(&zz(2)), Ok(()));
    assert_eq!(error(&v, &zz(7)), "field /: enum index 7 out of range 0..3");
    assert_eq!(
        error(&v, &zz(-1)),
        "field /: enum index -1 out of range 0..3"
    );
}

#[test]
fn union_branch_index_must_be_in_range() {
    let v = compile(r#"["null","string"]"#);
    assert_eq!(v.validate(&zz(0)), Ok(()));
    assert_eq!(v.validate(&cat(&[&zz(1), &string(b"x")])), Ok(()));
    assert_eq!(
        error(&v, &zz(5)),
        "field /: union branch index 5 out of range 0..2"
    );
    assert_eq!(
        error(&v, &zz(-1)),
        "field /: union branch index -1 out of range 0..2"
    );
    assert_eq!(
        error(&v, &[]),
        "field /: expected union branch index, found end of input"
    );
    assert_eq!(
        error(&v, &zz(1)),
        "field [string]: expected string, found end of input"
    );
}

#[test]
fn record_reports_the_missing_field_by_path() {
    let v = compile(USER);
    let full = cat(&[&zz(42), &string(b"Alice"), &string(b"alice@example.com")]);
    assert_eq!(v.validate(&full), Ok(()));
    let truncated = cat(&[&zz(42), &string(b"Alice")]);
    assert_eq!(
        error(&v, &truncated),
        "field /email: expected string, found end of input"
    );
    let trailing = cat(&[&full, &[0, 0, 0]]);
    assert_eq!(
        error(&v, &trailing),
        "field /: 3 trailing bytes after the datum"
    );
}

#[test]
fn array_items_are_counted_across_blocks_in_paths() {
    let v = compile(
        r#"{"type":"record","name":"R","fields":[{"name":"items","type":{"type":"array",
        "items":{"type":"record","name":"I","fields":[{"name":"name","type":"string"}]}}}]}"#,
    );
    let two = cat(&[&zz(2), &string(b"a"), &string(b"b")]);
    // Block of 2, then a block of -2 items with its byte size, then the terminator.
    let ok = cat(&[&two, &zz(-2), &zz(4), &string(b"c"), &string(b"d"), &[0]]);
    assert_eq!(v.validate(&ok), Ok(()));
    let bad = cat(&[&two, &zz(2), &string(b"c"), &string(&[0xc3])]);
    assert_eq!(
        error(&v, &bad),
        "field /items/3/name: invalid UTF-8 in string at byte 0"
    );
    let unterminated = cat(&[&two]);
    assert_eq!(
        error(&v, &unterminated),
        "field /items: expected array block count, found end of input"
    );
}

#[test]
fn map_values_are_reported_under_their_key() {
    let v = compile(r#"{"type":"map","values":"int"}"#);
    let ok = cat(&[&zz(1), &string(b"a/b"), &zz(5), &[0]]);
    assert_eq!(v.validate(&ok), Ok(()));
    let bad = cat(&[&zz(1), &string(b"a/b"), &zz(1 << 40), &[0]]);
    assert_eq!(
        error(&v, &bad),
        "field /a~1b: int value 1099511627776 does not fit in 32 bits"
    );
    let bad_key = cat(&[&zz(1), &string(&[0xff]), &zz(1), &[0]]);
    assert_eq!(
        error(&v, &bad_key),
        "field /: invalid UTF-8 in map key at byte 0"
    );
}

#[test]
fn nested_record_in_a_union_notes_the_branch() {
    let v = compile(
        r#"{"type":"record","name":"P","namespace":"acme","fields":[{"name":"address","type":["null",
        {"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}]}]}"#,
    );
    assert_eq!(v.validate(&cat(&[&zz(1), &string(b"Seoul")])), Ok(()));
    assert_eq!(
        error(&v, &zz(1)),
        "field /address[acme.Address]/city: expected string, found end of input"
    );
}

#[test]
fn recursive_records_validate_and_deep_nesting_is_bounded() {
    let v = compile(
        r#"{"type":"record","name":"L","fields":[{"name":"v","type":"long"},
        {"name":"next","type":["null","L"]}]}"#,
    );
    let node = cat(&[&zz(7), &zz(1)]);
    let list: Vec<u8> = [node.repeat(50), cat(&[&zz(7), &zz(0)])].concat();
    assert_eq!(v.validate(&list), Ok(()));
    let deep: Vec<u8> = [node.repeat(10_000), cat(&[&zz(7), &zz(0)])].concat();
    assert!(error(&v, &deep).contains("nesting deeper than 256 levels"));
}

#[test]
fn array_of_zero_width_items_is_counted_not_walked() {
    let v = compile(r#"{"type":"array","items":"null"}"#);
    assert_eq!(v.validate(&cat(&[&zz(1_000_000), &[0]])), Ok(()));
    // apache-avro refuses to allocate this many values; so do we, without looping.
    assert!(error(&v, &cat(&[&zz(i64::MAX), &[0]])).contains("exceed"));
    assert!(error(&v, &cat(&[&zz(1 << 40), &[0]])).contains("exceed"));
}

#[test]
fn uuid_logical_types_are_checked_like_apache_avro() {
    let s = compile(r#"{"type":"string","logicalType":"uuid"}"#);
    assert_eq!(
        s.validate(&string(b"67e55044-10b1-426f-9247-bb680e5fe0c8")),
        Ok(())
    );
    assert!(error(&s, &string(b"not-a-uuid")).contains("invalid uuid string"));
    let f = compile(r#"{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}"#);
    assert_eq!(f.validate(&[7; 16]), Ok(()));
    assert!(f.validate(&[7; 15]).is_err());
}

#[test]
fn decimal_and_duration_use_their_underlying_types() {
    let b = compile(r#"{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}"#);
    assert_eq!(b.validate(&string(&[0x01, 0x02])), Ok(()));
    let f =
        compile(r#"{"type":"fixed","name":"D","size":4,"logicalType":"decimal","precision":9}"#);
    assert_eq!(f.validate(&[0, 0, 1, 2]), Ok(()));
    assert!(f.validate(&[0, 0, 1]).is_err());
    let d = compile(r#"{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}"#);
    assert_eq!(d.validate(&[0; 12]), Ok(()));
    assert!(d.validate(&[0; 11]).is_err());
}

#[test]
fn date_and_timestamps_are_int_and_long() {
    let date = compile(r#"{"type":"int","logicalType":"date"}"#);
    assert!(date.validate(&zz(1 << 40)).is_err());
    let ts = compile(r#"{"type":"long","logicalType":"timestamp-millis"}"#);
    assert_eq!(ts.validate(&zz(1 << 40)), Ok(()));
}

#[test]
fn references_are_compiled_from_their_texts() {
    let address = r#"{"type":"record","name":"Address","namespace":"acme","fields":[
        {"name":"city","type":"string"}]}"#
        .to_owned();
    let person = r#"{"type":"record","name":"Person","namespace":"acme","fields":[
        {"name":"home","type":"Address"},{"name":"age","type":"int"}]}"#;
    let v = AvroValidator::compile(person, &[address]).unwrap();
    assert_eq!(v.validate(&cat(&[&string(b"Busan"), &zz(30)])), Ok(()));
    assert_eq!(
        error(&v, &string(b"Busan")),
        "field /age: expected int, found end of input"
    );
    assert!(AvroValidator::compile(person, &[]).is_err());
}

#[test]
fn invalid_schemas_do_not_compile() {
    for schema in [
        "",
        "{",
        r#"{"type":"nope"}"#,
        r#"{"type":"enum","name":"E"}"#,
    ] {
        let err = AvroValidator::compile(schema, &[]).unwrap_err();
        assert!(
            err.to_string().starts_with("cannot compile Avro schema: "),
            "{err}"
        );
    }
}

mod utf8 {
    use super::super::walk::is_utf8;
    use proptest::prelude::*;

    fn agrees(bytes: &[u8]) {
        assert_eq!(
            is_utf8(bytes),
            std::str::from_utf8(bytes).is_ok(),
            "{bytes:02x?}"
        );
    }

    #[test]
    fn padding_neither_completes_nor_breaks_sequences() {
        agrees("서".as_bytes().get(..2).unwrap());
        agrees(&[b'a'; 63]);
        agrees(&[[b'a'; 62].as_slice(), &[0xe1, 0x84]].concat());
        agrees(&[[b'a'; 63].as_slice(), &[0xe1, 0x84]].concat());
        agrees(&[0xed, 0xa0, 0x80]); // surrogate
        agrees(&[0xc0, 0x80]); // overlong
    }

    proptest! {
        #[test]
        fn is_utf8_agrees_with_std_on_strings_and_their_mutations(
            text in ".{0,90}",
            at in any::<usize>(),
            byte in prop_oneof![0x80u8..0xc0, 0xc0u8..=0xff, any::<u8>()],
        ) {
            let mut bytes = text.into_bytes();
            agrees(&bytes);
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
                agrees(&bytes);
                bytes.truncate(at);
                agrees(&bytes);
            }
        }
    }
}
