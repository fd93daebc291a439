import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindows;

/**
 * Brook's Kafka Streams reference suite (driven by test/reference/kafka-streams.test.ts): runs a few
 * exactly-once Streams applications against one cluster (Brook or Apache Kafka) whose input topics
 * the test has already filled, waits until each application has committed offsets up to the end of
 * every topic it reads (its input topics and its repartition topics), closes it, then reads its
 * output topic with a read_committed consumer and reduces it to the last value per key.
 *
 * Usage: StreamsSuite <bootstrap> <run-id> <state-dir> <timeout-ms> <app>[,<app>...]
 * Apps: orders (the seed's count of orders per user), windowed (tumbling one-minute counts per
 * page), join (purchases joined to a customers table, summed per region), pairs (a stream-stream
 * join of impressions and clicks, counted per ad), recount (orders again, on topics of its own).
 * System properties: brook.pauseMs slows recount down by that much per order; brook.haltAfter=N
 * halts the JVM (exit 3, nothing closed, a transaction left open) at the N-th count recount
 * outputs, so that the next run with the same run id resumes the app where its last commit left it;
 * brook.instances=a,b runs one KafkaStreams per name (state dir <app>-<name>, so a process id of
 * its own) for every app; brook.static=a gives the instances named static membership (KIP-345,
 * group.instance.id <app>-<name>, to which Streams appends each thread's index); brook.groupProtocol
 * sets group.protocol (classic, the default, or streams: KIP-1071).
 *
 * Prints one line starting with "RESULT " holding a JSON object: for every app its final output,
 * the internal topics Streams created (partitions and a few configs), and timings. Exits 0 on
 * success, 2 when an app did not finish in time or failed.
 */
public final class StreamsSuite {
  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The seed's OrderEvent as the KafkaJS producer writes it (JSON). */
  public static final class Order {
    public String orderId;
    public String userId;
    public List<Map<String, Object>> items;
    public double total;
    public String timestamp;

    public String getUserId() {
      return userId;
    }
  }

