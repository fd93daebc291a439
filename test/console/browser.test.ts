/**
 * The web console in headless Chromium (Debian's, driven by playwright-core) against a real Brook:
 * the UI is built by scripts/build-console.mjs, served by startConsole on an ephemeral port, and
 * every action is checked against the broker through Brook's own client. The steps run in order,
 * as a user would: create a topic, produce three messages (one with a header), find that one by
 * the header filter, tail live, watch a real consumer group's lag fall to 0, stop it, reset its
 * offsets to earliest, delete the topic; plus the error banner and dark mode. Each page is saved
 * as a screenshot (test-output/console/, and docs/images/ with BROOK_SCREENSHOTS=docs/images).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { type Consumer, Kafka, logLevel } from "../../src/index.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { type ConsoleServer, startConsole } from "../../src/console/server.js";
import {
  type Browser,
  buildUi,
  chromiumMissing,
  launchBrowser,
  screenshot,
  textWhen,
  until,
} from "./browser-support.js";

const TOPIC = "orders";
const GROUP = "billing";
const BACKLOG = 120;

describe("web console in Chromium", { skip: chromiumMissing }, () => {
  let tb: TestBroker;
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let kafka: Kafka;
  let admin: ReturnType<Kafka["admin"]>;
  let consumer: Consumer | undefined;
  const pageErrors: string[] = [];

  before(async () => {
    [tb, ui] = await Promise.all([startTestBroker(), buildUi()]);
    server = await startConsole({
      brokers: [tb.bootstrap],
      port: 0,
      uiDir: ui.dir,
      lagIntervalMs: 500,
      sampleIntervalMs: 1000,
    });
    kafka = new Kafka({ clientId: "console-test", brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    browser = await launchBrowser();
    page = browser.page;
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await consumer?.disconnect().catch(() => {});
    await admin?.disconnect().catch(() => {});
    await browser?.close();
    await server?.close();
    await tb?.close();
    ui?.remove();
  });

  const go = async (hash: string) => {
    await page.goto(`${server.url}#/${hash}`);
  };
  const banner = () => page.getByTestId("error-banner");

  async function produceInUi(key: string, value: string, header?: [string, string]) {
    await page.getByLabel("Key", { exact: true }).fill(key);
    await page.getByLabel("Value", { exact: true }).fill(value);
    if (header) {
      await page.getByRole("button", { name: "Add header" }).click();
      await page.getByLabel("Header 1 key").fill(header[0]);
      await page.getByLabel("Header 1 value").fill(header[1]);
    }
    const before = await page
      .getByTestId("produce-result")
      .textContent({ timeout: 200 })
      .catch(() => null);
    await page.getByRole("button", { name: "Produce", exact: true }).click();
    const result = await textWhen(
      page.getByTestId("produce-result"),
      (t) => t.startsWith("Produced") && t !== before,
      10_000,
      "produce result",
    );
    const m = /partition (\d+) at offset (\d+)/.exec(result);
    assert.ok(m, result);
    if (header) await page.getByRole("button", { name: "Remove header 1" }).click();
    return { partition: Number(m[1]), offset: Number(m[2]) };
  }

  it("shows the overview of the cluster", async () => {
    await go("");
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await textWhen(page.getByTestId("stat-brokers"), (t) => t === "1", 10_000, "brokers stat");
    const clusterId = await textWhen(page.getByTestId("cluster-id"), (t) => t !== "…", 10_000, "cluster id");
    const described = await admin.describeCluster();
    assert.equal(clusterId, described.clusterId);
    assert.equal(await page.getByTestId("stat-under-replicated").textContent(), "0");
    assert.equal(await page.getByTestId("stat-offline").textContent(), "0");
  });

  it("creates a topic from the create dialog", async () => {
    await go("topics");
    await page.getByRole("button", { name: "Create topic" }).click();
    const dialog = page.getByRole("dialog", { name: "Create topic" });
    await dialog.getByLabel("Topic name").fill(TOPIC);
    await dialog.getByLabel("Partitions").fill("2");
    await dialog.getByRole("button", { name: "Add config" }).click();
    await dialog.getByLabel("Config 1 name").fill("retention.ms");
    await dialog.getByLabel("Config 1 value").fill("86400000");
    await dialog.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("heading", { name: TOPIC }).waitFor();
    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    assert.equal(meta.topics[0]!.partitions.length, 2);
    const configs = await admin.describeConfigs({
      resources: [{ type: 2, name: TOPIC, configNames: ["retention.ms"] }],
      includeSynonyms: false,
    });
    assert.equal(configs.resources[0]!.configEntries[0]!.configValue, "86400000");
  });

  it("produces three messages, one with a header, from the Produce tab", async () => {
    await page.getByRole("link", { name: "Produce" }).click();
    const first = await produceInUi("k1", JSON.stringify({ id: 1, item: "apple", qty: 3 }));
    const second = await produceInUi("k2", JSON.stringify({ id: 2, item: "pear", qty: 1 }), [
      "trace-id",
      "abc-123",
    ]);
    await screenshot(page, "produce");
    const third = await produceInUi("k3", "plain text, not JSON");
    // Read back through the client: the three records exist with the header on the second only.
    const got = await readAll(kafka, TOPIC, 3);
    assert.deepEqual(
      got.map((m) => m.value).sort(),
      [
        JSON.stringify({ id: 1, item: "apple", qty: 3 }),
        JSON.stringify({ id: 2, item: "pear", qty: 1 }),
        "plain text, not JSON",
      ].sort(),
    );
    const withHeader = got.filter((m) => Object.keys(m.headers).length > 0);
    assert.equal(withHeader.length, 1);
    assert.equal(withHeader[0]!.key, "k2");
    assert.equal(withHeader[0]!.headers["trace-id"], "abc-123");
    assert.deepEqual(
      [first, second, third].map((r) => `${r.partition}@${r.offset}`).sort(),
      got.map((m) => `${m.partition}@${m.offset}`).sort(),
    );
  });

  it("finds the message with the header by the header filter, and shows it as pretty JSON and hex", async () => {
    await page.getByRole("link", { name: "Messages" }).click();
    await textWhen(page.getByTestId("message-count"), (t) => t.startsWith("3 records"), 10_000, "3 records");
    await page.getByLabel("From", { exact: true }).selectOption("beginning");
    await page.getByLabel("Header contains").fill("ABC-1");
    await page.getByRole("button", { name: "Search" }).click();
    await textWhen(page.getByTestId("message-count"), (t) => t.startsWith("1 record,"), 10_000, "1 record");
    const rows = page.getByTestId("message-row");
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? "", /k2.*"item":"pear".*trace-id=abc-123/);
    await rows.first().click();
    const json = await page.getByTestId("value-json").textContent();
    assert.equal(json, JSON.stringify({ id: 2, item: "pear", qty: 1 }, null, 2));
    await screenshot(page, "messages", { readme: true });
    await page.getByRole("group", { name: "Value format" }).getByRole("button", { name: "Hex" }).click();
    assert.match((await page.getByTestId("value-hex").textContent()) ?? "", /^00000000 {2}7b 22 69 64/);

    // Export of the shown records as JSON: the same record, downloaded client-side.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export JSON" }).click(),
    ]);
    const exported = JSON.parse(readFileSync((await download.path())!, "utf8"));
    assert.equal(exported.length, 1);
    assert.equal(exported[0].key.text, "k2");
    assert.deepEqual(exported[0].headers, [{ key: "trace-id", value: { text: "abc-123" } }]);
    const [csvDownload] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV" }).click(),
    ]);
    const csv = readFileSync((await csvDownload.path())!, "utf8")
      .trimEnd()
      .split("\r\n");
    assert.equal(csv[0], "partition,offset,timestamp,key,value,headers");
    assert.equal(csv.length, 2);
    assert.match(
      csv[1]!,
      /,k2,"\{""id"":2,""item"":""pear"",""qty"":1\}","\[\{""key"":""trace-id"",""value"":""abc-123""\}\]"$/,
    );

    // A value filter that matches nothing: an empty state, not an error.
    await page.getByLabel("Header contains").fill("");
    await page.getByLabel("Value contains").fill("no-such-text");
    await page.getByRole("button", { name: "Search" }).click();
    await textWhen(page.getByTestId("message-count"), (t) => t.startsWith("0 records"), 10_000, "0 records");
    await page.getByText("No records match").waitFor();
    await page.getByLabel("Value contains").fill("");
  });

  it("tails live: a record produced meanwhile appears at the top", async () => {
    await page.getByRole("button", { name: "Search" }).click();
    await textWhen(page.getByTestId("message-count"), (t) => t.startsWith("3 records"), 10_000, "3 records");
    await page.getByLabel("Live").check();
    // "live" once the server's tail has fixed its start offsets: what is produced from now on shows.
    await textWhen(page.getByTestId("message-count"), (t) => t.endsWith("· live"), 10_000, "live on");
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: TOPIC, messages: [{ key: "live", value: "produced while tailing" }] });
    } finally {
      await producer.disconnect();
    }
    const top = page.getByTestId("message-row").first();
    await textWhen(top, (t) => t.includes("produced while tailing"), 10_000, "live record on top");
    await textWhen(page.getByTestId("message-count"), (t) => t.startsWith("4 records"), 5000, "4 records");
    assert.equal(pageErrors.length, 0, pageErrors.join("\n"));
    await page.getByLabel("Live").uncheck();
  });

  it("shows the partitions and configs of the topic", async () => {
    await page.getByRole("link", { name: "Partitions" }).click();
    const table = page.getByRole("table", { name: "Partitions" });
    await table.waitFor();
    assert.equal(await table.locator("tbody tr").count(), 2);
    await screenshot(page, "partitions");
    await page.getByRole("link", { name: "Configs" }).click();
    const retention = page.getByTestId("config-retention.ms");
    await textWhen(retention, (t) => t.includes("86400000"), 10_000, "retention.ms shown");
    // Edit a config, check it on the broker.
    await retention.getByRole("button", { name: "Edit retention.ms" }).click();
    await page.getByLabel("New value for retention.ms").fill("3600000");
    await retention.getByRole("button", { name: "Save" }).click();
    await textWhen(retention, (t) => t.includes("3600000"), 10_000, "retention.ms updated");
    const configs = await admin.describeConfigs({
      resources: [{ type: 2, name: TOPIC, configNames: ["retention.ms"] }],
      includeSynonyms: false,
    });
    assert.equal(configs.resources[0]!.configEntries[0]!.configValue, "3600000");
    await screenshot(page, "configs");
    // Reset: the topic's override is deleted and the broker's default shows again.
    await retention.getByRole("button", { name: "Reset retention.ms to default" }).click();
    await textWhen(
      retention,
      (t) => t.includes("604800000") && t.includes("DEFAULT_CONFIG"),
      10_000,
      "default",
    );
    const after = await admin.describeConfigs({
      resources: [{ type: 2, name: TOPIC, configNames: ["retention.ms"] }],
      includeSynonyms: false,
    });
    assert.equal(after.resources[0]!.configEntries[0]!.configValue, "604800000");
    assert.equal(after.resources[0]!.configEntries[0]!.isDefault, true);
  });

  it("watches a real consumer group's lag fall to 0 as it catches up", async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPIC,
      messages: Array.from({ length: BACKLOG }, (_, i) => ({ key: `b${i}`, value: `backlog ${i}` })),
    });
    await producer.disconnect();
    const total = await endOffsetsTotal();

    // The consumer joins, consumes and commits a little, then holds until the UI has shown its lag.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let consumed = 0;
    consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommitThreshold: 5,
      eachMessage: async () => {
        if (++consumed > 20) await gate;
      },
    });

    await go("groups");
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: GROUP }) });
    await textWhen(row, (t) => t.includes("Stable"), 20_000, "group row Stable");
    await screenshot(page, "groups");
    await row.getByRole("link", { name: GROUP }).click();
    await page.getByRole("heading", { name: GROUP }).waitFor();
    const lagText = await textWhen(
      page.getByTestId("total-lag"),
      (t) => t !== "" && t !== "0",
      15_000,
      "lag > 0",
    );
    assert.ok(Number(lagText.replace(/,/g, "")) > 0 && Number(lagText.replace(/,/g, "")) <= total, lagText);
    await page
      .getByRole("table", { name: "Members" })
      .getByRole("cell", { name: "console-test", exact: true })
      .waitFor();
    // The coordinator of this classic group, found with FindCoordinator: the broker's node id.
    const [node] = (await admin.describeCluster()).brokers;
    assert.equal(await page.getByTestId("stat-coordinator").textContent(), String(node!.nodeId));
    await page.getByText(`127.0.0.1:${tb.port}`, { exact: true }).waitFor();

    release();
    await textWhen(page.getByTestId("total-lag"), (t) => t === "0", 30_000, "lag 0 on the group page");
    assert.equal(consumed, total);
    // The chart has drawn the samples (uPlot's canvas is in the chart box).
    await page.getByTestId("lag-chart").locator("canvas").waitFor();
    await screenshot(page, "group");

    // Stop the consumer: the group becomes Empty.
    await consumer.disconnect();
    consumer = undefined;
    await textWhen(
      page.getByTestId("stat-state"),
      (t) => t === "Empty",
      20_000,
      "group Empty after the consumer stopped",
    );
  });

  it("resets the stopped group's offsets to earliest: dry-run plan, then Execute; lag goes back up", async () => {
    const total = await endOffsetsTotal();
    const form = page.getByRole("form", { name: "Reset offsets" });
    await form.getByLabel("Reset to").selectOption("earliest");
    await form.getByRole("button", { name: "Preview (dry run)" }).click();
    const plan = page.getByRole("table", { name: "Reset plan" });
    await plan.waitFor();
    const planRows = plan.locator("tbody tr");
    assert.equal(await planRows.count(), 2);
    for (const r of await planRows.all()) {
      const cells = (await r.locator("td").allTextContents()).map((c) => c.trim());
      assert.equal(cells[0], TOPIC);
      assert.equal(cells[3], "0", `target of ${cells.join(" ")}`);
    }
    // A dry run changes nothing.
    assert.equal(await committedTotal(), total);
    await page.getByRole("button", { name: "Execute" }).click();
    await page.getByText("Offsets reset").waitFor();
    assert.equal(await committedTotal(), 0);
    await textWhen(
      page.getByTestId("total-lag"),
      (t) => Number(t.replace(/,/g, "")) === total,
      15_000,
      "lag back to the whole log",
    );
  });

  it("counts the overview's partitions like its topics: the internal ones apart", async () => {
    const { topics } = await admin.fetchTopicMetadata();
    const count = (internal: boolean) =>
      topics.filter((t) => t.name.startsWith("__") === internal).reduce((n, t) => n + t.partitions.length, 0);
    // The group above made __consumer_offsets: its partitions must not swell the user topics' count.
    assert.ok(count(true) > 0, "an internal topic exists");
    await go("");
    await textWhen(
      page.getByTestId("stat-partitions"),
      (t) => t === String(count(false)),
      10_000,
      "partitions",
    );
    const hint = page.locator(".stat", { has: page.getByTestId("stat-partitions") }).locator(".stat-hint");
    assert.equal(await hint.textContent(), `${count(true)} internal`);
  });

  it("shows an API error in the banner", async () => {
    // Creating a topic that exists: the server's 409 is shown, one line.
    await go("topics");
    await page.getByRole("button", { name: "Create topic" }).click();
    const dialog = page.getByRole("dialog", { name: "Create topic" });
    await dialog.getByLabel("Topic name").fill(TOPIC);
    await dialog.getByRole("button", { name: "Create", exact: true }).click();
    await textWhen(banner(), (t) => /already exists/i.test(t), 10_000, "error banner");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    // An unknown topic's page: a 404 in the banner, and the page says it could not load.
    await go("topics/no-such-topic");
    await textWhen(banner(), (t) => t.includes("no-such-topic"), 10_000, "404 banner");
    await page.getByText("Topic no-such-topic could not be loaded").waitFor();
  });

  it("switches to dark mode and remembers it", async () => {
    const theme = () => page.locator("html").getAttribute("data-theme");
    const background = () => page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    // Light pictures of the topic list and the overview while they have something to show.
    await go("topics");
    await textWhen(page.getByRole("table", { name: "Topics" }), (t) => t.includes(TOPIC), 10_000, "topics");
    await screenshot(page, "topics");
    await go("");
    // A steady trickle of records: the console's own sampling of the high watermarks shows a rate.
    const producer = kafka.producer();
    await producer.connect();
    let producing = true;
    const trickle = (async () => {
      for (let i = 0; producing; i++) {
        await producer.send({ topic: TOPIC, messages: [{ key: `t${i}`, value: `trickle ${i}` }] });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await textWhen(
        page.getByTestId("stat-messages-s"),
        (t) => Number(t.replace(/,/g, "")) > 0,
        20_000,
        "messages/s above 0 while producing",
      );
      await screenshot(page, "overview", { readme: true });
    } finally {
      producing = false;
      await trickle;
      await producer.disconnect();
    }
    assert.equal(await theme(), "light");
    const light = await background();
    const toggle = page.getByRole("button", { name: "Dark mode" });
    assert.equal(await toggle.getAttribute("aria-pressed"), "false");
    await toggle.click();
    assert.equal(await theme(), "dark");
    assert.equal(await toggle.getAttribute("aria-pressed"), "true");
    assert.notEqual(await background(), light);
    await page.reload();
    assert.equal(await theme(), "dark");
    await textWhen(page.getByTestId("stat-brokers"), (t) => t === "1", 10_000, "overview loaded");
    await screenshot(page, "overview-dark", { readme: true });
    await go("groups");
    await page.getByRole("link", { name: GROUP }).click();
    await page.getByTestId("lag-chart").locator("canvas").waitFor();
    await screenshot(page, "group-dark", { readme: true });
    await page.getByRole("button", { name: "Dark mode" }).click();
    assert.equal(await theme(), "light");

    // With no choice stored, the theme follows the system's colour scheme, also when it changes.
    await page.evaluate("localStorage.clear()");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.reload();
    assert.equal(await theme(), "dark");
    await page.emulateMedia({ colorScheme: "light" });
    await until(async () => (await theme()) === "light", 5000, "theme follows the system to light");
    assert.equal(pageErrors.length, 0, pageErrors.join("\n"));
  });

  it("adds a partition and purges a partition's first records", async () => {
    await go(`topics/${TOPIC}/partitions`);
    await page.getByRole("button", { name: "Add partitions" }).click();
    const add = page.getByRole("dialog", { name: `Add partitions to ${TOPIC}` });
    assert.equal(await add.getByLabel("New total partitions").inputValue(), "3");
    await add.getByRole("button", { name: "Add partitions" }).click();
    const table = page.getByRole("table", { name: "Partitions" });
    await until(async () => (await table.locator("tbody tr").count()) === 3, 10_000, "3 partition rows");
    assert.equal((await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions.length, 3);

    await page.getByRole("button", { name: "Purge messages" }).click();
    const purge = page.getByRole("dialog", { name: `Purge messages of ${TOPIC}` });
    await purge.getByLabel("Partition").selectOption("0");
    await purge.getByLabel("Before offset (empty: all)").fill("2");
    await purge.getByRole("button", { name: "Purge" }).click();
    await purge.waitFor({ state: "detached" });
    const p0 = (await admin.fetchTopicOffsets(TOPIC)).find((p) => p.partition === 0)!;
    assert.equal(Number(p0.low), 2);
    // The partitions table shows the new log start of partition 0 (columns: partition, leader, replicas, ISR, log start).
    await textWhen(
      table.locator("tbody tr").first().locator("td").nth(4),
      (t) => t === "2",
      10_000,
      "log start 2",
    );
  });

  it("deletes the stopped group", async () => {
    await go(`groups/${GROUP}`);
    await page.getByRole("button", { name: "Delete group" }).click();
    await page
      .getByRole("dialog", { name: `Delete group ${GROUP}` })
      .getByRole("button", { name: "Delete" })
      .click();
    await page.getByRole("heading", { name: "Consumer groups" }).waitFor();
    await until(
      async () => !(await admin.listGroups()).groups.some((g) => g.groupId === GROUP),
      10_000,
      "group deleted on the broker",
    );
    await textWhen(
      page.getByRole("table", { name: "Consumer groups" }),
      (t) => !t.includes(GROUP),
      10_000,
      "group gone from the list",
    );
  });

  it("deletes the topic after its name is typed", async () => {
    await go(`topics/${TOPIC}`);
    await page.getByRole("button", { name: "Delete topic" }).click();
    const dialog = page.getByRole("dialog", { name: `Delete topic ${TOPIC}` });
    const confirm = dialog.getByRole("button", { name: "Delete", exact: true });
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel("Topic name to confirm").fill(`${TOPIC}x`);
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel("Topic name to confirm").fill(TOPIC);
    await confirm.click();
    await page.getByRole("heading", { name: "Topics" }).waitFor();
    await until(
      async () => !(await admin.listTopics()).includes(TOPIC),
      10_000,
      "topic deleted on the broker",
    );
    await textWhen(
      page.getByRole("table", { name: "Topics" }),
      (t) => !t.includes(TOPIC),
      10_000,
      "topic gone from the list",
    );
  });

  it("lists the broker's configs with a filter", async () => {
    await go("broker");
    await page.getByRole("table", { name: "Broker configs" }).waitFor();
    await page.getByLabel("Filter configs").fill("log.retention.hours");
    const rows = page.getByRole("table", { name: "Broker configs" }).locator("tbody tr");
    await until(async () => (await rows.count()) === 1, 5000, "one config row");
    assert.match((await rows.first().textContent()) ?? "", /log\.retention\.hours\s*168/);
    await page.getByLabel("Filter configs").fill("log.");
    await screenshot(page, "broker");
  });

  async function endOffsetsTotal(): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  }

  async function committedTotal(): Promise<number> {
    const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    return t!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  }
});

/** The first `count` records of a topic, read with an assigned consumer group of its own. */
async function readAll(kafka: Kafka, topic: string, count: number) {
  const c = kafka.consumer({ groupId: "audit", maxWaitTimeInMs: 100 });
  const got: {
    partition: number;
    offset: number;
    key: string;
    value: string;
    headers: Record<string, string>;
  }[] = [];
  await c.connect();
  try {
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        got.push({
          partition,
          offset: Number(message.offset),
          key: String(message.key),
          value: String(message.value),
          headers,
        });
      },
    });
    await until(() => got.length >= count, 15_000, `${count} records read back`);
  } finally {
    await c.disconnect();
  }
  return got;
}
