import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumer groups with several consumers in one JVM (one thread each): the classic protocol with the
 * eager RangeAssignor and the CooperativeStickyAssignor, the KIP-848 protocol (group.protocol=consumer),
 * and static membership (group.instance.id) with both protocols.
 */
final class GroupScenarios {
  private GroupScenarios() {}

  static final int PARTITIONS = 6;
  static final long WAIT_MS = 60_000;

  /** One consumer polling on its own thread; what it sees is kept for the main thread to read. */
  static final class Member {
    final String name;
    final Properties props;
    final String topic;
    /** Rebalance callbacks in order: "assigned [..]", "revoked [..]", "lost [..]". */
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    /** Partitions taken away by rebalances while the member was in the group (not on its way out). */
    final Set<String> revokedWhileMember = ConcurrentHashMap.newKeySet();
    final Set<String> consumed = ConcurrentHashMap.newKeySet();
    volatile Set<TopicPartition> assignment = Set.of();
    volatile int generation = -1;
    volatile boolean stop;
    volatile CloseOptions closeOptions;
    volatile Throwable error;
    Thread thread;

    /** Subscribes to this pattern (resolved by the client) instead of `topic` when set. */
    java.util.regex.Pattern pattern;
    /** Subscribes to this pattern (resolved by the broker, KIP-848) instead of `topic` when set. */
    org.apache.kafka.clients.consumer.SubscriptionPattern brokerPattern;

    Member(String name, String topic, Properties props) {
      this.name = name;
      this.topic = topic;
      this.props = props;
    }

    Member start() {
      thread = new Thread(this::loop, name);
      thread.setDaemon(true);
      thread.start();
      return this;
    }