  static final Serde<Order> ORDER_SERDE =
      Serdes.serdeFrom(
          (topic, order) -> {
            try {
              return order == null ? null : JSON.writeValueAsBytes(order);
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          },
          (topic, bytes) -> {
            try {
              return bytes == null ? null : JSON.readValue(bytes, Order.class);
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          });

  /** One application: its topology, the topics it reads from outside, and its output topic. */
  record App(String name, Topology topology, List<String> inputs, String output, boolean longValues) {}

  static App build(String name) {
    StreamsBuilder builder = new StreamsBuilder();
    switch (name) {
      case "orders", "recount" -> {
        // The seed's sample: orders keyed by order id, counted per user (a repartition on userId).
        // "recount" is the same on its own topics, slowed down (PAUSE_MS per order) so that a run
        // can be halted halfway, with a transaction open, and resumed by another JVM.
        String input = name.equals("orders") ? "orders" : "recount-orders";
        String output = name.equals("orders") ? "order-counts" : "recount-order-counts";
        KStream<String, Order> orders =
            builder.stream(input, Consumed.with(Serdes.String(), ORDER_SERDE));
        KTable<String, Long> orderCounts =
            orders
                .groupBy(
                    (key, order) -> {
                      if (name.equals("recount")) pause();
                      return order.getUserId();
                    },
                    Grouped.with(Serdes.String(), ORDER_SERDE))
                .count();
        KStream<String, Long> counts = orderCounts.toStream();
        if (name.equals("recount")) counts = counts.peek((user, count) -> maybeHalt());
        counts.to(output, Produced.with(Serdes.String(), Serdes.Long()));
        return new App(name, builder.build(), List.of(input), output, true);
      }
      case "windowed" -> {
        // Page views keyed by page, counted in tumbling one-minute windows of their record time.
        builder.stream("page-views", Consumed.with(Serdes.String(), Serdes.String()))
            .groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofHours(2)))
            .count()
            .toStream((window, count) -> window.key() + "@" + window.window().start())
            .to("page-view-counts", Produced.with(Serdes.String(), Serdes.Long()));
        return new App(name, builder.build(), List.of("page-views"), "page-view-counts", true);
      }
      case "join" -> {
        // Purchases (customer id -> cents) joined to the customers table (customer id -> region),
        // then summed per region (a repartition on region).
        KTable<String, String> customers =
            builder.table("customers", Consumed.with(Serdes.String(), Serdes.String()));
        builder.stream("purchases", Consumed.with(Serdes.String(), Serdes.String()))
            .join(customers, (cents, region) -> region + "|" + cents)
            .map((customer, joined) -> {
              String[] parts = joined.split("\\|");
              return KeyValue.pair(parts[0], Long.parseLong(parts[1]));
            })
            .groupByKey(Grouped.with(Serdes.String(), Serdes.Long()))
            .reduce(Long::sum, Materialized.with(Serdes.String(), Serdes.Long()))
            .toStream()
            .to("region-totals", Produced.with(Serdes.String(), Serdes.Long()));
        return new App(
            name, builder.build(), List.of("customers", "purchases"), "region-totals", true);
      }
      case "pairs" -> {
        // Impressions and clicks keyed by ad id, joined when a click follows within 10 s of an
        // impression, and the joined pairs counted per ad.
        KStream<String, String> impressions =
            builder.stream("impressions", Consumed.with(Serdes.String(), Serdes.String()));
        KStream<String, String> clicks =
            builder.stream("clicks", Consumed.with(Serdes.String(), Serdes.String()));
        impressions
            .join(
                clicks,
                (impression, click) -> impression + "+" + click,
                JoinWindows.ofTimeDifferenceAndGrace(Duration.ofSeconds(10), Duration.ofHours(2)),
                StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String()))
            .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
            .count()
            .toStream()
            .to("ad-click-pairs", Produced.with(Serdes.String(), Serdes.Long()));
        return new App(name, builder.build(), List.of("impressions", "clicks"), "ad-click-pairs", true);
      }
      default -> throw new IllegalArgumentException("unknown app " + name);
    }
  }

  static final long PAUSE_MS = Long.getLong("brook.pauseMs", 0);
  static final long HALT_AFTER = Long.getLong("brook.haltAfter", -1);
  static final AtomicLong COUNTED = new AtomicLong();

  /** Called for every order of "recount" before its repartition: sleeps PAUSE_MS. */
  static void pause() {
    if (PAUSE_MS <= 0) return;
    try {
      Thread.sleep(PAUSE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Called for every count "recount" outputs: on the HALT_AFTER-th of this JVM, lets the producer
   * send what it has (Streams lingers 100 ms) and halts: no close, no commit, the thread's
   * transaction left open with output, changelog and repartition records in it.
   */
  static void maybeHalt() {
    if (COUNTED.incrementAndGet() != HALT_AFTER) return;
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.out.println("HALT after " + HALT_AFTER + " counts");
    System.out.flush();
    Runtime.getRuntime().halt(3);
  }

  static Properties streamsProps(String bootstrap, String appId, File stateDir) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.getAbsolutePath());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
    p.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, 500);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6_000);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1_000);
    return p;
  }

  static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  /** The topics an application reads: its inputs and every repartition topic of its own. */
  static List<String> sourceTopics(Admin admin, App app, String appId) throws Exception {
    List<String> topics = new ArrayList<>(app.inputs());
    for (String t : new TreeSet<>(admin.listTopics().names().get())) {
      if (t.startsWith(appId + "-") && t.endsWith("-repartition")) topics.add(t);
    }
    return topics;
  }

  static Map<TopicPartition, Long> offsets(Admin admin, Collection<String> topics, OffsetSpec spec)
      throws Exception {
    Map<String, TopicDescription> desc = admin.describeTopics(topics).allTopicNames().get();
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    for (TopicDescription d : desc.values()) {
      d.partitions().forEach(p -> req.put(new TopicPartition(d.name(), p.partition()), spec));
    }
    Map<TopicPartition, ListOffsetsResultInfo> res = admin.listOffsets(req).all().get();
    Map<TopicPartition, Long> out = new HashMap<>();
    res.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  static final Map<String, Long> PROGRESS = new HashMap<>();

  /**
   * Null once the application has committed, for every partition of every topic it reads, the end
   * offset of that partition; otherwise a line saying what is still behind.
   */
  static String behind(Admin admin, App app, String appId) throws Exception {
    List<String> topics = sourceTopics(admin, app, appId);
    Map<TopicPartition, Long> ends = offsets(admin, topics, OffsetSpec.latest());
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
    // Progress for whoever watches stdout (the test kills the broker at given points).
    long inputDone = committed.entrySet().stream()
        .filter(e -> app.inputs().contains(e.getKey().topic()) && e.getValue() != null)
        .mapToLong(e -> e.getValue().offset())
        .sum();
    Long before = PROGRESS.put(appId, inputDone);
    if (before == null || before != inputDone) {
      System.out.println("COMMITTED " + app.name() + " " + inputDone);
      System.out.flush();
    }
    List<String> lagging = new ArrayList<>();
    List<TopicPartition> parts = new ArrayList<>(ends.keySet());
    parts.sort((a, b) -> a.toString().compareTo(b.toString()));
    for (TopicPartition tp : parts) {
      OffsetAndMetadata c = committed.get(tp);
      long at = c == null ? -1 : c.offset();
      long end = ends.get(tp);
      if (end > 0 && at != end) lagging.add(tp + " " + at + "/" + end);
    }
    return lagging.isEmpty() ? null : String.join(", ", lagging);
  }

  /**
   * Reads a whole topic (read_committed or read_uncommitted): the last value of each key, in key
   * order; `records` (when given) is told how many records were read.
   */
  static Map<String, Object> readFinal(
      String bootstrap, String topic, boolean longValues, String isolation, IntConsumer records) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    Deserializer<?> values = longValues ? new LongDeserializer() : new StringDeserializer();
    Map<String, Object> last = new TreeMap<>();
    try (KafkaConsumer<String, ?> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), values)) {
      List<TopicPartition> parts =
          consumer.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 30_000;
      int read = 0;
      while (parts.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("reading " + topic + " did not reach " + ends);
        }
        for (ConsumerRecord<String, ?> r : consumer.poll(Duration.ofMillis(200))) {
          read++;
          if (r.value() == null) last.remove(r.key());
          else last.put(r.key(), r.value());
        }
      }
      if (records != null) records.accept(read);
    }
    return last;
  }

  /** Partition count and the configs Streams sets, for every internal topic of the application. */
  static Map<String, Object> internalTopics(Admin admin, String appId) throws Exception {
    List<String> names =
        admin.listTopics().names().get().stream()
            .filter(t -> t.startsWith(appId + "-"))
            .sorted()
            .toList();
    Map<String, Object> out = new TreeMap<>();
    if (names.isEmpty()) return out;
    Map<String, TopicDescription> desc = admin.describeTopics(names).allTopicNames().get();
    List<ConfigResource> resources =
        names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
    Map<TopicPartition, Long> starts = offsets(admin, names, OffsetSpec.earliest());
    for (String n : names) {
      Map<String, Object> info = new TreeMap<>();
      info.put("partitions", desc.get(n).partitions().size());
      Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, n));
      // The topic's own configs (those Streams set when it created the topic), and a few others.
      Map<String, String> overrides = new TreeMap<>();
      for (ConfigEntry e : c.entries()) {
        if (e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) overrides.put(e.name(), e.value());
      }
      info.put("topicConfigs", overrides);
      for (String key :
          List.of("cleanup.policy", "retention.ms", "segment.bytes", "message.timestamp.type")) {
        var entry = c.get(key);
        info.put(key, entry == null ? null : entry.value());
      }
      long purged = starts.entrySet().stream()
          .filter(e -> e.getKey().topic().equals(n))
          .mapToLong(Map.Entry::getValue)
          .sum();
      info.put("logStartOffsets", purged);
      // Strip the run's application id so the names compare across runs and clusters.
      out.put(n.substring(appId.length() + 1), info);
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String run = args[1];
    File stateRoot = new File(args[2]);
    long timeoutMs = Long.parseLong(args[3]);
    List<String> names = List.of(args[4].split(","));
    // Instances of every app in this JVM, each with a state dir (and so a process id) of its own.
    List<String> instances = List.of(System.getProperty("brook.instances", "main").split(","));

    long t0 = System.currentTimeMillis();
    Map<String, Object> result = new TreeMap<>();
    boolean ok = true;
    List<KafkaStreams> all = new ArrayList<>();
    Map<String, List<KafkaStreams>> byName = new HashMap<>();
    Map<String, App> apps = new HashMap<>();
    AtomicReference<Throwable> error = new AtomicReference<>();
    try (Admin admin = admin(bootstrap)) {
      for (String name : names) {
        App app = build(name);
        apps.put(name, app);
        String appId = name + "-" + run;
        byName.put(name, new ArrayList<>());
        for (String instance : instances) {
          File stateDir = new File(stateRoot, name + "-" + instance);
          Properties props = streamsProps(bootstrap, appId, stateDir);
          String protocol = System.getProperty("brook.groupProtocol");
          if (protocol != null) props.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, protocol);
          if (List.of(System.getProperty("brook.static", "").split(",")).contains(instance)) {
            // Static membership (KIP-345): Streams appends each thread's index to this id.
            props.put(
                StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
                name + "-" + instance);
          }
          // recount forwards every update at once (no record cache), so its aborted transactions
          // hold output and changelog records too, not only repartition records.
          if (name.equals("recount")) props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
          KafkaStreams streams = new KafkaStreams(app.topology(), props);
          streams.setUncaughtExceptionHandler(
              e -> {
                error.compareAndSet(null, e);
                return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
                    .StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
              });
          streams.start();
          all.add(streams);
          byName.get(name).add(streams);
        }
      }
      Map<String, Long> doneAt = new TreeMap<>();
      Map<String, String> lastBehind = new HashMap<>();
      long deadline = t0 + timeoutMs;
      while (doneAt.size() < names.size()) {
        for (String name : names) {
          if (doneAt.containsKey(name)) continue;
          String notRunning = null;
          for (KafkaStreams s : byName.get(name)) {
            KafkaStreams.State state = s.state();
            if (error.get() != null || state == KafkaStreams.State.ERROR
                || state == KafkaStreams.State.NOT_RUNNING
                || state == KafkaStreams.State.PENDING_ERROR) {
              throw new IllegalStateException(name + " stopped in state " + state, error.get());
            }
            if (state != KafkaStreams.State.RUNNING) notRunning = "state " + state;
          }
          if (notRunning != null) {
            lastBehind.put(name, notRunning);
            continue;
          }
          String b;
          try {
            b = behind(admin, apps.get(name), name + "-" + run);
          } catch (ExecutionException e) {
            // The cluster may be restarting under the app (the test kills Brook on purpose).
            b = "admin call failed: " + e.getCause();
          }
          if (b == null) {
            doneAt.put(name, System.currentTimeMillis() - t0);
            System.out.println("DONE " + name + " after " + doneAt.get(name) + " ms");
            System.out.flush();
          } else {
            lastBehind.put(name, b);
          }
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("timed out; still behind: " + lastBehind);
        }
        Thread.sleep(250);
      }
      for (String name : names) {
        String appId = name + "-" + run;
        Map<String, Object> r = new TreeMap<>();
        r.put("caughtUpMs", doneAt.get(name));
        r.put("internalTopics", internalTopics(admin, appId));
        result.put(name, r);
      }
    } catch (Exception e) {
      ok = false;
      System.out.println("FAILED " + e);
      e.printStackTrace(System.out);
      Throwable cause = e.getCause();
      if (cause != null) cause.printStackTrace(System.out);
    } finally {
      long closing = System.currentTimeMillis();
      for (KafkaStreams s : all) s.close(Duration.ofSeconds(30));
      result.put("closeMs", System.currentTimeMillis() - closing);
    }
    if (ok) {
      for (String name : names) {
        App app = apps.get(name);
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) result.get(name);
        int[] counts = new int[2];
        r.put(
            "output",
            readFinal(bootstrap, app.output(), app.longValues(), "read_committed", n -> counts[0] = n));
        readFinal(bootstrap, app.output(), app.longValues(), "read_uncommitted", n -> counts[1] = n);
        r.put("outputRecords", Map.of("committed", counts[0], "all", counts[1]));
      }
    }
    result.put("totalMs", System.currentTimeMillis() - t0);
    System.out.println("RESULT " + JSON.writeValueAsString(result));
    System.out.flush();
    System.exit(ok ? 0 : 2);
  }
}
