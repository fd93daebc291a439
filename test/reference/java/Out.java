import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;

/**
 * Output and helpers shared by the scenarios. Every observable result is printed to stdout as one
 * JSON object per line, {"step": ..., ...}; the node:test side runs the same scenario against Brook
 * and against Apache Kafka and compares the lines. Nothing printed may depend on node ids, ports,
 * cluster ids, producer ids or timings: scenarios print what a user of the client can rely on.
 */
final class Out {
  private Out() {}

  /** Prints {"step": step, k1: v1, ...}; keys keep their order. */
  static synchronized void emit(String step, Object... kv) {
    StringBuilder sb = new StringBuilder("{\"step\":");
    str(sb, step);
    for (int i = 0; i + 1 < kv.length; i += 2) {
      sb.append(',');
      str(sb, String.valueOf(kv[i]));
      sb.append(':');
      value(sb, kv[i + 1]);
    }
    sb.append('}');
    System.out.println(sb);
    System.out.flush();
  }

  /** A map with sorted keys, for printing. */
  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) m.put(String.valueOf(kv[i]), kv[i + 1]);
    return m;
  }

  static String tp(TopicPartition p) {
    return p.topic() + "-" + p.partition();
  }

  /** Topic-partitions as a sorted list of "topic-partition" strings. */
  static List<String> tps(Collection<TopicPartition> c) {
    List<TopicPartition> l = new ArrayList<>(c);
    l.sort((a, b) -> a.topic().equals(b.topic())
        ? Integer.compare(a.partition(), b.partition())
        : a.topic().compareTo(b.topic()));
    List<String> out = new ArrayList<>();
    for (TopicPartition p : l) out.add(tp(p));
    return out;
  }

  private static void value(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      str(sb, s);
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Optional<?> o) {
      value(sb, o.orElse(null));
    } else if (v instanceof OptionalInt o) {
      value(sb, o.isPresent() ? (Object) o.getAsInt() : null);
    } else if (v instanceof OptionalLong o) {
      value(sb, o.isPresent() ? (Object) o.getAsLong() : null);
    } else if (v instanceof TopicPartition p) {
      str(sb, tp(p));
    } else if (v instanceof Map<?, ?> m) {
      Map<String, Object> sorted = m instanceof java.util.LinkedHashMap ? null : new TreeMap<>();
      Iterable<? extends Map.Entry<?, ?>> entries = m.entrySet();
      if (sorted != null) {
        for (Map.Entry<?, ?> e : m.entrySet()) sorted.put(String.valueOf(e.getKey() instanceof TopicPartition p ? tp(p) : e.getKey()), e.getValue());
        entries = sorted.entrySet();
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : entries) {
        if (!first) sb.append(',');
        first = false;
        Object k = e.getKey();
        str(sb, k instanceof TopicPartition p ? tp(p) : String.valueOf(k));
        sb.append(':');
        value(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof Iterable<?> it) {
      sb.append('[');
      boolean first = true;
      for (Object o : it) {
        if (!first) sb.append(',');
        first = false;
        value(sb, o);
      }
      sb.append(']');
    } else if (v instanceof Enum<?> e) {
      str(sb, e.name());
    } else {
      str(sb, v.toString());
    }
  }

  private static void str(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    sb.append('"');
  }

  /** The exception a failed future or call ends with: its simple class name (messages differ). */
  static String err(Throwable t) {
    while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName();
  }

  /** "ok" or the simple class name of the exception the future failed with. */
  static String outcome(KafkaFuture<?> f) {
    try {
      f.get();
      return "ok";
    } catch (Exception e) {
      return err(e);
    }
  }

  /** Waits until the condition holds; fails the scenario (exit 2) after the timeout. */
  static void await(String what, long timeoutMs, BooleanSupplier cond) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) fail("timed out waiting for " + what);
      Thread.sleep(50);
    }
  }

  static void fail(String message) {
    emit("FAILED", "message", message);
    System.err.println("FAILED: " + message);
    System.exit(2);
  }

  static Properties props(String bootstrap, Object... kv) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    for (int i = 0; i + 1 < kv.length; i += 2) p.put(String.valueOf(kv[i]), String.valueOf(kv[i + 1]));
    return p;
  }

  static Properties producerProps(String bootstrap, Object... kv) {
    Properties p = props(bootstrap, kv);
    p.putIfAbsent("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
    p.putIfAbsent("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
    return p;
  }

  static Properties consumerProps(String bootstrap, Object... kv) {
    Properties p = props(bootstrap, kv);
    p.putIfAbsent("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    p.putIfAbsent("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    return p;
  }

  static final Duration POLL = Duration.ofMillis(100);
}
