// kafkajs' @kafkajs/confluent-schema-registry against the embedded registry: register (which
// first asks GET /config/{s} and then PUTs BACKWARD), fetch by id, latest id, encode/decode.
// Env: SCHEMA_REGISTRY_URL. Prints one JSON line with the results.
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry')

const schema = JSON.stringify({
  type: 'record', name: 'User', namespace: 'ssup2.com',
  fields: [{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }],
})
const schema2 = JSON.stringify({
  type: 'record', name: 'User', namespace: 'ssup2.com',
  fields: [{ name: 'id', type: 'int' }, { name: 'name', type: 'string' },
    { name: 'email', type: 'string', default: '' }],
})

async function main() {
  const registry = new SchemaRegistry({ host: process.env.SCHEMA_REGISTRY_URL })
  const subject = 'kafkajs-value'
  const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject })
  const again = await registry.register({ type: SchemaType.AVRO, schema }, { subject })
  const { id: id2 } = await registry.register({ type: SchemaType.AVRO, schema: schema2 }, { subject })
  const latest = await registry.getLatestSchemaId(subject)
  const byVersion = await registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema })
  const encoded = await registry.encode(id, { id: 7, name: 'Dana' })
  const decoded = await registry.decode(encoded)
  const fetched = await registry.getSchema(id2)
  console.log(JSON.stringify({
    id, again: again.id, id2, latest, byVersion, decoded,
    magic: encoded[0], encodedId: encoded.readInt32BE(1), fetchedName: fetched.name,
  }))
}

main().catch((e) => { console.error(e); process.exit(1) })
