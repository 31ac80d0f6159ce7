//! Structural pre-check of a broker response before kafka-protocol decodes it.
//!
//! kafka-protocol reserves `Vec::with_capacity(count)` from an array's wire count before it
//! reads any element, so one forged count (say 2^31 brokers) makes the allocator abort the
//! whole process. Walking the message first proves every element of every array is present,
//! which bounds each reservation by the frame size. Invariant: [`check`] accepts every
//! well-formed response of the versions in [`super::decodes_response`].
//!
//! Tagged fields need the same care: kafka-protocol decodes the tags it knows straight from
//! the buffer and ignores their declared size, so a size that disagrees with the content would
//! make the two walks read different bytes (found by the `response_frame` fuzz target). Known
//! tags are therefore walked inside their declared size and must fill it exactly.

use crate::frame::{FrameError, Reader};

#[derive(Clone, Copy)]
enum Ty {
    I8,
    I16,
    I32,
    I64,
    Uuid,
    /// STRING or NULLABLE_STRING (compact in flexible versions).
    Str,
    /// ARRAY of INT32 (compact in flexible versions).
    I32s,
    Arr(&'static Struct),
    /// A nested struct (a tagged field such as Produce's `current_leader`).
    Obj(&'static Struct),
}

struct Field(Ty, i16, i16);

struct Struct {
    fields: &'static [Field],
    /// Tagged fields kafka-protocol decodes (by tag), with their types; unknown tags are
    /// skipped by size on both sides.
    tags: &'static [(u32, Ty)],
}

const ALL: i16 = i16::MAX;

const fn plain(fields: &'static [Field]) -> Struct {
    Struct { fields, tags: &[] }
}

static METADATA_BROKER: Struct = plain(&[
    Field(Ty::I32, 0, ALL),
    Field(Ty::Str, 0, ALL),
    Field(Ty::I32, 0, ALL),
    Field(Ty::Str, 1, ALL),
]);
static METADATA_PARTITION: Struct = plain(&[
    Field(Ty::I16, 0, ALL),
    Field(Ty::I32, 0, ALL),
    Field(Ty::I32, 0, ALL),
    Field(Ty::I32, 7, ALL),
    Field(Ty::I32s, 0, ALL),
    Field(Ty::I32s, 0, ALL),
    Field(Ty::I32s, 5, ALL),
]);
static METADATA_TOPIC: Struct = plain(&[
    Field(Ty::I16, 0, ALL),
    Field(Ty::Str, 0, ALL),
    Field(Ty::Uuid, 10, ALL),
    Field(Ty::I8, 1, ALL),
    Field(Ty::Arr(&METADATA_PARTITION), 0, ALL),
    Field(Ty::I32, 8, ALL),
]);
static METADATA: Struct = plain(&[
    Field(Ty::I32, 3, ALL),
    Field(Ty::Arr(&METADATA_BROKER), 0, ALL),
    Field(Ty::Str, 2, ALL),
    Field(Ty::I32, 1, ALL),
    Field(Ty::Arr(&METADATA_TOPIC), 0, ALL),
    Field(Ty::I32, 8, 10),
    Field(Ty::I16, 13, ALL),
]);

static COORDINATOR: Struct = plain(&[
    Field(Ty::Str, 0, ALL),
    Field(Ty::I32, 0, ALL),
    Field(Ty::Str, 0, ALL),
    Field(Ty::I32, 0, ALL),
    Field(Ty::I16, 0, ALL),
    Field(Ty::Str, 0, ALL),
]);
static FIND_COORDINATOR: Struct = plain(&[
    Field(Ty::I32, 1, ALL),
    Field(Ty::I16, 0, 3),
    Field(Ty::Str, 1, 3),
    Field(Ty::I32, 0, 3),
    Field(Ty::Str, 0, 3),
    Field(Ty::I32, 0, 3),
    Field(Ty::Arr(&COORDINATOR), 4, ALL),
]);

static CLUSTER_BROKER: Struct = plain(&[
    Field(Ty::I32, 0, ALL),
    Field(Ty::Str, 0, ALL),
    Field(Ty::I32, 0, ALL),
    Field(Ty::Str, 0, ALL),
    Field(Ty::I8, 2, ALL),
]);
static DESCRIBE_CLUSTER: Struct = plain(&[
    Field(Ty::I32, 0, ALL),
    Field(Ty::I16, 0, ALL),
    Field(Ty::Str, 0, ALL),
    Field(Ty::I8, 1, ALL),
    Field(Ty::Str, 0, ALL),
    Field(Ty::I32, 0, ALL),
    Field(Ty::Arr(&CLUSTER_BROKER), 0, ALL),
    Field(Ty::I32, 0, ALL),
]);

static API_VERSION: Struct = plain(&[
    Field(Ty::I16, 0, ALL),
    Field(Ty::I16, 0, ALL),
    Field(Ty::I16, 0, ALL),
]);
/// SupportedFeatureKey and FinalizedFeatureKey share this layout.
static FEATURE: Struct = plain(&[
    Field(Ty::Str, 0, ALL),
    Field(Ty::I16, 0, ALL),
    Field(Ty::I16, 0, ALL),
]);
static API_VERSIONS: Struct = Struct {
    fields: &[
        Field(Ty::I16, 0, ALL),
        Field(Ty::Arr(&API_VERSION), 0, ALL),
        Field(Ty::I32, 1, ALL),
    ],
    // supported_features, finalized_features_epoch, finalized_features, zk_migration_ready
    tags: &[
        (0, Ty::Arr(&FEATURE)),
        (1, Ty::I64),
        (2, Ty::Arr(&FEATURE)),
        (3, Ty::I8),
    ],
};

static RECORD_ERROR: Struct = plain(&[Field(Ty::I32, 0, ALL), Field(Ty::Str, 0, ALL)]);
/// LeaderIdAndEpoch: leader_id, leader_epoch.
static LEADER_ID_AND_EPOCH: Struct = plain(&[Field(Ty::I32, 0, ALL), Field(Ty::I32, 0, ALL)]);
static PRODUCE_PARTITION: Struct = Struct {
    fields: &[
        Field(Ty::I32, 0, ALL),
        Field(Ty::I16, 0, ALL),
        Field(Ty::I64, 0, ALL),
        Field(Ty::I64, 2, ALL),
        Field(Ty::I64, 5, ALL),
        Field(Ty::Arr(&RECORD_ERROR), 8, ALL),
        Field(Ty::Str, 8, ALL),
    ],
    // current_leader (v10+)
    tags: &[(0, Ty::Obj(&LEADER_ID_AND_EPOCH))],
};
static PRODUCE_TOPIC: Struct = plain(&[
    Field(Ty::Str, 0, 12),
    Field(Ty::Uuid, 13, ALL),
    Field(Ty::Arr(&PRODUCE_PARTITION), 0, ALL),
]);
static NODE_ENDPOINT: Struct = plain(&[
    Field(Ty::I32, 0, ALL),
    Field(Ty::Str, 0, ALL),
    Field(Ty::I32, 0, ALL),
    Field(Ty::Str, 0, ALL),
]);
static PRODUCE: Struct = Struct {
    fields: &[
        Field(Ty::Arr(&PRODUCE_TOPIC), 0, ALL),
        Field(Ty::I32, 1, ALL),
    ],
    // node_endpoints (v10+)
    tags: &[(0, Ty::Arr(&NODE_ENDPOINT))],
};

/// Walk `body` as the response of `api` at `version`; an error means "do not decode".
pub fn check(
    api: kafka_protocol::messages::ApiKey,
    version: i16,
    body: &[u8],
) -> Result<(), FrameError> {
    use kafka_protocol::messages::ApiKey;
    let (schema, flexible_from) = match api {
        ApiKey::Metadata => (&METADATA, 9),
        ApiKey::FindCoordinator => (&FIND_COORDINATOR, 3),
        ApiKey::DescribeCluster => (&DESCRIBE_CLUSTER, 0),
        ApiKey::ApiVersions => (&API_VERSIONS, 3),
        ApiKey::Produce => (&PRODUCE, 9),
        _ => return Ok(()),
    };
    let mut walk = Walk {
        version,
        flexible: version >= flexible_from,
    };
    walk.object(&mut Reader::new(body), schema)
}

struct Walk {
    version: i16,
    flexible: bool,
}

impl Walk {
    fn object(&mut self, r: &mut Reader<'_>, s: &Struct) -> Result<(), FrameError> {
        for Field(ty, min, max) in s.fields {
            if (*min..=*max).contains(&self.version) {
                self.field(r, *ty)?;
            }
        }
        if self.flexible {
            self.tagged(r, s)?;
        }
        Ok(())
    }

    fn field(&mut self, r: &mut Reader<'_>, ty: Ty) -> Result<(), FrameError> {
        let what = "response field";
        match ty {
            Ty::I8 => r.skip(1, what).map(drop),
            Ty::I16 => r.skip(2, what).map(drop),
            Ty::I32 => r.skip(4, what).map(drop),
            Ty::I64 => r.skip(8, what).map(drop),
            Ty::Uuid => r.skip(16, what).map(drop),
            Ty::Str if self.flexible => r.compact_nullable_string(what).map(drop),
            Ty::Str => r.nullable_string(what).map(drop),
            Ty::I32s => {
                let count = self.count(r, 4)?;
                r.skip(count * 4, what).map(drop)
            }
            Ty::Arr(element) => {
                for _ in 0..self.count(r, 1)? {
                    self.object(r, element)?;
                }
                Ok(())
            }
            Ty::Obj(element) => self.object(r, element),
        }
    }

    /// An array count (null counts as empty), no larger than the bytes left could hold.
    fn count(&mut self, r: &mut Reader<'_>, min_element: usize) -> Result<usize, FrameError> {
        let what = "response array length";
        let at = r.pos();
        let count = if self.flexible {
            (r.uvarint(what)? as usize).saturating_sub(1)
        } else {
            usize::try_from(r.i32(what)?.max(0)).map_err(|_| FrameError::Malformed { what, at })?
        };
        if count.saturating_mul(min_element) > r.remaining() {
            return Err(FrameError::Malformed { what, at });
        }
        Ok(count)
    }

    fn tagged(&mut self, r: &mut Reader<'_>, s: &Struct) -> Result<(), FrameError> {
        let what = "response tagged fields";
        let mut previous: Option<u32> = None;
        for _ in 0..r.uvarint(what)? {
            let at = r.pos();
            let tag = r.uvarint(what)?;
            // KIP-482: tags are unique and ascending. kafka-protocol keeps unknown ones in a map
            // keyed by i32, so a repeated or oversized tag would not survive a rewrite intact.
            if previous.is_some_and(|p| tag <= p) || tag > i32::MAX.unsigned_abs() {
                return Err(FrameError::Malformed {
                    what: "response tagged field order",
                    at,
                });
            }
            previous = Some(tag);
            let size = r.uvarint(what)? as usize;
            let at = r.pos();
            let payload = r.skip(size, what)?;
            if let Some((_, ty)) = s.tags.iter().find(|(t, _)| *t == tag) {
                let mut inner = Reader::new(payload);
                self.field(&mut inner, *ty)?;
                if inner.remaining() != 0 {
                    return Err(FrameError::Malformed {
                        what: "response tagged field size",
                        at,
                    });
                }
            }
        }
        Ok(())
    }
}
