import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/** The idempotent producer, and transactions: LSO, consume-transform-produce, aborts, fencing. */
final class ProducerScenarios {
  private ProducerScenarios() {}

  static void createTopics(Admin admin, NewTopic... topics) throws Exception {
    admin.createTopics(List.of(topics)).all().get();
  }

  /** Reads every partition of `topic` from the beginning up to its end offsets (as the isolation level sees them). */
  static List<ConsumerRecord<String, String>> readAll(String bootstrap, String topic, String isolation)
      throws Exception {
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Out.consumerProps(bootstrap,
        "client.id", "java-reader-" + isolation, "isolation.level", isolation, "enable.auto.commit", "false"))) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 30_000;
      while (true) {
        boolean done = true;
        for (TopicPartition p : parts) if (c.position(p) < end.get(p)) done = false;
        if (done) break;
        if (System.currentTimeMillis() > deadline) Out.fail("reading " + topic + " did not reach " + end);
        for (ConsumerRecord<String, String> r : c.poll(Out.POLL)) out.add(r);
      }
    }
    return out;
  }

  static void idempotent(String bootstrap) throws Exception {
    String topic = "jp-idempotent";
    int n = 3000;
    try (Admin admin = Admin.create(Out.props(bootstrap, "client.id", "java-idem-admin"))) {
      createTopics(admin, new NewTopic(topic, 3, (short) 1));
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      List<String> keys = new ArrayList<>();
      // Small batches and 5 requests in flight: many batches per partition outstanding at once.
      try (KafkaProducer<String, String> p = new KafkaProducer<>(Out.producerProps(bootstrap,
          "client.id", "java-idempotent", "enable.idempotence", "true", "acks", "all",
          "max.in.flight.requests.per.connection", "5", "linger.ms", "2", "batch.size", "2048"))) {
        for (int i = 0; i < n; i++) {
          String key = "key-" + (i % 37);
          keys.add(key);
          sent.add(p.send(new ProducerRecord<>(topic, key, key + ":" + i)));
        }
        p.flush();
      }
      // The offsets the producer was told: per partition, consecutive from 0 in send order.
      Map<Integer, Long> next = new TreeMap<>();
      boolean inOrder = true;
      Map<String, Integer> partitionOfKey = new HashMap<>();
      for (int i = 0; i < n; i++) {
        RecordMetadata m = sent.get(i).get();
        long expected = next.getOrDefault(m.partition(), 0L);
        if (m.offset() != expected) inOrder = false;
        next.put(m.partition(), m.offset() + 1);
        Integer prev = partitionOfKey.put(keys.get(i), m.partition());
        if (prev != null && prev != m.partition()) inOrder = false;
      }
      Out.emit("produced", "records", n, "perPartition", next, "acknowledgedInOrder", inOrder);

      // Read back: every record once, per key in send order.
      List<ConsumerRecord<String, String>> got = readAll(bootstrap, topic, "read_committed");
      Map<String, Integer> lastSeqOfKey = new HashMap<>();
      Set<Integer> seen = new java.util.HashSet<>();
      boolean keyOrder = true;
      int dups = 0;
      for (ConsumerRecord<String, String> r : got) {
        int seq = Integer.parseInt(r.value().substring(r.value().indexOf(':') + 1));
        if (!seen.add(seq)) dups++;
        Integer prev = lastSeqOfKey.put(r.key(), seq);
        if (prev != null && prev >= seq) keyOrder = false;
      }
      Out.emit("readBack", "records", got.size(), "distinct", seen.size(), "duplicates", dups, "perKeyInOrder", keyOrder);

      // What the partition leaders know of the producer: one producer, epoch 0, last sequence = count - 1.
      List<TopicPartition> parts = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
          new TopicPartition(topic, 2));
      Map<String, Object> states = new TreeMap<>();
      for (TopicPartition tp : parts) {
        Collection<ProducerState> ps = admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
        List<Object> l = new ArrayList<>();
        for (ProducerState s : ps) {
          l.add(Out.map("epoch", s.producerEpoch(), "lastSequence", s.lastSequence(),
              "currentTransactionStartOffset", s.currentTransactionStartOffset(),
              "coordinatorEpoch", s.coordinatorEpoch(), "lastTimestampSet", s.lastTimestamp() > 0));
        }
        states.put(Out.tp(tp), l);
      }
      Out.emit("describeProducers", "partitions", states);

      // A second idempotent producer (new producer id) continues the same partitions.
      try (KafkaProducer<String, String> p = new KafkaProducer<>(Out.producerProps(bootstrap,
          "client.id", "java-idempotent-2", "enable.idempotence", "true", "acks", "all"))) {
        RecordMetadata m = p.send(new ProducerRecord<>(topic, 0, "again", "again")).get();
        Out.emit("secondProducer", "partition", m.partition(), "offset", m.offset());
      }
      Map<String, Object> producers = new TreeMap<>();
      TopicPartition p0 = new TopicPartition(topic, 0);
      producers.put("producers", admin.describeProducers(List.of(p0)).partitionResult(p0).get().activeProducers().size());
      Out.emit("describeProducersAfterSecond", "partition0", producers);
    }
  }

  static void transactions(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Out.props(bootstrap, "client.id", "java-txn-admin"))) {
      createTopics(admin, new NewTopic("jt-lso", 1, (short) 1));
      lastStableOffset(bootstrap, admin);
      consumeTransformProduce(bootstrap, admin, "classic");
      consumeTransformProduce(bootstrap, admin, "consumer");
    }
  }

  /** An open transaction holds read_committed readers at its first offset (the LSO). */
  static void lastStableOffset(String bootstrap, Admin admin) throws Exception {
    TopicPartition tp = new TopicPartition("jt-lso", 0);
    try (KafkaProducer<String, String> plain = new KafkaProducer<>(Out.producerProps(bootstrap,
        "client.id", "java-lso-plain"))) {
      for (int i = 0; i < 3; i++) plain.send(new ProducerRecord<>("jt-lso", 0, "k", "plain-" + i));
      plain.flush();
    }
    try (KafkaProducer<String, String> tx = new KafkaProducer<>(Out.producerProps(bootstrap,
        "client.id", "java-lso-tx", "transactional.id", "jt-lso-tx"));
        KafkaConsumer<String, String> committed = new KafkaConsumer<>(Out.consumerProps(bootstrap,
            "client.id", "java-lso-rc", "isolation.level", "read_committed"));
        KafkaConsumer<String, String> uncommitted = new KafkaConsumer<>(Out.consumerProps(bootstrap,
            "client.id", "java-lso-ru", "isolation.level", "read_uncommitted"))) {
      tx.initTransactions();
      tx.beginTransaction();
      tx.send(new ProducerRecord<>("jt-lso", 0, "k", "open-0"));
      tx.send(new ProducerRecord<>("jt-lso", 0, "k", "open-1"));
      tx.flush();
      committed.assign(List.of(tp));
      uncommitted.assign(List.of(tp));
      committed.seekToBeginning(List.of(tp));
      uncommitted.seekToBeginning(List.of(tp));
      Out.emit("openTransaction",
          "readCommittedEnd", committed.endOffsets(List.of(tp)).get(tp),
          "readUncommittedEnd", uncommitted.endOffsets(List.of(tp)).get(tp),
          "adminReadCommittedLatest", admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()),
              new org.apache.kafka.clients.admin.ListOffsetsOptions(org.apache.kafka.common.IsolationLevel.READ_COMMITTED))
              .partitionResult(tp).get().offset(),
          "adminLatest", admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()))
              .partitionResult(tp).get().offset());
      List<String> rc = pollValues(committed, 3, 3000);
      List<String> ru = pollValues(uncommitted, 5, 10_000);
      Out.emit("openTransactionRead", "readCommitted", rc, "readUncommitted", ru);
      TransactionDescription d = admin.describeTransactions(List.of("jt-lso-tx")).description("jt-lso-tx").get();
      Out.emit("describeOpenTransaction", "state", d.state(), "partitions", Out.tps(d.topicPartitions()),
          "timeoutMs", d.transactionTimeoutMs(), "startTimeSet", d.transactionStartTimeMs().isPresent());
      Map<String, Object> listed = new TreeMap<>();
      for (TransactionListing l : admin.listTransactions().all().get()) {
        if (l.transactionalId().startsWith("jt-")) listed.put(l.transactionalId(), l.state());
      }
      Out.emit("listTransactions", "transactions", listed);
      Collection<ProducerState> ps = admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
      List<Object> states = new ArrayList<>();
      for (ProducerState s : ps) {
        states.add(Out.map("lastSequence", s.lastSequence(), "currentTransactionStartOffset",
            s.currentTransactionStartOffset()));
      }
      Out.emit("describeProducersOpen", "producers", states);

      tx.commitTransaction();
      // Kafka answers EndTxn before its markers are written (Brook after): wait for the marker.
      long until = System.currentTimeMillis() + 10_000;
      while (committed.endOffsets(List.of(tp)).get(tp) < 6 && System.currentTimeMillis() < until) Thread.sleep(20);
      Out.emit("committedTransaction",
          "readCommittedEnd", committed.endOffsets(List.of(tp)).get(tp),
          "readUncommittedEnd", uncommitted.endOffsets(List.of(tp)).get(tp));
      Out.emit("committedTransactionRead", "readCommitted", pollValues(committed, 2, 10_000));
      TransactionDescription after = admin.describeTransactions(List.of("jt-lso-tx")).description("jt-lso-tx").get();
      Out.emit("describeCommittedTransaction", "state", after.state(), "partitions", Out.tps(after.topicPartitions()));
    }
  }

  /** Polls until `want` values arrived or the time is up; returns what arrived. */
  static List<String> pollValues(KafkaConsumer<String, String> c, int want, long ms) {
    List<String> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + ms;
    while (out.size() < want && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<String, String> r : c.poll(Out.POLL)) out.add(r.value());
    }
    // Anything more that is ready.
    for (ConsumerRecord<String, String> r : c.poll(java.time.Duration.ofMillis(200))) out.add(r.value());
    return out;
  }

  /**
   * Reads <p>-in in read_committed transactions of at most 7 records, writes "out-<value>" to <p>-out
   * and commits the consumed offsets in the same transaction (with the consumer's group metadata: a
   * generation for the classic protocol, a member epoch for KIP-848); the second transaction is
   * aborted and its input processed again. Before the loop one transaction of junk is aborted.
   * Afterwards a second producer with the same transactional.id fences the first.
   */
  static void consumeTransformProduce(String bootstrap, Admin admin, String protocol) throws Exception {
    String p = protocol.equals("classic") ? "jt" : "jt848";
    String in = p + "-in";
    String outTopic = p + "-out";
    String txnId = p + "-ctp";
    createTopics(admin, new NewTopic(in, 2, (short) 1), new NewTopic(outTopic, 2, (short) 1));
    int n = 40;
    try (KafkaProducer<String, String> input = new KafkaProducer<>(Out.producerProps(bootstrap,
        "client.id", "java-ctp-input", "enable.idempotence", "true"))) {
      for (int i = 0; i < n; i++) input.send(new ProducerRecord<>(in, "k" + i, String.valueOf(i)));
      input.flush();
    }
    int abortedJunk = 4;
    int abortedInLoop = 0;
    int transactions = 0;
    KafkaProducer<String, String> producer = new KafkaProducer<>(Out.producerProps(bootstrap,
        "client.id", "java-ctp", "transactional.id", txnId, "linger.ms", "0"));
    java.util.Properties cp = Out.consumerProps(bootstrap,
        "client.id", "java-ctp-consumer", "group.id", p + "-group", "isolation.level", "read_committed",
        "enable.auto.commit", "false", "auto.offset.reset", "earliest", "max.poll.records", "7",
        "group.protocol", protocol);
    if (protocol.equals("classic")) {
      cp.put("heartbeat.interval.ms", "500");
      cp.put("session.timeout.ms", "10000");
    }
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < abortedJunk; i++) producer.send(new ProducerRecord<>(outTopic, "junk" + i, "junk-" + i));
      producer.flush();
      producer.abortTransaction();

      consumer.subscribe(List.of(in));
      int processed = 0;
      long deadline = System.currentTimeMillis() + 60_000;
      while (processed < n) {
        if (System.currentTimeMillis() > deadline) Out.fail("consume-transform-produce processed " + processed);
        ConsumerRecords<String, String> records = consumer.poll(Out.POLL);
        if (records.isEmpty()) continue;
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<String, String> r : records) {
          producer.send(new ProducerRecord<>(outTopic, r.key(), "out-" + r.value()));
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          offsets.put(tp, new OffsetAndMetadata(r.offset() + 1));
          first.putIfAbsent(tp, r.offset());
        }
        // Written before the outcome is decided, so the aborted transaction really holds records
        // (an abort drops batches the producer has not sent yet).
        producer.flush();
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        transactions++;
        if (transactions == 2) {
          producer.abortTransaction();
          abortedInLoop = records.count();
          for (Map.Entry<TopicPartition, Long> e : first.entrySet()) consumer.seek(e.getKey(), e.getValue());
        } else {
          producer.commitTransaction();
          processed += records.count();
        }
      }
      Out.emit("loopDone", "protocol", protocol, "processed", processed, "abortedInLoopPositive", abortedInLoop > 0);
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(
          Set.of(new TopicPartition(in, 0), new TopicPartition(in, 1)));
      Map<TopicPartition, Long> ends = consumer.endOffsets(committed.keySet());
      boolean atEnd = true;
      for (TopicPartition tp : committed.keySet()) {
        if (committed.get(tp) == null || committed.get(tp).offset() != ends.get(tp)) atEnd = false;
      }
      Out.emit("groupOffsetsAtEnd", "protocol", protocol, "value", atEnd);
    }

    List<ConsumerRecord<String, String>> rc = readAll(bootstrap, outTopic, "read_committed");
    List<ConsumerRecord<String, String>> ru = readAll(bootstrap, outTopic, "read_uncommitted");
    List<String> values = new ArrayList<>();
    boolean partitionOrder = true;
    Map<Integer, Integer> lastInPartition = new HashMap<>();
    for (ConsumerRecord<String, String> r : rc) {
      values.add(r.value());
      int v = Integer.parseInt(r.value().substring(4));
      // Same key and partition count: an output partition holds one input partition's records, which
      // were produced in increasing value order.
      Integer prev = lastInPartition.put(r.partition(), v);
      if (prev != null && prev >= v) partitionOrder = false;
    }
    List<String> sorted = new ArrayList<>(values);
    sorted.sort((a, b) -> Integer.compare(Integer.parseInt(a.substring(4)), Integer.parseInt(b.substring(4))));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) expected.add("out-" + i);
    Out.emit("readCommittedOutput", "protocol", protocol, "records", rc.size(), "exactlyTheInput", sorted.equals(expected),
        "noDuplicateKeys", rc.stream().map(ConsumerRecord::key).distinct().count() == rc.size(),
        "junkVisible", values.stream().anyMatch(v -> v.startsWith("junk")), "partitionOrder", partitionOrder);
    Out.emit("readUncommittedOutput", "protocol", protocol,
        "recordsMatch", ru.size() == n + abortedJunk + abortedInLoop,
        "junk", ru.stream().filter(r -> r.value().startsWith("junk")).count());

    // Fencing: a new producer with the same transactional.id takes over; the old one is fenced.
    try (KafkaProducer<String, String> next = new KafkaProducer<>(Out.producerProps(bootstrap,
        "client.id", "java-ctp-next", "transactional.id", txnId))) {
      next.initTransactions();
      String fenced;
      try {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(outTopic, "zombie", "zombie")).get();
        producer.commitTransaction();
        fenced = "not fenced";
      } catch (Exception e) {
        fenced = Out.err(e);
      }
      next.beginTransaction();
      next.send(new ProducerRecord<>(outTopic, "next", "next")).get();
      next.commitTransaction();
      Out.emit("fencing", "protocol", protocol, "oldProducer", fenced);
    } finally {
      try {
        producer.close(java.time.Duration.ofSeconds(5));
      } catch (Exception ignored) {
        // fenced producers may complain on close
      }
    }
    List<String> after = new ArrayList<>();
    for (ConsumerRecord<String, String> r : readAll(bootstrap, outTopic, "read_committed")) {
      if (!r.value().startsWith("out-")) after.add(r.value());
    }
    Out.emit("afterFencing", "protocol", protocol, "nonLoopValues", after);
    TransactionDescription d = admin.describeTransactions(List.of(txnId)).description(txnId).get();
    Out.emit("describeAfterFencing", "protocol", protocol, "state", d.state(), "partitions", Out.tps(d.topicPartitions()));
  }
}
