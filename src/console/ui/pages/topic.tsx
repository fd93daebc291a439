import { useState } from "preact/hooks";
import { api, type ConfigEntry, type TopicDetail } from "../api.js";
import { Dialog, EmptyRow, Field, Loading, PageHeader, Tabs } from "../components.js";
import { formatBytes, formatNumber } from "../format.js";
import { href, navigate, useAction, useApi } from "../state.js";
import { MessageBrowser } from "./messages.js";
import { ProduceForm } from "./produce.js";

type Tab = "messages" | "partitions" | "configs" | "produce";
const TABS: { id: Tab; label: string }[] = [
  { id: "messages", label: "Messages" },
  { id: "partitions", label: "Partitions" },
  { id: "configs", label: "Configs" },
  { id: "produce", label: "Produce" },
];

export function TopicPage({ name, tab }: { name: string; tab: string | undefined }) {
  const current: Tab = TABS.some((t) => t.id === tab) ? (tab as Tab) : "messages";
  const topic = useApi(() => api.topic(name), `topic-${name}`, 5000);
  const [dialog, setDialog] = useState<"partitions" | "purge" | "delete" | null>(null);
  const t = topic.data;
  const messages = t ? t.partitions.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0) : 0;
  const size = t ? t.partitions.reduce((n, p) => n + p.sizeBytes, 0) : 0;
  return (
    <section>
      <div class="crumbs">
        <a href={href("topics")}>Topics</a> / <span>{name}</span>
      </div>
      <PageHeader title={name}>
        <button type="button" disabled={!t} onClick={() => setDialog("partitions")}>
          Add partitions
        </button>
        <button type="button" disabled={!t} onClick={() => setDialog("purge")}>
          Purge messages
        </button>
        <button type="button" class="danger" disabled={!t} onClick={() => setDialog("delete")}>
          Delete topic
        </button>
      </PageHeader>
      {t && (
        <div class="summary">
          <span>
            <b>{t.partitions.length}</b> partitions
          </span>
          <span>
            <b data-testid="topic-messages">{formatNumber(messages)}</b> messages
          </span>
          <span>
            <b>{formatBytes(size)}</b> on disk
          </span>
          {t.internal && <span class="badge muted">internal</span>}
        </div>
      )}
      <Tabs tabs={TABS} current={current} hrefFor={(id) => href("topics", name, id)} />
      {!t ? (
        topic.loading ? (
          <Loading what="the topic" />
        ) : (
          <div class="state">Topic {name} could not be loaded.</div>
        )
      ) : current === "messages" ? (
        <MessageBrowser topic={t} />
      ) : current === "partitions" ? (
        <PartitionsTable topic={t} />
      ) : current === "configs" ? (
        <ConfigsTable topic={t} reload={topic.reload} />
      ) : (
        <ProduceForm topic={t} onProduced={topic.reload} />
      )}
      {t && dialog === "partitions" && (
        <AddPartitionsDialog topic={t} onClose={() => setDialog(null)} onDone={topic.reload} />
      )}
      {t && dialog === "purge" && (
        <PurgeDialog topic={t} onClose={() => setDialog(null)} onDone={topic.reload} />
      )}
      {t && dialog === "delete" && <DeleteTopicDialog name={t.name} onClose={() => setDialog(null)} />}
    </section>
  );
}

