// kafkajs (a pure-JavaScript client) through one bootstrap address.
//
//   node kafkajs_roundtrip.js BOOTSTRAP TOPIC COUNT
//
// Produces COUNT records, consumes them back in a consumer group, and prints the brokers the
// client learned from Metadata as the last stdout line (JSON).
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, topic, countText] = process.argv.slice(2);
  const count = Number(countText);
  const kafka = new Kafka({ clientId: 'schemagate-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const producer = kafka.producer();
  await producer.connect();
  const messages = Array.from({ length: count }, (_, i) => ({ key: `k-${i}`, value: `v-${i}` }));
  await producer.send({ topic, messages, acks: -1 });
  await producer.disconnect();

  const admin = kafka.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  await admin.disconnect();

  const consumer = kafka.consumer({ groupId: `${topic}-kafkajs` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Set();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${seen.size} of ${count} within 60s`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(message.value.toString());
        if (seen.size === count) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  const brokers = Object.fromEntries(cluster.brokers.map((b) => [String(b.nodeId), `${b.host}:${b.port}`]));
  console.log(JSON.stringify({ consumed: seen.size, describe_cluster_brokers: brokers }));
}

main().catch((error) => {
  console.error(`FAILED: ${error.stack || error}`);
  process.exit(1);
});
