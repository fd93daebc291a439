/**
 * Scenarios of the Java client (kafka-clients) run by test/reference/java-client.test.ts against
 * Brook and against Apache Kafka: `java JavaClientScenarios <scenario> <bootstrap>`. Each prints its
 * observable results as JSON lines (see Out) and exits 0; a scenario that cannot go on prints a
 * FAILED line and exits 2.
 */
public final class JavaClientScenarios {
  private JavaClientScenarios() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: JavaClientScenarios <scenario> <bootstrap>");
      System.exit(64);
    }
    String bootstrap = args[1];
    switch (args[0]) {
      case "admin" -> AdminScenario.run(bootstrap);
      case "idempotent" -> ProducerScenarios.idempotent(bootstrap);
      case "transactions" -> ProducerScenarios.transactions(bootstrap);
      case "groups-classic" -> GroupScenarios.classic(bootstrap);
      case "groups-consumer" -> GroupScenarios.consumerProtocol(bootstrap);
      case "groups-static" -> GroupScenarios.staticMembership(bootstrap);
      default -> {
        System.err.println("unknown scenario " + args[0]);
        System.exit(64);
      }
    }
    Out.emit("done");
    // Client threads (admin, producer I/O) are closed by now; exit at once rather than wait for
    // anything a client library left behind.
    System.exit(0);
  }
}