function PartitionsTable({ topic }: { topic: TopicDetail }) {
  return (
    <table class="table" aria-label="Partitions">
      <thead>
        <tr>
          <th class="num">Partition</th>
          <th class="num">Leader</th>
          <th>Replicas</th>
          <th>ISR</th>
          <th class="num">Log start</th>
          <th class="num">High watermark</th>
          <th class="num">Last stable</th>
          <th class="num">Messages</th>
          <th class="num">Size</th>
        </tr>
      </thead>
      <tbody>
        {topic.partitions.length === 0 && <EmptyRow columns={9}>No partitions.</EmptyRow>}
        {topic.partitions.map((p) => (
          <tr key={p.partition}>
            <td class="num">{p.partition}</td>
            <td class="num">{p.leader}</td>
            <td>{p.replicas.join(", ")}</td>
            <td class={p.isr.length < p.replicas.length ? "text-bad" : ""}>{p.isr.join(", ")}</td>
            <td class="num">{formatNumber(p.logStartOffset)}</td>
            <td class="num">{formatNumber(p.highWatermark)}</td>
            <td class="num">{formatNumber(p.lastStableOffset)}</td>
            <td class="num">{formatNumber(p.highWatermark - p.logStartOffset)}</td>
            <td class="num">{formatBytes(p.sizeBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ConfigsTable({ topic, reload }: { topic: TopicDetail; reload: () => Promise<void> }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [filter, setFilter] = useState("");
  const [busy, act] = useAction();
  const f = filter.trim().toLowerCase();
  const shown = topic.configs.filter((c) => !f || c.name.toLowerCase().includes(f));
  const run = (action: () => Promise<unknown>) =>
    act(async () => {
      await action();
      setEditing(null);
      await reload();
    });
  // Only a topic's own override can be deleted; other values come from the broker or its defaults.
  const isOverride = (c: ConfigEntry) => c.source === "DYNAMIC_TOPIC_CONFIG";
  return (
    <>
      <div class="toolbar">
        <input
          type="search"
          class="filter"
          placeholder="Filter configs"
          aria-label="Filter configs"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
      </div>
      <table class="table" aria-label="Topic configs">
        <thead>
          <tr>
            <th>Name</th>
            <th>Value</th>
            <th>Source</th>
            <th class="actions-col" />
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 && <EmptyRow columns={4}>No configs match.</EmptyRow>}
          {shown.map((c) => (
            <tr key={c.name} data-testid={`config-${c.name}`}>
              <td class="mono">{c.name}</td>
              <td class="mono wrap">
                {editing === c.name ? (
                  <form
                    class="inline-form"
                    onSubmit={(e) => {
                      e.preventDefault();
                      void run(() => api.alterConfigs(topic.name, { set: { [c.name]: draft } }));
                    }}
                  >
                    <input
                      aria-label={`New value for ${c.name}`}
                      value={draft}
                      onInput={(e) => setDraft(e.currentTarget.value)}
                    />
                    <button type="submit" class="primary" disabled={busy}>
                      Save
                    </button>
                    <button type="button" onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                  </form>
                ) : c.sensitive ? (
                  "••••••"
                ) : (
                  (c.value ?? <span class="muted">null</span>)
                )}
              </td>
              <td>
                <span class={isOverride(c) ? "badge info" : "muted"}>{c.source}</span>
              </td>
              <td class="actions-col">
                {!c.readOnly && editing !== c.name && (
                  <>
                    <button
                      type="button"
                      class="small"
                      aria-label={`Edit ${c.name}`}
                      onClick={() => {
                        setEditing(c.name);
                        setDraft(c.value ?? "");
                      }}
                    >
                      Edit
                    </button>
                    {isOverride(c) && (
                      <button
                        type="button"
                        class="small"
                        aria-label={`Reset ${c.name} to default`}
                        disabled={busy}
                        onClick={() => run(() => api.alterConfigs(topic.name, { delete: [c.name] }))}
                      >
                        Reset
                      </button>
                    )}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function AddPartitionsDialog({
  topic,
  onClose,
  onDone,
}: {
  topic: TopicDetail;
  onClose: () => void;
  onDone: () => Promise<void>;
}) {
  const [count, setCount] = useState(String(topic.partitions.length + 1));
  const [busy, run] = useAction();
  return (
    <Dialog title={`Add partitions to ${topic.name}`} onClose={onClose}>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await api.addPartitions(topic.name, Number(count));
            onClose();
            await onDone();
          });
        }}
      >
        <p class="wide muted">
          The topic has {topic.partitions.length} partitions. Partitions can be added, never removed; keys may
          map to other partitions afterwards.
        </p>
        <Field label="New total partitions">
          <input
            type="number"
            min={topic.partitions.length + 1}
            required
            value={count}
            onInput={(e) => setCount(e.currentTarget.value)}
          />
        </Field>
        <div class="form-actions wide">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Add partitions
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function PurgeDialog({
  topic,
  onClose,
  onDone,
}: {
  topic: TopicDetail;
  onClose: () => void;
  onDone: () => Promise<void>;
}) {
  const [partition, setPartition] = useState("all");
  const [before, setBefore] = useState("");
  const [busy, run] = useAction();
  return (
    <Dialog title={`Purge messages of ${topic.name}`} onClose={onClose}>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await api.purge(topic.name, {
              ...(partition === "all" ? {} : { partitions: [Number(partition)] }),
              before: before.trim() === "" ? "end" : Number(before),
            });
            onClose();
            await onDone();
          });
        }}
      >
        <p class="wide muted">Deletes records from the start of the log. This cannot be undone.</p>
        <Field label="Partition">
          <select value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
            <option value="all">All partitions</option>
            {topic.partitions.map((p) => (
              <option key={p.partition} value={p.partition}>
                {p.partition}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Before offset (empty: all)">
          <input type="number" min={0} value={before} onInput={(e) => setBefore(e.currentTarget.value)} />
        </Field>
        <div class="form-actions wide">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={busy}>
            Purge
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteTopicDialog({ name, onClose }: { name: string; onClose: () => void }) {
  const [typed, setTyped] = useState("");
  const [busy, run] = useAction();
  return (
    <Dialog title={`Delete topic ${name}`} onClose={onClose}>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await api.deleteTopic(name);
            onClose();
            navigate("topics");
          });
        }}
      >
        <p class="wide">
          This deletes the topic and all its messages. Type <code>{name}</code> to confirm.
        </p>
        <Field label="Topic name to confirm" wide>
          <input value={typed} autoComplete="off" onInput={(e) => setTyped(e.currentTarget.value)} />
        </Field>
        <div class="form-actions wide">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={busy || typed !== name}>
            Delete
          </button>
        </div>
      </form>
    </Dialog>
  );
}