    private void loop() {
      KafkaConsumer<String, String> c = new KafkaConsumer<>(props);
      try {
        ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            events.add("revoked " + Out.tps(partitions));
            if (!stop) revokedWhileMember.addAll(Out.tps(partitions));
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            events.add("assigned " + Out.tps(partitions));
          }

          @Override
          public void onPartitionsLost(Collection<TopicPartition> partitions) {
            events.add("lost " + Out.tps(partitions));
          }
        };
        if (pattern != null) c.subscribe(pattern, listener);
        else if (brokerPattern != null) c.subscribe(brokerPattern, listener);
        else c.subscribe(List.of(topic), listener);
        while (!stop) {
          ConsumerRecords<String, String> records = c.poll(Out.POLL);
          for (ConsumerRecord<String, String> r : records) consumed.add(r.partition() + ":" + r.offset());
          if (!records.isEmpty()) c.commitSync();
          assignment = Set.copyOf(c.assignment());
          generation = c.groupMetadata().generationId();
        }
      } catch (Throwable t) {
        error = t;
      } finally {
        try {
          if (closeOptions != null) c.close(closeOptions);
          else c.close();
        } catch (Throwable t) {
          if (error == null) error = t;
        }
      }
    }

    void stop() throws InterruptedException {
      stop = true;
      thread.join(30_000);
      if (thread.isAlive()) Out.fail(name + " did not stop");
      if (error != null) Out.fail(name + ": " + error);
    }

    /**
     * The callbacks that moved partitions. Callbacks with an empty set are left out: whether a member
     * sees a generation in which it gets nothing (cooperative: while another member still revokes)
     * depends on which of two requests reaches the coordinator first, with Kafka as with Brook.
     */
    List<String> events() {
      List<String> out = new ArrayList<>();
      synchronized (events) {
        for (String e : events) if (!e.endsWith("[]")) out.add(e);
      }
      return out;
    }
  }

  static Properties classicProps(String bootstrap, String group, String clientId, String assignor, Object... extra) {
    Properties p = Out.consumerProps(bootstrap, "client.id", clientId, "group.id", group,
        "group.protocol", "classic", "partition.assignment.strategy", assignor,
        "heartbeat.interval.ms", "300", "session.timeout.ms", "10000",
        "auto.offset.reset", "earliest", "enable.auto.commit", "false");
    for (int i = 0; i + 1 < extra.length; i += 2) p.put(String.valueOf(extra[i]), String.valueOf(extra[i + 1]));
    return p;
  }

  static Properties consumerProtocolProps(String bootstrap, String group, String clientId, Object... extra) {
    Properties p = Out.consumerProps(bootstrap, "client.id", clientId, "group.id", group,
        "group.protocol", "consumer", "auto.offset.reset", "earliest", "enable.auto.commit", "false");
    for (int i = 0; i + 1 < extra.length; i += 2) p.put(String.valueOf(extra[i]), String.valueOf(extra[i + 1]));
    return p;
  }

  /** Waits until the members' assignments are disjoint, cover every partition and have the given sizes. */
  static void awaitAssignment(String what, List<Member> members, int... sizes) throws InterruptedException {
    Out.await(what, WAIT_MS, () -> {
      Set<TopicPartition> all = new HashSet<>();
      int total = 0;
      for (int i = 0; i < members.size(); i++) {
        Set<TopicPartition> a = members.get(i).assignment;
        if (a.size() != sizes[i]) return false;
        all.addAll(a);
        total += a.size();
      }
      return total == PARTITIONS && all.size() == PARTITIONS;
    });
  }

  static int produce(String bootstrap, String topic, int from, int count) throws Exception {
    try (KafkaProducer<String, String> p = new KafkaProducer<>(Out.producerProps(bootstrap,
        "client.id", "java-groups-producer"))) {
      for (int i = from; i < from + count; i++) p.send(new ProducerRecord<>(topic, "key-" + i, "v" + i));
      p.flush();
    }
    return count;
  }

  static void awaitConsumed(String what, List<Member> members, int total) throws InterruptedException {
    Out.await(what, WAIT_MS, () -> {
      Set<String> all = new HashSet<>();
      for (Member m : members) all.addAll(m.consumed);
      return all.size() >= total;
    });
  }

  /** Committed offsets of the group, waited for until they reach the end of every partition. */
  static Map<String, Object> awaitCommittedAtEnd(Admin admin, String group, String topic) throws Exception {
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      latest.put(new TopicPartition(topic, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
    }
    var ends = admin.listOffsets(latest).all().get();
    long deadline = System.currentTimeMillis() + WAIT_MS;
    while (true) {
      Map<TopicPartition, OffsetAndMetadata> c = admin.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get();
      boolean done = true;
      for (TopicPartition tp : latest.keySet()) {
        OffsetAndMetadata o = c.get(tp);
        if (o == null || o.offset() != ends.get(tp).offset()) done = false;
      }
      if (done) {
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : c.entrySet()) out.put(Out.tp(e.getKey()), e.getValue().offset());
        return out;
      }
      if (System.currentTimeMillis() > deadline) Out.fail("committed offsets of " + group + " did not reach " + ends);
      Thread.sleep(100);
    }
  }

  static Map<String, Object> describe(Admin admin, String group, boolean partitionNumbers) throws Exception {
    ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
    List<Object> members = new ArrayList<>();
    List<MemberDescription> ms = new ArrayList<>(g.members());
    ms.sort((a, b) -> a.clientId().compareTo(b.clientId()));
    for (MemberDescription m : ms) {
      Set<TopicPartition> a = m.assignment().topicPartitions();
      members.add(Out.map("clientId", m.clientId(), "instanceId", m.groupInstanceId(),
          "assignment", partitionNumbers ? Out.tps(a) : a.size(),
          "targetAssignment", m.targetAssignment().map(t -> partitionNumbers
              ? (Object) Out.tps(t.topicPartitions()) : (Object) t.topicPartitions().size()),
          "memberEpoch", m.memberEpoch(), "upgraded", m.upgraded()));
    }
    return Out.map("state", g.groupState(), "type", g.type(), "assignor", g.partitionAssignor(),
        "simple", g.isSimpleConsumerGroup(), "groupEpoch", g.groupEpoch(),
        "targetAssignmentEpoch", g.targetAssignmentEpoch(), "members", members);
  }

  static Map<String, Object> assignments(List<Member> members, boolean partitionNumbers) {
    Map<String, Object> out = new TreeMap<>();
    for (Member m : members) out.put(m.name, partitionNumbers ? Out.tps(m.assignment) : m.assignment.size());
    return out;
  }

  static Map<String, Object> consumedCounts(List<Member> members) {
    Map<String, Object> out = new TreeMap<>();
    for (Member m : members) out.put(m.name, m.consumed.size());
    return out;
  }

  /** Classic protocol: eager range assignment with 2 members, cooperative-sticky with 3. */
  static void classic(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Out.props(bootstrap, "client.id", "java-groups-admin"))) {
      admin.createTopics(List.of(new NewTopic("jg-eager", PARTITIONS, (short) 1),
          new NewTopic("jg-coop", PARTITIONS, (short) 1))).all().get();
      eager(bootstrap, admin);
      cooperative(bootstrap, admin);
    }
  }

  static void eager(String bootstrap, Admin admin) throws Exception {
    String topic = "jg-eager";
    String group = "jg-eager-group";
    String range = "org.apache.kafka.clients.consumer.RangeAssignor";
    Member a = new Member("a", topic, classicProps(bootstrap, group, "eager-a", range)).start();
    awaitAssignment("eager: a alone", List.of(a), 6);
    Member b = new Member("b", topic, classicProps(bootstrap, group, "eager-b", range)).start();
    List<Member> ab = List.of(a, b);
    awaitAssignment("eager: a and b", ab, 3, 3);
    Out.await("eager: same generation", WAIT_MS, () -> a.generation == b.generation);
    Out.emit("eagerTwoMembers", "assignments", assignments(ab, true), "describe", describe(admin, group, true));
    int total = produce(bootstrap, topic, 0, 60);
    awaitConsumed("eager: 60 records", ab, total);
    Out.emit("eagerConsumed", "perMember", consumedCounts(ab), "committed", awaitCommittedAtEnd(admin, group, topic));
    b.stop();
    awaitAssignment("eager: a after b left", List.of(a), 6);
    total += produce(bootstrap, topic, 60, 30);
    awaitConsumed("eager: 90 records", ab, total);
    Out.emit("eagerAfterLeave", "assignments", assignments(List.of(a), true),
        "committed", awaitCommittedAtEnd(admin, group, topic), "describe", describe(admin, group, true));
    a.stop();
    Out.emit("eagerEvents", "a", a.events(), "b", b.events());
    Out.emit("eagerEmpty", "describe", describe(admin, group, true));
  }

  static void cooperative(String bootstrap, Admin admin) throws Exception {
    String topic = "jg-coop";
    String group = "jg-coop-group";
    String sticky = "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
    Member a = new Member("a", topic, classicProps(bootstrap, group, "coop-a", sticky)).start();
    awaitAssignment("cooperative: a alone", List.of(a), 6);
    int total = produce(bootstrap, topic, 0, 60);
    awaitConsumed("cooperative: first 60", List.of(a), total);
    Member b = new Member("b", topic, classicProps(bootstrap, group, "coop-b", sticky)).start();
    awaitAssignment("cooperative: a and b", List.of(a, b), 3, 3);
    Member c = new Member("c", topic, classicProps(bootstrap, group, "coop-c", sticky)).start();
    List<Member> abc = List.of(a, b, c);
    awaitAssignment("cooperative: a, b and c", abc, 2, 2, 2);
    Out.emit("cooperativeThreeMembers", "assignments", assignments(abc, true), "describe", describe(admin, group, true));
    total += produce(bootstrap, topic, 60, 60);
    awaitConsumed("cooperative: 120", abc, total);
    Out.emit("cooperativeConsumed", "perMember", consumedCounts(abc),
        "committed", awaitCommittedAtEnd(admin, group, topic));
    b.stop();
    awaitAssignment("cooperative: a and c after b left", List.of(a, c), 3, 3);
    total += produce(bootstrap, topic, 120, 30);
    awaitConsumed("cooperative: 150", abc, total);
    Out.emit("cooperativeAfterLeave", "assignments", assignments(List.of(a, c), true),
        "committed", awaitCommittedAtEnd(admin, group, topic), "describe", describe(admin, group, true));
    a.stop();
    c.stop();
    // The exact callbacks depend on races Kafka has as well (whether a member's SyncGroup beats
    // another's rejoin, whether c takes a's partitions before it stops too), so what is compared is
    // the cooperative promise: a member only ever gave up the partitions that moved.
    Out.emit("cooperativeRevocations", "a", new java.util.TreeSet<>(a.revokedWhileMember),
        "b", new java.util.TreeSet<>(b.revokedWhileMember), "c", new java.util.TreeSet<>(c.revokedWhileMember));
  }

  /** KIP-848: the broker assigns; partition numbers depend on random member ids, so sizes are compared. */
  static void consumerProtocol(String bootstrap) throws Exception {
    String topic = "jg-kip848";
    String group = "jg-kip848-group";
    try (Admin admin = Admin.create(Out.props(bootstrap, "client.id", "java-groups-admin"))) {
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
      Member a = new Member("a", topic, consumerProtocolProps(bootstrap, group, "kip848-a")).start();
      awaitAssignment("kip848: a alone", List.of(a), 6);
      Out.emit("kip848OneMember", "describe", describe(admin, group, true));
      Member b = new Member("b", topic, consumerProtocolProps(bootstrap, group, "kip848-b")).start();
      List<Member> ab = List.of(a, b);
      awaitAssignment("kip848: a and b", ab, 3, 3);
      awaitStableDescribe(admin, group);
      Out.emit("kip848TwoMembers", "assignments", assignments(ab, false), "describe", describe(admin, group, false));
      int total = produce(bootstrap, topic, 0, 60);
      awaitConsumed("kip848: 60", ab, total);
      Out.emit("kip848Consumed", "committed", awaitCommittedAtEnd(admin, group, topic));
      b.stop();
      awaitAssignment("kip848: a after b left", List.of(a), 6);
      awaitStableDescribe(admin, group);
      Out.emit("kip848AfterLeave", "describe", describe(admin, group, true));
      a.stop();
      Out.emit("kip848Events", "a", sizes(a.events()), "b", sizes(b.events()));
      Out.emit("kip848Empty", "describe", describe(admin, group, true));
      // The group is empty now; its offsets remain.
      Out.emit("kip848OffsetsAfterEmpty", "partitions",
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().size());
      regexSubscription(bootstrap, admin);
    }
  }

  /**
   * KIP-848 with patterns: a java.util.regex.Pattern is resolved by the client from its metadata
   * (its first heartbeat may carry an empty list of topics), a SubscriptionPattern by the broker.
   * Epochs depend on how many heartbeats the resolution takes, so sizes and topics are compared.
   */
  static void regexSubscription(String bootstrap, Admin admin) throws Exception {
    admin.createTopics(List.of(new NewTopic("jg-re-a", 2, (short) 1), new NewTopic("jg-re-b", 4, (short) 1),
        new NewTopic("jg-rex", 1, (short) 1))).all().get();
    for (String kind : List.of("client", "broker")) {
      String group = "jg-regex-" + kind;
      List<Member> members = new ArrayList<>();
      for (String name : List.of("a", "b")) {
        Member m = new Member(name, null, consumerProtocolProps(bootstrap, group, "regex-" + kind + "-" + name));
        if (kind.equals("client")) m.pattern = java.util.regex.Pattern.compile("jg-re-.*");
        else m.brokerPattern = new org.apache.kafka.clients.consumer.SubscriptionPattern("jg-re-.*");
        members.add(m.start());
        Out.await("regex (" + kind + "): " + name + " assigned", WAIT_MS,
            () -> members.stream().mapToInt(x -> x.assignment.size()).sum() == 6
                && members.stream().allMatch(x -> x.assignment.size() == 6 / members.size()));
      }
      awaitStableDescribe(admin, group);
      Set<String> topics = new java.util.TreeSet<>();
      for (Member m : members) for (TopicPartition tp : m.assignment) topics.add(tp.topic());
      Map<String, Object> d = describe(admin, group, false);
      d.remove("groupEpoch");
      d.remove("targetAssignmentEpoch");
      for (Object m : (List<?>) d.get("members")) ((Map<?, ?>) m).remove("memberEpoch");
      Out.emit("regexTwoMembers", "kind", kind, "topics", topics, "assignments", assignments(members, false),
          "describe", d);
      for (Member m : members) m.stop();
    }
  }

  static void awaitStableDescribe(Admin admin, String group) throws Exception {
    long deadline = System.currentTimeMillis() + WAIT_MS;
    while (true) {
      ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      boolean stable = g.groupState() == org.apache.kafka.common.GroupState.STABLE;
      for (MemberDescription m : g.members()) {
        if (!m.targetAssignment().map(t -> t.topicPartitions().equals(m.assignment().topicPartitions())).orElse(true)) {
          stable = false;
        }
      }
      if (stable) return;
      if (System.currentTimeMillis() > deadline) Out.fail(group + " did not become stable: " + g);
      Thread.sleep(100);
    }
  }

  /** "assigned [t-0, t-3]" becomes "assigned 2". */
  static List<String> sizes(List<String> events) {
    List<String> out = new ArrayList<>();
    for (String e : events) {
      String kind = e.substring(0, e.indexOf(' '));
      String list = e.substring(e.indexOf('[') + 1, e.lastIndexOf(']')).trim();
      out.add(kind + " " + (list.isEmpty() ? 0 : list.split(",").length));
    }
    return out;
  }

  /**
   * Static membership: a member with group.instance.id that closes without leaving and comes back
   * within the session timeout gets its partitions back without a rebalance (classic: the same
   * generation; KIP-848: the same group epoch), and the other member notices nothing.
   */
  static void staticMembership(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Out.props(bootstrap, "client.id", "java-groups-admin"))) {
      admin.createTopics(List.of(new NewTopic("jg-static", PARTITIONS, (short) 1),
          new NewTopic("jg-static848", PARTITIONS, (short) 1))).all().get();
      staticClassic(bootstrap, admin);
      staticConsumerProtocol(bootstrap, admin);
    }
  }

  static void staticClassic(String bootstrap, Admin admin) throws Exception {
    String topic = "jg-static";
    String group = "jg-static-group";
    String range = "org.apache.kafka.clients.consumer.RangeAssignor";
    Member a = new Member("a", topic, classicProps(bootstrap, group, "static-a", range,
        "group.instance.id", "instance-a", "session.timeout.ms", "30000")).start();
    awaitAssignment("static: a alone", List.of(a), 6);
    Member b = new Member("b", topic, classicProps(bootstrap, group, "static-b", range,
        "group.instance.id", "instance-b", "session.timeout.ms", "30000")).start();
    awaitAssignment("static: a and b", List.of(a, b), 3, 3);
    Out.await("static: same generation", WAIT_MS, () -> a.generation == b.generation && a.generation > 0);
    Out.await("static: group stable", WAIT_MS, () -> {
      try {
        return admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get().groupState()
            == org.apache.kafka.common.GroupState.STABLE;
      } catch (Exception e) {
        return false;
      }
    });
    int generation = a.generation;
    List<String> aAssigned = Out.tps(a.assignment);
    int bEvents = b.events().size();
    Out.emit("staticTwoMembers", "assignments", assignments(List.of(a, b), true), "describe", describe(admin, group, true));
    a.stop(); // a static member does not leave the group on close
    Out.emit("staticAfterClose", "describe", describe(admin, group, true));
    Member a2 = new Member("a2", topic, classicProps(bootstrap, group, "static-a", range,
        "group.instance.id", "instance-a", "session.timeout.ms", "30000")).start();
    Out.await("static: a2 assigned", WAIT_MS, () -> !a2.assignment.isEmpty());
    Thread.sleep(1500); // would a rebalance follow? b heartbeats every 300 ms
    Out.emit("staticRejoined",
        "sameAssignment", Out.tps(a2.assignment).equals(aAssigned),
        "sameGeneration", a2.generation == generation && b.generation == generation,
        "otherMemberUntouched", b.events().size() == bEvents,
        "describe", describe(admin, group, true));
    a2.closeOptions = CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
    a2.stop();
    awaitAssignment("static: b alone after a2 left", List.of(b), 6);
    Out.emit("staticAfterLeave", "generationBumped", b.generation > generation, "describe", describe(admin, group, true));
    b.closeOptions = CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
    b.stop();
    Out.emit("staticEvents", "a", a.events(), "a2", a2.events(), "b", b.events());
  }

  static void staticConsumerProtocol(String bootstrap, Admin admin) throws Exception {
    String topic = "jg-static848";
    String group = "jg-static848-group";
    Member a = new Member("a", topic, consumerProtocolProps(bootstrap, group, "static848-a",
        "group.instance.id", "instance-a")).start();
    awaitAssignment("static848: a alone", List.of(a), 6);
    Member b = new Member("b", topic, consumerProtocolProps(bootstrap, group, "static848-b",
        "group.instance.id", "instance-b")).start();
    awaitAssignment("static848: a and b", List.of(a, b), 3, 3);
    awaitStableDescribe(admin, group);
    Map<String, Object> before = describe(admin, group, false);
    ConsumerGroupDescription d0 = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
    List<String> aAssigned = Out.tps(a.assignment);
    int bEvents = b.events().size();
    Out.emit("static848TwoMembers", "describe", before);
    a.stop();
    Out.emit("static848AfterClose", "describe", describe(admin, group, false));
    Member a2 = new Member("a2", topic, consumerProtocolProps(bootstrap, group, "static848-a",
        "group.instance.id", "instance-a")).start();
    Out.await("static848: a2 assigned", WAIT_MS, () -> !a2.assignment.isEmpty());
    awaitStableDescribe(admin, group);
    Thread.sleep(1500);
    ConsumerGroupDescription d1 = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
    Out.emit("static848Rejoined",
        "sameAssignment", Out.tps(a2.assignment).equals(aAssigned),
        "sameGroupEpoch", d0.groupEpoch().equals(d1.groupEpoch()),
        "otherMemberUntouched", b.events().size() == bEvents,
        "describe", describe(admin, group, false));
    a2.closeOptions = CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
    a2.stop();
    awaitAssignment("static848: b alone after a2 left", List.of(b), 6);
    b.closeOptions = CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
    b.stop();
    Out.emit("static848Events", "a", sizes(a.events()), "a2", sizes(a2.events()), "b", sizes(b.events()));
    Out.emit("static848Empty", "describe", describe(admin, group, false));
  }
}
