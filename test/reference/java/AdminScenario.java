import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Admin client: topics (create, validate-only, errors, describe, partitions), topic and broker
 * configs (values, sources, synonyms; incremental SET/DELETE/APPEND/SUBTRACT, dynamic broker
 * configs), the cluster, consumer groups (list, describe, offsets, delete), ListOffsets (earliest,
 * latest, by timestamp, max timestamp, read_committed) and DeleteRecords.
 */
final class AdminScenario {
  private AdminScenario() {}

  /** Record timestamps are BASE_TS + a few seconds (printed relative to it): recent, so no retention removes them. */
  static final long BASE_TS = System.currentTimeMillis() / 1000 * 1000 - 600_000;

  static void run(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Out.props(bootstrap, "client.id", "java-admin"))) {
      int nodeId = cluster(admin);
      topics(admin);
      configs(admin, nodeId);
      offsets(admin, bootstrap);
      groups(admin, bootstrap);
      deleteTopics(admin);
    }
  }

  /** DescribeCluster; returns the id of the (only) node for broker-config requests. */
  static int cluster(Admin admin) throws Exception {
    DescribeClusterResult c = admin.describeCluster();
    Collection<Node> nodes = c.nodes().get();
    Node controller = c.controller().get();
    String clusterId = c.clusterId().get();
    Set<Integer> ids = new TreeSet<>();
    for (Node n : nodes) ids.add(n.id());
    Out.emit("describeCluster",
        "nodes", nodes.size(),
        "controllerIsANode", ids.contains(controller.id()),
        "clusterIdLength", clusterId == null ? null : clusterId.length(),
        "nodesHaveHosts", nodes.stream().allMatch(n -> n.host() != null && !n.host().isEmpty() && n.port() > 0));
    return nodes.iterator().next().id();
  }

  static void topics(Admin admin) throws Exception {
    List<NewTopic> create = List.of(
        new NewTopic("ja-configs", 3, (short) 1).configs(Map.of(
            "retention.ms", "3600000", "cleanup.policy", "compact", "min.insync.replicas", "1")),
        new NewTopic("ja-plain", java.util.Optional.of(2), java.util.Optional.empty()),
        new NewTopic("ja-ts", 2, (short) 1),
        new NewTopic("ja-zero-partitions", 0, (short) 1),
        new NewTopic("ja-bad-config-name", 1, (short) 1).configs(Map.of("no.such.config", "1")),
        new NewTopic("ja-bad-config-value", 1, (short) 1).configs(Map.of("retention.ms", "soon")),
        new NewTopic("ja-bad/name", 1, (short) 1),
        new NewTopic("ja-rf-too-large", 1, (short) 3));
    CreateTopicsResult r = admin.createTopics(create);
    for (NewTopic t : create) {
      String outcome = Out.outcome(r.values().get(t.name()));
      if (!outcome.equals("ok")) {
        Out.emit("createTopic", "topic", t.name(), "result", outcome);
        continue;
      }
      Out.emit("createTopic", "topic", t.name(), "result", outcome,
          "numPartitions", r.numPartitions(t.name()).get(),
          "replicationFactor", r.replicationFactor(t.name()).get(),
          "topicIdSet", !r.topicId(t.name()).get().toString().equals("AAAAAAAAAAAAAAAAAAAAAA"),
          "configs", entries(r.config(t.name()).get(), false));
    }
    // Again: TopicExistsException; validate-only creates nothing.
    Out.emit("createTopic", "topic", "ja-configs", "again",
        Out.outcome(admin.createTopics(List.of(new NewTopic("ja-configs", 1, (short) 1))).all()));
    CreateTopicsResult v = admin.createTopics(
        List.of(new NewTopic("ja-validate-only", 4, (short) 1), new NewTopic("ja-configs", 1, (short) 1)),
        new CreateTopicsOptions().validateOnly(true));
    Out.emit("createTopicsValidateOnly",
        "new", Out.outcome(v.values().get("ja-validate-only")),
        "newPartitions", Out.outcome(v.values().get("ja-validate-only")).equals("ok")
            ? v.numPartitions("ja-validate-only").get() : null,
        "existing", Out.outcome(v.values().get("ja-configs")));

    Out.emit("listTopics", "names", prefixed(admin.listTopics(new ListTopicsOptions().listInternal(false)).names().get()));

    Map<String, KafkaFuture<TopicDescription>> d =
        admin.describeTopics(List.of("ja-configs", "ja-plain", "ja-missing")).topicNameValues();
    for (String name : List.of("ja-configs", "ja-plain", "ja-missing")) {
      String outcome = Out.outcome(d.get(name));
      if (!outcome.equals("ok")) {
        Out.emit("describeTopic", "topic", name, "result", outcome);
        continue;
      }
      TopicDescription td = d.get(name).get();
      List<Object> parts = new ArrayList<>();
      for (TopicPartitionInfo p : td.partitions()) {
        parts.add(Out.map("partition", p.partition(), "hasLeader", p.leader() != null && !p.leader().isEmpty(),
            "replicas", p.replicas().size(), "isr", p.isr().size(),
            "elr", p.elr() == null ? null : p.elr().size(),
            "lastKnownElr", p.lastKnownElr() == null ? null : p.lastKnownElr().size()));
      }
      Out.emit("describeTopic", "topic", name, "result", outcome, "internal", td.isInternal(),
          "partitions", parts);
    }

    // CreatePartitions: grow, shrink, same count, unknown topic, validate-only.
    Map<String, NewPartitions> grow = new LinkedHashMap<>();
    grow.put("ja-plain", NewPartitions.increaseTo(4));
    grow.put("ja-ts", NewPartitions.increaseTo(1));
    grow.put("ja-configs", NewPartitions.increaseTo(3));
    grow.put("ja-missing", NewPartitions.increaseTo(2));
    Map<String, KafkaFuture<Void>> g = admin.createPartitions(grow).values();
    Map<String, Object> out = new TreeMap<>();
    for (String t : grow.keySet()) out.put(t, Out.outcome(g.get(t)));
    Out.emit("createPartitions", "results", out,
        "validateOnly", Out.outcome(admin.createPartitions(Map.of("ja-plain", NewPartitions.increaseTo(8)),
            new org.apache.kafka.clients.admin.CreatePartitionsOptions().validateOnly(true)).all()),
        "partitionsAfter", partitionsOf(admin, "ja-plain", 4));
  }

  /** The partition count of a topic, polled for a while until it is `expected` (Kafka's metadata catches up). */
  static int partitionsOf(Admin admin, String topic, int expected) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      int n = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      if (n == expected || System.currentTimeMillis() > deadline) return n;
      Thread.sleep(100);
    }
  }

  static void configs(Admin admin, int nodeId) throws Exception {
    ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "ja-configs");
    Out.emit("describeTopicConfigs", "entries", describe(admin, topic, true));

    // Incremental alter: SET, DELETE, APPEND to a list.
    Map<ConfigResource, Collection<AlterConfigOp>> ops = Map.of(topic, List.of(
        new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
        new AlterConfigOp(new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET),
        new AlterConfigOp(new ConfigEntry("min.insync.replicas", ""), AlterConfigOp.OpType.DELETE),
        new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.APPEND)));
    Out.emit("incrementalAlterTopic", "result", Out.outcome(admin.incrementalAlterConfigs(ops).all()));
    Out.emit("describeTopicConfigsAfterAlter", "entries", describe(admin, topic, false));
    Out.emit("incrementalAlterTopicSubtract", "result", Out.outcome(admin.incrementalAlterConfigs(Map.of(topic,
        List.of(new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SUBTRACT))))
        .all()));
    Out.emit("describeTopicConfigsAfterSubtract", "entries", describe(admin, topic, false));

    // Errors and validate-only.
    Out.emit("incrementalAlterErrors",
        "unknownName", alterOne(admin, topic, "no.such.config", "1", AlterConfigOp.OpType.SET, false),
        "badValue", alterOne(admin, topic, "retention.ms", "soon", AlterConfigOp.OpType.SET, false),
        "appendToNonList", alterOne(admin, topic, "retention.ms", "5", AlterConfigOp.OpType.APPEND, false),
        "unknownTopic", alterOne(admin, new ConfigResource(ConfigResource.Type.TOPIC, "ja-missing"),
            "retention.ms", "5", AlterConfigOp.OpType.SET, false),
        "validateOnly", alterOne(admin, topic, "retention.ms", "1000", AlterConfigOp.OpType.SET, true));
    Out.emit("describeTopicConfigsAfterValidateOnly", "entries", describe(admin, topic, false));

    Map<String, KafkaFuture<Config>> missing = new HashMap<>();
    missing.put("topic", admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "ja-missing")))
        .values().values().iterator().next());
    Out.emit("describeConfigsUnknownTopic", "result", Out.outcome(missing.get("topic")));

    // Broker configs: a few well-known ones, with sources and synonyms.
    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(nodeId));
    ConfigResource clusterDefault = new ConfigResource(ConfigResource.Type.BROKER, "");
    Set<String> names = Set.of("num.partitions", "default.replication.factor", "log.retention.hours",
        "log.retention.ms", "message.max.bytes", "log.segment.bytes", "auto.create.topics.enable",
        "log.cleanup.policy", "min.insync.replicas", "compression.type", "group.initial.rebalance.delay.ms",
        "offsets.retention.minutes", "log.flush.interval.messages", "delete.topic.enable",
        "transaction.max.timeout.ms", "log.message.timestamp.type");
    Out.emit("describeBrokerConfigs", "entries", selected(describeAll(admin, broker, true), names));

    // A dynamic cluster-wide default and a per-broker value; a topic sees both through its synonyms.
    Out.emit("alterBrokerConfigs",
        "clusterDefault", Out.outcome(admin.incrementalAlterConfigs(Map.of(clusterDefault, List.of(
            new AlterConfigOp(new ConfigEntry("log.retention.ms", "86400000"), AlterConfigOp.OpType.SET))))
            .all()),
        "perBroker", Out.outcome(admin.incrementalAlterConfigs(Map.of(broker, List.of(
            new AlterConfigOp(new ConfigEntry("message.max.bytes", "2000000"), AlterConfigOp.OpType.SET))))
            .all()),
        "readOnly", Out.outcome(admin.incrementalAlterConfigs(Map.of(broker, List.of(
            new AlterConfigOp(new ConfigEntry("log.dirs", "/nowhere"), AlterConfigOp.OpType.SET))))
            .all()));
    // Kafka applies broker config changes once they come back from its controller: wait for them.
    awaitConfig(admin, clusterDefault, "log.retention.ms", "86400000");
    awaitConfig(admin, broker, "message.max.bytes", "2000000");
    Set<String> dyn = Set.of("log.retention.ms", "message.max.bytes");
    Out.emit("describeBrokerConfigsDynamic", "entries", selected(describeAll(admin, broker, true), dyn));
    Out.emit("describeClusterDefaultConfigs", "entries", selected(describeAll(admin, clusterDefault, true), dyn));
    ConfigResource plain = new ConfigResource(ConfigResource.Type.TOPIC, "ja-plain");
    Out.emit("topicInheritsDynamicDefault", "entries",
        selected(describeAll(admin, plain, true), Set.of("retention.ms", "max.message.bytes")));
    Out.emit("revertBrokerConfigs",
        "clusterDefault", Out.outcome(admin.incrementalAlterConfigs(Map.of(clusterDefault, List.of(
            new AlterConfigOp(new ConfigEntry("log.retention.ms", ""), AlterConfigOp.OpType.DELETE)))).all()),
        "perBroker", Out.outcome(admin.incrementalAlterConfigs(Map.of(broker, List.of(
            new AlterConfigOp(new ConfigEntry("message.max.bytes", ""), AlterConfigOp.OpType.DELETE)))).all()));
    awaitConfig(admin, clusterDefault, "log.retention.ms", null);
    awaitConfig(admin, broker, "message.max.bytes", "1048588");
    Out.emit("topicAfterRevert", "entries",
        selected(describeAll(admin, plain, true), Set.of("retention.ms", "max.message.bytes")));
  }

  /** Polls a config until it has the value (null: until no dynamic value is left); gives up after 10 s. */
  static void awaitConfig(Admin admin, ConfigResource r, String name, String value) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      ConfigEntry e = describeAll(admin, r, false).get(name);
      if (value == null
          ? e == null || (e.source() != ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
              && e.source() != ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG)
          : e != null && value.equals(e.value())) {
        return;
      }
      Thread.sleep(100);
    }
  }

  static String alterOne(Admin admin, ConfigResource r, String name, String value, AlterConfigOp.OpType op,
      boolean validateOnly) {
    return Out.outcome(admin.incrementalAlterConfigs(
        Map.of(r, List.of(new AlterConfigOp(new ConfigEntry(name, value), op))),
        new AlterConfigsOptions().validateOnly(validateOnly)).all());
  }

  static Config describeAll(Admin admin, ConfigResource r, boolean synonyms) throws Exception {
    return admin.describeConfigs(List.of(r), new DescribeConfigsOptions().includeSynonyms(synonyms))
        .all().get().get(r);
  }

  /** Every entry (all) or only those not at their default (changed), sorted by name. */
  static List<Object> describe(Admin admin, ConfigResource r, boolean all) throws Exception {
    return entries(describeAll(admin, r, all), !all);
  }

  static List<Object> entries(Config c, boolean changedOnly) {
    List<ConfigEntry> l = new ArrayList<>(c.entries());
    l.sort((a, b) -> a.name().compareTo(b.name()));
    List<Object> out = new ArrayList<>();
    for (ConfigEntry e : l) {
      if (changedOnly && e.source() == ConfigEntry.ConfigSource.DEFAULT_CONFIG) continue;
      out.add(entry(e));
    }
    return out;
  }

  static Map<String, Object> entry(ConfigEntry e) {
    List<Object> syn = new ArrayList<>();
    for (ConfigEntry.ConfigSynonym s : e.synonyms()) syn.add(s.name() + "@" + s.source() + "=" + s.value());
    return Out.map("name", e.name(), "value", e.value(), "source", e.source(), "sensitive", e.isSensitive(),
        "readOnly", e.isReadOnly(), "type", e.type(), "synonyms", syn);
  }

  static List<Object> selected(Config c, Set<String> names) {
    List<Object> out = new ArrayList<>();
    List<ConfigEntry> l = new ArrayList<>(c.entries());
    l.sort((a, b) -> a.name().compareTo(b.name()));
    Set<String> seen = new TreeSet<>();
    for (ConfigEntry e : l) {
      if (!names.contains(e.name())) continue;
      seen.add(e.name());
      out.add(entry(e));
    }
    for (String n : new TreeSet<>(names)) if (!seen.contains(n)) out.add(Out.map("name", n, "missing", true));
    return out;
  }

  static List<String> prefixed(Collection<String> names) {
    List<String> l = new ArrayList<>();
    for (String n : names) if (n.startsWith("ja-")) l.add(n);
    l.sort(null);
    return l;
  }

  /** ListOffsets by every spec, DeleteRecords, read_committed ListOffsets. */
  static void offsets(Admin admin, String bootstrap) throws Exception {
    TopicPartition p0 = new TopicPartition("ja-ts", 0);
    TopicPartition p1 = new TopicPartition("ja-ts", 1);
    long[] ts = {1000, 3000, 2000, 5000, 4000};
    // Partition 0: one batch per record. Partition 1: all five in one batch.
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Out.producerProps(bootstrap,
        "client.id", "java-admin-producer", "linger.ms", "0"))) {
      for (int i = 0; i < ts.length; i++) {
        producer.send(new ProducerRecord<>("ja-ts", 0, BASE_TS + ts[i], "k" + i, "v" + i)).get();
      }
    }
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Out.producerProps(bootstrap,
        "client.id", "java-admin-producer", "linger.ms", "60000", "batch.size", "65536"))) {
      List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < ts.length; i++) {
        fs.add(producer.send(new ProducerRecord<>("ja-ts", 1, BASE_TS + ts[i], "k" + i, "v" + i)));
      }
      producer.flush();
      for (java.util.concurrent.Future<?> f : fs) f.get();
    }
    Map<String, OffsetSpec> specs = new LinkedHashMap<>();
    specs.put("earliest", OffsetSpec.earliest());
    specs.put("latest", OffsetSpec.latest());
    specs.put("maxTimestamp", OffsetSpec.maxTimestamp());
    specs.put("ts0", OffsetSpec.forTimestamp(0));
    specs.put("ts2500", OffsetSpec.forTimestamp(BASE_TS + 2500));
    specs.put("ts5000", OffsetSpec.forTimestamp(BASE_TS + 5000));
    specs.put("ts6000", OffsetSpec.forTimestamp(BASE_TS + 6000));
    specs.put("earliestLocal", OffsetSpec.earliestLocal());
    specs.put("latestTiered", OffsetSpec.latestTiered());
    for (TopicPartition p : List.of(p0, p1)) Out.emit("listOffsets", "partition", p, "results", listOffsets(admin, p, specs));

    Map<TopicPartition, RecordsToDelete> del = new LinkedHashMap<>();
    del.put(p0, RecordsToDelete.beforeOffset(2));
    del.put(p1, RecordsToDelete.beforeOffset(100));
    Map<TopicPartition, KafkaFuture<org.apache.kafka.clients.admin.DeletedRecords>> lw =
        admin.deleteRecords(del).lowWatermarks();
    Map<String, Object> out = new TreeMap<>();
    for (TopicPartition p : del.keySet()) {
      String o = Out.outcome(lw.get(p));
      out.put(Out.tp(p), o.equals("ok") ? lw.get(p).get().lowWatermark() : o);
    }
    Out.emit("deleteRecords", "results", out);
    Out.emit("listOffsetsAfterDelete", "partition", p0, "results", listOffsets(admin, p0, specs));
    KafkaFuture<org.apache.kafka.clients.admin.DeletedRecords> all =
        admin.deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(-1))).lowWatermarks().get(p0);
    Out.emit("deleteRecordsToHighWatermark", "lowWatermark", all.get().lowWatermark());
    Out.emit("listOffsetsAfterDeleteAll", "partition", p0, "results", listOffsets(admin, p0, specs));

    // read_committed ListOffsets of a partition with no transactions is the high watermark.
    ListOffsetsResult rc = admin.listOffsets(Map.of(p1, OffsetSpec.latest()),
        new ListOffsetsOptions(IsolationLevel.READ_COMMITTED));
    Out.emit("listOffsetsReadCommitted", "latest", rc.partitionResult(p1).get().offset());
    Out.emit("listOffsetsUnknownTopic", "result", Out.outcome(admin.listOffsets(
        Map.of(new TopicPartition("ja-missing", 0), OffsetSpec.latest()),
        new ListOffsetsOptions().timeoutMs(5000)).all()));
  }

  static Map<String, Object> listOffsets(Admin admin, TopicPartition p, Map<String, OffsetSpec> specs) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, OffsetSpec> e : specs.entrySet()) {
      KafkaFuture<ListOffsetsResult.ListOffsetsResultInfo> f =
          admin.listOffsets(Map.of(p, e.getValue())).partitionResult(p);
      String o = Out.outcome(f);
      if (!o.equals("ok")) {
        out.put(e.getKey(), o);
        continue;
      }
      try {
        ListOffsetsResult.ListOffsetsResultInfo i = f.get();
        long t = i.timestamp();
        out.put(e.getKey(), Out.map("offset", i.offset(), "timestamp", t >= BASE_TS ? t - BASE_TS : t,
            "leaderEpoch", i.leaderEpoch()));
      } catch (Exception ex) {
        out.put(e.getKey(), Out.err(ex));
      }
    }
    return out;
  }

  /** Consumer groups through the admin client. */
  static void groups(Admin admin, String bootstrap) throws Exception {
    TopicPartition a0 = new TopicPartition("ja-plain", 0);
    TopicPartition a1 = new TopicPartition("ja-plain", 1);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Out.producerProps(bootstrap,
        "client.id", "java-admin-producer"))) {
      for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>("ja-plain", i % 2, "k" + i, "v" + i));
      producer.flush();
    }
    // A consumer that commits with assign() (no membership): a "simple" group.
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Out.consumerProps(bootstrap,
        "client.id", "java-admin-simple", "group.id", "ja-simple", "enable.auto.commit", "false"))) {
      c.assign(List.of(a0, a1));
      c.commitSync(Map.of(a0, new OffsetAndMetadata(3, "meta-a0"), a1, new OffsetAndMetadata(5)));
      Map<TopicPartition, OffsetAndMetadata> back = c.committed(Set.of(a0, a1));
      Out.emit("consumerCommitted", "offsets", offsetsOut(back));
    }
    // Offsets set by the admin client for a group that does not exist yet.
    Out.emit("alterConsumerGroupOffsets", "result", Out.outcome(admin.alterConsumerGroupOffsets("ja-admin-set",
        Map.of(a0, new OffsetAndMetadata(1), a1, new OffsetAndMetadata(2, "m2"))).all()));
    // An active (subscribed) member.
    try (KafkaConsumer<String, String> active = new KafkaConsumer<>(Out.consumerProps(bootstrap,
        "client.id", "java-admin-active", "group.id", "ja-active", "auto.offset.reset", "earliest",
        "heartbeat.interval.ms", "500", "session.timeout.ms", "10000"))) {
      active.subscribe(List.of("ja-plain"));
      long deadline = System.currentTimeMillis() + 30_000;
      while (active.assignment().size() < 4 && System.currentTimeMillis() < deadline) active.poll(Out.POLL);
      Out.emit("activeMemberAssigned", "partitions", Out.tps(active.assignment()));
      // Explicit offsets: how far the consumer got by now depends on timing.
      active.commitSync(Map.of(a0, new OffsetAndMetadata(1), a1, new OffsetAndMetadata(2, "active"),
          new TopicPartition("ja-plain", 2), new OffsetAndMetadata(0)));

      List<String> listed = new ArrayList<>();
      Map<String, Object> listing = new TreeMap<>();
      for (GroupListing g : admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get()) {
        if (!g.groupId().startsWith("ja-")) continue;
        listed.add(g.groupId());
        listing.put(g.groupId(), Out.map("type", g.type(), "protocol", g.protocol(), "state", g.groupState(),
            "simple", g.isSimpleConsumerGroup()));
      }
      Out.emit("listGroups", "groups", listing);
      Map<String, Object> stable = new TreeMap<>();
      for (GroupListing g : admin.listGroups(new ListGroupsOptions()
          .inGroupStates(Set.of(org.apache.kafka.common.GroupState.STABLE))).all().get()) {
        if (g.groupId().startsWith("ja-")) stable.put(g.groupId(), g.groupState());
      }
      Out.emit("listGroupsStable", "groups", stable);

      List<String> ids = List.of("ja-simple", "ja-admin-set", "ja-active", "ja-missing");
      Map<String, KafkaFuture<ConsumerGroupDescription>> desc = admin.describeConsumerGroups(ids).describedGroups();
      for (String id : ids) {
        String o = Out.outcome(desc.get(id));
        if (!o.equals("ok")) {
          Out.emit("describeConsumerGroup", "group", id, "result", o);
          continue;
        }
        ConsumerGroupDescription g = desc.get(id).get();
        List<Object> members = new ArrayList<>();
        for (MemberDescription m : g.members()) {
          members.add(Out.map("clientId", m.clientId(), "consumerIdPrefix", m.consumerId().startsWith(m.clientId() + "-"),
              "instanceId", m.groupInstanceId(), "assignment", Out.tps(m.assignment().topicPartitions()),
              "hostSet", m.host() != null && !m.host().isEmpty(), "memberEpoch", m.memberEpoch(),
              "upgraded", m.upgraded()));
        }
        Out.emit("describeConsumerGroup", "group", id, "result", o, "simple", g.isSimpleConsumerGroup(),
            "state", g.groupState(), "type", g.type(), "assignor", g.partitionAssignor(), "members", members,
            "groupEpoch", g.groupEpoch(), "targetAssignmentEpoch", g.targetAssignmentEpoch(),
            "coordinatorSet", g.coordinator() != null && !g.coordinator().isEmpty());
      }
      for (String id : ids) {
        String o = Out.outcome(admin.listConsumerGroupOffsets(id).partitionsToOffsetAndMetadata());
        Out.emit("listConsumerGroupOffsets", "group", id, "result", o, "offsets",
            o.equals("ok") ? offsetsOut(admin.listConsumerGroupOffsets(id).partitionsToOffsetAndMetadata().get()) : null);
      }
      Out.emit("deleteConsumerGroupOffsets",
          "simple", Out.outcome(admin.deleteConsumerGroupOffsets("ja-simple", Set.of(a1)).all()),
          "activeSubscribed", Out.outcome(admin.deleteConsumerGroupOffsets("ja-active", Set.of(a0)).all()),
          "missingGroup", Out.outcome(admin.deleteConsumerGroupOffsets("ja-missing", Set.of(a0)).all()));
      Out.emit("listConsumerGroupOffsetsAfterDelete", "offsets",
          offsetsOut(admin.listConsumerGroupOffsets("ja-simple").partitionsToOffsetAndMetadata().get()));
      Map<String, KafkaFuture<Void>> del =
          admin.deleteConsumerGroups(List.of("ja-simple", "ja-active", "ja-missing")).deletedGroups();
      Out.emit("deleteConsumerGroups", "simple", Out.outcome(del.get("ja-simple")),
          "active", Out.outcome(del.get("ja-active")), "missing", Out.outcome(del.get("ja-missing")));
    }
    // The active member left on close: its group is empty now and can go.
    Out.emit("deleteConsumerGroupAfterLeave",
        "active", Out.outcome(admin.deleteConsumerGroups(List.of("ja-active")).all()),
        "adminSet", Out.outcome(admin.deleteConsumerGroups(List.of("ja-admin-set")).all()));
    Out.emit("describeDeletedGroup", "result",
        Out.outcome(admin.describeConsumerGroups(List.of("ja-simple")).describedGroups().get("ja-simple")));
    Out.emit("listConsumerGroupOffsetsDeleted", "offsets",
        offsetsOut(admin.listConsumerGroupOffsets("ja-simple").partitionsToOffsetAndMetadata().get()));
  }

  static Map<String, Object> offsetsOut(Map<TopicPartition, OffsetAndMetadata> m) {
    Map<String, Object> out = new TreeMap<>();
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : m.entrySet()) {
      OffsetAndMetadata o = e.getValue();
      out.put(Out.tp(e.getKey()), o == null ? null
          : Out.map("offset", o.offset(), "metadata", o.metadata(), "leaderEpoch", o.leaderEpoch()));
    }
    return out;
  }

  static void deleteTopics(Admin admin) throws Exception {
    List<String> names = List.of("ja-configs", "ja-plain", "ja-ts", "ja-missing");
    Map<String, KafkaFuture<Void>> r = admin.deleteTopics(names).topicNameValues();
    Map<String, Object> out = new TreeMap<>();
    for (String n : names) out.put(n, Out.outcome(r.get(n)));
    Out.emit("deleteTopics", "results", out);
    long deadline = System.currentTimeMillis() + 20_000;
    List<String> left;
    do {
      left = prefixed(admin.listTopics().names().get());
      if (left.isEmpty()) break;
      Thread.sleep(100);
    } while (System.currentTimeMillis() < deadline);
    Out.emit("listTopicsAfterDelete", "names", left);
    Out.emit("describeDeletedTopic", "result",
        Out.outcome(admin.describeTopics(List.of("ja-configs")).allTopicNames()));
  }
}
